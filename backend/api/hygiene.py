"""Input hygiene: what no route may receive, refused once for every route, before it runs.

Every route class of the app (``backend.api.routing``) gives its endpoint one more dependency,
:func:`screen`, solved right after the route's guard (so 401 and 403 still come first) and
before any other dependency, the route's parameters, its body's validation, the database:

* **Characters text cannot hold.** A string anywhere in the request (path parameter, query
  parameter, form field, JSON body at any depth, keys included) holding a control character
  (C0 but tab, newline and carriage return; DEL; C1), a bidirectional embedding, override or
  isolate (U+202A-U+202E, U+2066-U+2069: they make a name or a reason display other than it
  reads, in the dashboard, the audit trail and its CSV export) is a 422 ``control_character``
  naming the field; a lone surrogate (a JSON ``\\ud800`` escape: not Unicode, no database can
  store it) is a 422 ``invalid_unicode``. PostgreSQL refuses text with NUL (a 500 before, and
  an empty 200 on a streamed export), SQLite stored it: both engines now answer the same,
  and nothing is counted, written or audited. Other format characters (zero-width joiners,
  marks, soft hyphens) are ordinary text in some languages and pass.
* **Query parameters the route does not declare.** A 422 ``unknown_parameter`` naming it (a
  typo such as ``actr=admin`` used to return everything, unfiltered). ``lang`` is accepted by
  every route (the dashboard sends its language along; a route that words nothing ignores it).
* **The body's content type.** A JSON route sent a body of another type (or none named) is a
  415 ``unsupported_media_type`` (reason ``expected_application_json``); the login form sent
  anything but a form, reason ``expected_form``.

Cost on the hot path (a scoring GET: one path parameter, ``lang``): one regex search per
string. A JSON body is not parsed a second time unless its raw bytes hold a backslash (an
escape), DEL, NUL or the UTF-8 of a C1 control, a bidi control or a surrogate: a character
this check refuses can reach a parsed string in no other way (raw C0 bytes inside a JSON
string are already a decode error).
"""

from __future__ import annotations

import functools
import inspect
import json
import re
from collections.abc import Callable, Iterator
from typing import Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.params import Form

from backend.errors import ApiProblem, ErrorCode

# C0 but tab (09), newline (0A), carriage return (0D); DEL and C1; bidi embedding/override
# (202A-202E) and isolates (2066-2069); surrogates (lone ones only survive JSON decoding).
FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# The UTF-8 of a C1 control, a bidi control or a surrogate (json.loads decodes with surrogatepass).
_UTF8_SUSPECT = re.compile(rb"\xc2[\x80-\x9f]|\xe2\x80[\xaa-\xae]|\xe2\x81[\xa6-\xa9]|\xed[\xa0-\xbf]")
# In a body that parsed as JSON, every backslash starts an escape; an escaped backslash is
# consumed whole (the JSON text "\\\\u0000" is a backslash and "u0000", not NUL). Group 1: an
# escape that decodes to a FORBIDDEN character or to a surrogate (a pair, an emoji, is told
# apart by the parse).
_BAD_ESCAPE = re.compile(
    rb"\\(?:\\|(u(?:000[0-8bBcCeEfF]|001[0-9a-fA-F]|007[fF]|00[89][0-9a-fA-F]|202[a-eA-E]|206[6-9]"
    rb"|[dD][89a-fA-F][0-9a-fA-F]{2})|[bf]))")
# Accepted by every route whether it declares it or not.
TOLERATED_QUERY = frozenset({"lang"})
# A parameter name echoed back in a refusal; anything else (a raw client id sent as a name)
# is reported as "query" without being repeated.
_ECHOABLE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9.+-]{1,64}/[A-Za-z0-9.+-]{1,64}")
FORM_TYPES = frozenset({"application/x-www-form-urlencoded", "multipart/form-data"})
MAX_REPORTED = 20  # problems listed in one refusal
PARAMETER = "octroi_screen"  # the endpoint parameter that carries the dependency


def suspect(body: bytes) -> bool:
    """Whether a string parsed from the JSON ``body`` (valid: FastAPI parsed it) may hold a
    FORBIDDEN character: raw, as DEL, NUL (a UTF-16/32 body too) or the UTF-8 of a C1 control,
    a bidi control or a surrogate (raw C0 bytes in a JSON string fail to decode), or escaped.
    An escaped accent (``\\u00e9``, what Python clients send) is not suspect: such a body is
    not parsed a second time. Under 1 us for 500 bytes (a parse: 6-12 us, then the walk)."""
    if b"\x00" in body or b"\x7f" in body:
        return True
    if not body.isascii() and _UTF8_SUSPECT.search(body) is not None:
        return True
    return b"\\" in body and any(escape.group(1) for escape in _BAD_ESCAPE.finditer(body))


def problem(loc: tuple[Any, ...], text: str, *, key: bool = False) -> dict[str, Any] | None:
    """The validation error of a string holding a FORBIDDEN character (None: it holds none).
    The value itself is never repeated, only the character's code point and its position."""
    found = FORBIDDEN.search(text)
    if found is None:
        return None
    point = ord(found.group())
    where = f"(U+{point:04X}) at character {found.start() + 1}"
    subject = "a key contains" if key else "contains"
    if 0xD800 <= point <= 0xDFFF:
        return {"loc": loc, "type": "invalid_unicode",
                "msg": f"{subject} a lone surrogate {where}, which is not Unicode text"}
    if point >= 0x2000:
        message = f"{subject} a bidirectional formatting character {where}, which reorders how text displays"
    else:
        message = f"{subject} a control character {where}; only tab, newline and carriage return are allowed"
    return {"loc": loc, "type": "control_character", "msg": message}


def _walk(value: Any, loc: tuple[Any, ...]) -> Iterator[dict[str, Any]]:
    """The problems of every string in a parsed JSON value, keys included, without recursion
    (a body nested a thousand deep must not overflow the stack)."""
    pending: list[tuple[Any, tuple[Any, ...]]] = [(value, loc)]
    while pending:
        item, where = pending.pop()
        if isinstance(item, str):
            if (found := problem(where, item)) is not None:
                yield found
        elif isinstance(item, dict):
            for name, child in reversed(item.items()):
                if (found := problem(where, name, key=True)) is not None:
                    yield found
                pending.append((child, (*where, name)))
        elif isinstance(item, list):
            pending.extend((child, (*where, index)) for index, child in reversed(list(enumerate(item))))


def _media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";", 1)[0].strip().lower()


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or (media_type.startswith("application/") and media_type.endswith("+json"))


def _wrong_type(media_type: str, expected: str, reason: str) -> ApiProblem:
    sent = media_type if _MEDIA_TYPE.fullmatch(media_type) else ("none" if not media_type else "another type")
    return ApiProblem(415, ErrorCode.unsupported_media_type,
                      f"content-type: the body must be sent as {expected} (sent: {sent})",
                      field="content-type", reasons=(reason,))


class _Inputs:
    """What a route declares: its query parameters' names, and its body's kind."""

    __slots__ = ("body", "query")

    def __init__(self, dependant: Any) -> None:
        query: set[str] = set()
        body_params: list[Any] = []
        pending = [dependant]
        while pending:
            current = pending.pop()
            for field in current.query_params:
                annotation = getattr(field.field_info, "annotation", None)
                model_fields = getattr(annotation, "model_fields", None)
                if isinstance(model_fields, dict):  # a pydantic model as the query's parameters
                    query.update(info.alias or name for name, info in model_fields.items())
                else:
                    query.add(field.alias)
            body_params.extend(current.body_params)
            pending.extend(current.dependencies)
        self.query = frozenset(query)
        if not body_params:
            self.body: str | None = None
        else:
            self.body = "form" if any(isinstance(f.field_info, Form) for f in body_params) else "json"


def _inputs(request: Request) -> _Inputs:
    """The declarations of the route serving ``request``: the effective route (with its
    router's prefix and dependencies) FastAPI keeps in the scope, else the route itself;
    computed once, kept on that object."""
    holder = (request.scope.get("fastapi") or {}).get("effective_route_context") or request.scope.get("route")
    inputs = getattr(holder, "octroi_inputs", None)
    if inputs is None:
        inputs = _Inputs(holder.dependant)  # type: ignore[union-attr]
        try:
            holder.octroi_inputs = inputs  # type: ignore[union-attr]
        except AttributeError:  # a class with slots: computed per request (microseconds)
            pass
    return inputs


def _unknown(name: str, declared: frozenset[str]) -> dict[str, Any]:
    allowed = sorted(declared | TOLERATED_QUERY)
    echo = _ECHOABLE_NAME.fullmatch(name) is not None
    message = ("unknown query parameter" if echo else "an unknown query parameter") + (
        f"; this route accepts: {', '.join(allowed)}" if declared else "; this route takes none but lang")
    return {"loc": ("query", name if echo else "query"), "type": "unknown_parameter", "msg": message}


async def screen(request: Request) -> None:
    """Refuse what no route may receive (module docstring); nothing when the request is clean."""
    inputs = _inputs(request)
    found: list[dict[str, Any]] = []
    for name, value in request.path_params.items():
        if isinstance(value, str) and (bad := problem(("path", name), value)) is not None:
            found.append(bad)
    if request.scope.get("query_string"):
        for name, value in request.query_params.multi_items():
            if name not in inputs.query and name not in TOLERATED_QUERY:
                found.append(_unknown(name, inputs.query))
            elif (bad := problem(("query", name), value)) is not None:
                found.append(bad)
    if inputs.body == "json":
        body = await request.body()  # read (and kept) by FastAPI already
        if body:
            media_type = _media_type(request)
            if not _is_json(media_type):
                raise _wrong_type(media_type, "application/json", "expected_application_json")
            if suspect(body):
                try:
                    parsed = json.loads(body)
                except ValueError:  # FastAPI answers it (it parsed the same bytes)
                    parsed = None
                found.extend(_walk(parsed, ("body",)))
    elif inputs.body == "form":
        media_type = _media_type(request)
        if media_type not in FORM_TYPES:
            # Starlette reads no body it cannot parse as a form: it is still there to measure.
            if await request.body():
                raise _wrong_type(media_type, "application/x-www-form-urlencoded", "expected_form")
        else:
            for name, value in (await request.form()).multi_items():  # parsed by FastAPI already
                if isinstance(value, str) and (bad := problem(("body", name), value)) is not None:
                    found.append(bad)
    if found:
        raise RequestValidationError(found[:MAX_REPORTED])


def screened(endpoint: Callable[..., Any], after: str | None = None) -> Callable[..., Any]:
    """``endpoint`` with :func:`screen` as one more dependency, solved first, or right after
    the parameter ``after`` (the route's guard, so 401 and 403 still come first)."""
    try:
        signature = inspect.signature(endpoint, eval_str=True)
    except NameError:
        signature = inspect.signature(endpoint)
    if PARAMETER in signature.parameters:
        return endpoint
    # Keyword-only: FastAPI calls an endpoint with keywords, and a dependency with a default
    # may then sit before parameters without one.
    parameters = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in signature.parameters.values()]
    names = [p.name for p in parameters]
    at = names.index(after) + 1 if after in names else 0
    parameters.insert(at, inspect.Parameter(PARAMETER, inspect.Parameter.KEYWORD_ONLY, default=Depends(screen)))

    if inspect.iscoroutinefunction(endpoint):
        @functools.wraps(endpoint)
        async def checked(**values: Any) -> Any:
            del values[PARAMETER]
            return await endpoint(**values)
    else:
        @functools.wraps(endpoint)
        def checked(**values: Any) -> Any:
            del values[PARAMETER]
            return endpoint(**values)

    checked.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    return checked
