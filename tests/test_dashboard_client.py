"""The dashboard's API client and catalog, without a server: every failure of the API
becomes a typed error (never a traceback), tokens refresh silently, and both languages say
everything."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import httpx
import pytest

from frontend import i18n
from frontend.api import ApiClient, ApiError, ErrorKind, Tokens
from frontend.config import DashboardConfig, load_config
from frontend.navigation import ROLE_PAGES, pages_for

CONFIG = DashboardConfig("http://api.test", timeout_seconds=2.0, max_response_bytes=1024, refresh_margin_seconds=60)


def _tokens(expires_in: float = 900, refresh: str = "r1") -> Tokens:
    return Tokens("a1", refresh, time.time() + expires_in, "advisor", "alice")


def _client(handler, tokens: Tokens | None = None, sink: list | None = None) -> ApiClient:
    stored = sink if sink is not None else []
    return ApiClient(CONFIG, tokens, stored.append, transport=httpx.MockTransport(handler))


def test_unreachable_api_is_a_typed_error():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ApiError) as caught:
        _client(handler, _tokens()).get("/model")
    assert caught.value.kind is ErrorKind.unreachable


def test_slow_api_is_a_timeout_error():
    def handler(request):
        raise httpx.ReadTimeout("slow", request=request)

    with pytest.raises(ApiError) as caught:
        _client(handler, _tokens()).get("/model")
    assert caught.value.kind is ErrorKind.timeout


def test_non_json_answer_is_malformed():
    with pytest.raises(ApiError) as caught:
        _client(lambda r: httpx.Response(200, text="<html>proxy error</html>"), _tokens()).get("/model")
    assert caught.value.kind is ErrorKind.malformed


def test_answer_bigger_than_the_bound_is_refused_while_streaming():
    big = json.dumps({"x": "y" * 5000})
    with pytest.raises(ApiError) as caught:
        _client(lambda r: httpx.Response(200, text=big), _tokens()).get("/model")
    assert caught.value.kind is ErrorKind.too_large


def test_token_answer_without_tokens_is_malformed():
    with pytest.raises(ApiError) as caught:
        _client(lambda r: httpx.Response(200, json={"role": "advisor"})).login("alice", "pw")
    assert caught.value.kind is ErrorKind.malformed


def test_wrong_credentials_and_lockout_are_distinguished():
    with pytest.raises(ApiError) as wrong:
        _client(lambda r: httpx.Response(401, json={"detail": "Incorrect username or password", "code": "invalid_credentials"})).login("a", "b")
    assert wrong.value.kind is ErrorKind.bad_credentials
    with pytest.raises(ApiError) as locked:
        _client(lambda r: httpx.Response(429, json={"detail": "locked", "code": "account_locked"}, headers={"Retry-After": "840"})).login("a", "b")
    assert locked.value.kind is ErrorKind.locked and locked.value.retry_after == 840


def test_access_token_near_expiry_is_refreshed_before_the_call():
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path.endswith("/auth/refresh"):
            assert json.loads(request.content) == {"refresh_token": "r1"}
            return httpx.Response(200, json={"access_token": "a2", "refresh_token": "r2", "expires_in": 900, "role": "advisor"})
        assert request.headers["authorization"] == "Bearer a2"
        return httpx.Response(200, json={"ok": True})

    sink: list = []
    client = _client(handler, _tokens(expires_in=10), sink)
    assert client.get("/model") == {"ok": True}
    assert calls == ["/api/v1/auth/refresh", "/api/v1/model"]
    assert sink[-1].refresh_token == "r2" and sink[-1].username == "alice"


def test_rejected_access_token_is_refreshed_once_then_retried():
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization", request.url.path))
        if request.url.path.endswith("/auth/refresh"):
            return httpx.Response(200, json={"access_token": "a2", "refresh_token": "r2", "expires_in": 900, "role": "advisor"})
        if request.headers["authorization"] == "Bearer a1":
            return httpx.Response(401, json={"detail": "Invalid or expired token", "code": "not_authenticated"})
        return httpx.Response(200, json=[1, 2])

    assert _client(handler, _tokens()).get("/users") == [1, 2]
    assert seen == ["Bearer a1", "/api/v1/auth/refresh", "Bearer a2"]


def test_refused_refresh_ends_the_session():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/auth/refresh"):
            return httpx.Response(401, json={"detail": "Invalid refresh token", "code": "not_authenticated"})
        return httpx.Response(401, json={"detail": "expired", "code": "not_authenticated"})

    sink: list = []
    with pytest.raises(ApiError) as caught:
        _client(handler, _tokens(), sink).get("/model")
    assert caught.value.kind is ErrorKind.session_expired
    assert sink[-1] is None


def test_pending_password_change_is_recognised():
    answer = {"detail": "Password change required: POST /api/v1/auth/password first", "code": "password_change_required"}
    with pytest.raises(ApiError) as caught:
        _client(lambda r: httpx.Response(403, json=answer), _tokens()).get("/model")
    assert caught.value.kind is ErrorKind.password_change_required


def test_logout_forgets_tokens_even_when_the_api_is_down():
    def handler(request):
        raise httpx.ConnectError("down", request=request)

    sink: list = []
    client = _client(handler, _tokens(), sink)
    client.logout()
    assert client.tokens is None and sink == [None]


def test_validation_detail_is_kept_for_the_user():
    answer = {"detail": "overrides.AMT_CREDIT: must be between 0 and 1e7", "code": "validation_error",
              "errors": [{"field": "overrides.AMT_CREDIT", "message": "must be between 0 and 1e7"}]}
    with pytest.raises(ApiError) as caught:
        _client(lambda r: httpx.Response(422, json=answer), _tokens()).post("/scoring/simulate", {})
    assert caught.value.kind is ErrorKind.invalid
    assert "AMT_CREDIT" in caught.value.detail
    assert caught.value.fields == ("overrides.AMT_CREDIT",)


def test_a_rate_limit_is_not_read_as_a_lockout_whatever_the_prose():
    answer = {"detail": "Too many failed attempts; account locked", "code": "rate_limited"}
    with pytest.raises(ApiError) as caught:
        _client(lambda r: httpx.Response(429, json=answer, headers={"Retry-After": "12"}), _tokens()).get("/clients/1/score")
    assert caught.value.kind is ErrorKind.rate_limited and caught.value.retry_after == 12


def test_the_kind_comes_from_the_code_never_from_the_status_or_prose():
    # Same status and prose as a pending password change, but the code says "forbidden".
    answer = {"detail": "Password change required", "code": "forbidden"}
    with pytest.raises(ApiError) as caught:
        _client(lambda r: httpx.Response(403, json=answer), _tokens()).get("/users")
    assert caught.value.kind is ErrorKind.forbidden
    # An error without the contract's body (e.g. a proxy's HTML page) is not the API talking.
    with pytest.raises(ApiError) as proxy:
        _client(lambda r: httpx.Response(502, text="<html>Bad gateway</html>"), _tokens()).get("/users")
    assert proxy.value.kind is ErrorKind.unavailable


def test_api_url_must_be_http(monkeypatch):
    monkeypatch.setenv("OCTROI_API_URL", "ftp://example")
    with pytest.raises(ValueError, match="OCTROI_API_URL"):
        load_config()
    monkeypatch.setenv("OCTROI_API_URL", "http://127.0.0.1:9/")
    assert load_config().api_url == "http://127.0.0.1:9"


def test_catalog_has_every_key_in_both_languages_with_the_same_placeholders():
    for key, entry in i18n.CATALOG.items():
        assert set(entry) == set(i18n.LANGUAGES), key
        placeholders = {lang: set(re.findall(r"{(\w+)}", text)) for lang, text in entry.items()}
        assert placeholders["fr"] == placeholders["en"], key


def test_every_catalog_key_used_by_the_dashboard_exists():
    used: set[str] = set()
    for path in Path("frontend").rglob("*.py"):
        used |= set(re.findall(r"""\bt\(\s*["']([a-z_]+\.[a-z_.]+)["']""", path.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in i18n.CATALOG)
    assert not missing, missing


def test_french_is_the_default_and_numbers_read_the_local_way():
    assert i18n.DEFAULT_LANGUAGE == "fr"
    assert i18n.percent(0.1234, "fr") == "12,3\xa0%"  # CLDR: a no-break space before %
    assert i18n.percent(0.1234, "en") == "12.3%"
    assert i18n.number(1234567, "fr") == "1\u202f234\u202f567"


def test_each_role_is_given_only_its_own_pages():
    files = {role: {p.file for p in pages} for role, pages in ROLE_PAGES.items()}
    for role, own in files.items():
        given = {p.file for p in pages_for(role)}
        for other, theirs in files.items():
            if other != role:
                assert not (given & theirs), (role, other)
        assert own <= given
    assert [p.file for p in pages_for(None)] == ["screens/login.py"]
    assert [p.file for p in pages_for("advisor", must_change_password=True)] == ["screens/change_password.py"]
    assert [p.file for p in pages_for("intruder")] == ["screens/account.py"]


def test_no_user_data_in_process_wide_streamlit_caches():
    for path in Path("frontend").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        # Decorators and calls, not the docstring that explains why there are none.
        assert not re.search(r"st\.cache_(data|resource)\s*[(\n]|@st\.cache", text), path


def test_the_dashboard_handles_every_error_code_of_the_committed_contract():
    from pathlib import Path

    from frontend.api import CODE_KINDS

    contract = json.loads((Path(__file__).resolve().parents[1] / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert set(CODE_KINDS) == set(contract["components"]["schemas"]["ErrorCode"]["enum"])


def test_amounts_are_in_euros_and_times_in_paris_the_local_way():
    assert i18n.money(15569687, "fr") == "15\u202f569\u202f687\xa0€"
    assert i18n.money(15569687, "en") == "€15,569,687"
    # A tile shows the compact amount (millions), still in euros.
    assert i18n.money_compact(134928866, "fr") == "134,9\xa0M\xa0€"
    assert i18n.money_compact(134928866, "en") == "€134.9M"
    # 10:53 UTC is 11:53 in Paris in winter, 12:53 in summer.
    assert i18n.when("2026-12-01T10:53:00Z", "fr") == "1 déc. 2026, 11:53"
    assert i18n.when("2026-07-01T10:53:00+00:00", "en") == "1 Jul 2026, 12:53"
    # A backtesting cohort (month of import) in words, not "2026-12".
    assert i18n.month("2026-12", "fr") == "décembre 2026" and i18n.month("2026-12", "en") == "December 2026"
    assert i18n.month("unknown", "fr") == "unknown" and i18n.month(None, "fr") == "—"


def test_category_levels_are_shown_in_the_page_language_and_unknown_ones_kept():
    assert i18n.level("Cash loans", "fr") == "Prêt personnel"
    assert i18n.level("Working", "en") == "Employed"
    assert i18n.level("Industry: type 9", "fr") == "Industrie (type 9)"
    assert i18n.level("Something new", "fr") == "Something new"
