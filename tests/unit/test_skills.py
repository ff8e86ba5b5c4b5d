"""Skill normalisation and the alias table."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from chalicelib.domain.skills import (
    known_skills,
    normalise_skill,
    normalise_skills,
    skill_aliases,
    skill_category,
    skill_key,
)

SKILLS_JSON = Path(__file__).resolve().parents[2] / "chalicelib" / "domain" / "data" / "skills.json"


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("js", "javascript"),
        ("JS", "javascript"),
        ("JavaScript", "javascript"),
        ("ux", "user experience design"),
        ("UX/UI", "user experience design"),
        ("ml", "machine learning"),
        ("Machine-Learning", "machine learning"),
        ("excel", "excel"),
        ("MS Excel", "excel"),
        ("Microsoft   Excel", "excel"),
        ("SEO", "search engine optimization"),
        ("search engine optimisation", "search engine optimization"),
        ("Copywriting", "copywriting"),
        ("Figma", "figma"),
        ("SQL", "sql"),
        ("Tableau", "tableau"),
        ("Power BI", "power bi"),
        ("PowerBI", "power bi"),
        ("Node.js", "node.js"),
        ("node js", "node.js"),
        ("NodeJS", "node.js"),
        ("nodejs", "node.js"),
        ("Data Visualisation", "data visualization"),
        ("financial modelling", "financial modeling"),
        ("pitch deck", "pitch decks"),
        ("Landing Pages", "web design"),
        ("  Python  ", "python"),
        ("python,", "python"),
        ("Español", "spanish"),
    ],
)
def test_aliases_fold_to_canonical(raw: str, canonical: str) -> None:
    assert normalise_skill(raw) == canonical


def test_symbols_keep_languages_apart() -> None:
    assert normalise_skill("C") == "c"
    assert normalise_skill("C++") == "c++"
    assert normalise_skill("c#") == "c#"
    assert normalise_skill("C Sharp") == "c#"
    assert normalise_skill(".NET") == ".net"
    assert len({normalise_skill(s) for s in ("c", "c++", "c#", ".net")}) == 4


def test_unknown_skills_are_kept_normalised() -> None:
    assert normalise_skill("  Quantum   Basket-Weaving! ") == "quantum basket-weaving"
    assert normalise_skill("Underwater_Welding") == "underwater welding"
    assert normalise_skill("Underwater_Welding") not in known_skills()


def test_empty_input() -> None:
    assert normalise_skill("   ") == ""
    assert normalise_skill("--") == ""
    assert normalise_skills(["", "  ", ","]) == []


def test_normalise_skills_dedupes_keeping_order() -> None:
    got = normalise_skills(
        ["SQL", "js", "Python", "sql ", "JavaScript", "Kite Surfing", "kite  surfing"]
    )
    assert got == ["sql", "javascript", "python", "kite surfing"]


def test_table_is_big_and_consistent() -> None:
    doc = json.loads(SKILLS_JSON.read_text("utf-8"))
    entries = doc["skills"]
    assert len(entries) >= 150
    names = [e["name"] for e in entries]
    assert len(names) == len(set(names))
    categories = {e["category"] for e in entries}
    assert {
        "data",
        "design",
        "writing",
        "marketing",
        "software",
        "finance",
        "research",
        "ops",
    } <= categories
    for e in entries:
        # Every canonical name and alias resolves to its own canonical name.
        assert normalise_skill(e["name"]) == e["name"], e["name"]
        for alias in e["aliases"]:
            assert normalise_skill(alias) == e["name"], (alias, e["name"])
    assert len(known_skills()) == len(entries)


def test_keys_and_categories() -> None:
    assert skill_key("Node.JS") == skill_key("node js") == "nodejs"
    assert skill_aliases()["nodejs"] == "node.js"
    assert skill_category("JS") == "software"
    assert skill_category("Figma") == "design"
    assert skill_category("kite surfing") is None
