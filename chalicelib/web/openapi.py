"""The OpenAPI 3.1 document of every public JSON route (served at GET /openapi.json).

Built from the pydantic models: the request bodies the services validate
(`BriefInput`, `InternInput`, the finance webhook's data models) and web/schemas.py for the
rest. Where a model's validator enforces a bound its type cannot show (a title of 5–120
characters), the bound is written in from the same domain constant, so the document and
the validation cannot drift apart silently (tests/integration/test_openapi.py checks both).

Invariants: every operation lists its error answers with the contract's `ErrorResponse`;
operations behind a manage token or the finance key say so in `security` (the finance routes
also take the finance page's session cookie; never a key in the query string); the task actions
of `/api/tasks/{token}/{action}` are separate paths (`TASK_ACTIONS`).
"""

from __future__ import annotations

import copy
import functools
import re
from datetime import date, timedelta
from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from chalicelib.domain import brief as brief_rules
from chalicelib.domain import intern as intern_rules
from chalicelib.domain.brief import BriefInput
from chalicelib.domain.intern import InternInput
from chalicelib.web import account_schemas as a
from chalicelib.web import certificate_schemas as cs
from chalicelib.web import message_schemas as ms
from chalicelib.web import open_brief_schemas as ob
from chalicelib.web import schemas as s

OPENAPI_VERSION: Final = "3.1.0"
TASK_ACTIONS: Final = ("accept", "decline", "nda", "deliver", "upload", "rate")
JSON: Final = "application/json"
REF: Final = "#/components/schemas/{model}"

ERROR_TEXT: Final = {
    400: "The body is not a JSON object, is larger than 256 KiB or nested deeper than 32.",
    401: "Credentials missing, or a key sent in the query string (or a webhook signature "
    "missing or wrong).",
    403: "These credentials do not open this resource (wrong, expired or revoked).",
    404: "No such brief, task link or payout.",
    409: "The engagement's current state does not allow this; nothing changed.",
    422: "Invalid input: each error names its field.",
    429: "Too many requests from this IP or for this address this hour: retry after "
    "`Retry-After` seconds; nothing was created or sent.",
    502: "The payment provider refused the request.",
    503: "Busy or a provider is unavailable: retry after `Retry-After` seconds.",
}

_MODELS: Final[list[type[BaseModel]]] = [
    BriefInput,
    InternInput,
    s.ErrorResponse,
    s.Health,
    s.BriefSubmitted,
    s.BriefView,
    s.FundResponse,
    s.ReviewRequest,
    s.ExtendRequest,
    s.RateRequest,
    s.ActionDone,
    s.LinksRevoked,
    s.InternRegistered,
    s.EmptyBody,
    s.NdaRequest,
    s.NdaSigned,
    s.DeliverRequest,
    s.Delivered,
    s.UploadRequest,
    s.UploadForm,
    s.StripeEvent,
    s.StripeReceipt,
    s.PayoutApprovedEvent,
    s.PayoutRejectedEvent,
    s.DisputeResolvedEvent,
    s.FinanceReceipt,
    s.Payouts,
    *ms.MODELS,
    ob.OpenBriefs,  # open briefs (issue 17)
    ob.InterestRequest,
    ob.Interest,
    cs.CertificateEnvelope,
    cs.KeySet,
    cs.CertificateChoice,
    cs.HiringInterest,
    # accounts (issue 14)
    a.SignInRequest,
    a.SignInAccepted,
    a.Me,
    a.MyBrief,
    a.MyEngagement,
    a.ApiKeyRequest,
    a.ApiKeyCreated,
    a.ApiKeys,
    a.ApiKeyRevoked,
]


def document(server_url: str) -> dict[str, Any]:
    """The document, with `server_url` (the public base URL, stage prefix included) and the
    brief example's deadline two weeks from today (so the example is a valid brief)."""
    from chalicelib.services.briefs import deadline_bounds

    doc = copy.deepcopy(_static())
    doc["servers"] = [{"url": server_url.rstrip("/") or "/"}]
    earliest = date.fromisoformat(deadline_bounds()[0])
    example = doc["paths"]["/api/briefs"]["post"]["requestBody"]["content"][JSON]["example"]
    example["deadline"] = (earliest + timedelta(days=7)).isoformat()
    return doc


@functools.cache
def _static() -> dict[str, Any]:
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "microintern",
            "version": "1",
            "description": (
                "Micro-internships end to end: briefs, matching, escrow, delivery, payout. "
                "JSON in and out; every error is "
                '`{"errors": [{"field": ..., "message": ...}]}`.'
            ),
        },
        "paths": _paths(),
        "components": {"schemas": _schemas(), "securitySchemes": _security_schemes()},
    }


# -- components -----------------------------------------------------------------------------


def _schemas() -> dict[str, Any]:
    _, top = models_json_schema([(m, "validation") for m in _MODELS], ref_template=REF)
    defs: dict[str, Any] = top["$defs"]
    _constrain(defs["BriefInput"], _BRIEF_BOUNDS)
    _constrain(defs["InternInput"], _INTERN_BOUNDS)
    return defs


def _text(lo: int, hi: int) -> dict[str, Any]:
    return {"minLength": lo, "maxLength": hi}


def _words(lo: int, hi: int, item_max: int) -> dict[str, Any]:
    return {"minItems": lo, "maxItems": hi, "items": {"type": "string", **_text(1, item_max)}}


b, i = brief_rules, intern_rules
_BRIEF_BOUNDS: Final[dict[str, dict[str, Any]]] = {
    "title": _text(b.TITLE_MIN, b.TITLE_MAX),
    "description": _text(b.DESCRIPTION_MIN, b.DESCRIPTION_MAX),
    "deliverables": _words(b.DELIVERABLES_MIN, b.DELIVERABLES_MAX, b.DELIVERABLE_MAX_CHARS),
    "skills": _words(b.SKILLS_MIN, b.SKILLS_MAX, b.SKILL_MAX_CHARS),
    "nice_to_have_skills": _words(0, b.NICE_TO_HAVE_MAX, b.SKILL_MAX_CHARS),
    "estimated_hours": {"minimum": b.HOURS_MIN, "maximum": b.HOURS_MAX},
    "budget_cents": {
        "minimum": b.MIN_CENTS_PER_HOUR * b.HOURS_MIN,
        "maximum": b.MAX_BUDGET_CENTS,
        "description": f"Integer cents, at least {b.MIN_CENTS_PER_HOUR} per estimated hour.",
    },
    "deadline": {
        "description": f"{b.DEADLINE_MIN_DAYS}–{b.DEADLINE_MAX_DAYS} days after submission."
    },
    "employer_name": _text(1, b.NAME_MAX),
    "employer_email": {"format": "email", "maxLength": b.EMAIL_MAX},
    "company": _text(1, b.NAME_MAX),
    "confidential_details": {
        "maxLength": b.CONFIDENTIAL_MAX,
        "description": "Sealed: only the engaged intern reads them, after the NDA (at once "
        "when none is required), until the engagement ends; never in matching, the offer "
        "email or the offer page.",
    },
}
_INTERN_BOUNDS: Final[dict[str, dict[str, Any]]] = {
    "name": _text(1, 120),
    "email": {"format": "email", "maxLength": b.EMAIL_MAX},
    "skills": _words(1, i.SKILLS_MAX, 60),
    "bio": _text(i.BIO_MIN, i.BIO_MAX),
    "hours_per_week": {"minimum": i.HOURS_MIN, "maximum": i.HOURS_MAX},
    "timezone": {"description": "An IANA time zone name, e.g. Europe/Berlin."},
    "portfolio_url": {"description": "An https:// link (at most 500 characters)."},
}
del b, i


def _constrain(schema: dict[str, Any], bounds: dict[str, dict[str, Any]]) -> None:
    for field, extra in bounds.items():
        schema["properties"][field].update(extra)


def _security_schemes() -> dict[str, Any]:
    return {
        "manageToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "The brief's manage token (from POST /api/briefs and its emails); "
            "each expires (MANAGE_LINK_LIFETIME_SECONDS, 30 days by default) and the employer "
            "may revoke all but one (POST /api/briefs/{brief_id}/revoke-links).",
        },
        "apiKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "An API key of the brief's organisation (`mik_…`, POST /api/keys): "
            "opens every brief of the organisation on every employer route until revoked.",
        },
        "financeKey": {
            "type": "http",
            "scheme": "bearer",
            "description": "The finance team's API key, in this header only: a `key` query "
            "parameter is refused with 401.",
        },
        "session": {
            "type": "apiKey",
            "in": "cookie",
            "name": "session",
            "description": "A signed-in person's session (POST /api/signin emails a one-time "
            "link; its page sets the cookie): HttpOnly, Secure, SameSite=Lax, 14 days.",
        },
        "financeSession": {
            "type": "apiKey",
            "in": "cookie",
            "name": "finance_session",
            "description": "The session the finance page's sign-in form (POST /finance/signin) "
            "sets: HttpOnly, Secure, SameSite=Strict, 8 hours.",
        },
        "internTaskToken": {
            "type": "http",
            "scheme": "bearer",
            "description": "Any task token of the intern (the token in a task link we emailed "
            "them): it identifies the intern on the open-briefs routes.",
        },
        "stripeSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "Stripe-Signature",
            "description": "Stripe's signature of the raw body with the endpoint's secret.",
        },
        "financeSignature": {
            "type": "apiKey",
            "in": "header",
            "name": "webhook-signature",
            "description": "Standard Webhooks signature (with webhook-id, webhook-timestamp).",
        },
    }


# -- paths ----------------------------------------------------------------------------------


def _ref(model: type[BaseModel] | str) -> dict[str, str]:
    name = model if isinstance(model, str) else model.__name__
    return {"$ref": REF.format(model=name)}


def _json(
    schema: dict[str, Any], example: dict[str, Any] | None = None, media_type: str = JSON
) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": schema}
    if example is not None:
        media["example"] = copy.deepcopy(example)
    return {"content": {media_type: media}}


def _operation(
    operation_id: str,
    summary: str,
    tag: str,
    ok: tuple[int, type[BaseModel] | dict[str, Any] | None, str],
    errors: tuple[int, ...],
    *,
    body: dict[str, Any] | None = None,
    body_required: bool = True,
    example: dict[str, Any] | None = None,
    security: str | None = None,  # a scheme's name; "a|b": either one
    parameters: list[dict[str, Any]] | None = None,
    media: str = JSON,  # the success answer's media type
) -> dict[str, Any]:
    status, model, description = ok  # the answer's model, or its schema
    success: dict[str, Any] = {"description": description}
    if model is not None:
        success |= _json(model if isinstance(model, dict) else _ref(model), media_type=media)
    op: dict[str, Any] = {
        "operationId": operation_id,
        "summary": summary,
        "tags": [tag],
        "responses": {
            str(status): success,
            **{
                str(code): {"description": ERROR_TEXT[code], **_json(_ref(s.ErrorResponse))}
                for code in errors
            },
        },
    }
    if security:
        op["security"] = [{name: []} for name in security.split("|")]
    if parameters:
        op["parameters"] = parameters
    if body is not None:
        op["requestBody"] = {"required": body_required, **_json(body, example)}
    return op


def _path_param(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _header(name: str, description: str, *, required: bool) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": required,
        "description": description,
        "schema": {"type": "string"},
    }


def _query(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string"},
    }


BRIEF_ID = _path_param("brief_id", "The brief's id (from POST /api/briefs).")
TOKEN = _path_param("token", "The task link's token (from the intern's email).")
BUSY = (503,)  # a throttled store answers 503 with Retry-After on every route
# An employer route: the brief's manage token, an API key of its organisation, or the session
# of one of its organisation's people (issue 14).
EMPLOYER = "manageToken|apiKey|session"
CERTIFICATE_CHOICES: Final = ("show-rating", "hide-rating", "list", "unlist", "share-contact")
PATH_PARAMS: Final[dict[str, dict[str, Any]]] = {
    "brief_id": BRIEF_ID,
    "token": TOKEN,
    "certificate_id": _path_param("certificate_id", "The certificate's id (its public URL's end)."),
    "key_id": _path_param("key_id", "The key's id (from POST /api/keys)."),
    "choice": {
        **_path_param(
            "choice",
            "show-rating / hide-rating: the employer's rating on your certificate (re-signed); "
            "list / unlist: on your public portfolio; share-contact: your name and email to "
            "the employer who said it is interested in hiring you.",
        ),
        "schema": {"type": "string", "enum": list(CERTIFICATE_CHOICES)},
    },
}

# -- the tables -------------------------------------------------------------------------------
# One row an operation: (method, path, operationId, summary, (status, response, text), errors,
# body). The response is a model or a schema; the body a model (required), (model, False) for an
# optional one, or None; the path's {parameters} come from PATH_PARAMS; every operation of a
# table may also answer 503 (busy).

Body = type[BaseModel] | tuple[type[BaseModel], bool] | None
Row = tuple[str, str, str, str, tuple[int, Any, str], tuple[int, ...], Body]
EMPTY: Final = (s.EmptyBody, False)
DONE: Final = (200, s.ActionDone, "Done.")
EDIT: Final = (400, 401, 403, 404, 409, 422)  # an employer's action with a body
TASK: Final = (400, 403, 404, 409, 422)  # an intern's action on the task link
UPLOAD: Final = (200, s.UploadForm, "A presigned S3 POST.")


def _array(model: type[BaseModel]) -> dict[str, Any]:
    return {"type": "array", "items": _ref(model)}


def _table(tag: str, security: str | None, rows: list[Row]) -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for method, path, operation_id, summary, ok, errors, body in rows:
        model, required = body if isinstance(body, tuple) else (body, True)
        paths.setdefault(path, {})[method] = _operation(
            operation_id,
            summary,
            tag,
            ok,
            (*errors, *BUSY),
            body=_ref(model) if model is not None else None,
            body_required=required,
            security=security,
            parameters=[PATH_PARAMS[name] for name in re.findall(r"{(\w+)}", path)],
        )
    return paths


# -- messages and sealed details (issue 15a): the thread of an engagement (employer: manage
# token; intern: task link). A token that does not open the thread is answered 404, like an
# unknown id.
LISTED: Final = (
    "The thread, oldest first. Reading it marks nothing read: `POST …/messages/read` does."
)
READ: Final = (
    "Mark the thread read on the caller's side, up to the message `until` (without it, the "
    "newest). Until then the other party's messages count as unread and the batched email "
    "about them goes out after its 10-minute quiet period. Never backwards; a repeat changes "
    "nothing; an id that is not the thread's: 422."
)
READ_OK: Final = (200, ms.MessagesRead, "How far the caller has read.")
POSTED: Final = (
    "Send a message (from acceptance until 30 days after the engagement ends; then 409). The "
    "other party is emailed a link, at most once per 10 minutes."
)
MESSAGE_FILE: Final = (
    "Where to upload a file for a message (≤ 10 MB, private); send its `file_key` with the message."
)
THREAD: Final = (200, _array(ms.Message), "The messages.")
MESSAGE_EMPLOYER: Final = (400, 401, 404, 409, 422, 429)
MESSAGE_INTERN: Final = (400, 404, 409, 422, 429)

# fmt: off
B = "/api/briefs/{brief_id}"
EMPLOYER_ROWS: Final[list[Row]] = [
    ("get", B, "getBrief", "The brief: status, timeline, shortlist, engagement, escrow, payout.",
     (200, s.BriefView, "The brief as its employer sees it."), (401, 403, 404), None),
    ("post", f"{B}/fund", "fundBrief", "The PaymentIntent to confirm with Stripe to fund escrow.",
     (200, s.FundResponse, "Confirm it with Stripe; the webhook funds the brief."),
     (400, 401, 403, 404, 409, 502), EMPTY),
    ("post", f"{B}/review", "reviewBrief",
     "Approve the delivery, request changes or open a dispute.", DONE, EDIT, s.ReviewRequest),
    ("post", f"{B}/cancel", "cancelBrief", "Cancel the brief (refunded in full when funded).",
     DONE, (400, 401, 403, 404, 409), EMPTY),
    ("post", f"{B}/extend", "extendBrief", "After a missed deadline: give the intern a new one.",
     DONE, EDIT, s.ExtendRequest),
    ("post", f"{B}/rate", "rateBrief", "Rate the intern (1–5) once the engagement is completed.",
     DONE, EDIT, s.RateRequest),
    ("post", f"{B}/resend-confirmation", "resendConfirmationBrief",
     "A brief waiting for its employer's address: email the confirmation link again (counted "
     "against the address's hourly limit).", DONE, (400, 401, 403, 404, 409, 429), EMPTY),
    ("post", f"{B}/revoke-links", "revokeManageLinks",
     "Revoke every other manage link of the brief: only the token sent here (and links emailed "
     "later) keep working; with an API key or a session, every link.",
     (200, s.LinksRevoked, "Revoked."), (400, 401, 403, 404), EMPTY),
    ("get", f"{B}/messages", "listBriefMessages", LISTED, THREAD, (401, 404), None),
    ("post", f"{B}/messages", "postBriefMessage", POSTED, (201, ms.MessagePosted, "Stored."),
     MESSAGE_EMPLOYER, ms.MessageRequest),
    ("post", f"{B}/messages/upload", "uploadBriefMessageFile", MESSAGE_FILE, UPLOAD,
     MESSAGE_EMPLOYER, s.UploadRequest),
    ("post", f"{B}/messages/read", "readBriefMessages", READ, READ_OK, (400, 401, 404, 422),
     (ms.ReadRequest, False)),
    ("post", f"{B}/confidential-files", "uploadConfidentialFile",
     "Where to upload a confidential attachment (≤ 10 MB, private); then attach its `file_key`.",
     UPLOAD, MESSAGE_EMPLOYER, s.UploadRequest),
    ("post", f"{B}/confidential-files/attach", "attachConfidentialFile",
     "Add an uploaded file to the brief's sealed details.",
     (201, ms.ConfidentialAttached, "Attached."), MESSAGE_EMPLOYER, ms.ConfidentialFile),
    ("post", f"{B}/hiring-interest", "flagHiringInterest",
     "On a completed brief: tell the intern you are interested in hiring them; their contact "
     "is shown to you only if they choose to share it.",
     (200, cs.HiringInterest, "The intern was told."), (400, 401, 403, 404, 409), EMPTY),
]

T = "/api/tasks/{token}"
TASK_ROWS: Final[list[Row]] = [
    ("post", f"{T}/accept", "taskAccept", "Accept the offer.", DONE, TASK, EMPTY),
    ("post", f"{T}/decline", "taskDecline", "Decline the offer (or the engagement).", DONE,
     TASK, EMPTY),
    ("post", f"{T}/nda", "taskNda", "Sign the NDA with your full name.",
     (200, s.NdaSigned, "Done."), TASK, s.NdaRequest),
    ("post", f"{T}/deliver", "taskDeliver", "Deliver: a summary and a link or file.",
     (200, s.Delivered, "Done."), TASK, s.DeliverRequest),
    ("post", f"{T}/upload", "taskUpload", "Where to upload a file (≤ 10 MB).",
     (200, s.UploadForm, "Done."), TASK, s.UploadRequest),
    ("post", f"{T}/rate", "taskRate", "Rate the employer once completed.", DONE, TASK,
     s.RateRequest),
    ("get", T, "getTask",
     "The task link's project: brief_id, title, status, pay and — only for the engaged intern "
     "past the NDA, while the engagement runs — the confidential details (each such answer is "
     "a view the employer sees).", (200, ms.TaskSummary, "The project."), (404,), None),
    ("get", f"{T}/messages", "listTaskMessages", LISTED, THREAD, (404,), None),
    ("post", f"{T}/messages", "postTaskMessage", POSTED, (201, ms.MessagePosted, "Stored."),
     MESSAGE_INTERN, ms.MessageRequest),
    ("post", f"{T}/messages/upload", "uploadTaskMessageFile", MESSAGE_FILE, UPLOAD,
     MESSAGE_INTERN, s.UploadRequest),
    ("post", f"{T}/messages/read", "readTaskMessages", READ, READ_OK, (400, 404, 422),
     (ms.ReadRequest, False)),
    ("post", f"{T}/certificate/{{choice}}", "certificateChoice",
     "The intern's choices about their certificate and an employer's hiring interest.",
     (200, cs.CertificateChoice, "Done."), (400, 403, 404, 422), EMPTY),
]

WITHDRAW: Final = "Withdraw your application (nothing to withdraw answers the same)."
OPEN_BRIEF_ROWS: Final[list[Row]] = [  # issue 17
    ("get", "/api/open-briefs", "listOpenBriefs",
     "Open briefs that fit your skills: public summaries, pay after the fee.",
     (200, ob.OpenBriefs, "The open briefs, best fit first."), (401, 403, 404), None),
    ("post", "/api/open-briefs/{brief_id}/interest", "applyToOpenBrief",
     "Apply to an open brief with an optional one-line note; once per brief.",
     (201, ob.Interest, "Applied (a repeat answers the first application)."),
     (400, 401, 403, 404, 409, 422, 429), (ob.InterestRequest, False)),
    ("delete", "/api/open-briefs/{brief_id}/interest", "withdrawFromOpenBrief", WITHDRAW,
     (200, ob.Interest, "Withdrawn."), (401, 403), None),
    ("post", "/api/open-briefs/{brief_id}/withdraw", "withdrawApplication", WITHDRAW,
     (200, ob.Interest, "Withdrawn."), (400, 401, 403), EMPTY),
]

ACCOUNT_ROWS: Final[list[Row]] = [  # issue 14
    ("get", "/api/me", "me", "The signed-in person: email, roles, organisation.",
     (200, a.Me, "The person."), (401,), None),
    ("get", "/api/me/briefs", "myBriefs",
     "The briefs of the signed-in person's organisation, newest first.",
     (200, _array(a.MyBrief), "The briefs."), (401,), None),
    ("post", "/api/keys", "createApiKey",
     "Create an API key of the signed-in person's organisation (shown once).",
     (201, a.ApiKeyCreated, "The key: store it now, it is never shown again."),
     (400, 401, 403, 422), (a.ApiKeyRequest, False)),
    ("get", "/api/keys", "listApiKeys", "The organisation's API keys (never the keys themselves).",
     (200, a.ApiKeys, "The keys."), (401, 403), None),
    ("delete", "/api/keys/{key_id}", "revokeApiKey",
     "Revoke an API key: it stops working at once.", (200, a.ApiKeyRevoked, "Revoked."),
     (401, 403, 404), None),
    ("get", "/api/me/engagements", "myEngagements",
     "The signed-in intern's open offer and engagements, with the pay and what the ledger has "
     "paid (an empty list for a person who is not an intern).",
     (200, _array(a.MyEngagement), "The engagements."), (401,), None),
]

CERTIFICATE_ROWS: Final[list[Row]] = [  # issue 15: public
    ("get", "/api/certificates/{certificate_id}", "getCertificate",
     "A completion certificate, its signature and whether it stands (public).",
     (200, cs.CertificateEnvelope, "The signed certificate."), (404,), None),
    ("get", "/.well-known/microintern-keys.json", "getCertificateKeys",
     "The public keys that sign certificates (PEM and JWK, with key_id).",
     (200, cs.KeySet, "The key set."), (), None),
]
# fmt: on
del B, T


def _paths() -> dict[str, Any]:
    paths: dict[str, Any] = {
        "/health": {
            "get": _operation(
                "health", "Liveness.", "platform", (200, s.Health, "The API answers."), ()
            )
        },
        "/api/briefs": {
            "post": _operation(
                "submitBrief",
                "Submit a project brief; the employer is emailed its manage link.",
                "employer",
                (201, s.BriefSubmitted, "Stored, and its engagement started."),
                (400, 409, 422, 429, *BUSY),
                body=_ref(BriefInput),
                example=s.BRIEF_EXAMPLE,
                parameters=[
                    _header(
                        "Idempotency-Key",
                        "A retried submission with the same key returns the first result.",
                        required=False,
                    )
                ],
            )
        },
        **_table("employer", EMPLOYER, EMPLOYER_ROWS),
        "/api/interns": {
            "post": _operation(
                "registerIntern",
                "Register an intern profile; the intern is emailed a welcome.",
                "intern",
                (201, s.InternRegistered, "Registered."),
                (400, 409, 422, 429, *BUSY),
                body=_ref(InternInput),
                example=s.INTERN_EXAMPLE,
            )
        },
        **_table("intern", None, TASK_ROWS),
        "/webhooks/stripe": {
            "post": _operation(
                "stripeWebhook",
                "Stripe's events (payment_intent.*, charge.refunded, account.updated…).",
                "webhooks",
                (200, s.StripeReceipt, "Verified; each event id takes effect once."),
                (400, 401, 404, 409, 422, *BUSY),
                body=_ref(s.StripeEvent),
                security="stripeSignature",
            )
        },
        "/webhooks/finance": {
            "post": _operation(
                "financeWebhook",
                "Finance's decisions: payout.approved, payout.rejected, dispute.resolved.",
                "webhooks",
                (200, s.FinanceReceipt, "Applied (or a duplicate: nothing changed)."),
                (400, 401, 404, 409, 422, *BUSY),
                body={
                    "oneOf": [
                        _ref(s.PayoutApprovedEvent),
                        _ref(s.PayoutRejectedEvent),
                        _ref(s.DisputeResolvedEvent),
                    ],
                    "description": "A finance decision, signed as Standard Webhooks.",
                },
                security="financeSignature",
                parameters=[
                    _header("webhook-id", "The delivery's id.", required=True),
                    _header("webhook-timestamp", "Unix seconds.", required=True),
                ],
            )
        },
        "/api/finance/payouts": {
            "get": _operation(
                "listPayouts",
                "Payouts waiting for finance and those decided in the last 30 days.",
                "finance",
                (200, s.Payouts, "The payouts."),
                (401, 403, *BUSY),
                security="financeKey|financeSession",
            )
        },
        "/api/finance/ledger.csv": {
            "get": _operation(
                "ledgerCsv",
                "Every journal line in a range (≤ 24 months) as CSV; amounts sum to zero.",
                "finance",
                (200, {"type": "string"}, "The ledger lines."),
                (401, 403, 422, *BUSY),
                security="financeKey|financeSession",
                parameters=[
                    _query("from", "ISO date or date-time (UTC without an offset)."),
                    _query("to", "ISO date (that whole day) or date-time (exclusive)."),
                ],
                media="text/csv",
            )
        },
        **_table("intern", "internTaskToken|session", OPEN_BRIEF_ROWS),
        "/openapi.json": {
            "get": {
                "operationId": "openapi",
                "summary": "This document.",
                "tags": ["platform"],
                "responses": {
                    "200": {
                        "description": "OpenAPI 3.1.",
                        **_json({"type": "object"}),
                    }
                },
            }
        },
        **_table("certificates", None, CERTIFICATE_ROWS),
        "/api/signin": {
            "post": _operation(
                "signIn",
                "Email a one-time sign-in link (15 minutes); 202 whatever the address.",
                "accounts",
                (202, a.SignInAccepted, "Accepted (nothing says whether an account exists)."),
                (400, 422, 429, *BUSY),
                body=_ref(a.SignInRequest),
                example={"email": "dana@freshbox.example"},
            )
        },
    }
    for path, operations in _table("accounts", "session", ACCOUNT_ROWS).items():
        paths.setdefault(path, {}).update(operations)
    return paths
