"""Pseudonyms for the bank's client ids: HMAC-SHA256 under a versioned secret key.

The key ring comes from ``OCTROI_PSEUDONYM_KEY``: ``"v2:newkey,v1:oldkey"`` lists versions,
current first; a plain value is version ``"v1"``. New pseudonyms use the current key; old
versions stay resolvable (``candidates``) so a rotation never loses a client. The key never
reaches the database, so a table dump cannot be joined back to the bank's ids.

A client id is a positive integer of at most 12 digits; anything else is ``MalformedClientId``
whose message never repeats the offending value (it may be a real id with a typo).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass

MAX_CLIENT_ID_DIGITS = 12
DEFAULT_KEY_VERSION = "v1"
_CLIENT_ID = re.compile(r"^[0-9]{1,12}$")
_KEY_VERSION = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


class MalformedClientId(ValueError):
    """The value is not a bank client id (positive integer, at most 12 digits)."""

    def __init__(self) -> None:
        super().__init__(
            f"client_id must be a positive integer of at most {MAX_CLIENT_ID_DIGITS} digits"
        )


class InvalidKeyRing(ValueError):
    """OCTROI_PSEUDONYM_KEY cannot be parsed; the message never contains key material."""


@dataclass(frozen=True, slots=True)
class Pseudonym:
    value: str  # 64 hex characters
    key_version: str

    def __str__(self) -> str:
        return self.value


def normalize_client_id(raw: object) -> int:
    """The client id as an int, or ``MalformedClientId``.

    Accepts ints and decimal strings (surrounding spaces allowed, no sign, no leading '+').
    Floats that are whole numbers (a CSV column read as float) are accepted too.
    """
    if isinstance(raw, bool):
        raise MalformedClientId()
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float):
        if not raw.is_integer():
            raise MalformedClientId()
        value = int(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not _CLIENT_ID.match(text):
            raise MalformedClientId()
        value = int(text)
    else:
        raise MalformedClientId()
    if value <= 0 or value >= 10**MAX_CLIENT_ID_DIGITS:
        raise MalformedClientId()
    return value


class PseudonymKeyRing:
    """Versioned HMAC keys; the first one is current."""

    def __init__(self, keys: list[tuple[str, bytes]]) -> None:
        if not keys:
            raise InvalidKeyRing("OCTROI_PSEUDONYM_KEY holds no key")
        versions = [version for version, _ in keys]
        if len(set(versions)) != len(versions):
            raise InvalidKeyRing("OCTROI_PSEUDONYM_KEY lists a key version twice")
        self._keys = list(keys)

    @classmethod
    def parse(cls, raw: str) -> PseudonymKeyRing:
        """``"v2:key2,v1:key1"`` (current first) or a plain key (version ``v1``)."""
        raw = raw.strip()
        if not raw:
            raise InvalidKeyRing("OCTROI_PSEUDONYM_KEY is empty")
        parts = [part.strip() for part in raw.split(",")]
        if len(parts) == 1 and ":" not in parts[0]:
            return cls([(DEFAULT_KEY_VERSION, parts[0].encode())])
        keys: list[tuple[str, bytes]] = []
        for position, part in enumerate(parts, start=1):
            version, sep, key = part.partition(":")
            if not sep or not _KEY_VERSION.match(version) or not key:
                raise InvalidKeyRing(
                    f"OCTROI_PSEUDONYM_KEY entry {position} must look like 'version:key' "
                    "(version: letters, digits, '-' or '_', at most 16)"
                )
            keys.append((version, key.encode()))
        return cls(keys)

    @property
    def current_version(self) -> str:
        return self._keys[0][0]

    @property
    def versions(self) -> tuple[str, ...]:
        return tuple(version for version, _ in self._keys)

    def _digest(self, key: bytes, client_id: int) -> str:
        return hmac.new(key, str(client_id).encode(), hashlib.sha256).hexdigest()

    def pseudonymize(self, raw_client_id: object) -> Pseudonym:
        """The pseudonym under the current key (validates the id first)."""
        client_id = normalize_client_id(raw_client_id)
        version, key = self._keys[0]
        return Pseudonym(self._digest(key, client_id), version)

    def candidates(self, raw_client_id: object) -> list[Pseudonym]:
        """The pseudonym under every key version, current first (for lookups after rotation)."""
        client_id = normalize_client_id(raw_client_id)
        return [Pseudonym(self._digest(key, client_id), version) for version, key in self._keys]


# Digit groups apart by anything but a letter ("100 017", "100'017", "100:017", "100-017").
_DIGIT_RUN = re.compile(r"\d+(?:(?:[^\w]|_)+\d+)*")
_CHUNK = re.compile(r"\d+")


def visible_text(text: str) -> str:
    """``text`` as a reader sees it: compatibility forms folded (full-width "１００" is "100") and
    invisible format characters (zero-width space, soft hyphen, joiners) and controls removed."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) not in ("Cf", "Cc") or c in "\t\n\r")


def mentions_client_id(text: str, client_id: int | str) -> bool:
    """Does ``text`` write the client id, whole or split by separators ("100002", "100 002",
    "1 0 0 0 0 2", "100-002", "100'002"), in full-width digits or with invisible characters
    inside ("100\u200b002"), as a number of its own (issue 14)?

    Every run of digit groups in the text is checked: the id is any consecutive groups of a run
    read together. Numbers next to it do not hide it ("106202 le 11/06/2026"), and it is never
    read across other numbers' digits: the date "11/06/2026" holds "106202" only by gluing its
    day, month and year, which the old check did, refusing a reason for client 106202."""
    wanted = str(int(client_id))
    for run in _DIGIT_RUN.finditer(visible_text(text)):
        # Any script's decimal digits ("١٨٤١٣٢") read as the API reads them, and leading zeros
        # dropped: "0184107" is client 184107 to the API, so it is to this check too.
        chunks = [_ascii_digits(chunk) for chunk in _CHUNK.findall(run.group(0))]
        for start in range(len(chunks)):
            joined = ""
            for chunk in chunks[start:]:
                joined = (joined + chunk).lstrip("0")
                if joined == wanted:
                    return True
                if len(joined) >= len(wanted):
                    break
    return False


def _ascii_digits(chunk: str) -> str:
    return "".join(str(unicodedata.decimal(c)) for c in chunk)

