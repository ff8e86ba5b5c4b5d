"""The matching engine: rank intern profiles for a brief. Pure — no boto3, no I/O.

Every factor is a number in 0..1; the total is the weighted sum with the weights in
``WEIGHTS`` (the one place they live):

- ``required_skills`` — the brief's required skills the intern has, each weighed by its
  evidence (``skill_credits``): listed *and* shown in the bio or portfolio (or standing for
  a tool that is: "Jupyter" → python) counts 1; shown only in the bio counts
  ``BIO_CREDIT``; listed with nothing behind it counts ``CLAIM_CREDIT``, diluted further when
  a profile lists more than ``FREE_CLAIMS`` unsupported skills (keyword stuffing), lifted a
  little by completed engagements on the platform. A skill the table does not know cannot
  be looked for in the text, so it counts as written (1). Aliases folded ("js" = "javascript").
  Zero → not shortlisted at all.
- ``nice_to_have`` — the same for the nice-to-have skills (1.0 when the brief has none).
- ``text_relevance`` — BM25 of the intern's bio and skills against the brief's title,
  description, deliverables and skills, over normalised tokens (stop words removed, light
  stemming, abbreviations such as "ML" expanded). IDF is computed over the candidate pool
  being scored; the score is divided by the best in the pool.
- ``availability`` — hours/week × weeks until the deadline against the estimated hours:
  1.0 when the intern has the time; otherwise the share of the hours they can give, squared
  (``AVAILABILITY_EXPONENT``) — half the time needed is far worse than half as good.
  Feasibility is hard: a candidate without the hours before the deadline has the weighted
  sum multiplied by ``INFEASIBLE_SCALE`` (= the availability weight), which puts them below
  every candidate who has the time (whose sum is above that weight), and the reason says so.
- ``track_record`` — Bayesian mean rating (prior ``PRIOR_MEAN`` worth ``PRIOR_WEIGHT``
  ratings) blended with a saturating count of completed engagements, so a newcomer starts
  from a fair prior instead of zero.

The scorer is blind to identity: ``name``, ``email``, ``school`` and ``photo_url`` are never
read — ``prepare`` copies only the fields above (and the portfolio address, for evidence)
into the index.

Speed: ``prepare`` does the per-profile work once (normalised skills, token counts, length
normalisation, track record) and builds an inverted index skill → profiles; ``rank`` only
looks at the profiles that share a required skill with the brief.
"""

from __future__ import annotations

import functools
import heapq
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain
from types import MappingProxyType
from typing import Any

from chalicelib.domain.skills import (
    implied_skills,
    known_skills,
    normalise_skills,
    skill_aliases,
    skills_in_text,
)

__all__ = [
    "AVAILABILITY_EXPONENT",
    "BIO_CREDIT",
    "BM25_B",
    "BM25_K1",
    "CLAIM_CREDIT",
    "INFEASIBLE_SCALE",
    "PRIOR_MEAN",
    "PRIOR_WEIGHT",
    "WEIGHTS",
    "BriefProfile",
    "Candidate",
    "InternProfile",
    "MatchIndex",
    "PreparedProfile",
    "availability_score",
    "prepare",
    "prepare_profile",
    "rank",
    "skill_credits",
    "skill_overlap_baseline",
    "tokenize",
    "track_record_score",
]

# ---------------------------------------------------------------------------------------
# The knobs — all of them, in one place.
# ---------------------------------------------------------------------------------------
WEIGHTS: Mapping[str, float] = MappingProxyType(
    {
        "required_skills": 0.35,
        "text_relevance": 0.25,
        "availability": 0.20,
        "nice_to_have": 0.10,
        "track_record": 0.10,
    }
)
BM25_K1 = 1.2
BM25_B = 0.75
PRIOR_MEAN = 4.0  # mean rating assumed for someone with no ratings (1–5 scale)
PRIOR_WEIGHT = 3  # … worth this many ratings
EXPERIENCE_HALF = 3  # completed engagements at which the experience part reaches 0.5
EXPERIENCE_SHARE = 0.2  # share of track record due to experience (the rest is rating)
AVAILABILITY_EXPONENT = 2  # short of time: (share of the needed hours) ** this
REASON_PHRASES = 2  # bio phrases quoted in a reason
CLAIM_CREDIT = 0.5  # a listed skill nothing in the bio or portfolio supports
BIO_CREDIT = 0.8  # a skill shown in the bio or portfolio but not listed
FREE_CLAIMS = 6  # unsupported listed skills before each further one dilutes them all
TRACK_SUPPORT = 0.5  # share of the gap to 1 that platform experience closes for a claim
# Not enough hours before the deadline: the weighted sum times this. Every feasible
# candidate scores above WEIGHTS["availability"] (their availability factor is 1 and their
# required-skills factor > 0), every infeasible one below it.
INFEASIBLE_SCALE = WEIGHTS["availability"]

_STOP_TEXT = """a about above after again all also am an and any are as at be been being below
    between both but by can could did do does doing done down during each etc few for from
    further had has have having he her here hers him his how i if in into is it its itself
    just me more most my myself no nor not now of off on once only or other our ours out
    over own per same she should so some such than that the their them then there these
    they this those through to too under until up us very via was we well were what when
    where which while who whom why will with would you your yours"""
_STOP_WORDS = frozenset(_STOP_TEXT.split())
_WORD = re.compile(r"[^\W_][\w+#]*")
_DOUBLE_OK = frozenset("sz")


# ---------------------------------------------------------------------------------------
# Inputs and outputs
# ---------------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class InternProfile:
    intern_id: str
    skills: tuple[str, ...]
    bio: str
    hours_per_week: int
    timezone: str
    completed: int = 0
    rating_sum: int = 0
    rating_count: int = 0
    portfolio_url: str = ""
    # Identity: present so the tests can prove the scorer never looks at them.
    name: str = ""
    email: str = ""
    school: str = ""
    photo_url: str = ""


@dataclass(frozen=True, slots=True)
class BriefProfile:
    brief_id: str
    title: str
    description: str
    deliverables: tuple[str, ...]
    skills: tuple[str, ...]
    nice_to_have_skills: tuple[str, ...]
    estimated_hours: int
    deadline: date


@dataclass(frozen=True, slots=True)
class Candidate:
    intern_id: str
    score: float
    factors: dict[str, float]
    reason: str


@dataclass(frozen=True, slots=True)
class PreparedProfile:
    """The features of one profile the scorer needs, computed once."""

    intern_id: str
    skills: tuple[str, ...]  # canonical, deduplicated, in the intern's order
    skill_set: frozenset[str]
    credit: dict[str, float]  # skill → evidence-weighted credit (see skill_credits)
    # None when the features were read from a skill posting, which carries them instead of
    # the bio (domain/retrieval.py): ``rank`` then asks its ``bios`` reader for the bios of
    # the candidates it explains — the bio is only quoted in a reason, never scored again.
    bio: str | None
    hours_per_week: int
    completed: int
    rating_count: int
    rating_sum: int
    term_counts: dict[str, int]  # bio + skills, normalised tokens → count
    length: int  # number of tokens
    track: float  # track_record factor (does not depend on the brief)


@dataclass(slots=True)
class MatchIndex:
    """Prepared profiles plus the inverted index skill → positions in ``profiles``."""

    profiles: list[PreparedProfile]
    by_skill: dict[str, list[int]]
    avg_length: float
    # Per-profile BM25 length normaliser k1·(1 − b + b·len/avg_len), parallel to profiles
    # (computed by ``rank`` when it needs them and the index has grown since).
    norms: list[float] = field(default_factory=list)
    total_length: int = 0

    def __len__(self) -> int:
        return len(self.profiles)

    def extend(self, profiles: Iterable[InternProfile | PreparedProfile]) -> None:
        """Add profiles (a retrieval reading page after page prepares each one once; features
        already prepared at write time are taken as they are)."""
        by_skill = self.by_skill
        for p in profiles:
            pp = prepare_profile(p)
            i = len(self.profiles)
            self.profiles.append(pp)
            self.total_length += pp.length
            for skill in pp.credit:
                by_skill.setdefault(skill, []).append(i)
        total = self.total_length
        self.avg_length = (total / len(self.profiles) if self.profiles else 1.0) or 1.0


# ---------------------------------------------------------------------------------------
# Text
# ---------------------------------------------------------------------------------------
def _stem(word: str) -> str:
    """A deliberately light English suffix stripper (plural, -ing, -ed, final -e)."""
    if len(word) <= 3 or not word.isalpha():
        return word
    if word.endswith("ysis"):
        return word[:-2]  # analysis → analys, like analyse/analysing
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith("ing") and len(word) > 5:
        word = word[:-3]
    elif word.endswith("ed") and len(word) > 4:
        word = word[:-2]
    elif word.endswith(("sses", "xes", "zes", "ches", "shes")):
        return word[:-2]
    elif word.endswith("s") and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    if len(word) > 3 and word[-1] == word[-2] and word[-1] not in _DOUBLE_OK and word.isalpha():
        word = word[:-1]  # modell(ing) → model, plann(ed) → plan
    if len(word) > 3 and word.endswith("e"):
        word = word[:-1]  # price/pricing → pric
    return word


@functools.cache
def _abbreviations() -> dict[str, tuple[str, ...]]:
    """Short skill aliases ("ml", "js", "ux", "seo") → the canonical skill's words."""
    table = skill_aliases()
    out: dict[str, tuple[str, ...]] = {}
    for key, canonical in table.items():
        words = tuple(_WORD.findall(canonical))
        if 2 <= len(key) <= 4 and key.isalnum() and key not in words and key not in _STOP_WORDS:
            out[key] = words
    return out


@functools.cache
def _analyse(word: str) -> tuple[str, ...]:
    """Terms for one lower-case word: stop words vanish, abbreviations expand, all stemmed."""
    if word in _STOP_WORDS:
        return ()
    expansion = _abbreviations().get(word, ())
    terms = [_stem(word)]
    terms.extend(_stem(w) for w in expansion if w not in _STOP_WORDS)
    return tuple(dict.fromkeys(terms))


def tokenize(text: str) -> list[str]:
    """Normalised terms of a text, in order (duplicates kept)."""
    out: list[str] = []
    for word in _WORD.findall(text.casefold()):
        out.extend(_analyse(word))
    return out


# ---------------------------------------------------------------------------------------
# Factors that do not need the pool
# ---------------------------------------------------------------------------------------
def availability_score(
    hours_per_week: int, estimated_hours: int, today: date, deadline: date
) -> float:
    """1.0 when hours/week × weeks until the deadline ≥ estimated hours.

    Otherwise the share of the hours the intern can give, raised to AVAILABILITY_EXPONENT:
    someone with half the time needed is much less than half as likely to deliver.
    """
    days = (deadline - today).days
    if days <= 0 or hours_per_week <= 0:
        return 0.0
    if estimated_hours <= 0:
        return 1.0
    capacity_x7 = hours_per_week * days  # exact integers: capacity in hours × 7
    need_x7 = estimated_hours * 7
    if capacity_x7 >= need_x7:
        return 1.0
    share = capacity_x7 / need_x7
    return share**AVAILABILITY_EXPONENT


def track_record_score(completed: int, rating_sum: int, rating_count: int) -> float:
    """Bayesian mean rating (prior PRIOR_MEAN × PRIOR_WEIGHT) blended with experience."""
    count = max(rating_count, 0)
    mean = (PRIOR_MEAN * PRIOR_WEIGHT + max(rating_sum, 0)) / (PRIOR_WEIGHT + count)
    rating = min(max((mean - 1.0) / 4.0, 0.0), 1.0)
    done = max(completed, 0)
    experience = done / (done + EXPERIENCE_HALF)
    return (1.0 - EXPERIENCE_SHARE) * rating + EXPERIENCE_SHARE * experience


def _evidence_text(bio: str, portfolio_url: str) -> str:
    """The bio and the words of the portfolio address ("…/churn-analysis" → churn analysis)."""
    if not portfolio_url:
        return bio
    path = re.sub(r"^[a-z]+://", "", portfolio_url.casefold())
    return bio + "\n" + " ".join(re.split(r"[^a-z0-9+#]+", path))


def skill_credits(
    skills: Iterable[str], bio: str, portfolio_url: str = "", completed: int = 0
) -> dict[str, float]:
    """Every skill the profile can be credited with, and how much (0..1], by evidence.

    Listed (or implied by a listed tool) and shown in the bio/portfolio: 1.0. Shown only
    there: BIO_CREDIT. Listed with nothing behind it: CLAIM_CREDIT, diluted by FREE_CLAIMS /
    the number of unsupported claims when there are more, and lifted towards 1 by completed
    engagements (TRACK_SUPPORT of the gap, saturating like the track-record factor).
    """
    listed = normalise_skills(list(skills))
    claimed: dict[str, None] = dict.fromkeys(listed)
    for skill in listed:
        claimed.update(dict.fromkeys(implied_skills(skill)))
    shown: dict[str, None] = {}
    for skill in skills_in_text(_evidence_text(bio, portfolio_url)):
        shown[skill] = None
        shown.update(dict.fromkeys(implied_skills(skill)))
    # A skill the table does not know cannot be looked for in the text: taken as written.
    known = known_skills()
    unsupported = sum(1 for s in listed if s not in shown and s in known)
    claim = CLAIM_CREDIT * min(1.0, FREE_CLAIMS / unsupported) if unsupported else CLAIM_CREDIT
    done = max(completed, 0)
    claim += (1.0 - claim) * TRACK_SUPPORT * done / (done + EXPERIENCE_HALF)
    credit = {s: (1.0 if s in shown or s not in known else claim) for s in claimed}
    for skill in shown:
        credit.setdefault(skill, BIO_CREDIT)
    return credit


# ---------------------------------------------------------------------------------------
# Preparation
# ---------------------------------------------------------------------------------------
def prepare_profile(p: InternProfile | PreparedProfile) -> PreparedProfile:
    """One profile's features (brief-independent): what ``rank`` reads of it. A skill
    posting stores them (``retrieval.pack_scoring``) so a match does not compute them again."""
    if isinstance(p, PreparedProfile):
        return p
    return _prepare_one(p)


def _prepare_one(p: InternProfile) -> PreparedProfile:
    skills = tuple(normalise_skills(p.skills))
    credit = skill_credits(skills, p.bio, p.portfolio_url, p.completed)
    terms = tokenize(p.bio)
    for skill in skills:
        terms.extend(tokenize(skill))
    return PreparedProfile(
        intern_id=p.intern_id,
        skills=skills,
        skill_set=frozenset(skills),
        credit=credit,
        bio=p.bio,
        hours_per_week=p.hours_per_week,
        completed=p.completed,
        rating_count=p.rating_count,
        rating_sum=p.rating_sum,
        term_counts=dict(Counter(terms)),
        length=len(terms),
        track=track_record_score(p.completed, p.rating_sum, p.rating_count),
    )


def prepare(profiles: Iterable[InternProfile | PreparedProfile]) -> MatchIndex:
    """Compute every profile's features once and index the profiles by skill."""
    prepared = [prepare_profile(p) for p in profiles]
    by_skill: dict[str, list[int]] = {}
    for i, pp in enumerate(prepared):
        for skill in pp.credit:
            by_skill.setdefault(skill, []).append(i)
    avg = (sum(pp.length for pp in prepared) / len(prepared)) if prepared else 1.0
    avg = avg or 1.0
    norms = [_norm(pp.length, avg) for pp in prepared]
    total = sum(pp.length for pp in prepared)
    return MatchIndex(prepared, by_skill, avg_length=avg, norms=norms, total_length=total)


def _norm(length: int, avg: float) -> float:
    """BM25's length normaliser k1·(1 − b + b·len/avg_len)."""
    return BM25_K1 * (1.0 - BM25_B + BM25_B * length / avg)


def _as_index(profiles: MatchIndex | Iterable[InternProfile | PreparedProfile]) -> MatchIndex:
    return profiles if isinstance(profiles, MatchIndex) else prepare(profiles)


def _query_terms(brief: BriefProfile, required: list[str], nice: list[str]) -> list[str]:
    parts = [brief.title, brief.description, *brief.deliverables, *required, *nice]
    return tokenize("\n".join(parts))


# ---------------------------------------------------------------------------------------
# Ranking
# ---------------------------------------------------------------------------------------
def rank(
    brief: BriefProfile,
    profiles: MatchIndex | Iterable[InternProfile | PreparedProfile],
    today: date,
    limit: int = 5,
    exclude: frozenset[str] = frozenset(),
    reference: frozenset[str] | None = None,
    bonus: Mapping[str, float] | None = None,
    bios: Callable[[Sequence[str]], Mapping[str, str]] | None = None,
) -> list[Candidate]:
    """The best ``limit`` candidates for the brief, best first; ties by intern_id.

    Only interns credited with at least one required skill are considered. ``exclude``
    holds intern ids that must not be offered (an open offer or an active engagement).
    ``reference``: the interns whose profiles set the text statistics (IDF, average length,
    the best text score the factor is divided by, clamped at 1) — by default every
    candidate; bounded retrieval passes the head of each skill's postings, which every read
    of the pool sees, so a candidate's score does not depend on how much else was read.
    ``bonus``: intern id → an amount added to the weighted sum (applicants,
    ``domain/open_briefs.py``); a candidate without the hours stays below everyone who has
    them (the scaled sum is capped at ``INFEASIBLE_SCALE``). Shown as the ``applied`` factor.
    ``bios``: intern ids → their bios, for the returned candidates prepared without one (read
    from postings, which carry features instead): the bio is quoted in the reason only.
    Without it such a reason names no bio phrase (the scores are the same either way).
    """
    index = _as_index(profiles)
    if limit <= 0:
        return []
    required = normalise_skills(brief.skills)
    nice = [s for s in normalise_skills(brief.nice_to_have_skills) if s not in required]
    if not required:
        return []
    by_skill = index.by_skill
    people = index.profiles

    # Retrieval through the inverted index: every candidate credited with a required skill.
    found = set(chain.from_iterable(by_skill.get(s, ()) for s in required))
    if exclude:
        found = {i for i in found if people[i].intern_id not in exclude}
    if not found:
        return []
    coverage = {i: math.fsum(people[i].credit.get(s, 0.0) for s in required) for i in found}
    nice_hits = {i: math.fsum(people[i].credit.get(s, 0.0) for s in nice) for i in found}

    # BM25 with IDF over the candidate pool.
    query = frozenset(_query_terms(brief, required, nice))
    matched = [(i, query.intersection(people[i].term_counts)) for i in coverage]
    ref = [(i, m) for i, m in matched if people[i].intern_id in reference] if reference else []
    ref = ref or matched
    df = Counter(chain.from_iterable(m for _, m in ref))
    n = len(ref)
    idf = {t: math.log(1.0 + (n - df[t] + 0.5) / (df[t] + 0.5)) for t in query}
    norms: Mapping[int, float] | list[float] = index.norms
    if ref is not matched:
        avg = math.fsum(people[i].length for i, _ in ref) / n or 1.0
        norms = {i: _norm(people[i].length, avg) for i in coverage}
    elif len(index.norms) != len(people):
        index.norms = norms = [_norm(pp.length, index.avg_length) for pp in people]
    k1p1 = BM25_K1 + 1.0
    text: dict[int, float] = {}
    for i, m in matched:
        if m:
            tc = people[i].term_counts
            k = norms[i]
            text[i] = math.fsum(idf[t] * tc[t] * k1p1 / (tc[t] + k) for t in m)
    best_text = max((text.get(i, 0.0) for i, _ in ref), default=0.0)
    if ref is not matched:
        text = {i: min(v, best_text) for i, v in text.items()}

    w_req = WEIGHTS["required_skills"] / len(required)
    w_nice = WEIGHTS["nice_to_have"] / len(nice) if nice else 0.0
    w_nice_none = 0.0 if nice else WEIGHTS["nice_to_have"]
    w_text = WEIGHTS["text_relevance"] / best_text if best_text > 0.0 else 0.0
    w_avail = WEIGHTS["availability"]
    w_track = WEIGHTS["track_record"]
    avail_by_hours: dict[int, float] = {}
    est, deadline = brief.estimated_hours, brief.deadline

    scored: list[tuple[float, str, int]] = []
    append = scored.append
    text_get = text.get
    nice_get = nice_hits.get
    for i, cov in coverage.items():
        p = people[i]
        hours = p.hours_per_week
        avail = avail_by_hours.get(hours)
        if avail is None:
            avail = avail_by_hours[hours] = availability_score(hours, est, today, deadline)
        total = (
            w_req * cov
            + (w_nice * nice_get(i, 0) + w_nice_none)
            + w_text * text_get(i, 0.0)
            + w_avail * avail
            + w_track * p.track
        )
        if bonus:
            total += bonus.get(p.intern_id, 0.0)
        if avail < 1.0:
            total = min(total * INFEASIBLE_SCALE, INFEASIBLE_SCALE)
        append((-total, p.intern_id, i))
    top = heapq.nsmallest(limit, scored)
    unread = [people[i].intern_id for _n, _id, i in top if people[i].bio is None]
    fetched = bios(unread) if unread and bios is not None else {}

    out: list[Candidate] = []
    for neg, _id, i in top:
        p = people[i]
        factors = {
            "required_skills": coverage[i] / len(required),
            "nice_to_have": (nice_hits.get(i, 0.0) / len(nice)) if nice else 1.0,
            "text_relevance": text[i] / best_text if i in text else 0.0,
            "availability": avail_by_hours[p.hours_per_week],
            "track_record": p.track,
        }
        if bonus and p.intern_id in bonus:
            factors["applied"] = bonus[p.intern_id]
        contributions = {
            t: idf[t] * p.term_counts[t] * k1p1 / (p.term_counts[t] + norms[i])
            for t in query.intersection(p.term_counts)
        }
        bio = p.bio if p.bio is not None else fetched.get(p.intern_id, "")
        reason = _reason(brief, p, bio, today, required, nice, contributions)
        if bonus and p.intern_id in bonus:
            reason = f"applied (+{bonus[p.intern_id]:.2f}); {reason}"
        out.append(Candidate(p.intern_id, -neg, factors, reason))
    return out


def skill_overlap_baseline(
    brief: BriefProfile,
    profiles: MatchIndex | Iterable[InternProfile | PreparedProfile],
    today: date | None = None,
    limit: int = 5,
    exclude: frozenset[str] = frozenset(),
) -> list[Candidate]:
    """Baseline for the evaluation: rank by the number of required skills listed only (as
    written, aliases folded; no tools, no evidence)."""
    del today  # same signature as rank; the baseline ignores time
    index = _as_index(profiles)
    required = normalise_skills(brief.skills)
    if not required or limit <= 0:
        return []
    people = index.profiles
    found = set(chain.from_iterable(index.by_skill.get(s, ()) for s in required))
    coverage = {i: sum(s in people[i].skill_set for s in required) for i in found}
    scored = [
        (-cov, people[i].intern_id, i)
        for i, cov in coverage.items()
        if cov and people[i].intern_id not in exclude
    ]
    out = []
    for neg, intern_id, _i in heapq.nsmallest(limit, scored):
        share = -neg / len(required)
        out.append(
            Candidate(
                intern_id,
                round(share, 6),
                {"required_skills": share},
                f"covers {-neg}/{len(required)} required skills",
            )
        )
    return out


# ---------------------------------------------------------------------------------------
# Explanation
# ---------------------------------------------------------------------------------------
def _bio_phrases(bio: str, contributions: dict[str, float]) -> list[str]:
    """Runs of consecutive bio words that matched the brief, strongest first."""
    runs: list[tuple[float, int, str, frozenset[str]]] = []
    words: list[str] = []
    stems: set[str] = set()
    seen: set[frozenset[str]] = set()

    def close() -> None:
        key = frozenset(stems)
        if words and key not in seen:
            seen.add(key)
            weight = sum(contributions[s] for s in stems)
            runs.append((weight, len(runs), " ".join(words), key))
        words.clear()
        stems.clear()

    for match in _WORD.finditer(bio):
        surface = match.group(0)
        terms = [t for t in _analyse(surface.casefold()) if t in contributions]
        if terms:
            words.append(surface.lower() if not surface.isupper() else surface)
            stems.update(terms)
        elif surface.casefold() not in _STOP_WORDS or words:
            close()
    close()
    runs.sort(key=lambda r: (-r[0], r[1]))
    chosen: list[tuple[frozenset[str], str]] = []
    for _w, _o, phrase, key in runs:
        if not any(key <= k for k, _p in chosen):
            chosen.append((key, phrase))
        if len(chosen) == REASON_PHRASES:
            break
    return [phrase for _k, phrase in chosen]


def _reason(
    brief: BriefProfile,
    p: PreparedProfile,
    bio: str,
    today: date,
    required: list[str],
    nice: list[str],
    contributions: dict[str, float],
) -> str:
    have = [s for s in required if s in p.credit]
    parts = [f"covers {len(have)}/{len(required)} required skills"]
    missing = [s for s in required if s not in p.credit]
    if missing:
        parts[0] += " (missing " + ", ".join(missing[:3]) + ")"
    claimed = set(p.skills).union(*(implied_skills(s) for s in p.skills))
    in_bio = [s for s in have if s not in claimed]
    if in_bio:
        parts.append(", ".join(in_bio[:3]) + " shown in the bio, not listed")
    unsupported = [s for s in have if s in claimed and p.credit[s] < 1.0]
    if unsupported:
        parts.append(", ".join(unsupported[:3]) + " listed without evidence in the bio")
    if nice:
        got = [s for s in nice if s in p.credit]
        if got:
            parts.append(f"{len(got)}/{len(nice)} nice-to-have ({', '.join(got[:3])})")
    hours = p.hours_per_week
    if availability_score(hours, brief.estimated_hours, today, brief.deadline) >= 1.0:
        parts.append(f"{hours} h/week available")
    else:
        capacity = hours * max((brief.deadline - today).days, 0) / 7
        parts.append(
            f"only {hours} h/week: about {capacity:.0f} h before the deadline "
            f"for {brief.estimated_hours} h of work, so ranked below everyone who has the time"
        )
    phrases = _bio_phrases(bio, contributions)
    if phrases:
        parts.append("bio mentions " + ", ".join(phrases))
    if p.rating_count:
        mean = p.rating_sum / p.rating_count
        parts.append(f"{p.completed} completed, rated {mean:.1f}/5")
    elif p.completed:
        parts.append(f"{p.completed} completed")
    else:
        parts.append("new to the platform")
    return "; ".join(parts)


def brief_profile_of(brief: Mapping[str, Any]) -> BriefProfile:
    """The scorer's view of a stored brief (never its confidential details)."""
    return BriefProfile(
        brief_id=str(brief["brief_id"]),
        title=str(brief["title"]),
        description=str(brief["description"]),
        deliverables=tuple(brief["deliverables"]),
        skills=tuple(brief["skills"]),
        nice_to_have_skills=tuple(brief.get("nice_to_have_skills", [])),
        estimated_hours=int(brief["estimated_hours"]),
        deadline=date.fromisoformat(str(brief["deadline"])),
    )


def unmatched_reason_for(brief: Mapping[str, Any], pool: list[Any]) -> str:
    """What the employer reads when no one fits: which of the two ways the pool fell short."""
    skills = ", ".join(brief["skills"])
    if not pool:
        return (
            f"No registered intern lists any of the required skills ({skills}). "
            "Try fewer or more common required skills, moving specialist ones to nice-to-have."
        )
    return (
        f"{len(pool)} interns share a required skill, but none fits the hours and deadline. "
        "Try a later deadline or fewer estimated hours."
    )
