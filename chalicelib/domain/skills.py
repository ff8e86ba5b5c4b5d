"""Skill normalisation: free text in, canonical skill names out.

The alias table is data (``data/skills.json``): each canonical skill with its category, its
aliases and the skills it stands for (``implies``: a tool or specialism → broader skills,
"Jupyter" → python and data analysis, "QuickBooks" → bookkeeping). The table was written by
hand from knowledge of public taxonomies (ESCO, O*NET Technology Skills) — its ``source``
field and docs/matching.md say so; no third-party data is shipped.

Lookup goes through a *folded key* — case, spacing and punctuation removed, British
spellings folded — so "Node.js", "node js", "NodeJS" and "nodejs" all find ``node.js``, and
"MS Excel" finds ``excel``. Unknown skills are kept in their cleaned form, never rejected.

``skills_in_text`` finds the table's skills in free text (a bio, a portfolio address): the
longest alias at each word, single words on the table's ``not_evidence_alone`` list ("word",
"lean", "go") skipped — that is how the scorer sees evidence beyond the skill list.

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
    "implied_skills",
    "known_skills",
    "normalise_skill",
    "normalise_skills",
    "skill_aliases",
    "skill_category",
    "skill_key",
    "skills_in_text",
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
    implies: dict[str, tuple[str, ...]]  # transitive: next.js → react, javascript
    not_alone: frozenset[str]  # folded keys that are no evidence as a single word


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
    direct: dict[str, list[str]] = {}
    for entry in doc["skills"]:
        name = clean_skill(entry["name"])
        category[name] = str(entry.get("category", ""))
        direct[name] = [clean_skill(s) for s in entry.get("implies", ())]
        for variant in (name, *entry.get("aliases", ())):
            key = skill_key(variant)
            if not key:
                continue
            other = by_key.setdefault(key, name)
            if other != name:
                raise ValueError(f"skill alias {variant!r} maps to both {other!r} and {name!r}")
    for name, targets in direct.items():
        unknown = [t for t in targets if t not in category]
        if unknown:
            raise ValueError(f"skill {name!r} implies unknown skills {unknown}")
    implies = {name: _closure(name, direct) for name in direct if direct[name]}
    not_alone = frozenset(skill_key(w) for w in doc.get("not_evidence_alone", ()))
    return SkillTable(by_key=by_key, category=category, implies=implies, not_alone=not_alone)


def _closure(name: str, direct: Mapping[str, list[str]]) -> tuple[str, ...]:
    """Every skill ``name`` implies, directly or through others, nearest first."""
    out: dict[str, None] = {}
    todo = list(direct.get(name, ()))
    while todo:
        skill = todo.pop(0)
        if skill != name and skill not in out:
            out[skill] = None
            todo.extend(direct.get(skill, ()))
    return tuple(out)


@functools.lru_cache(maxsize=65536)
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


def implied_skills(name: str) -> tuple[str, ...]:
    """The skills a canonical skill or tool stands for ("jupyter" → python, data analysis)."""
    return _table().implies.get(name, ())


_TEXT_WORD = re.compile(r"[^\W_][\w.+#&'’-]*")
_MAX_PHRASE = 4  # words in the longest alias looked for in free text


@functools.cache
def _word_key(word: str) -> str:
    return skill_key(word.rstrip(".'’-"))


@functools.cache
def _phrase_starts() -> dict[str, int]:
    """Folded first word of every name and alias → the most words such a phrase has."""
    raw = resources.files(__package__).joinpath("data", "skills.json").read_text("utf-8")
    starts: dict[str, int] = {}
    for entry in json.loads(raw)["skills"]:
        for variant in (entry["name"], *entry.get("aliases", ())):
            words = [_word_key(w) for w in _TEXT_WORD.findall(variant)]
            words = [w for w in words if w]
            if words and len(words) <= _MAX_PHRASE:
                starts[words[0]] = max(starts.get(words[0], 0), len(words))
    return starts


@functools.lru_cache(maxsize=65536)
def skills_in_text(text: str) -> tuple[str, ...]:
    """Canonical skills named in free text, in order of appearance (longest alias first)."""
    table = _table()
    by_key, not_alone, starts = table.by_key, table.not_alone, _phrase_starts()
    keys = [_word_key(w) for w in _TEXT_WORD.findall(text)]
    found: dict[str, None] = {}
    i = 0
    while i < len(keys):
        step = 1
        longest = starts.get(keys[i], 0)
        if longest == 0 and keys[i].endswith("s"):
            longest = 1 if keys[i][:-1] in by_key else 0
        for n in range(min(longest, len(keys) - i), 0, -1):
            key = "".join(keys[i : i + n])
            if n == 1 and (len(key) < 2 or key in not_alone):
                continue
            name = by_key.get(key)
            if name is None and len(key) > 3 and key.endswith("s"):
                name = by_key.get(key[:-1])
                if n == 1 and key[:-1] in not_alone:
                    name = None
            if name is not None:
                found.setdefault(name, None)
                step = n
                break
        i += step
    return tuple(found)


def skill_aliases() -> Mapping[str, str]:
    """Folded key (see ``skill_key``) → canonical name, for every name and alias."""
    return MappingProxyType(_table().by_key)


@functools.cache
def known_skills() -> frozenset[str]:
    """Every canonical skill name in the table."""
    return frozenset(_table().category)


def skill_category(name: str) -> str | None:
    """Category ("data", "design", …) of a skill, or None when it is not in the table."""
    return _table().category.get(normalise_skill(name))
