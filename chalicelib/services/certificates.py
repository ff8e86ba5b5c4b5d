"""Completion certificates: issued when an engagement completes, signed in KMS, public.

    issue_for          the Settle step, on COMPLETED (safe to repeat: one certificate per brief)
    revoke_if_reversed the same step: a dispute resolved by refund or split revokes it
    show_rating        the intern's choice to show the employer's rating (re-signed)
    set_listed         the intern's choice to list the certificate on their portfolio
    public_view        GET /api/certificates/{id} and the public page
    key_set            GET /.well-known/microintern-keys.json
    portfolio          GET /portfolio/{slug}: the listed, unrevoked certificates of one intern

Items (docs/data-model.md, "Certificates and the talent pool"):
    CERT#<id> / CERTIFICATE          the signed document, signature, key id, status
    BRIEF#<brief> / CERTIFICATE      which certificate the brief has (written first, once)
    INTERN#<intern> / CERT#<id>      the intern's certificates (listed or not)
    INTERN#<intern> / PORTFOLIO      the intern's portfolio slug; PORTFOLIO#<slug> / PORTFOLIO
    TALENT#<employer address> / INTERN#<intern>   who completed a project for whom (talent.py)

The certificate's content and rules are `domain.certificate`; a certificate is never edited
but re-signed whole (same id, same issued_at) when the intern shows the rating.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any

from chalicelib.adapters import clock, links, signer, talent_pool, tokens
from chalicelib.adapters.store import get_store
from chalicelib.domain import certificate as cert
from chalicelib.domain.engagement import Status
from chalicelib.observability import logger, metrics
from chalicelib.services.access import NOT_FOUND
from chalicelib.services.errors import NotAllowed, NotFound

VALID = "valid"
REVOKED = "revoked"


def _cert_key(certificate_id: str) -> tuple[str, str]:
    return f"CERT#{certificate_id}", "CERTIFICATE"


def certificate_url(certificate_id: str) -> str:
    return links.url(f"/certificates/{certificate_id}")


def certificate_of(brief_id: str) -> dict[str, Any] | None:
    """The brief's certificate item, if one was issued."""
    store = get_store()
    pointer = store.get(f"BRIEF#{brief_id}", "CERTIFICATE")
    if pointer is None:
        return None
    return store.get(*_cert_key(str(pointer["certificate_id"])))


def url_for_brief(brief: Mapping[str, Any]) -> str | None:
    """`certificate_url` of GET /api/briefs/{id}: set once the brief completed and its
    certificate was signed and stored (the pointer that fixes its id is written just before,
    so a link is never shown that would answer 404)."""
    if brief.get("status") != Status.COMPLETED:
        return None
    store = get_store()
    pointer = store.get(f"BRIEF#{brief['brief_id']}", "CERTIFICATE")
    if pointer is None or store.get(*_cert_key(str(pointer["certificate_id"]))) is None:
        return None
    return certificate_url(str(pointer["certificate_id"]))


def issue_for(brief: Mapping[str, Any]) -> dict[str, Any] | None:
    """Issue the certificate of a COMPLETED brief (a repeat returns the one issued). None, and
    nothing written, when the intern's profile is gone: a certificate names its intern."""
    if brief.get("status") != Status.COMPLETED or not brief.get("intern_id"):
        raise NotAllowed("Only a completed project has a certificate.")
    store = get_store()
    brief_id = str(brief["brief_id"])
    if store.get(f"INTERN#{brief['intern_id']}", "PROFILE") is None:
        logger.warning("no certificate: the intern has no profile", extra={"brief_id": brief_id})
        return None
    store.put_if_absent(
        {
            "pk": f"BRIEF#{brief_id}",
            "sk": "CERTIFICATE",
            "type": "certificate_pointer",
            "certificate_id": tokens.new_id("c"),
        }
    )
    pointer = store.get(f"BRIEF#{brief_id}", "CERTIFICATE")
    assert pointer is not None
    certificate_id = str(pointer["certificate_id"])
    item = store.get(*_cert_key(certificate_id)) or _sign_new(brief, certificate_id)
    # What the certificate's issue also records (each write safe to repeat, so a retry after
    # a failure part-way completes it): the intern's list, and the employer's talent pool.
    intern_id = str(item["intern_id"])
    store.put_if_absent(  # never resets the intern's `listed` choice
        {
            "pk": f"INTERN#{intern_id}",
            "sk": f"CERT#{certificate_id}",
            "type": "intern_certificate",
            "certificate_id": certificate_id,
            "completed_on": item["facts"]["completed_on"],
            "listed": False,
        }
    )
    talent_pool.record_alumnus(
        str(brief["employer_email"]),
        intern_id,
        intern_name=str(item["facts"]["intern_name"]),
        brief=brief,
        at=str(brief.get("completed_at") or item["facts"]["issued_at"]),
    )
    return item


def _sign_new(brief: Mapping[str, Any], certificate_id: str) -> dict[str, Any]:
    """Sign and store the certificate (a concurrent retry that stored it first wins)."""
    from chalicelib.services.access import intern_profile

    store = get_store()
    brief_id, intern_id = str(brief["brief_id"]), str(brief["intern_id"])
    intern = intern_profile(intern_id)
    now = clock.iso()
    item: dict[str, Any] = {
        "pk": f"CERT#{certificate_id}",
        "sk": "CERTIFICATE",
        "type": "certificate",
        "certificate_id": certificate_id,
        "brief_id": brief_id,
        "intern_id": intern_id,
        "status": VALID,
        "shows_rating": False,
        "facts": {
            "intern_name": str(intern.get("name") or ""),
            "project_title": str(brief["title"]),
            "hours": int(brief["estimated_hours"]),
            "started_on": _started_on(brief_id, brief),
            "completed_on": str(brief.get("completed_at") or now)[:10],
            "issued_at": now,
            "employer_name": str(brief["company"])
            if brief.get("show_employer_on_certificate")
            else None,
        },
    }
    item.update(_signed(certificate_id, item["facts"], rating=None))
    reversed_by = cert.revocation_reason(brief.get("dispute_resolution"))
    if reversed_by is not None:  # issued revoked: never shown as valid, not even for a moment
        item.update(status=REVOKED, revoked_at=now, revoked_reason=reversed_by)
    if not store.put_if_absent(item):
        found = store.get(*_cert_key(certificate_id))
        assert found is not None
        return found
    logger.info("certificate issued", extra={"brief_id": brief_id, "certificate": certificate_id})
    metrics.add_metric(name="CertificatesIssued", unit="Count", value=1)
    return item


def _started_on(brief_id: str, brief: Mapping[str, Any]) -> str:
    """The day work started (the first IN_PROGRESS on the timeline), else the brief's day."""
    for event in get_store().timeline(brief_id):
        if event.get("status") == Status.IN_PROGRESS:
            return str(event["at"])[:10]
    return str(brief["created_at"])[:10]


def _signed(certificate_id: str, facts: Mapping[str, Any], *, rating: int | None) -> dict[str, Any]:
    document = cert.build(
        certificate_id=certificate_id,
        intern_name=str(facts["intern_name"]),
        project_title=str(facts["project_title"]),
        hours=int(facts["hours"]),
        started_on=str(facts["started_on"]),
        completed_on=str(facts["completed_on"]),
        issued_at=str(facts["issued_at"]),
        verify_url=certificate_url(certificate_id),
        employer_name=facts.get("employer_name") or None,
        rating=rating,
    )
    key_id, signature = signer.sign(cert.canonical_json(document))
    return {
        "document": document,
        "signature": base64.b64encode(signature).decode("ascii"),
        "key_id": key_id,
        "algorithm": cert.ALGORITHM,
    }


def revoke_if_reversed(brief: Mapping[str, Any]) -> bool:
    """Revoke the brief's certificate when a dispute took money back (domain rule); True when
    it is revoked now or already was."""
    reason = cert.revocation_reason(brief.get("dispute_resolution"))
    if reason is None:
        return False
    return revoke(str(brief["brief_id"]), reason)


def revoke(brief_id: str, reason: str) -> bool:
    """Mark the brief's certificate revoked (once; the first reason stays)."""
    item = certificate_of(brief_id)
    if item is None:
        return False
    if item.get("status") == REVOKED:
        return True
    get_store().set_fields(
        *_cert_key(str(item["certificate_id"])),
        {"status": REVOKED, "revoked_at": clock.iso(), "revoked_reason": reason},
    )
    logger.info("certificate revoked", extra={"brief_id": brief_id})
    metrics.add_metric(name="CertificatesRevoked", unit="Count", value=1)
    return True


def _employer_score(brief_id: str) -> int | None:
    rating = get_store().get(f"BRIEF#{brief_id}", "RATING#employer")
    return int(rating["score"]) if rating else None


def show_rating(brief_id: str, intern_id: str, show: bool) -> dict[str, Any]:
    """The intern's half of the rating consent; the certificate is re-signed when what it
    shows changes (the employer's half is having rated)."""
    item = _own(brief_id, intern_id)
    rating = cert.rating_consented(
        employer_score=_employer_score(brief_id), intern_shows_rating=show
    )
    current = item["document"].get("rating")
    if (current or {}).get("score") != rating or bool(item.get("shows_rating")) != show:
        fields = {"shows_rating": show}
        if (current or {}).get("score") != rating:
            fields.update(_signed(str(item["certificate_id"]), item["facts"], rating=rating))
        get_store().set_fields(*_cert_key(str(item["certificate_id"])), fields)
    return {"certificate_id": item["certificate_id"], "rating_shown": rating is not None}


def refresh_rating(brief_id: str) -> None:
    """After the employer rated: an intern who already chose to show it gets it signed in."""
    item = certificate_of(brief_id)
    if item is not None and item.get("shows_rating"):
        show_rating(brief_id, str(item["intern_id"]), True)


def _own(brief_id: str, intern_id: str) -> dict[str, Any]:
    item = certificate_of(brief_id)
    if item is None or str(item.get("intern_id")) != intern_id:
        raise NotFound(NOT_FOUND)  # as an unknown task link: nothing to tell apart
    return item


def set_listed(brief_id: str, intern_id: str, listed: bool) -> dict[str, Any]:
    """List (or unlist) the certificate on the intern's public portfolio; the portfolio's
    slug is made on first use (random: it names nobody)."""
    item = _own(brief_id, intern_id)
    store = get_store()
    store.set_fields(f"INTERN#{intern_id}", f"CERT#{item['certificate_id']}", {"listed": listed})
    slug = portfolio_slug(intern_id, create=listed)
    return {
        "certificate_id": item["certificate_id"],
        "listed": listed,
        "portfolio_url": links.url(f"/portfolio/{slug}") if slug else None,
    }


def portfolio_slug(intern_id: str, *, create: bool = False) -> str | None:
    store = get_store()
    found = store.get(f"INTERN#{intern_id}", "PORTFOLIO")
    if found is not None or not create:
        return str(found["slug"]) if found else None
    slug = tokens.new_id("p")
    store.put_new({"pk": f"PORTFOLIO#{slug}", "sk": "PORTFOLIO", "intern_id": intern_id})
    if not store.put_if_absent(
        {"pk": f"INTERN#{intern_id}", "sk": "PORTFOLIO", "type": "portfolio", "slug": slug}
    ):
        store.delete(f"PORTFOLIO#{slug}", "PORTFOLIO")  # another request made one first
        return portfolio_slug(intern_id)
    return slug


def intern_choices(brief_id: str, intern_id: str) -> dict[str, Any] | None:
    """What the task page shows of the certificate: its link and the intern's two choices."""
    item = certificate_of(brief_id)
    if item is None or str(item.get("intern_id")) != intern_id:
        return None
    listing = get_store().get(f"INTERN#{intern_id}", f"CERT#{item['certificate_id']}")
    slug = portfolio_slug(intern_id)
    return {
        "certificate_id": item["certificate_id"],
        "url": certificate_url(str(item["certificate_id"])),
        "status": item.get("status", VALID),
        "shows_rating": bool(item.get("shows_rating")),
        "rating_shown": "rating" in item["document"],
        "employer_rated": _employer_score(brief_id) is not None,
        "listed": bool(listing and listing.get("listed")),
        "portfolio_url": links.url(f"/portfolio/{slug}") if slug else None,
    }


def public_view(certificate_id: str) -> dict[str, Any]:
    """The signed certificate and its status (404 for an unknown id)."""
    item = get_store().get(*_cert_key(certificate_id), consistent=False)
    if item is None:
        raise NotFound("No certificate with this id.", "certificate_id")
    view: dict[str, Any] = {
        "certificate": item["document"],
        "signature": item["signature"],
        "key_id": item["key_id"],
        "algorithm": item["algorithm"],
        "status": item.get("status", VALID),
        "revoked_at": item.get("revoked_at"),
        "revoked_reason": item.get("revoked_reason"),
        "keys_url": links.url("/.well-known/microintern-keys.json"),
    }
    return view


def signature_checks(view: Mapping[str, Any]) -> bool:
    """KMS's own verification of the stored signature over the canonical certificate (the
    public page says "verified" only then)."""
    if view["key_id"] != signer.current_key_id():
        return False
    return signer.verify(
        cert.canonical_json(view["certificate"]), base64.b64decode(view["signature"])
    )


def key_set() -> dict[str, Any]:
    return {"issuer": links.url("/"), "keys": [cert.key_entry(signer.public_key())]}


def portfolio(slug: str) -> dict[str, Any]:
    """An intern's listed certificates that stand (404 for an unknown slug)."""
    store = get_store()
    found = store.get(f"PORTFOLIO#{slug}", "PORTFOLIO", consistent=False)
    if found is None:
        raise NotFound("No portfolio here.", "slug")
    entries = []
    for listing in store.query(f"INTERN#{found['intern_id']}", "CERT#"):
        if not listing.get("listed"):
            continue
        item = store.get(*_cert_key(str(listing["certificate_id"])), consistent=False)
        if item is None or item.get("status") == REVOKED:
            continue
        entries.append({**item["document"], "url": certificate_url(str(item["certificate_id"]))})
    entries.sort(key=lambda e: str(e["completed_on"]), reverse=True)
    name = entries[0]["intern_name"] if entries else ""
    return {"slug": slug, "intern_name": name, "certificates": entries}
