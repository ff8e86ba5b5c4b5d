"""Late applicants (issue 17): an intern who applies after matching made the brief's shortlist
is scored and placed into it, so the next offer (after a decline or a lapse) can go to them;
an UNMATCHED brief is reopened for an applicant who has the time.

    consider(intern_id, brief_id)     after an application (the web layer, after
                                      ``open_briefs.express_interest``) → what happened
    place_waiting(brief_id)           the NextCandidate step, before it picks: every
                                      application not in the shortlist yet
    reopened_run(brief, execution)    the Match step: is this the run an applicant started?
    resume_matching(brief_id)         that run's Match: the shortlist stays as it is
    start_stalled_runs()              a schedule: a reopened run whose start failed (and
                                      nobody applied again) is started now

Invariants:

- **The same blind scorer.** An applicant is ranked by ``matching.rank`` with the bonus
  (``APPLICANT_BONUS``) against the reference the match step uses — the first page of each
  required skill's postings — so their score compares with the shortlist's; a candidate without
  the hours stays below everyone who has them.
- **Nobody moves.** The entry gets a sort key between two existing ones
  (``domain/open_briefs.late_sort_key``), put in one transaction with the application's
  ``placed_sk`` and a condition on the brief (adapters/open_briefs.place): once per intern and
  brief, never on a brief an intern accepted or the employer cancelled. Entries already in the
  shortlist are never rewritten here, so the steps' own writes to them cannot collide.
- **Like matching**: a paused intern (``not available until``), one at the weekly offer cap, or
  one whose profile is not matchable is not placed now; the application stays, and the next
  NextCandidate step tries again (the cap is a rolling week). At most ``LATE_PENDING_MAX`` late
  applicants wait for an offer at once.
- **While MATCHING** (the first run) nothing is placed at once: the match step reads the
  applications itself; what it did not shortlist the NextCandidate step places right after.
- **UNMATCHED** (the run ended): a feasible applicant reopens the brief — in one transaction,
  UNMATCHED → MATCHING with ``reopen_run`` and the entry — then a new run of the same state
  machine starts, named ``REOPEN_RUN`` (Step Functions names are unique, the brief's first
  run has its id). That run's Match keeps the shortlist (``resume_matching``); NextCandidate
  offers the applicant; a decline or a lapse ends it UNMATCHED again, an acceptance goes on
  to the NDA and funding like any offer. A repeated application starts the run again by the
  same name, which starts nothing twice (and heals a start that failed after the write).
- **No reopen stays MATCHING without its run.** The reopening transaction also puts a marker
  (adapters/reopened_runs.py); every 5 minutes (app.py's ``start_reopened_runs`` schedule: a
  function of its own, the reconciler may not start executions), ``start_stalled_runs`` reads the
  markers older than ``REOPEN_START_GRACE_SECONDS`` (one Query) and, for a brief still MATCHING
  under that ``reopen_run`` whose execution does not exist (DescribeExecution), starts it by
  the same name (a start that races another finds it exists: nothing twice). A marker goes
  once its run is known to exist or the brief moved on; one that fails stays for next time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from chalicelib.adapters import clock, reopened_runs, workflow
from chalicelib.adapters import open_briefs as index
from chalicelib.adapters.store import get_store
from chalicelib.domain import open_briefs as rules
from chalicelib.domain.engagement import Status
from chalicelib.domain.matching import Candidate
from chalicelib.observability import logger, metrics
from chalicelib.services.access import run_input
from chalicelib.settings import get_settings

PLACED, REOPENED = "placed", "reopened"


class _Reference:
    """The match step's BM25 reference for a brief (the first page of each required skill's
    postings), read once per call however many applicants are scored against it."""

    def __init__(self, brief: Mapping[str, Any]) -> None:
        self.brief = brief
        self._postings: dict[str, Mapping[str, Any]] | None = None
        self._paused: frozenset[str] | None = None

    @property
    def paused(self) -> frozenset[str]:
        if self._paused is None:
            from chalicelib.adapters.intern_accounts import paused_interns

            self._paused = paused_interns(clock.today())
        return self._paused

    def postings(self) -> dict[str, Mapping[str, Any]]:
        if self._postings is None:
            from chalicelib.adapters.intern_profiles import postings_page
            from chalicelib.domain.retrieval import PAGE
            from chalicelib.domain.skills import normalise_skills

            found: dict[str, Mapping[str, Any]] = {}
            for skill in normalise_skills(list(self.brief["skills"])):
                page, _cursor = postings_page(skill, None, PAGE)
                for posting in page:
                    found.setdefault(str(posting["intern_id"]), posting)
            self._postings = found
        return self._postings


def _score(reference: _Reference, intern_id: str) -> tuple[Candidate | None, str]:
    """The applicant as the match step would score them, or None and why not."""
    from chalicelib.adapters import exposure_store
    from chalicelib.domain.exposure import is_capped
    from chalicelib.domain.matching import brief_profile_of, prepare, rank
    from chalicelib.domain.retrieval import to_prepared

    profile = get_store().get(f"INTERN#{intern_id}", "PROFILE")
    if not profile or not profile.get("postings") or profile.get("awaiting_confirmation"):
        return None, "not_matchable"
    if intern_id in reference.paused:
        return None, "paused"
    cap = get_settings().offers_per_intern_per_week
    if is_capped(exposure_store.read(intern_id), clock.now(), cap):
        return None, "capped"
    postings = reference.postings()
    people = [to_prepared(p) for i, p in postings.items() if i != intern_id]
    people.append(to_prepared(postings.get(intern_id) or profile))
    bio = {intern_id: str(profile.get("bio") or "")}  # only the applicant's reason is kept
    ranked = rank(
        brief_profile_of(reference.brief),
        prepare(people),
        clock.today(),
        limit=len(people),
        reference=frozenset(postings),
        bonus={intern_id: rules.APPLICANT_BONUS},
        exclude=reference.paused,
        bios=lambda ids: {i: bio[i] for i in ids if i in bio},
    )
    found = next((c for c in ranked if c.intern_id == intern_id), None)
    return (found, "") if found else (None, "no_fit")


def _place(
    reference: _Reference,
    intern_id: str,
    entries: list[dict[str, Any]],
    *,
    reopen: Mapping[str, Any] | None = None,
) -> str:
    brief_id = str(reference.brief["brief_id"])
    application = index.application(brief_id, intern_id)
    if application is None:
        return "withdrawn"
    if application.get("placed_sk") or any(e["intern_id"] == intern_id for e in entries):
        return "listed"
    waiting = [e for e in entries if e.get("late") and e.get("offer_status") == "pending"]
    if len(waiting) >= rules.LATE_PENDING_MAX:
        return "full"
    if reopen is not None and _holds_another_offer(intern_id, brief_id):
        return "busy"  # the reopened run could not offer it to them: applying again later can
    candidate, why = _score(reference, intern_id)
    if candidate is None:
        return why
    if reopen is not None and not rules.is_feasible(candidate.factors):
        return "not_feasible"  # reopened only for someone who can do the work in time
    entry = {
        "pk": f"BRIEF#{brief_id}",
        "sk": rules.late_sort_key(entries, candidate.score, intern_id),
        "type": "candidate",
        "intern_id": intern_id,
        "score": round(candidate.score, 4),
        "factors": {k: round(v, 4) for k, v in candidate.factors.items()},
        "reason": candidate.reason,
        "offer_status": "pending",
        "late": True,
        "placed_at": clock.iso(),
    }
    if not index.place(brief_id, intern_id, entry, reopen=reopen):
        return "changed"  # the brief moved on, or the application was placed or withdrawn
    entries.append(entry)
    logger.info(
        "late applicant placed",
        extra={"brief_id": brief_id, "intern_id": intern_id, "reopen": reopen is not None},
    )
    return REOPENED if reopen is not None else PLACED


def _holds_another_offer(intern_id: str, brief_id: str) -> bool:
    profile = get_store().get(f"INTERN#{intern_id}", "PROFILE") or {}
    return str(profile.get("holding") or brief_id) != brief_id


def _start_reopened_run(brief: Mapping[str, Any]) -> None:
    brief_id = str(brief["brief_id"])
    workflow.start_engagement(
        get_settings().state_machine_arn,
        str(brief["reopen_run"]),
        run_input(brief_id, nda_required=bool(brief["nda_required"]), deadline=brief["deadline"]),
    )


def consider(intern_id: str, brief_id: str) -> str:
    """Place a fresh application into the brief's shortlist when matching has made it, or
    reopen an UNMATCHED brief for it (see the module doc). Returns what happened: ``placed``,
    ``reopened``, or why not (``matching``, ``listed``, ``capped``, ``paused``, …)."""
    store = get_store()
    brief = store.get_brief(brief_id)
    if brief is None or not rules.is_open(brief, clock.today()):
        return "closed"
    status = str(brief["status"])
    if status == Status.MATCHING and brief.get("reopen_run"):
        _start_reopened_run(brief)  # started already: nothing happens (a failed start: now)
    elif status == Status.MATCHING:
        return "matching"  # the match step reads the applications; NextCandidate the rest
    reference = _Reference(brief)
    entries = index.shortlist(brief_id)
    if status != Status.UNMATCHED:
        return _place(reference, intern_id, entries)
    n = int(brief.get("reopened") or 0) + 1
    reopen = {"reopen_run": rules.REOPEN_RUN.format(brief_id=brief_id, n=n), "reopened": n}
    outcome = _place(reference, intern_id, entries, reopen=reopen)
    if outcome == REOPENED:
        _start_reopened_run({**brief, **reopen})
    elif outcome == "changed":  # another applicant reopened it first: a place in that run
        return consider(intern_id, brief_id) if _reopened_meanwhile(brief_id) else outcome
    return outcome


def _reopened_meanwhile(brief_id: str) -> bool:
    brief = get_store().get_brief(brief_id)
    return bool(brief and brief.get("status") == Status.MATCHING and brief.get("reopen_run"))


def place_waiting(brief_id: str) -> int:
    """Place every application not in the shortlist yet, oldest first (the NextCandidate step,
    before it picks the next intern). How many were placed."""
    waiting = [a for a in index.applications(brief_id).values() if not a.get("placed_sk")]
    if not waiting:
        return 0
    brief = get_store().get_brief(brief_id)
    if brief is None or brief.get("intern_id") or brief.get("cancel_requested"):
        return 0
    if str(brief["status"]) not in index.PLACEABLE:
        return 0
    reference = _Reference(brief)
    entries = index.shortlist(brief_id)
    listed = {str(e["intern_id"]) for e in entries}
    placed = 0
    for application in sorted(waiting, key=lambda a: str(a["at"])):
        intern_id = str(application["intern_id"])
        if intern_id not in listed and _place(reference, intern_id, entries) == PLACED:
            placed += 1
    return placed


def reopened_run(brief: Mapping[str, Any], execution: str) -> bool:
    """Is ``execution`` (the Match step's ``$$.Execution.Id``) the run an applicant started?"""
    run = brief.get("reopen_run")
    return bool(run) and execution.rsplit(":", 1)[-1] == run


def resume_matching(brief_id: str) -> dict[str, Any]:
    """The reopened run's Match: nobody is ranked again (those offered before would be offered
    again); the shortlist, with the applicant placed, goes on to NextCandidate."""
    entries = index.shortlist(brief_id)
    waiting = sum(1 for e in entries if e.get("offer_status", "pending") == "pending")
    logger.info("reopened by an applicant", extra={"brief_id": brief_id, "pending": waiting})
    return {"count": waiting}


SWEEP_MAX = 50  # markers worked per schedule run (each a GetItem, at most a Describe and a start)


def start_stalled_runs() -> dict[str, int]:
    """Start every reopened run whose start failed (see the module doc); what was found."""
    settings = get_settings()
    cutoff = clock.iso(clock.now() - timedelta(seconds=settings.reopen_start_grace_seconds))
    found = {"started": 0, "running": 0, "moved_on": 0, "errors": 0}
    try:
        due = reopened_runs.reopened_before(cutoff)[:SWEEP_MAX]
    except Exception:  # the table failing: counted and logged, read again next time
        logger.exception("reopened runs not read")
        due, found["errors"] = [], 1
    for item in due:
        brief_id, run = str(item["brief_id"]), str(item["reopen_run"])
        try:
            brief = get_store().get_brief(brief_id)
            if brief is None or brief.get("status") != Status.MATCHING:
                outcome = "moved_on"  # its run made an offer or ended: it started
            elif brief.get("reopen_run") != run:
                outcome = "moved_on"  # reopened again since: that reopen has its own marker
            elif workflow.execution_exists(settings.state_machine_arn, run):
                outcome = "running"
            else:
                _start_reopened_run(brief)
                outcome = "started"
                logger.warning(
                    "reopened run started by the sweep",
                    extra={"brief_id": brief_id, "execution": run},
                )
            reopened_runs.clear(item)
        except Exception:  # Step Functions or DynamoDB failing: the marker stays, next time
            logger.exception("reopened run not started", extra={"brief_id": brief_id})
            outcome = "errors"
        found[outcome] += 1
    metrics.add_metric(name="ReopenedRunsStarted", unit="Count", value=found["started"])
    metrics.add_metric(name="ReopenedRunsErrors", unit="Count", value=found["errors"])
    return found
