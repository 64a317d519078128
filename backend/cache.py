"""The TTL cache for ephemeral results: scores, explanations, portfolio aggregates.

Scores are personal data that must never be persisted (invariant 2), so they live only here:
in the process by default, in Redis when ``OCTROI_REDIS_URL`` is set (shared by replicas).
Entries are keyed by (pseudonym, model version, kind) and expire after
``score_cache_ttl_seconds``. ``invalidate_pseudonym`` drops everything about one client
(erasure, re-import); ``retain_model`` drops everything computed by another model version.

Values are JSON-serializable dicts; Redis stores them as JSON with a TTL (``SET ... EX``). Run
that Redis without RDB/AOF persistence so scores never reach a disk there either.
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from typing import Any, Protocol

_PREFIX = "octroi:eph"


class ResultCache(Protocol):
    def get(self, pseudonym: str, model_version: str, kind: str) -> dict[str, Any] | None: ...

    def set(self, pseudonym: str, model_version: str, kind: str, value: dict[str, Any]) -> None: ...

    def invalidate_pseudonym(self, pseudonym: str) -> None: ...

    def retain_model(self, model_version: str) -> None: ...

    def clear(self) -> None: ...


class MemoryCache:
    """Thread-safe in-process TTL cache with a size bound (least recently set dropped first)."""

    def __init__(self, ttl_seconds: int, max_entries: int = 50_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._data: OrderedDict[tuple[str, str, str], tuple[float, dict[str, Any]]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, pseudonym: str, model_version: str, kind: str) -> dict[str, Any] | None:
        key = (pseudonym, model_version, kind)
        with self._lock:
            entry = self._data.get(key)
            if entry is None:
                return None
            expires, value = entry
            if expires <= time.monotonic():
                del self._data[key]
                return None
            return value

    def set(self, pseudonym: str, model_version: str, kind: str, value: dict[str, Any]) -> None:
        key = (pseudonym, model_version, kind)
        with self._lock:
            self._data.pop(key, None)
            self._data[key] = (time.monotonic() + self.ttl, value)
            while len(self._data) > self.max_entries:
                self._data.popitem(last=False)

    def invalidate_pseudonym(self, pseudonym: str) -> None:
        with self._lock:
            for key in [k for k in self._data if k[0] == pseudonym]:
                del self._data[key]

    def retain_model(self, model_version: str) -> None:
        with self._lock:
            for key in [k for k in self._data if k[1] != model_version]:
                del self._data[key]

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        return len(self._data)


class RedisCache:
    """The same contract on Redis, so every replica sees the same entries and invalidations."""

    def __init__(self, url: str, ttl_seconds: int, namespace: str = _PREFIX) -> None:
        import redis  # imported here: the embedded default never needs it

        self.ttl = ttl_seconds
        self.ns = namespace
        self._redis = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)

    def _key(self, pseudonym: str, model_version: str, kind: str) -> str:
        return f"{self.ns}:{pseudonym}:{model_version}:{kind}"

    def get(self, pseudonym: str, model_version: str, kind: str) -> dict[str, Any] | None:
        raw = self._redis.get(self._key(pseudonym, model_version, kind))
        return None if raw is None else json.loads(raw)

    def set(self, pseudonym: str, model_version: str, kind: str, value: dict[str, Any]) -> None:
        self._redis.set(self._key(pseudonym, model_version, kind), json.dumps(value), ex=self.ttl)

    def _delete_matching(self, pattern: str, keep: str | None = None) -> None:
        batch: list[bytes] = []
        for key in self._redis.scan_iter(match=pattern, count=500):
            if keep is not None and key.decode().split(":")[-2] == keep:
                continue
            batch.append(key)
            if len(batch) >= 500:
                self._redis.delete(*batch)
                batch.clear()
        if batch:
            self._redis.delete(*batch)

    def invalidate_pseudonym(self, pseudonym: str) -> None:
        self._delete_matching(f"{self.ns}:{pseudonym}:*")

    def retain_model(self, model_version: str) -> None:
        self._delete_matching(f"{self.ns}:*", keep=model_version)

    def clear(self) -> None:
        self._delete_matching(f"{self.ns}:*")

    def ping(self) -> None:
        self._redis.ping()


def make_cache(redis_url: str | None, ttl_seconds: int) -> ResultCache:
    if redis_url:
        return RedisCache(redis_url, ttl_seconds)
    return MemoryCache(ttl_seconds)
