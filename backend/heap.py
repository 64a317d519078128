"""The serving process's heap and Python's cyclic garbage collector.

An API process loads its libraries, the app and the model bundle once (about 280,000 objects
the collector tracks) and keeps them for its life. Left as they are, each full pass of the
collector walks all of them (130 ms and more, every request of that process waiting; twice in
eight seconds of load), and its youngest generation is collected every 700 allocations
(measured in the workers of ``bench/bench_http_path.py``: ``docs/decisions/0029-settled-heap.md``).
``settle`` runs once the server has started: one collection, then ``gc.freeze()`` moves what
survived out of the collector's sight for good (it is still freed by reference counting), and
the youngest generation is collected every ``GEN0_THRESHOLD`` allocations.

A frozen object that later ends up in an unreachable reference cycle is never collected. The
long-lived objects a running process replaces are model bundles (a promotion, a new
challenger): the model follower calls ``resettle`` then, which unfreezes, collects and freezes
again (one full pass, once per change of model).

Only the server's entry point (``backend.asgi``) installs it: a process that builds apps for
other reasons (tests, the CLI) keeps Python's defaults.
"""

from __future__ import annotations

import gc
from typing import Any

# The youngest generation's threshold once settled (Python's default: 700; the older
# generations keep theirs). Measured against 700, 2,000 and 10,000 with (20, 20): the least
# collector time and the shortest longest pause (decision 0029).
GEN0_THRESHOLD = 10_000


def settle(_app: Any = None) -> None:
    """Collect, freeze what survived (start-up's objects), and collect young objects less often.
    A start-up hook (it takes the app, which it does not need)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(GEN0_THRESHOLD, *gc.get_threshold()[1:])


def install(app: Any) -> None:
    """Settle the heap of the process serving ``app`` once everything has started (the model
    loaded): the last start-up hook."""
    app.state.startup_hooks.append(settle)


def is_settled() -> bool:
    return gc.get_freeze_count() > 0


def resettle() -> None:
    """A long-lived part was replaced (a model bundle): let the collector see what was frozen
    with it, then settle again. Nothing to do in a process that never settled."""
    if is_settled():
        gc.unfreeze()
        settle()
