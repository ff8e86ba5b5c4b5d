"""Skill normalisation: free text in, canonical skill names out.

The alias table is data (``data/skills.json``): each canonical skill with its category and
aliases. Lookup goes through a *folded key* — case, spacing and punctuation removed, British
spellings folded — so "Node.js", "node js", "NodeJS" and "nodejs" all find ``node.js``, and
"MS Excel" finds ``excel``. Unknown skills are kept in their cleaned form, never rejected.

Pure: no I/O beyond reading the packaged JSON once.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

__all__ = [
    "SkillTable",
    "known_skills",
    "normalise_skill",
    "normalise_skills",
    "skill_aliases",
    "skill_category",
    "skill_key",
]

_WS = re.compile(r"\s+")
_NOT_KEY = re.compile(r"[^\w+#]|_")
# British → American spellings inside keys, so "visualisation" and "visualization" fold.
_SPELLING = (
    (re.compile(r"isation"), "ization"),
    (re.compile(r"ising"), "izing"),
    (re.compile(r"elling"), "eling"),
)
# Stripped from both ends of a skill; "." only from the end so ".net" survives.
_EDGE_JUNK = " \t\r\n,;:!?\"'`()[]{}<>*•·|/\\-–—"


@dataclass(frozen=True, slots=True)
class SkillTable:
    """Folded key → canonical name, plus canonical name → category."""

    by_key: dict[str, str]
    category: dict[str, str]


def clean_skill(text: str) -> str:
    """Case, Unicode and whitespace normalised form of a skill, punctuation kept inside."""
    s = unicodedata.normalize("NFKC", text).casefold().replace("_", " ")
    s = s.replace("\u2019", "'").replace("\u2018", "'")
    s = _WS.sub(" ", s).strip(_EDGE_JUNK).rstrip(".").strip(_EDGE_JUNK)
    return s


def skill_key(text: str) -> str:
    """The folded lookup key: letters, digits, '+' and '#' only ("c++" ≠ "c" ≠ "c#")."""
    s = clean_skill(text).replace("&", " and ")
    s = _NOT_KEY.sub("", s)
    for pattern, repl in _SPELLING:
        s = pattern.sub(repl, s)
    return s


@functools.cache
def _table() -> SkillTable:
    raw = resources.files(__package__).joinpath("data", "skills.json").read_text("utf-8")
    doc = json.loads(raw)
    by_key: dict[str, str] = {}
    category: dict[str, str] = {}
    for entry in doc["skills"]:
        name = clean_skill(entry["name"])
        category[name] = str(entry.get("category", ""))
        for variant in (name, *entry.get("aliases", ())):
            key = skill_key(variant)
            if not key:
                continue
            other = by_key.setdefault(key, name)
            if other != name:
                raise ValueError(f"skill alias {variant!r} maps to both {other!r} and {name!r}")
    return SkillTable(by_key=by_key, category=category)


def normalise_skill(text: str) -> str:
    """Canonical name of a skill; unknown skills come back cleaned (lower case, tidy)."""
    cleaned = clean_skill(text)
    if not cleaned:
        return ""
    table = _table().by_key
    key = skill_key(cleaned)
    canonical = table.get(key)
    if canonical is None and len(key) > 3 and key.endswith("s"):
        canonical = table.get(key[:-1])  # "dashboards", "pitch decks", "landing pages"
    return canonical if canonical is not None else cleaned


def normalise_skills(skills: Iterable[str]) -> list[str]:
    """Normalise each skill, drop empties and duplicates, keep first-seen order."""
    seen: dict[str, None] = {}
    for skill in skills:
        name = normalise_skill(skill)
        if name:
            seen.setdefault(name, None)
    return list(seen)


def skill_aliases() -> Mapping[str, str]:
    """Folded key (see ``skill_key``) → canonical name, for every name and alias."""
    return MappingProxyType(_table().by_key)


def known_skills() -> frozenset[str]:
    """Every canonical skill name in the table."""
    return frozenset(_table().category)


def skill_category(name: str) -> str | None:
    """Category ("data", "design", …) of a skill, or None when it is not in the table."""
    return _table().category.get(normalise_skill(name))
