"""A payout or refund that fails is a state, not a crash (issue 12: 4; issue 16: 1).

The state machine's Release and Refund steps retry Stripe's blips in place (about 15 s). When
that is not enough — Stripe refused (a closed account, a charge refunded elsewhere) or an outage
lasts longer — their Catch opens a visible wait instead of failing the execution, and the money
stays in escrow, accounted for:

    watch(brief_id, step)      around the step: each failed attempt is recorded with its
                               reason; a success after failures ends the episode (`cleared`)
    on_wait(brief, kind, ...)  the `payout_failed` / `refund_failed` wait opened: the timeline
                               says why, finance is told (email + signed `payout.failed` /
                               `refund.failed` webhook) and the intern (payouts) or employer
                               (refunds) — once per episode; `PayoutsFailed` / `RefundsFailed`
                               is published on every failed round (the alarm's metric)
    retry(receipt, ...)        finance's signed `payout.retry` ({"payout_id"} or {"brief_id"}):
                               resume the wait now, so the flow goes back to the step

The wait's window (`windows.payout_retry_seconds`, hourly by default) also sends the flow back
to the step by itself, so the engagement recovers when Stripe does. Money moves exactly once:
the step's idempotency keys are per engagement and step, and during an episode the step first
looks for the movement in Stripe's own record (stripe_gateway.transfer_for / refund_for), since
Stripe forgets keys after 24 hours.

The episode lives on the brief as `money_stuck` (escrow_store.STUCK):
    {kind, step, error, reason, since, last_at, attempts, next_retry_at, payout_id,
     noted (the reason last put on the timeline), told (the episode finance's webhook reached)}
and `ATTENTION / BRIEF#<id>` lists every open episode for finance.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, Final

from chalicelib.adapters import clock
from chalicelib.adapters.escrow_store import STUCK
from chalicelib.adapters.store import Conflict, Store, brief_key, get_store
from chalicelib.domain import money
from chalicelib.observability import logger, metrics
from chalicelib.services.errors import NotAllowed, NotFound, PayoutAccountNotReady
from chalicelib.settings import get_settings

ATTENTION_PK: Final = "ATTENTION"
KINDS: Final = {"release": "payout_failed", "refund": "refund_failed"}
STEPS: Final = {kind: step for step, kind in KINDS.items()}
METRICS: Final = {"payout_failed": "PayoutsFailed", "refund_failed": "RefundsFailed"}
EVENTS: Final = {"payout_failed": "payout.failed", "refund_failed": "refund.failed"}
MAX_REASON: Final = 500


# -- the step: every failed attempt recorded, the episode ended by a success -----------------------


@contextmanager
def watch(brief_id: str, step: str) -> Iterator[None]:
    """Run a money step: a failure is recorded (and raised on, for the state machine's Retry
    and Catch); a success after failures ends the episode. Waiting for the intern's Stripe
    account is not a failure (it has its own wait)."""
    try:
        yield
    except PayoutAccountNotReady:
        raise
    except Exception as exc:
        _record(brief_id, step, exc)
        raise
    cleared(brief_id)


def reason_of(exc: BaseException) -> str:
    """What people are told about a failed attempt (Stripe's own words where it has some)."""
    from chalicelib.adapters import stripe_gateway as gateway

    if isinstance(exc, gateway.StripeRejected):
        text = f"Stripe refused it: {exc}"
    elif isinstance(exc, gateway.TransientError):
        text = f"Stripe is not answering ({exc})"
    else:
        text = f"{type(exc).__name__}: {exc}"
    return _clean(text)


def _clean(text: str) -> str:
    printable = "".join(c if c.isprintable() else " " for c in text)
    return " ".join(printable.split())[:MAX_REASON]


def _record(brief_id: str, step: str, exc: BaseException) -> None:
    """Keep the attempt's reason on the brief (never masks the step's own error)."""
    try:
        store = get_store()
        brief = store.get_brief(brief_id)
        if brief is None:
            return
        now = clock.iso()
        current = _episode(brief)
        record = {
            **current,
            "kind": KINDS[step],
            "step": step,
            "error": type(exc).__name__,
            "reason": reason_of(exc),
            "since": current.get("since") or now,
            "last_at": now,
            "attempts": int(current.get("attempts", 0)) + 1,
        }
        store.update_brief(brief_id, {STUCK: record})
        logger.warning(
            "money step failed",
            extra={"brief_id": brief_id, "step": step, "error": record["error"]},
        )
    except Exception:
        logger.exception("could not record a failed money step", extra={"brief_id": brief_id})


def cleared(brief_id: str) -> None:
    """The money moved (or nothing was left to move): the episode, if any, ends."""
    store = get_store()
    brief = store.get_brief(brief_id)
    episode = _episode(brief or {})
    if not episode:
        return
    what = "payout" if episode.get("kind") == "payout_failed" else "refund"
    status = str((brief or {})["status"])
    try:
        store.transact(
            [
                store.update_op(
                    brief_key(brief_id),
                    condition="attribute_exists(#money_stuck)",
                    remove_fields=[STUCK],
                ),
                store.put_op(
                    store.event_item(
                        brief_id,
                        status_from=status,
                        status_to=status,
                        actor="workflow",
                        detail=f"The {what} went through after {episode.get('attempts', 1)} "
                        f"failed attempts (failing since {str(episode.get('since'))[:16]} UTC)",
                    )
                ),
            ]
        )
    except Conflict:
        return  # a concurrent retry ended it
    store.delete(ATTENTION_PK, f"BRIEF#{brief_id}")
    metrics.add_metric(name="PayoutsRecovered", unit="Count", value=1)
    logger.info("money step recovered", extra={"brief_id": brief_id, "kind": episode.get("kind")})


def _episode(brief: Mapping[str, Any]) -> dict[str, Any]:
    value = brief.get(STUCK)
    return dict(value) if isinstance(value, Mapping) else {}


# -- the wait: visible, told, measured -----------------------------------------------------------


def on_wait(brief: Mapping[str, Any], kind: str, failure: Mapping[str, Any] | None) -> None:
    """The failure wait opened (each failed round): show it, tell who must know, measure it."""
    store = get_store()
    settings = get_settings()
    brief_id = str(brief["brief_id"])
    now = clock.now()
    episode = _episode(brief)
    if not episode:  # the step never ran its own code (a Lambda timeout or crash)
        episode = {
            "kind": kind,
            "step": STEPS[kind],
            "error": str((failure or {}).get("Error") or "Unknown"),
            "reason": _reason_from(failure),
            "since": clock.iso(now),
            "last_at": clock.iso(now),
            "attempts": 1,
        }
    payout = _payout_of(store, brief)
    episode.update(
        kind=kind,
        payout_id=str(payout["payout_id"]) if payout else None,
        next_retry_at=clock.iso(now + timedelta(seconds=settings.windows.payout_retry_seconds)),
    )
    fresh_reason = episode.get("noted") != episode["reason"]
    episode["noted"] = episode["reason"]
    status = str(brief["status"])
    ops = [
        store.update_op(
            brief_key(brief_id), condition="attribute_exists(#pk)", set_fields={STUCK: episode}
        ),
        store.put_op(
            {
                "pk": ATTENTION_PK,
                "sk": f"BRIEF#{brief_id}",
                "type": "attention",
                "brief_id": brief_id,
                "kind": kind,
                "since": episode["since"],
            },
            must_be_new=False,
        ),
    ]
    if fresh_reason:
        ops.append(
            store.put_op(
                store.event_item(
                    brief_id,
                    status_from=status,
                    status_to=status,
                    actor="workflow",
                    detail=_timeline_note(brief, kind, episode),
                )
            )
        )
    store.transact(ops)
    metrics.add_metric(name=METRICS[kind], unit="Count", value=1)
    logger.error(
        "money waits after a failed step",
        extra={"brief_id": brief_id, "kind": kind, "reason": episode["reason"]},
    )
    _tell(store, brief, kind, episode)


def _reason_from(failure: Mapping[str, Any] | None) -> str:
    """The Catch's `{"Error", "Cause"}` when the step could not say more itself."""
    failure = failure or {}
    cause = str(failure.get("Cause") or "")
    try:
        message = json.loads(cause).get("errorMessage", cause)
    except (ValueError, AttributeError):
        message = cause
    return _clean(f"{failure.get('Error') or 'The step failed'}: {message}")


def _amount(brief: Mapping[str, Any], kind: str) -> int:
    """What the failed movement would have paid: the intern's share, or the employer's refund."""
    held = int(brief.get("escrow_held_cents") or 0)
    if kind == "refund_failed":
        return held
    fee_bps = money.fee_bps_of(brief)
    resolution = brief.get("dispute_resolution")
    if isinstance(resolution, Mapping) and resolution.get("resolution") == "split":
        return money.split(held, int(resolution["intern_share_cents"]), fee_bps).transfer_cents
    return money.release(held, fee_bps).payout_cents


def _timeline_note(brief: Mapping[str, Any], kind: str, episode: Mapping[str, Any]) -> str:
    amount = money.format_money(_amount(brief, kind), str(brief.get("currency", "usd")))
    what = (
        f"The payout of {amount} to the intern"
        if kind == "payout_failed"
        else (f"The refund of {amount} to the employer")
    )
    every = _every(get_settings().windows.payout_retry_seconds)
    return (
        f"{what} failed: {episode['reason']}. The money stays in escrow; it is retried "
        f"automatically {every} and finance has been told."
    )


def _every(seconds: int) -> str:
    if seconds % 3600 == 0:
        hours = seconds // 3600
        return "every hour" if hours == 1 else f"every {hours} hours"
    if seconds % 60 == 0:
        return f"every {seconds // 60} minutes"
    return f"every {seconds} seconds"


def _payout_of(store: Store, brief: Mapping[str, Any]) -> dict[str, Any] | None:
    ref = brief.get("payout")
    if not isinstance(ref, Mapping) or not ref.get("payout_id"):
        return None
    return store.get(f"PAYOUT#{ref['payout_id']}", "PAYOUT")


def _tell(store: Store, brief: Mapping[str, Any], kind: str, episode: dict[str, Any]) -> None:
    """Finance (email + signed webhook) and the party owed the money, once per episode."""
    from chalicelib.adapters import finance_hook
    from chalicelib.services import notify

    brief_id = str(brief["brief_id"])
    since = str(episode["since"])
    movement = "payout" if kind == "payout_failed" else "refund"
    amount = _amount(brief, kind)
    currency = str(brief.get("currency", "usd"))
    common: dict[str, Any] = {
        "title": str(brief.get("title", "")),
        "movement": movement,
        "amount_cents": amount,
        "currency": currency,
        "reason": str(episode["reason"]),
        "payout_id": episode.get("payout_id") or "",
        "window_end": str(episode["next_retry_at"]),
    }
    roles, intern = ["finance"], None
    if kind == "payout_failed" and brief.get("intern_id"):
        intern = store.get(f"INTERN#{brief['intern_id']}", "PROFILE")
        roles += ["intern"] if intern else []
    elif kind == "refund_failed":
        roles.append("employer")
    for role in roles:
        try:  # greeted by name, with the link to their page (notify.party_link)
            notify.to_party(
                brief,
                role,
                "money_delayed",
                key=f"{brief_id}:{kind}:{since}:{role}",
                intern=intern,
                **common,
            )
        except Exception:  # telling people never blocks the wait (the webhook still goes)
            logger.exception("failure email not sent", extra={"brief_id": brief_id, "role": role})
    if episode.get("told") == since:
        return
    body = {
        "type": EVENTS[kind],
        "timestamp": since,
        "data": {
            "payout_id": episode.get("payout_id"),
            "brief_id": brief_id,
            "intern_id": brief.get("intern_id"),
            "amount_cents": amount,
            "currency": currency,
            "reason": episode["reason"],
            "error": episode.get("error"),
            "failed_since": since,
            "attempts": int(episode.get("attempts", 1)),
            "next_retry_at": episode["next_retry_at"],
        },
    }
    digest = hashlib.sha256(since.encode()).hexdigest()[:12]
    if finance_hook.send_signed(f"msg_{brief_id}_{kind}_{digest}", body):
        store.update_brief(brief_id, {STUCK: {**episode, "told": since}})


# -- finance's retry -------------------------------------------------------------------------------


def retry(
    receipt: Mapping[str, Any], *, payout_id: str | None, brief_id: str | None, by: str
) -> dict[str, Any]:
    """`payout.retry`: resume the failure wait now; 404 unknown ids, 409 when nothing waits.

    The retry is harmless to repeat (the step moves money once), so the wait is resumed first
    and the webhook's receipt written after.
    """
    from chalicelib.adapters import workflow

    store = get_store()
    if payout_id is not None:
        payout = store.get(f"PAYOUT#{payout_id}", "PAYOUT")
        if payout is None:
            raise NotFound("No payout with this id.", "data.payout_id")
        brief_id = str(payout["brief_id"])
    assert brief_id is not None
    brief = store.get_brief(brief_id)
    if brief is None:
        raise NotFound("No brief with this id.", "data.brief_id")
    kind = next((k for k in KINDS.values() if store.waiting_token(brief_id, k)), None)
    if kind is None:
        raise NotAllowed(
            f"The project is {brief['status']} and no failed payout or refund waits for a retry."
        )
    try:
        token = store.consume_task_token(brief_id, kind)
    except Conflict:
        raise NotAllowed("A retry is already under way.") from None
    try:
        workflow.resume(token, {"retry": "finance"})
    except workflow.WaitClosed:
        logger.info("the automatic retry came first", extra={"brief_id": brief_id})
    except Exception:
        store.unconsume_task_token(brief_id, kind, token)
        raise
    status = str(brief["status"])
    what = "payout" if kind == "payout_failed" else "refund"
    store.put_if_absent(receipt)
    store.put(
        store.event_item(
            brief_id,
            status_from=status,
            status_to=status,
            actor="finance",
            detail=f"Finance retried the {what} ({by})",
        )
    )
    metrics.add_metric(name="PayoutRetriesRequested", unit="Count", value=1)
    logger.info("finance retried", extra={"brief_id": brief_id, "kind": kind})
    return {"outcome": "retrying", "brief_id": brief_id, "kind": kind}


# -- what the pages show ---------------------------------------------------------------------------


def view(brief: Mapping[str, Any]) -> dict[str, Any] | None:
    """The brief's `attention` object: the open episode, or None."""
    episode = _episode(brief)
    if not episode or "next_retry_at" not in episode:
        return None
    return {
        "kind": episode["kind"],
        "reason": episode["reason"],
        "since": episode["since"],
        "attempts": int(episode.get("attempts", 1)),
        "next_retry_at": episode["next_retry_at"],
        "payout_id": episode.get("payout_id"),
    }


def open_episodes() -> list[dict[str, Any]]:
    """Every engagement whose money waits after a failure (finance's page and API)."""
    store = get_store()
    out = []
    for marker in store.query(ATTENTION_PK, "BRIEF#"):
        brief = store.get_brief(str(marker["brief_id"]))
        shown = view(brief or {})
        if brief is not None and shown is not None:
            out.append({"brief_id": brief["brief_id"], "title": brief.get("title", ""), **shown})
    return sorted(out, key=lambda e: str(e["since"]))
