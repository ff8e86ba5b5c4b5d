"""Matching on the twin, over HTTP only: interns register, a brief is posted, a shortlist appears.

Given a dozen interns registered through `POST /api/interns` with different skills, bios and
hours, when an employer posts a brief through `POST /api/briefs`, then the brief's
shortlist (read with its manage token) puts the clearly best-fitting intern first, explains
every candidate factor by factor, and holds nobody without a required skill; and a brief
whose skills nobody has ends UNMATCHED, with the employer told why.

Skills are unique to each test run (a uuid in the name), so interns other tests register
on the same twin cannot enter these pools.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

import pytest
import requests

from tests.e2e.conftest import RunningTwin
from tests.e2e.flow import confirm_address
from tests.helpers import eventually, load_event

pytestmark = pytest.mark.e2e

FACTORS = {"required_skills", "nice_to_have", "text_relevance", "availability", "track_record"}


def register(twin: RunningTwin, tag: str, **profile: Any) -> str:
    body = {
        "name": f"Intern {tag}",
        "email": f"{tag}@interns.example",
        "timezone": "Europe/Berlin",
        **profile,
    }
    response = requests.post(f"{twin.url}/api/interns", json=body, timeout=30)
    assert response.status_code == 201, response.text
    if response.json()["confirmation_required"]:
        confirm_address(twin, body["email"])
    return str(response.json()["intern_id"])


def post_brief(twin: RunningTwin, **overrides: Any) -> dict[str, Any]:
    brief = load_event(
        "brief",
        deadline=(date.today() + timedelta(days=14)).isoformat(),
        estimated_hours=20,
        budget_cents=60_000,
        **overrides,
    )
    response = requests.post(f"{twin.url}/api/briefs", json=brief, timeout=30)
    assert response.status_code == 201, response.text
    if response.json()["confirmation_required"]:
        confirm_address(twin, brief["employer_email"])
    return dict(response.json())


def view(twin: RunningTwin, brief: dict[str, Any]) -> dict[str, Any]:
    response = requests.get(
        f"{twin.url}/api/briefs/{brief['brief_id']}",
        headers={"Authorization": f"Bearer {brief['manage_token']}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_the_shortlist_puts_the_best_fit_first_and_explains_every_candidate(
    twin: RunningTwin,
) -> None:
    run = uuid.uuid4().hex[:8]
    churn, sql, charts, knitting = (
        f"churnology-{run}",
        f"querycraft-{run}",
        f"chartsmith-{run}",
        f"knitting-{run}",
    )
    relevant_bio = (
        "Statistics student. Analysed customer churn and cancellations for a meal-kit "
        "subscription startup: cleaned twelve months of orders, found the churn drivers and "
        "proposed retention experiments."
    )
    generic_bio = "Friendly and motivated student who enjoys learning new things every day."
    interns = {
        "best": register(
            twin,
            f"best-{run}",
            skills=[churn, sql, charts],
            bio=relevant_bio,
            hours_per_week=20,
        ),
        # every skill and the same bio, but 1 h/week cannot fit 20 h before the deadline
        "no_time": register(
            twin, f"notime-{run}", skills=[churn, sql, charts], bio=relevant_bio, hours_per_week=1
        ),
        "both_generic": register(
            twin, f"generic-{run}", skills=[churn, sql], bio=generic_bio, hours_per_week=15
        ),
        "churn_only": register(
            twin, f"churn-{run}", skills=[churn], bio=relevant_bio, hours_per_week=20
        ),
        "sql_only": register(
            twin,
            f"sql-{run}",
            skills=[sql.upper()],  # written differently: folded to the same skill
            bio="I write SQL reports for a student newspaper's subscriptions.",
            hours_per_week=10,
        ),
        "sql_charts": register(
            twin,
            f"sqlcharts-{run}",
            skills=[sql, charts],
            bio="Business student who likes dashboards about customers and orders.",
            hours_per_week=8,
        ),
        "churn_part_time": register(
            twin,
            f"parttime-{run}",
            skills=[churn],
            bio="Economics student curious about subscription businesses.",
            hours_per_week=5,
        ),
        "sql_designer": register(
            twin,
            f"designer-{run}",
            skills=[sql, "Figma"],
            bio="Designer who picked up databases while building a portfolio site.",
            hours_per_week=12,
        ),
        "churn_writer": register(
            twin,
            f"writer-{run}",
            skills=[churn, "copywriting"],
            bio="Writer who interviews customers about why they cancel subscriptions.",
            hours_per_week=6,
        ),
        # nobody below lists a required skill: they must never be shortlisted
        "charts_only": register(
            twin, f"charts-{run}", skills=[charts], bio=relevant_bio, hours_per_week=40
        ),
        "knitter": register(
            twin,
            f"knitter-{run}",
            skills=[knitting],
            bio="I knit churn-proof meal-kit subscription cosy covers.",
            hours_per_week=40,
        ),
        "unrelated": register(
            twin,
            f"unrelated-{run}",
            skills=["Photoshop", "Illustrator"],
            bio=relevant_bio,
            hours_per_week=40,
        ),
    }
    employer = f"employer-{run}@freshbox.example"
    brief = post_brief(
        twin,
        title="Customer churn analysis for a meal-kit subscription",
        description=(
            "We are a meal-kit subscription with 8,000 customers. Analyse twelve months of "
            "orders and cancellations, find what drives churn and recommend two retention "
            "experiments we could run next quarter."
        ),
        deliverables=["Churn drivers report", "Two retention experiment proposals"],
        skills=[churn, sql],
        nice_to_have_skills=[charts],
        employer_email=employer,
    )

    shortlist = eventually(lambda: view(twin, brief)["shortlist"], timeout=60, every=0.3)

    by_id = {v: k for k, v in interns.items()}
    names = [by_id.get(c["intern_id"], c["intern_id"]) for c in shortlist]
    assert 1 <= len(shortlist) <= 5, names
    assert names[0] == "best", names
    assert not {"charts_only", "knitter", "unrelated"} & set(names), names
    assert set(names) <= set(by_id.values()), names  # nobody from outside this pool
    scores = [c["score"] for c in shortlist]
    assert scores == sorted(scores, reverse=True)
    assert [c["rank"] for c in shortlist] == list(range(1, len(shortlist) + 1))
    for candidate in shortlist:
        assert set(candidate["factors"]) == FACTORS
        assert all(0.0 <= v <= 1.0 for v in candidate["factors"].values())
        assert candidate["factors"]["required_skills"] > 0  # shares a required skill
        reason = candidate["reason"]
        assert reason.startswith("covers ") and "required skills" in reason
        assert "h/week" in reason
        assert "Intern " not in reason and "@" not in reason  # blind to name and email
    best = shortlist[0]
    assert best["factors"]["required_skills"] == 1.0
    assert best["factors"]["nice_to_have"] == 1.0
    assert best["factors"]["availability"] == 1.0
    assert best["reason"].startswith("covers 2/2 required skills")
    assert "20 h/week available" in best["reason"]
    if "no_time" in names:
        assert names.index("no_time") > 0
        no_time = shortlist[names.index("no_time")]
        assert no_time["factors"]["availability"] < 1.0
        assert "only 1 h/week" in no_time["reason"]


def test_a_brief_whose_skills_nobody_has_ends_unmatched_and_the_employer_is_told_why(
    twin: RunningTwin,
) -> None:
    run = uuid.uuid4().hex[:8]
    missing = f"nobody-has-this-{run}"
    employer = f"employer-{run}@freshbox.example"
    register(
        twin,
        f"bystander-{run}",
        skills=[f"adjacent-skill-{run}"],
        bio="Someone with a different, equally rare skill.",
        hours_per_week=20,
    )
    brief = post_brief(
        twin,
        skills=[missing],
        nice_to_have_skills=[f"adjacent-skill-{run}"],  # a nice-to-have alone is not enough
        employer_email=employer,
    )

    final = eventually(
        lambda: (v := view(twin, brief))["status"] == "UNMATCHED" and v, timeout=60, every=0.3
    )

    assert final["shortlist"] == []
    assert [e["status"] for e in final["timeline"]][-1] == "UNMATCHED"

    def unmatched_mail() -> dict[str, Any] | None:
        for mail in twin.outbox():
            if employer in mail["to"] and "No intern matched" in mail["subject"]:
                return mail
        return None

    mail = eventually(unmatched_mail, timeout=20, every=0.3)
    assert "Competitive analysis of three meal-kit apps" in mail["subject"]
    assert missing in mail["text"]  # the reason names the skill nobody has
    told = [m for m in twin.outbox() if employer in m["to"] and "No intern" in m["subject"]]
    assert len(told) == 1  # told once, however often the step ran
