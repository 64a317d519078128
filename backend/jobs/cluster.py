"""The Dask cluster the batch jobs run on: a real one when configured, else a local one.

``OCTROI_DASK_SCHEDULER=tcp://host:8786`` points the jobs at a running ``dask.distributed``
scheduler (its workers need this code, the model is shipped to them, and read access to the
database). Without it a local cluster of worker *processes* (two by default, one thread
each: LightGBM already uses the thread) is started for the job and stopped after it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from distributed import Client

LOCAL_WORKERS = 2


@contextmanager
def dask_client(scheduler: str | None = None, workers: int = LOCAL_WORKERS) -> Iterator[Client]:
    from distributed import Client, LocalCluster

    if scheduler:
        with Client(scheduler, timeout="30s") as client:
            yield client
        return
    with (
        LocalCluster(
            # The scheduler's HTTP server starts anyway: on a free local port, not on 8787
            # (which another cluster on the machine may hold).
            n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address="127.0.0.1:0", silence_logs=logging.ERROR,
        ) as cluster,
        Client(cluster) as client,
    ):
        yield client
