"""The serving process's settled heap (``backend.heap``): start-up's objects frozen out of the
collector's sight, and thawed again when a model bundle is let go."""

from __future__ import annotations

import gc
import weakref

import pytest
from fastapi.testclient import TestClient

from backend import heap
from backend.app import create_app


@pytest.fixture
def python_defaults():
    """This test process as Python left it, before and after the test."""
    threshold = gc.get_threshold()
    gc.unfreeze()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the cyclic collector frees it


def test_settling_freezes_what_lives_and_a_resettle_frees_a_cycle_let_go_since(python_defaults):
    assert not heap.is_settled()
    heap.resettle()  # a process that never settled keeps Python's defaults
    assert not heap.is_settled() and gc.get_threshold()[0] != heap.GEN0_THRESHOLD

    kept = Node()
    gone = weakref.ref(kept)
    older = gc.get_threshold()[1:]
    heap.settle()
    assert heap.is_settled()
    assert gc.get_threshold() == (heap.GEN0_THRESHOLD, *older)
    del kept
    gc.collect()
    assert gone() is not None  # frozen: the collector no longer sees it, even unreachable
    heap.resettle()
    assert gone() is None  # thawed and collected
    assert heap.is_settled()  # and what still lives is frozen again


def test_a_served_app_settles_its_heap_once_started_and_another_app_does_not(
    python_defaults, make_settings, db_url, trained_bundle_dir
):
    settings = make_settings(db_url, model_dir=trained_bundle_dir)
    with TestClient(create_app(settings)):
        assert not heap.is_settled()
    served = create_app(settings)
    heap.install(served)
    assert served.state.startup_hooks[-1] is heap.settle  # after the model and the follower
    with TestClient(served) as client:
        assert heap.is_settled()
        assert gc.get_threshold()[0] == heap.GEN0_THRESHOLD
        assert served.state.model.loaded is not None
        assert client.get("/readyz").status_code == 200
