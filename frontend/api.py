"""The dashboard's only way to the API: HTTP with the logged-in user's own tokens.

``ApiClient`` knows nothing about Streamlit: the caller gives it the current ``Tokens`` and
a callback that stores the new ones, so the tokens live only where the caller keeps them
(``st.session_state``). Every failure becomes an ``ApiError`` with a ``kind`` the pages map
to a sentence of the catalog: a user never sees a traceback, a status code or raw JSON.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

import httpx

from frontend.config import DashboardConfig

API_PREFIX = "/api/v1"


class ErrorKind(StrEnum):
    unreachable = "unreachable"
    timeout = "timeout"
    malformed = "malformed"
    too_large = "too_large"
    bad_credentials = "bad_credentials"
    locked = "locked"
    session_expired = "session_expired"
    password_change_required = "password_change_required"  # noqa: S105 - an error kind
    forbidden = "forbidden"
    not_found = "not_found"
    invalid = "invalid"
    conflict = "conflict"
    rate_limited = "rate_limited"
    unavailable = "unavailable"
    server = "server"


class ApiError(Exception):
    """A request that did not give a usable answer; ``kind`` says why."""

    def __init__(
        self,
        kind: ErrorKind,
        detail: str = "",
        *,
        status: int | None = None,
        retry_after: int | None = None,
        code: str | None = None,
        fields: tuple[str, ...] = (),
        reasons: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__(f"{kind}: {detail}" if detail else str(kind))
        self.kind = kind
        self.detail = detail  # shown to the user (it names the field), never branched on
        self.status = status
        self.retry_after = retry_after
        self.code = code  # the API's machine-readable ErrorCode
        self.fields = fields  # the fields a validation_error names
        self.reasons = reasons  # (field, machine-readable rule) of each FieldError: worded by the dashboard


@dataclass(frozen=True)
class Tokens:
    access_token: str
    refresh_token: str
    expires_at: float  # time.time() seconds
    role: str
    username: str
    must_change_password: bool = False


@dataclass(frozen=True)
class Binary:
    content: bytes
    media_type: str
    filename: str | None


TokenSink = Callable[[Tokens | None], None]


@dataclass(frozen=True)
class Problem:
    """An error body as the contract defines it (``ErrorBody`` / ``HTTPValidationError``)."""

    code: str | None
    detail: str
    fields: tuple[str, ...] = ()
    reasons: tuple[tuple[str, str], ...] = ()


# The API's ``ErrorCode`` (docs/openapi.json) -> what the dashboard does about it. The
# contract test checks that every code of the schema has an entry here.
CODE_KINDS: dict[str, ErrorKind] = {
    "bad_request": ErrorKind.invalid,
    "validation_error": ErrorKind.invalid,
    "invalid_credentials": ErrorKind.bad_credentials,
    "not_authenticated": ErrorKind.session_expired,
    "password_change_required": ErrorKind.password_change_required,
    "forbidden": ErrorKind.forbidden,
    "not_found": ErrorKind.not_found,
    "method_not_allowed": ErrorKind.server,
    "conflict": ErrorKind.conflict,
    "approval_required": ErrorKind.conflict,  # four-eyes: the change waits for a second admin
    "four_eyes": ErrorKind.forbidden,  # e.g. an admin approving their own request
    # decision lifecycle (issue 15): the decision section explains each of these
    "decision_contested": ErrorKind.conflict,
    "contest_open": ErrorKind.conflict,
    "decision_superseded": ErrorKind.conflict,
    "no_open_contest": ErrorKind.conflict,
    "reviewer_is_decider": ErrorKind.forbidden,
    "decision_changed": ErrorKind.conflict,  # the file changed since it was read: the page reads it again
    "review_final": ErrorKind.forbidden,  # a review of this advisor's decision made the one in force
    "snapshot_unavailable": ErrorKind.conflict,
    "model_version_unavailable": ErrorKind.conflict,
    "too_many_failures": ErrorKind.conflict,  # an admin's unlock after too many wrong passwords
    "session_expired": ErrorKind.session_expired,  # past OCTROI_SESSION_MAX_HOURS: sign in again
    "payload_too_large": ErrorKind.too_large,
    "unsupported_media_type": ErrorKind.server,
    "account_locked": ErrorKind.locked,
    "rate_limited": ErrorKind.rate_limited,
    "audit_unavailable": ErrorKind.unavailable,
    "model_unavailable": ErrorKind.unavailable,
    "aggregates_not_computed": ErrorKind.not_found,  # the monitoring page explains it
    "aggregates_held": ErrorKind.not_found,  # so does it (ui.stored_result)
    "service_unavailable": ErrorKind.unavailable,
    "internal_error": ErrorKind.server,
}


def _problem(response_body: bytes) -> Problem:
    """The API's error body; an answer without one (e.g. a proxy's page) has no code."""
    try:
        body = json.loads(response_body)
    except ValueError:
        return Problem(None, "")
    if not isinstance(body, dict):
        return Problem(None, "")
    code = body.get("code") if isinstance(body.get("code"), str) else None
    detail = body.get("detail") if isinstance(body.get("detail"), str) else ""
    items = [item for item in body.get("errors") or [] if isinstance(item, dict) and "field" in item]
    fields = tuple(str(item["field"]) for item in items)
    reasons = tuple((str(item["field"]), str(item.get("reason") or "invalid")) for item in items)
    return Problem(code, detail[:500], fields, reasons)


class ApiClient:
    def __init__(
        self,
        config: DashboardConfig,
        tokens: Tokens | None = None,
        on_tokens: TokenSink | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self._on_tokens = on_tokens or (lambda _tokens: None)
        self._transport = transport

    # -- low level -------------------------------------------------------------------------

    def _client(self) -> httpx.Client:
        return httpx.Client(
            base_url=self.config.api_url,
            timeout=httpx.Timeout(self.config.timeout_seconds, connect=min(5.0, self.config.timeout_seconds)),
            transport=self._transport,
            follow_redirects=False,
        )

    def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
        form: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> tuple[int, httpx.Headers, bytes]:
        headers = {"Accept": "application/json, application/pdf, text/csv, */*"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        clean_params = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        # httpx bounds each read; this bounds the whole answer, so a server dribbling bytes
        # just under the read timeout cannot hold a dashboard session.
        deadline = time.monotonic() + self.config.timeout_seconds
        try:
            with self._client() as client, client.stream(
                method,
                API_PREFIX + path,
                params=clean_params,
                json=json_body,
                data=form,
                headers=headers,
            ) as response:
                declared = response.headers.get("content-length")
                if declared and declared.isdigit() and int(declared) > self.config.max_response_bytes:
                    raise ApiError(ErrorKind.too_large, status=response.status_code)
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_bytes():
                    if time.monotonic() > deadline:
                        raise ApiError(ErrorKind.timeout, status=response.status_code)
                    size += len(chunk)
                    if size > self.config.max_response_bytes:
                        raise ApiError(ErrorKind.too_large, status=response.status_code)
                    chunks.append(chunk)
                return response.status_code, response.headers, b"".join(chunks)
        except httpx.TimeoutException as exc:
            raise ApiError(ErrorKind.timeout) from exc
        except httpx.TransportError as exc:
            raise ApiError(ErrorKind.unreachable) from exc

    @staticmethod
    def _raise_for_status(status: int, headers: httpx.Headers, body: bytes) -> None:
        """Branch on the body's ``code`` only; an answer without a code is not the API's."""
        if status < 400:
            return
        problem = _problem(body)
        kind = CODE_KINDS.get(problem.code or "")
        if kind is None:
            kind = ErrorKind.unavailable if status in (502, 503, 504) else (
                ErrorKind.server if status >= 500 else ErrorKind.malformed
            )
        retry = headers.get("retry-after", "")
        raise ApiError(
            kind,
            problem.detail if kind in (ErrorKind.invalid, ErrorKind.conflict) else "",
            status=status,
            retry_after=int(retry) if retry.isdigit() else None,
            code=problem.code,
            fields=problem.fields,
            reasons=problem.reasons,
        )

    @staticmethod
    def _json(body: bytes) -> Any:
        try:
            return json.loads(body)
        except ValueError as exc:
            raise ApiError(ErrorKind.malformed) from exc

    def _store(self, tokens: Tokens | None) -> None:
        self.tokens = tokens
        self._on_tokens(tokens)

    def _tokens_from(self, body: Any, username: str) -> Tokens:
        try:
            access = str(body["access_token"])
            refresh = str(body["refresh_token"])
            expires_in = float(body.get("expires_in", 900))
            role = str(body.get("role") or (self.tokens.role if self.tokens else ""))
        except (KeyError, TypeError, ValueError) as exc:
            raise ApiError(ErrorKind.malformed) from exc
        if not access or not refresh or not role:
            raise ApiError(ErrorKind.malformed)
        must_change = bool(body.get("must_change_password") or body.get("password_change_required"))
        return Tokens(
            access_token=access,
            refresh_token=refresh,
            expires_at=time.time() + expires_in,
            role=role,
            username=username,
            must_change_password=must_change,
        )

    # -- session ---------------------------------------------------------------------------

    def login(self, username: str, password: str) -> Tokens:
        status, headers, body = self._send(
            "POST", "/auth/token", form={"username": username, "password": password}
        )
        self._raise_for_status(status, headers, body)
        tokens = self._tokens_from(self._json(body), username)
        self._store(tokens)
        if not tokens.must_change_password:
            # The token answer may not say it; /auth/me does (or refuses with "change it").
            try:
                me = self.get("/auth/me")
                pending = isinstance(me, dict) and bool(me.get("must_change_password"))
            except ApiError as error:
                if error.kind is not ErrorKind.password_change_required:
                    raise
                pending = True
            if pending:
                tokens = replace(tokens, must_change_password=True)
                self._store(tokens)
        return tokens

    def refresh(self) -> Tokens:
        """Rotate the token pair; the session is over when the API refuses."""
        if self.tokens is None:
            raise ApiError(ErrorKind.session_expired)
        status, headers, body = self._send(
            "POST", "/auth/refresh", json_body={"refresh_token": self.tokens.refresh_token}
        )
        try:
            self._raise_for_status(status, headers, body)
        except ApiError as error:
            if error.kind in (ErrorKind.unreachable, ErrorKind.timeout, ErrorKind.unavailable, ErrorKind.server):
                raise
            # Any refusal of the refresh token ends the session.
            self._store(None)
            raise ApiError(ErrorKind.session_expired, status=status, code=error.code) from error
        tokens = self._tokens_from(self._json(body), self.tokens.username)
        tokens = replace(tokens, must_change_password=self.tokens.must_change_password and tokens.must_change_password)
        self._store(tokens)
        return tokens

    def logout(self) -> None:
        """Revoke the refresh family; the local session ends whatever the API answers."""
        tokens = self.tokens
        self._store(None)
        if tokens is None:
            return
        try:
            self._send(
                "POST",
                "/auth/logout",
                json_body={"refresh_token": tokens.refresh_token},
                token=tokens.access_token,
            )
        except ApiError:
            # The user asked to leave: an unreachable API must not keep them logged in here.
            pass

    def _fresh_access_token(self) -> str:
        if self.tokens is None:
            raise ApiError(ErrorKind.session_expired)
        if self.tokens.expires_at - time.time() < self.config.refresh_margin_seconds:
            self.refresh()
        assert self.tokens is not None
        return self.tokens.access_token

    def _authorized(
        self, method: str, path: str, **kwargs: Any
    ) -> tuple[int, httpx.Headers, bytes]:
        status, headers, body = self._send(method, path, token=self._fresh_access_token(), **kwargs)
        if status == 401:
            # The access token may have been revoked or expired early: one silent refresh.
            self.refresh()
            status, headers, body = self._send(method, path, token=self._fresh_access_token(), **kwargs)
            if status == 401:
                self._store(None)
        self._raise_for_status(status, headers, body)
        return status, headers, body

    # -- public calls ----------------------------------------------------------------------

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        _, _, body = self._authorized("GET", path, params=params)
        return self._json(body)

    def post(self, path: str, payload: Any = None, params: Mapping[str, Any] | None = None) -> Any:
        _, _, body = self._authorized("POST", path, json_body=payload, params=params)
        return self._json(body) if body else None

    def patch(self, path: str, payload: Any) -> Any:
        _, _, body = self._authorized("PATCH", path, json_body=payload)
        return self._json(body) if body else None

    def delete(self, path: str) -> Any:
        _, _, body = self._authorized("DELETE", path)
        return self._json(body) if body else None

    def download(self, path: str, params: Mapping[str, Any] | None = None) -> Binary:
        _, headers, body = self._authorized("GET", path, params=params)
        disposition = headers.get("content-disposition", "")
        filename = None
        if "filename=" in disposition:
            filename = disposition.split("filename=", 1)[1].strip().strip('"') or None
        return Binary(body, headers.get("content-type", "application/octet-stream"), filename)

    def change_password(self, current: str, new: str) -> None:
        """The change ends every session of the user, this one too: the answer carries the new
        token pair the dashboard continues with (whoever copied the old tokens holds nothing)."""
        _, _, body = self._authorized(
            "POST", "/auth/password", json_body={"current_password": current, "new_password": new}
        )
        if self.tokens is None:
            return
        answer = self._json(body) if body else None
        if isinstance(answer, dict) and "access_token" in answer:
            self._store(self._tokens_from(answer, self.tokens.username))  # must_change_password: False
        elif self.tokens.must_change_password:
            self._store(replace(self.tokens, must_change_password=False))
