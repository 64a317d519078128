"""Error responses: always JSON ``{"detail": ..., "code": ...}``, never a stack trace.

``detail`` is for people (it names the field, the value and what is allowed); ``code`` is for
programs: a stable, machine-readable kind from :class:`ErrorCode`. The dashboard branches on
``code`` only, never on the prose. A route that needs a distinct kind raises :class:`ApiProblem`
(an ``HTTPException`` that carries its code); a plain ``HTTPException`` gets its status's
default code, and the 422 handler answers ``validation_error`` with one entry per field.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from enum import StrEnum
from typing import Any

import structlog
from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from backend.middleware import REQUEST_ID_HEADER, SECURITY_HEADERS

log = structlog.get_logger("octroi.errors")


class ErrorCode(StrEnum):
    """Every ``code`` an error body may carry (the OpenAPI enum ``ErrorCode``). Stable: add
    members freely, never rename one (the dashboard and other consumers branch on them)."""

    bad_request = "bad_request"
    validation_error = "validation_error"
    invalid_credentials = "invalid_credentials"
    not_authenticated = "not_authenticated"
    password_change_required = "password_change_required"  # noqa: S105 - an error code
    forbidden = "forbidden"
    not_found = "not_found"
    method_not_allowed = "method_not_allowed"
    conflict = "conflict"
    payload_too_large = "payload_too_large"
    unsupported_media_type = "unsupported_media_type"
    account_locked = "account_locked"
    rate_limited = "rate_limited"
    audit_unavailable = "audit_unavailable"
    model_unavailable = "model_unavailable"
    # Monitoring (#16): the batch job has not stored a result for the serving model yet.
    aggregates_not_computed = "aggregates_not_computed"
    # Its results are held: 1 to 9 people from a published one (ml.disclosure).
    aggregates_held = "aggregates_held"
    service_unavailable = "service_unavailable"
    internal_error = "internal_error"
    # issue 14 (four-eyes on access): the change needs a request a second admin approves;
    # the admin who asked (or the person concerned) cannot decide it.
    approval_required = "approval_required"
    four_eyes = "four_eyes"
    # issue 15 (decision lifecycle): why a decision, contest, review or reproduction is refused now.
    decision_contested = "decision_contested"  # 409: a contest is open; only its review may change it
    contest_open = "contest_open"  # 409: the decision is already contested
    decision_superseded = "decision_superseded"  # 409: a revision replaced it; contest that one
    no_open_contest = "no_open_contest"  # 409: nothing to review
    reviewer_is_decider = "reviewer_is_decider"  # 403: another advisor must review
    snapshot_unavailable = "snapshot_unavailable"  # 409: erased client, or a decision older than snapshots
    model_version_unavailable = "model_version_unavailable"  # 409: the version is not in the registry
    # Two advisors on one file: the decision in force (or the open contest) is not the one the
    # request names as read (409); a review of this advisor's decision made the one in force (403).
    decision_changed = "decision_changed"
    review_final = "review_final"
    # Insider review (findings 3, 4): an admin's unlock refused after too many wrong passwords
    # in 24 h (409); a login session past OCTROI_SESSION_MAX_HOURS (401, sign in again).
    too_many_failures = "too_many_failures"
    session_expired = "session_expired"


DEFAULT_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.bad_request,
    401: ErrorCode.not_authenticated,
    403: ErrorCode.forbidden,
    404: ErrorCode.not_found,
    405: ErrorCode.method_not_allowed,
    409: ErrorCode.conflict,
    413: ErrorCode.payload_too_large,
    415: ErrorCode.unsupported_media_type,
    422: ErrorCode.validation_error,
    429: ErrorCode.rate_limited,
    500: ErrorCode.internal_error,
    503: ErrorCode.service_unavailable,
}


def default_code(status: int) -> ErrorCode:
    if status in DEFAULT_CODES:
        return DEFAULT_CODES[status]
    return ErrorCode.internal_error if status >= 500 else ErrorCode.bad_request


class ApiProblem(HTTPException):
    """An HTTP error with its machine-readable ``code``."""

    def __init__(
        self,
        status_code: int,
        code: ErrorCode,
        detail: str,
        headers: dict[str, str] | None = None,
        *,
        field: str | None = None,
        reasons: Sequence[str] = (),
    ) -> None:
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.code = code
        # Names its field like the validation handler does (``errors``), one entry per broken
        # rule with its machine-readable ``reason`` (the dashboard words it in its language).
        message = detail.removeprefix(f"{field}: ")
        self.errors = [{"field": field, "message": message, "reason": reason} for reason in reasons or ("invalid",)
                       ] if field else []

    @classmethod
    def for_field(cls, status_code: int, field: str, detail: str, reasons: Sequence[str] = ()) -> ApiProblem:
        """A refusal about one field, with the status's default code."""
        return cls(status_code, default_code(status_code), detail, field=field, reasons=reasons)


def error_body(status: int, detail: str, code: ErrorCode | str | None = None, **extra: Any) -> dict:
    return {"detail": detail, "code": str(code or default_code(status)), **extra}


def _field_path(loc: tuple | list) -> str:
    # Drop the "body"/"query"/"path" prefix: users care about the field, not the transport
    # (the body as a whole, e.g. not JSON at all, is "body").
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        return ".".join(parts[1:]) or parts[0]
    return ".".join(parts) or "request"


_DATE_TYPES = {"datetime_parsing", "datetime_from_date_parsing", "datetime_type"}
_DATE_EXAMPLE = ("expected an ISO 8601 date-time such as 2026-12-05T22:45:00+01:00 (with its UTC offset) "
                 "or 2026-12-05T21:45:00Z (UTC)")
_SPACE_FOR_PLUS = re.compile(r"\d \d{2}(?::?\d{2})?$")
_OFFSET = re.compile(r"([+-])(\d{2}):?(\d{2})$")


def _message(err: dict, body: Any) -> tuple[str, str]:
    """(field, message) of one validation error, in words a person can act on."""
    loc, message = tuple(err.get("loc", ())), str(err.get("msg", "invalid"))
    kind, value = err.get("type"), err.get("input")
    if kind == "json_invalid" and len(loc) == 2 and isinstance(loc[1], int):
        # FastAPI puts the character offset where the field goes: say where, in the body.
        position, error = loc[1], (err.get("ctx") or {}).get("error", "invalid JSON")
        if isinstance(body, str | bytes):
            newline = "\n" if isinstance(body, str) else b"\n"
            line = body.count(newline, 0, position) + 1
            column = position - (body.rfind(newline, 0, position) + 1) + 1
            return "body", f"malformed JSON at line {line}, column {column}: {error}"
        return "body", f"malformed JSON at character {position + 1}: {error}"
    if kind in _DATE_TYPES and isinstance(value, str):
        offset = _OFFSET.search(value)
        if _SPACE_FOR_PLUS.search(value):
            message = "a space where the UTC offset's sign should be: in a URL a '+' reads as a space, write it %2B"
        elif offset and (int(offset.group(2)) > 23 or int(offset.group(3)) > 59):
            sign, hours, minutes = offset.groups()
            message = f"the UTC offset {sign}{hours}:{minutes} is out of range (-23:59 to +23:59)"
        else:
            message = message.removeprefix("Input should be a valid datetime or date, ")
        message = f"{message}; {_DATE_EXAMPLE}"
    return _field_path(loc), message


_CODE_SCHEMA: dict = {"$ref": "#/components/schemas/ErrorCode"}

ERROR_CODE_SCHEMA: dict = {
    "title": "ErrorCode",
    "type": "string",
    "enum": [code.value for code in ErrorCode],
    "description": "Machine-readable kind of error; stable, branch on it rather than on `detail`.",
}

ERROR_BODY_SCHEMA: dict = {
    "title": "ErrorBody",
    "type": "object",
    "required": ["detail", "code"],
    "properties": {
        "detail": {"type": "string", "description": "What is wrong, for a person"},
        "code": _CODE_SCHEMA,
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"},
                   "description": "When the refusal is about a field: which, and why"},
    },
}

FIELD_ERROR_SCHEMA: dict = {
    "type": "object",
    "title": "FieldError",
    "required": ["field", "message", "reason"],
    "properties": {
        "field": {"type": "string"},
        "message": {"type": "string", "description": "What is wrong, in English, for a person"},
        "reason": {"type": "string", "description": (
            "Machine-readable rule the value breaks: pydantic's error type (missing, string_too_long, ...) or "
            "Octroi's own (contains_client_id, password_too_short, username_taken, ...); stable, word it from this")},
    },
}

# The body the 422 handler below really sends; it replaces FastAPI's default
# ``HTTPValidationError`` (``detail`` as a list) in the OpenAPI schema, so generated clients and
# the schema fuzzer (tests/test_fuzz_api.py) see the truth.
VALIDATION_ERROR_SCHEMA: dict = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["detail", "code", "errors"],
    "properties": {
        "detail": {"type": "string", "description": "Every problem as 'field: message; ...'"},
        "code": _CODE_SCHEMA,
        "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldError"}},
    },
}


AUTH_ERRORS = {
    "401": "Missing, invalid or expired access token, or ended session (`not_authenticated`); a "
    "session past its absolute lifetime (`session_expired`)",
    "403": "The role lacks the route's permission (`forbidden`), or a password change is "
    "pending (`password_change_required`)",
}
UNSUPPORTED_MEDIA_TYPE = ("The body is not sent in the route's content type (`unsupported_media_type`; the "
                          "reason names the one expected: `expected_application_json`, `expected_form`)")
_ERROR_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorBody"}}}
_VALIDATION_CONTENT = {"application/json": {"schema": {"$ref": "#/components/schemas/HTTPValidationError"}}}


def _document_errors(schema: dict) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorCode"] = ERROR_CODE_SCHEMA
    components["ErrorBody"] = ERROR_BODY_SCHEMA
    components["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
    components["FieldError"] = FIELD_ERROR_SCHEMA
    components.pop("ValidationError", None)
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "requestBody" in operation:
                # FastAPI answers 400 when a body cannot even be parsed (bad bytes).
                responses.setdefault("400", {"description": "Unparseable request body"})
                # backend/api/hygiene.py: a body of another type than the route's.
                responses.setdefault("415", {"description": UNSUPPORTED_MEDIA_TYPE})
            # Every route refuses a query parameter it does not declare and a control character
            # in any string (backend/api/hygiene.py), parameterless routes too.
            responses.setdefault("422", {"description": "Validation Error"})
            # Every route behind the bearer scheme can refuse a caller: say so in its contract.
            if operation.get("security"):
                for status, text in AUTH_ERRORS.items():
                    responses.setdefault(status, {"description": text})
            for status, response in responses.items():
                if status[:1] not in {"4", "5"}:
                    continue
                if status == "422":
                    response["content"] = _VALIDATION_CONTENT
                elif not _documents_own_body(response):
                    response["content"] = _ERROR_CONTENT


def _documents_own_body(response: dict) -> bool:
    """A response that names its own schema (e.g. readiness's 503) keeps it."""
    schema = response.get("content", {}).get("application/json", {}).get("schema", {})
    ref = schema.get("$ref", "")
    return bool(ref) and not ref.endswith(("/HTTPValidationError", "/ErrorBody"))


def _install_openapi(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict:
        fresh = app.openapi_schema is None
        schema = generate()
        if fresh:
            _document_errors(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    _install_openapi(app)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_: Request, exc: StarletteHTTPException) -> Response:
        headers = getattr(exc, "headers", None)
        if exc.status_code in (204, 304):  # no body allowed
            return Response(status_code=exc.status_code, headers=headers)
        code = getattr(exc, "code", None) or default_code(exc.status_code)
        detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        errors = getattr(exc, "errors", [])
        extra = {"errors": errors} if errors or exc.status_code == 422 else {}
        return JSONResponse(
            status_code=exc.status_code, content=error_body(exc.status_code, detail, code, **extra), headers=headers
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": field, "message": message, "reason": str(err.get("type", "invalid"))}
            for err in exc.errors()
            for field, message in [_message(err, getattr(exc, "body", None))]
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content=error_body(422, summary, ErrorCode.validation_error, errors=errors))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        request_id = request.scope.get("state", {}).get("request_id")
        # Log the exception type only: messages may carry data we must not log.
        log.error("unhandled_error", error_type=type(exc).__name__, request_id=request_id)
        # Starlette answers unhandled errors outside every middleware: add the headers here,
        # and the request id (support ties the answer to its log line, as for any other).
        headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        return JSONResponse(status_code=500, content=error_body(500, "Internal server error"), headers=headers)
