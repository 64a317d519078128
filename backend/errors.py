"""Error responses: always JSON, never a stack trace."""

from __future__ import annotations

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from backend.middleware import SECURITY_HEADERS

log = structlog.get_logger("octroi.errors")


def _field_path(loc: tuple | list) -> str:
    # Drop the "body"/"query"/"path" prefix: users care about the field, not the transport.
    parts = [str(p) for p in loc]
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form"}:
        parts = parts[1:]
    return ".".join(parts) or "request"


# The body the 422 handler below really sends; it replaces FastAPI's default
# ``HTTPValidationError`` (``detail`` as a list) in the OpenAPI schema, so generated clients and
# the schema fuzzer (tests/test_fuzz_api.py) see the truth.
VALIDATION_ERROR_SCHEMA: dict = {
    "title": "HTTPValidationError",
    "type": "object",
    "required": ["detail", "errors"],
    "properties": {
        "detail": {"type": "string", "description": "Every problem as 'field: message; ...'"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


AUTH_ERRORS = {
    "401": "Missing, invalid or expired access token, or ended session",
    "403": "The role lacks the route's permission, or a password change is pending",
}
_DETAIL = {"application/json": {"schema": {
    "type": "object", "required": ["detail"], "properties": {"detail": {"type": "string"}},
}}}


def _document_validation_errors(app: FastAPI) -> None:
    generate = app.openapi

    def openapi() -> dict:
        fresh = app.openapi_schema is None
        schema = generate()
        if fresh:
            components = schema.get("components", {}).get("schemas", {})
            if "HTTPValidationError" in components:
                components["HTTPValidationError"] = VALIDATION_ERROR_SCHEMA
                components.pop("ValidationError", None)
            # Every route behind the bearer scheme can refuse a caller: say so in its contract.
            for path_item in schema.get("paths", {}).values():
                for operation in path_item.values():
                    if isinstance(operation, dict) and "requestBody" in operation:
                        # FastAPI answers 400 when a body cannot even be parsed (bad bytes).
                        operation.setdefault("responses", {}).setdefault(
                            "400", {"description": "Unparseable request body", "content": _DETAIL}
                        )
                    if isinstance(operation, dict) and operation.get("security"):
                        responses = operation.setdefault("responses", {})
                        for code, text in AUTH_ERRORS.items():
                            responses.setdefault(code, {"description": text, "content": _DETAIL})
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def install_error_handlers(app: FastAPI) -> None:
    _document_validation_errors(app)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": _field_path(err.get("loc", ())), "message": err.get("msg", "invalid")}
            for err in exc.errors()
        ]
        summary = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        return JSONResponse(status_code=422, content={"detail": summary, "errors": errors})

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Log the exception type only: messages may carry data we must not log.
        log.error(
            "unhandled_error",
            error_type=type(exc).__name__,
            request_id=request.scope.get("state", {}).get("request_id"),
        )
        # Starlette answers unhandled errors outside every middleware: add the headers here.
        headers = {name.decode(): value.decode() for name, value in SECURITY_HEADERS}
        return JSONResponse(status_code=500, content={"detail": "Internal server error"}, headers=headers)
