"""One engagement of the chaos run (bench/chaos.py), driven through the public HTTP API and the
Stripe sandbox the way its people would — with double clicks and repeated finance decisions —
to a seeded ending. Reuses the e2e helpers (tests/e2e/flow.py, test_finance_twin.py).

The drivers tolerate what faults legitimately cause (a 503 while Stripe is down is retried, as a
person or finance's system would; a 409 for the second of two clicks is expected). They assert
nothing about money: bench/chaos_checks.py judges the outcome from the outside afterwards.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import CONFIRM_LINK, onboard, task_token, unique_skill, view
from tests.e2e.test_finance_twin import SUMMARY, send_finance
from tests.helpers import load_event

ENDINGS = (
    "approve",
    "changes_then_approve",
    "dispute_release",
    "dispute_refund",
    "dispute_split",
    "cancel_before_funding",
    "deadline_extend",
    "deadline_cancel",
)
TERMINAL = {"COMPLETED", "UNMATCHED", "CANCELLED", "REFUNDED"}
BUDGET_CENTS = 60_000  # tests/events/brief.json
ONBOARDING_LINK = re.compile(r"https?://\S+/_sandbox/onboard/acct_\w+\S*")


class Deviation(Exception):
    """The engagement left its script (a timer won a race, say): not itself a violation."""


@dataclass
class Engagement:
    index: int
    ending: str
    variant: str = ""
    brief_id: str = ""
    token: str = ""
    intern: dict[str, Any] = field(default_factory=dict)
    link: str = ""
    payment_intents: set[str] = field(default_factory=set)
    deviation: str = ""
    error: str = ""
    seconds: float = 0.0
    skipped: bool = False  # not started: the run's time budget for starting had passed


class Mailroom:
    """One poller for the outbox and the finance inbox, shared by every engagement (each polling
    the whole outbox itself would cost the twin more than the engagements do)."""

    def __init__(self, twin: RunningTwin, every: float = 1.0) -> None:
        self.twin = twin
        self.every = every  # seconds between polls
        self.offers: dict[str, str] = {}  # title -> task token
        self.payouts: dict[str, str] = {}  # brief_id -> payout_id
        self.onboarded: set[str] = set()  # Stripe onboarding links opened
        self.confirmations: dict[str, str] = {}  # address -> newest confirmation link
        self._mail_seen = self._inbox_seen = 0  # cursors: entries already read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="chaos-mail", daemon=True)

    def start(self) -> Mailroom:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            try:
                self.poll()
            except (requests.RequestException, ValueError):
                continue

    def poll(self) -> None:
        """Read what arrived since the last poll (`?since=`: each email is parsed and sent once,
        not the whole outbox every second — that grew with the run, N² in all)."""
        outbox = requests.get(
            f"{self.twin.url}/_local/outbox.json", params={"since": self._mail_seen}, timeout=60
        ).json()
        for message in outbox:
            subject = message["subject"]
            if subject.startswith("Paid project for you"):
                self.offers.setdefault(subject, task_token(message))
            elif "Stripe" in subject or subject.startswith("Welcome to microintern"):
                self._onboard(message)
            elif subject.startswith("Confirm your email"):
                links = CONFIRM_LINK.findall(message["text"])
                for address in message["to"]:
                    if links:
                        self.confirmations[address] = links[-1]
        self._mail_seen += len(outbox)
        inbox = requests.get(
            f"{self.twin.url}/_local/finance-inbox.json",
            params={"since": self._inbox_seen},
            timeout=60,
        ).json()
        for delivery in inbox:
            body = delivery["body"]
            if isinstance(body, dict) and body.get("type") == "payout.approval_requested":
                data = body["data"]
                self.payouts[str(data["brief_id"])] = str(data["payout_id"])
        self._inbox_seen += len(inbox)

    def _onboard(self, message: dict[str, Any]) -> None:
        """An intern opens the Stripe onboarding link of their welcome email, or of a payout's
        reminder to finish onboarding (as people do: a registration whose answer was lost
        never got its link opened, and its payout waited for the intern for ever)."""
        for link in set(ONBOARDING_LINK.findall(message["text"])):
            if link not in self.onboarded:
                self.onboarded.add(link)
                try:
                    requests.get(link, timeout=30, allow_redirects=False)
                except requests.RequestException:
                    self.onboarded.discard(link)  # the next reminder brings it again

    def offer_for(self, title: str, timeout: float) -> str:
        def found() -> str | None:
            return next((t for s, t in self.offers.items() if title in s), None)

        return str(_until(found, timeout, f"no offer email for {title!r}"))

    def confirmation_for(self, address: str, timeout: float) -> str:
        what = f"no confirmation email to {address}"
        return str(_until(lambda: self.confirmations.get(address), timeout, what))

    def payout_for(self, brief_id: str, timeout: float) -> str:
        return str(_until(lambda: self.payouts.get(brief_id), timeout, "no approval request"))


def _until(probe: Callable[[], Any], timeout: float, what: str, every: float = 0.5) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(every)
    raise Deviation(what)


def persist(call: Callable[[], requests.Response], attempts: int = 12) -> requests.Response:
    """`call` again while it answers 5xx or the connection fails (Stripe down behind the app),
    as the person or system making it would; the last answer."""
    response: requests.Response | None = None
    for attempt in range(attempts):
        try:
            response = call()
        except requests.RequestException:
            response = None
        if response is not None and response.status_code < 500:
            return response
        time.sleep(min(0.5 * 2**attempt, 8.0))
    if response is None:
        raise Deviation("no answer")
    return response


def raced(calls: list[Callable[[], requests.Response]]) -> list[requests.Response]:
    """The calls at once (double clicks, finance's repeated decisions), each persisted."""
    barrier = threading.Barrier(len(calls))

    def go(call: Callable[[], requests.Response]) -> requests.Response:
        barrier.wait(timeout=30)
        return persist(call)

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(go, calls))


class Driver:
    def __init__(
        self,
        twin: RunningTwin,
        mail: Mailroom,
        *,
        stage_timeout: float,
        start_until: float = float("inf"),
        poll_max: float = 3.0,
    ) -> None:
        self.twin = twin
        self.mail = mail
        self.stage_timeout = stage_timeout
        self.poll_max = poll_max  # the longest pause between a waiting engagement's polls
        self.start_until = start_until  # time.monotonic() after which no engagement starts

    # -- HTTP ------------------------------------------------------------------------------

    def employer(self, e: Engagement, action: str, body: dict[str, Any] | None = None) -> Any:
        def call() -> requests.Response:
            return requests.post(
                f"{self.twin.url}/api/briefs/{e.brief_id}/{action}",
                json=body or {},
                headers={"Authorization": f"Bearer {e.token}"},
                timeout=30,
            )

        return call

    def intern(self, e: Engagement, action: str, body: dict[str, Any] | None = None) -> Any:
        def call() -> requests.Response:
            return requests.post(
                f"{self.twin.url}/api/tasks/{e.link}/{action}", json=body or {}, timeout=30
            )

        return call

    def finance(self, event_type: str, data: dict[str, Any], msg_id: str | None = None) -> Any:
        return lambda: send_finance(self.twin, event_type, data, msg_id)

    def status(self, e: Engagement) -> dict[str, Any]:
        """The brief as its employer reads it; a read that times out on a starved twin (the
        harness's 10 s) is asked again, up to three times: a slow answer is not a deviation."""
        import requests

        for attempt in range(3):
            try:
                return view(self.twin, e.brief_id, e.token)
            except requests.exceptions.Timeout:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def wait(self, e: Engagement, *wanted: str, timeout: float | None = None) -> dict[str, Any]:
        """The brief once its status is one of `wanted`; a Deviation when it ends elsewhere."""
        deadline = time.monotonic() + (timeout or self.stage_timeout)
        current: dict[str, Any] = {}
        polls = 0
        while time.monotonic() < deadline:
            current = self.status(e)
            if current["status"] in wanted:
                return current
            if current["status"] in TERMINAL:
                break
            # 0.5 s, then slower up to `poll_max` (3 s): every in-flight engagement polls the
            # twin, and at 0.5 s the polls were a large share of what the twin served.
            polls += 1
            time.sleep(min(0.5 * polls, self.poll_max))
        last = "; ".join(f"{t['status']}: {t['detail']}" for t in current.get("timeline", [])[-3:])
        raise Deviation(f"waited for {'/'.join(wanted)}, found {current.get('status')} ({last})")

    # -- the flow --------------------------------------------------------------------------

    def run(self, e: Engagement, rng: random.Random) -> None:
        started = time.monotonic()
        if started > self.start_until:
            e.skipped = True
            return
        try:
            self._engage(e, rng)
            getattr(self, f"_end_{e.ending}")(e, rng)
        except Deviation as exc:
            e.deviation = str(exc)
        except Exception as exc:  # reported as the engagement's error, the run goes on
            e.error = f"{type(exc).__name__}: {exc}"
        finally:
            e.seconds = time.monotonic() - started

    def _engage(self, e: Engagement, rng: random.Random) -> None:
        skill = unique_skill()
        e.intern = self._register(skill)
        if e.intern.get("onboarding_url"):
            onboard(e.intern["onboarding_url"])
        title = f"Chaos engagement {e.index} study"
        nda = rng.random() < 0.3
        e.brief_id, e.token = self._submit(skill, title=title, nda_required=nda)
        e.link = self.mail.offer_for(title, self.stage_timeout)
        raced([self.intern(e, "accept"), self.intern(e, "accept")])  # a double click
        if nda:
            self.wait(e, "NDA")
            nda_body = {"full_name": e.intern["name"], "agree": True}
            raced([self.intern(e, "nda", nda_body), self.intern(e, "nda", nda_body)])
        self.wait(e, "AWAITING_FUNDING")

    def _register(self, skill: str) -> dict[str, Any]:
        """The intern signs up; a retry (the answer lost in a timeout) sends the same email,
        so it finds the first registration (409) instead of making a second intern with the
        same skill, who would never open their onboarding link (and might get the offer).
        Without the answer, the welcome email's link does the onboarding (the Mailroom)."""
        email = f"intern-{uuid.uuid4().hex[:8]}@students.example"
        body: dict[str, Any] = {
            "name": "Intern " + email[7:11],
            "email": email,
            "skills": [skill, "Excel"],
            "bio": f"Student analyst who loves {skill} projects and market research.",
            "hours_per_week": 20,
            "timezone": "Europe/Berlin",
        }

        def call() -> requests.Response:
            return requests.post(f"{self.twin.url}/api/interns", json=body, timeout=30)

        answer = persist(call)
        if answer.status_code == 409:  # an earlier attempt went through
            return {"email": email, "name": body["name"], "confirmation_required": False}
        if answer.status_code != 201:
            raise Deviation(f"registration answered {answer.status_code}: {answer.text[:200]}")
        data = answer.json()
        if data["confirmation_required"]:
            self._confirm_address(email)
        return {**data, "email": email, "name": body["name"]}

    def _submit(self, skill: str, **overrides: Any) -> tuple[str, str]:
        """(brief_id, manage_token) of a fresh brief needing `skill`, its employer's address
        confirmed (tests/e2e/flow.submit, but the confirmation email comes from the Mailroom:
        flow's helper reads the whole outbox each poll, which grew with the run, N² in all)."""
        employer = f"employer-{uuid.uuid4().hex[:8]}@company.example"
        body = load_event("brief", skills=[skill], employer_email=employer, **overrides)

        def call() -> requests.Response:
            return requests.post(f"{self.twin.url}/api/briefs", json=body, timeout=30)

        answer = persist(call)
        if answer.status_code != 201:
            raise Deviation(f"submission answered {answer.status_code}: {answer.text[:200]}")
        data = answer.json()
        if data["confirmation_required"]:
            self._confirm_address(employer)
        return str(data["brief_id"]), str(data["manage_token"])

    def _confirm_address(self, address: str) -> None:
        """Open the confirmation link emailed to `address` and press the page's button (the
        CSRF cookie is Secure: sent by hand over the twin's http), as tests/e2e/flow does."""
        link = self.mail.confirmation_for(address, self.stage_timeout)
        page = persist(lambda: requests.get(link, timeout=30))
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if page.status_code != 200 or not csrf:
            raise Deviation(f"confirmation page answered {page.status_code}")
        cookie = page.headers["Set-Cookie"].split(";")[0]
        done = persist(
            lambda: requests.post(
                link, data={"csrf_token": csrf.group(1)}, headers={"Cookie": cookie}, timeout=30
            )
        )
        if done.status_code != 200:
            raise Deviation(f"confirmation answered {done.status_code}")

    def _fund(self, e: Engagement) -> None:
        """The employer clicks "fund" twice; each PaymentIntent handed out is confirmed."""
        answers = raced([self.employer(e, "fund"), self.employer(e, "fund")])
        intents = {
            (a.json()["payment_intent_id"], a.json()["client_secret"])
            for a in answers
            if a.status_code == 200
        }
        if not intents:
            raise Deviation(f"fund answered {[a.status_code for a in answers]}")
        for pi, secret in intents:
            e.payment_intents.add(pi)
            self._confirm(pi, secret)

    def _confirm(self, pi: str, secret: str) -> requests.Response:
        def call() -> requests.Response:
            return requests.post(
                f"{self.twin.stripe_url}/v1/payment_intents/{pi}/confirm",
                data={"payment_method": "pm_card_visa", "client_secret": secret},
                headers={"Authorization": "Bearer pk_test_browser"},
                timeout=30,
            )

        return persist(call)

    def _deliver(self, e: Engagement) -> None:
        body = {"summary": SUMMARY, "url": "https://example.org/deck"}
        raced([self.intern(e, "deliver", body), self.intern(e, "deliver", body)])
        self.wait(e, "IN_REVIEW")

    def _review(self, e: Engagement, decision: str) -> None:
        body = {"decision": decision, "comment": "Chaos review: add the sources please."}
        raced([self.employer(e, "review", body), self.employer(e, "review", body)])

    def _finance_approves(self, e: Engagement) -> None:
        self.wait(e, "PAYOUT_APPROVAL")
        payout_id = self.mail.payout_for(e.brief_id, self.stage_timeout)
        data = {"payout_id": payout_id, "approved_by": "ada@finance.example"}
        same = f"msg_chaos_{e.brief_id}_approve"
        raced(
            [
                self.finance("payout.approved", data, same),
                self.finance("payout.approved", data, same),
                self.finance("payout.approved", data),
            ]
        )
        self.wait(e, "COMPLETED", timeout=self.stage_timeout * 4)

    def _to_review(self, e: Engagement) -> None:
        self._fund(e)
        self.wait(e, "IN_PROGRESS")
        self._deliver(e)

    def _end_approve(self, e: Engagement, rng: random.Random) -> None:
        self._to_review(e)
        self._review(e, "approve")
        self._finance_approves(e)

    def _end_changes_then_approve(self, e: Engagement, rng: random.Random) -> None:
        self._to_review(e)
        self._review(e, "request_changes")
        self.wait(e, "IN_PROGRESS")
        self._deliver(e)
        self._review(e, "approve")
        self._finance_approves(e)

    def _dispute(self, e: Engagement, rng: random.Random, resolution: dict[str, Any]) -> None:
        self._to_review(e)
        if rng.random() < 0.3:  # finance rejects the payout instead
            e.variant = "finance rejected"
            self._review(e, "approve")
            self.wait(e, "PAYOUT_APPROVAL")
            payout_id = self.mail.payout_for(e.brief_id, self.stage_timeout)
            reject = {"payout_id": payout_id, "reason": "Chaos: half done"}
            raced([self.finance("payout.rejected", reject) for _ in range(3)])
        else:
            self._review(e, "dispute")
        self.wait(e, "DISPUTED")
        data = {"brief_id": e.brief_id, **resolution}
        same = f"msg_chaos_{e.brief_id}_resolve"
        raced(
            [
                self.finance("dispute.resolved", data, same),
                self.finance("dispute.resolved", data, same),
                self.finance("dispute.resolved", data),
            ]
        )
        ends = "REFUNDED" if resolution["resolution"] == "refund" else "COMPLETED"
        self.wait(e, ends, timeout=self.stage_timeout * 4)

    def _end_dispute_release(self, e: Engagement, rng: random.Random) -> None:
        self._dispute(e, rng, {"resolution": "release"})

    def _end_dispute_refund(self, e: Engagement, rng: random.Random) -> None:
        self._dispute(e, rng, {"resolution": "refund"})

    def _end_dispute_split(self, e: Engagement, rng: random.Random) -> None:
        share = rng.randint(1, BUDGET_CENTS - 1)
        e.variant = f"intern share {share}"
        self._dispute(e, rng, {"resolution": "split", "intern_share_cents": share})

    def _end_cancel_before_funding(self, e: Engagement, rng: random.Random) -> None:
        if rng.random() < 0.5:
            e.variant = "cancel raced payment"
            created = persist(self.employer(e, "fund"))
            if created.status_code != 200:
                raise Deviation(f"fund answered {created.status_code}")
            pi, secret = created.json()["payment_intent_id"], created.json()["client_secret"]
            e.payment_intents.add(pi)
            cancel = self.employer(e, "cancel")
            raced([cancel, cancel, lambda: self._confirm(pi, secret)])
        else:
            raced([self.employer(e, "cancel"), self.employer(e, "cancel")])
        self.wait(e, "CANCELLED", timeout=self.stage_timeout * 4)

    def _missed(self, e: Engagement) -> None:
        self._fund(e)
        self.wait(e, "IN_PROGRESS")
        self.wait(e, "DEADLINE_MISSED", timeout=self.stage_timeout * 2)

    def _end_deadline_extend(self, e: Engagement, rng: random.Random) -> None:
        self._missed(e)
        extend = {"deadline": (date.today() + timedelta(days=5)).isoformat()}
        raced([self.employer(e, "extend", extend), self.employer(e, "extend", extend)])
        self.wait(e, "IN_PROGRESS")
        self._deliver(e)
        self._review(e, "approve")
        self._finance_approves(e)

    def _end_deadline_cancel(self, e: Engagement, rng: random.Random) -> None:
        self._missed(e)
        raced([self.employer(e, "cancel"), self.employer(e, "cancel")])
        self.wait(e, "CANCELLED", timeout=self.stage_timeout * 4)
