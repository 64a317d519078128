"""The per-process cache of verified tokens (``security.tokens._signed_claims``): it spares the
signature check of a token already verified, and nothing else. Expiry, the signing key's grace
period and the token type are checked on every use; a forged or altered token is never served
from it. Revocation (disabled user, new role, ended session) is read from the database on every
request and takes effect at once, cached token or not: tests/test_request_path.py."""

from __future__ import annotations

import base64
import json

import pytest

import security.tokens as tokens
from security.tokens import TokenConfig, TokenError, decode_token, issue_access_token

KEY = "cache-test-key-" + "k" * 40
OTHER_KEY = "other-test-key-" + "o" * 40


@pytest.fixture(autouse=True)
def _empty_cache():
    tokens._signed_claims.cache_clear()
    yield
    tokens._signed_claims.cache_clear()


def _cached() -> int:
    return tokens._signed_claims.cache_info().currsize


def _with_payload(token: str, **changes: object) -> str:
    """``token`` with its payload changed and its signature kept (what a forger can do)."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    forged = base64.urlsafe_b64encode(json.dumps({**claims, **changes}).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def test_a_cached_token_is_refused_once_expired_and_the_refusal_names_its_subject(monkeypatch):
    config = TokenConfig(key=KEY)
    issued = issue_access_token(config, "alice", "advisor")
    assert decode_token(config, issued.token, "access")["sub"] == "alice"
    assert _cached() == 1
    expires = int(issued.expires_at.timestamp())
    # The clock one second past the expiry (python-jose's rule: refused once now > exp).
    monkeypatch.setattr(tokens, "timegm", lambda _: expires + 1)
    with pytest.raises(TokenError, match="token expired") as refused:
        decode_token(config, issued.token, "access")
    assert refused.value.claims is not None and refused.value.claims["sub"] == "alice"
    # At the expiry second itself it was still valid, as python-jose has it.
    monkeypatch.setattr(tokens, "timegm", lambda _: expires)
    assert decode_token(config, issued.token, "access")["sub"] == "alice"


def test_a_forged_or_unsigned_token_is_refused_every_time_and_never_cached():
    config = TokenConfig(key=KEY)
    genuine = issue_access_token(config, "alice", "advisor").token
    decode_token(config, genuine, "access")
    promoted = _with_payload(genuine, role="admin")
    foreign = issue_access_token(TokenConfig(key=OTHER_KEY), "alice", "advisor").token
    header, payload, _ = genuine.split(".")
    unsigned = (base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
                + f".{payload}.")
    for attempt in (promoted, foreign, unsigned, genuine[:-2], "not-a-token"):
        for _ in range(2):
            with pytest.raises(TokenError):
                decode_token(config, attempt, "access")
    assert _cached() == 1  # only the genuine token


def test_claims_handed_out_are_copies():
    config = TokenConfig(key=KEY)
    token = issue_access_token(config, "alice", "advisor").token
    first = decode_token(config, token, "access")
    first["role"] = "admin"
    first["sub"] = "mallory"
    again = decode_token(config, token, "access")
    assert (again["sub"], again["role"]) == ("alice", "advisor")


def test_a_cached_access_token_is_still_not_a_refresh_token():
    config = TokenConfig(key=KEY)
    token = issue_access_token(config, "alice", "advisor", family="f1").token
    decode_token(config, token, "access")
    with pytest.raises(TokenError, match="not an refresh token"):
        decode_token(config, token, "refresh")


def test_what_was_verified_for_one_audience_or_issuer_is_not_reused_for_another():
    # (A token cached under a previous key stops working when its grace ends:
    # tests/test_key_rotation.py, whose first decode caches it.)
    config = TokenConfig(key=KEY)
    token = issue_access_token(config, "alice", "advisor").token
    decode_token(config, token, "access")
    for other in (TokenConfig(key=KEY, audience="another-api"), TokenConfig(key=KEY, issuer="someone-else")):
        with pytest.raises(TokenError, match="invalid claims"):
            decode_token(other, token, "access")


def test_the_cache_is_bounded():
    assert tokens._signed_claims.cache_info().maxsize == tokens.VERIFIED_CACHE_SIZE
