"""The ephemeral result cache: TTL, invalidation by pseudonym and by model, Redis backend."""

from __future__ import annotations

import os
import time
import uuid

import pytest

from backend.cache import MemoryCache, RedisCache


def _redis_url() -> str | None:
    url = os.environ.get("OCTROI_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        RedisCache(url, 5).ping()
    except Exception:  # noqa: BLE001 - any failure: Redis is not there
        return None
    return url


def _caches(ttl: int):
    yield MemoryCache(ttl)
    url = _redis_url()
    if url:
        yield RedisCache(url, ttl, namespace=f"octroi:test:{uuid.uuid4().hex}")


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_entries_are_keyed_by_pseudonym_model_and_kind_and_invalidated(backend):
    caches = list(_caches(60))
    if backend == "redis" and len(caches) < 2:
        pytest.skip("Redis unreachable")
    cache = caches[0] if backend == "memory" else caches[1]
    cache.set("p1", "m1", "score", {"probability": 0.25})
    cache.set("p1", "m2", "score", {"probability": 0.3})
    cache.set("p2", "m1", "score", {"probability": 0.5})
    assert cache.get("p1", "m1", "score") == {"probability": 0.25}
    assert cache.get("p1", "m1", "explanation") is None
    cache.invalidate_pseudonym("p1")
    assert cache.get("p1", "m1", "score") is None and cache.get("p1", "m2", "score") is None
    assert cache.get("p2", "m1", "score") == {"probability": 0.5}
    cache.set("p3", "m2", "score", {"probability": 0.1})
    cache.retain_model("m2")
    assert cache.get("p2", "m1", "score") is None
    assert cache.get("p3", "m2", "score") == {"probability": 0.1}
    cache.clear()


def test_memory_entries_expire_after_the_ttl():
    cache = MemoryCache(1)
    cache.set("p", "m", "score", {"x": 1})
    assert cache.get("p", "m", "score") == {"x": 1}
    time.sleep(1.05)
    assert cache.get("p", "m", "score") is None


def test_memory_cache_is_bounded():
    cache = MemoryCache(60, max_entries=3)
    for i in range(5):
        cache.set(f"p{i}", "m", "score", {"i": i})
    assert len(cache) == 3
    assert cache.get("p0", "m", "score") is None and cache.get("p4", "m", "score") == {"i": 4}
