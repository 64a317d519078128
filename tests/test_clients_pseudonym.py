"""Pseudonyms: HMAC-SHA256 under versioned keys, id validation, rotation."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from security.pseudonym import (
    InvalidKeyRing,
    MalformedClientId,
    PseudonymKeyRing,
    normalize_client_id,
)


def test_plain_key_is_version_v1_and_pseudonym_is_hmac_sha256_of_the_decimal_id():
    ring = PseudonymKeyRing.parse("k" * 40)
    pseudonym = ring.pseudonymize("100002")
    assert pseudonym.key_version == "v1"
    expected = hmac.new(b"k" * 40, b"100002", hashlib.sha256).hexdigest()
    assert pseudonym.value == expected
    assert ring.pseudonymize(100002) == pseudonym
    assert "100002" not in pseudonym.value


def test_versioned_ring_uses_the_first_key_and_keeps_old_versions_resolvable():
    old = PseudonymKeyRing.parse("v1:oldkey")
    rotated = PseudonymKeyRing.parse("v2:newkey, v1:oldkey")
    assert rotated.current_version == "v2"
    assert rotated.versions == ("v2", "v1")
    new = rotated.pseudonymize(42)
    assert new.key_version == "v2" and new != old.pseudonymize(42)
    assert rotated.candidates(42) == [new, old.pseudonymize(42)]


@pytest.mark.parametrize("raw", ["", "v2:", ":key", "v 2:key", "v2:a,v2:b", "v1:a,plain"])
def test_malformed_key_rings_are_refused_without_echoing_key_material(raw):
    with pytest.raises(InvalidKeyRing) as info:
        PseudonymKeyRing.parse(raw)
    for secret in ("key", "plain"):
        if secret in raw:
            assert secret not in str(info.value).replace("'version:key'", "")


@pytest.mark.parametrize("raw", ["0", "-5", "abc", "1e5", "12.5", "1234567890123", " ", "+12", True, None, 12.5, 10**12])
def test_malformed_client_ids_are_refused_without_repeating_the_value(raw):
    with pytest.raises(MalformedClientId) as info:
        normalize_client_id(raw)
    assert "positive integer of at most 12 digits" in str(info.value)
    if isinstance(raw, str) and raw.strip():
        assert raw.strip() not in str(info.value)


@pytest.mark.parametrize("raw,expected", [("1", 1), (" 100002 ", 100002), ("999999999999", 999999999999), (7.0, 7)])
def test_well_formed_client_ids_are_accepted(raw, expected):
    assert normalize_client_id(raw) == expected
