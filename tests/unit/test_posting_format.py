"""The skill posting's format (issue 17): a posting carries the profile's prepared features —
computed at write time by ``retrieval.pack_scoring`` — instead of the bio, so a match reads
them without tokenising or looking for evidence. The scorer's results must not change: the
same candidates, scores, factors and reasons as scoring the profiles themselves; postings
written in the older formats (fields packed with the bio, or attributes of their own) are
read alike."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest

from chalicelib.domain.matching import prepare_profile, rank
from chalicelib.domain.retrieval import (
    pack_scoring,
    posting_fields,
    posting_ranks,
    postings_of,
    to_intern_profile,
    to_prepared,
)
from chalicelib.domain.skills import normalise_skills
from local.zipf_pool import generate_pool
from tests.unit.test_matching_eval import _brief, _load


def fields_of(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The scoring fields the adapter copies from a profile (intern_profiles.scoring_fields)."""
    return {
        "intern_id": str(profile["intern_id"]),
        "skills": normalise_skills(list(profile["skills"])),
        "bio": str(profile["bio"]),
        "hours_per_week": int(profile["hours_per_week"]),
        "timezone": str(profile.get("timezone") or "UTC"),
        "portfolio_url": str(profile.get("portfolio_url") or ""),
        "completed": int(profile.get("completed", 0)),
        "rating_sum": int(profile.get("rating_sum", 0)),
        "rating_count": int(profile.get("rating_count", 0)),
    }


def packed(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A posting as the app writes it now (rank omitted: not read by the scorer)."""
    return {"intern_id": fields["intern_id"], "scoring": pack_scoring(fields)}


def packed_with_bio(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A posting as written before features were packed: the fields, bio included."""
    rest = {k: v for k, v in fields.items() if k != "intern_id"}
    return {"intern_id": fields["intern_id"], "scoring": json.dumps(rest, sort_keys=True)}


def as_attributes(fields: Mapping[str, Any]) -> dict[str, Any]:
    """A posting as written before packing: the fields as attributes of their own."""
    return dict(fields)


def eval_profiles() -> list[dict[str, Any]]:
    _today, briefs = _load()
    return [fields_of(c) for b in briefs for c in b["candidates"]]


def test_a_packed_posting_holds_the_prepared_features_and_no_bio() -> None:
    profiles = eval_profiles() + [fields_of(p) for p in generate_pool(300, seed=7)]
    for fields in profiles:
        posting = packed(fields)
        read = to_prepared(posting)
        assert read == dataclasses.replace(prepare_profile(to_intern_profile(fields)), bio=None)
        assert "bio" not in posting_fields(posting) and "portfolio_url" not in posting_fields(
            posting
        )
    with_words = next(f for f in profiles if len(f["bio"]) > 40)
    assert with_words["bio"] not in packed(with_words)["scoring"]


def test_the_identity_never_reaches_a_posting() -> None:
    fields = {**fields_of(eval_profiles()[0]), "name": "Ada Lovelace", "email": "ada@example.com"}
    scoring = packed(fields)["scoring"]
    assert "Ada" not in scoring and "example.com" not in scoring and "name" not in scoring


@pytest.mark.parametrize("older", [packed_with_bio, as_attributes])
def test_postings_in_an_older_format_are_prepared_on_read(older: Any) -> None:
    for fields in eval_profiles()[:60]:
        assert to_prepared(older(fields)) == prepare_profile(to_intern_profile(fields))


class Bios:
    """The ``bios`` reader rank is given: what the profile items hold, counting the asks."""

    def __init__(self, profiles: Sequence[Mapping[str, Any]]) -> None:
        self.by_id = {str(p["intern_id"]): str(p["bio"]) for p in profiles}
        self.asked: list[str] = []

    def __call__(self, ids: Sequence[str]) -> dict[str, str]:
        self.asked.extend(ids)
        return {i: self.by_id[i] for i in ids if i in self.by_id}


def test_ranking_packed_postings_gives_what_ranking_the_profiles_gives() -> None:
    """Every eval brief, 15 candidates each (what the match step ranks): the same ids, scores,
    factors and reasons — bio phrases included — from features as from the profiles; and a mix
    of the three formats the same again."""
    today, briefs = _load()
    formats = (packed, packed_with_bio, as_attributes)
    mentions = 0
    for brief in briefs:
        b = _brief(brief, today)
        profiles = [fields_of(c) for c in brief["candidates"]]
        want = rank(b, [to_intern_profile(p) for p in profiles], today, limit=15)
        bios = Bios(profiles)
        got = rank(b, [to_prepared(packed(p)) for p in profiles], today, limit=15, bios=bios)
        assert got == want
        assert sorted(bios.asked) == sorted(c.intern_id for c in want)  # only those explained
        mixed = [to_prepared(formats[n % 3](p)) for n, p in enumerate(profiles)]
        assert rank(b, mixed, today, limit=15, bios=Bios(profiles)) == want
        mentions += sum("bio mentions" in c.reason for c in want)
    assert mentions > 100  # the reasons do quote bios: the check above compares them


def test_without_a_bios_reader_the_scores_are_the_same_and_no_bio_is_quoted() -> None:
    today, briefs = _load()
    brief = briefs[0]
    b = _brief(brief, today)
    profiles = [fields_of(c) for c in brief["candidates"]]
    want = rank(b, [to_intern_profile(p) for p in profiles], today, limit=15)
    got = rank(b, [to_prepared(packed(p)) for p in profiles], today, limit=15)
    assert [(c.intern_id, c.score, c.factors) for c in got] == [
        (c.intern_id, c.score, c.factors) for c in want
    ]
    assert not any("bio mentions" in c.reason for c in got)


def test_the_written_postings_are_ranked_and_packed_from_one_preparation() -> None:
    for fields in eval_profiles()[:80]:
        ranks, scoring = postings_of(fields, "2503")
        assert ranks == posting_ranks(fields, "2503")
        assert scoring == pack_scoring(fields)
