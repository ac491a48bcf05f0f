"""The dask client the precomputation runs on: a local cluster of processes, or an existing one."""
import contextlib
import logging
import os

from pipeline.errors import FastaedError

CONNECT_TIMEOUT_S = 10


@contextlib.contextmanager
def dask_client(workers=None, scheduler=None, shared_paths=()):
    """Yield a ``distributed.Client``: on ``scheduler`` (``tcp://HOST:PORT``) when given, else on a
    new ``LocalCluster`` of ``workers`` single-threaded worker processes (default: one per core).

    With a scheduler, every worker must see ``shared_paths`` (the dataset and the shards folder)
    at the same path, as on a shared filesystem; this is checked before any work is sent.

    Example:
        >>> with dask_client(workers=2) as client:            # doctest: +SKIP
        ...     client.submit(sum, [1, 2]).result()
        3
    """
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as error:
            raise FastaedError(f"cannot connect to the dask scheduler at {scheduler} ({error}): start it with "
                               f"`dask scheduler` and its workers with `dask worker {scheduler}`, or drop "
                               f"--scheduler to use a local cluster") from None
        with client:
            _check_workers(client, scheduler, shared_paths)
            yield client
        return
    workers = (os.cpu_count() or 1) if workers is None else workers
    if workers < 1:
        raise FastaedError(f"--workers {workers}: use at least 1 worker process")
    # A failed task's error reaches the user once, in one line, through the client; the workers'
    # own "Compute Failed" log of it would repeat it as a multi-line traceback.
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                      silence_logs=logging.CRITICAL) as cluster, Client(cluster) as client:
        yield client


def _check_workers(client, scheduler, shared_paths):
    try:
        client.wait_for_workers(1, timeout=CONNECT_TIMEOUT_S)
    except TimeoutError:
        raise FastaedError(f"the dask scheduler at {scheduler} has no workers: start some with "
                           f"`dask worker {scheduler}`") from None
    seen = client.run(_visible, [str(path) for path in shared_paths])
    for worker, missing in sorted(seen.items()):
        if missing:
            raise FastaedError(f"dask worker {worker} cannot see {missing[0]}: the dataset and --out must be "
                               f"on a filesystem that every worker mounts at the same path")


def _visible(paths):
    """The paths (of ``paths``) that this worker cannot see."""
    return [path for path in paths if not os.path.isdir(path)]
