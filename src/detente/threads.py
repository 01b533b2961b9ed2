"""A thread pool for generators: shut down on exit without joining its threads."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager


@contextmanager
def generator_pool(workers: int) -> Iterator[ThreadPoolExecutor]:
    """A :class:`ThreadPoolExecutor` for use inside a generator; on exit, pending work is cancelled
    and the threads end on their own.

    A generator left half-way is finalised whenever the garbage collector finds it, possibly
    inside another thread's start-up (threading's own bookkeeping), where joining a thread
    deadlocks; ``with ThreadPoolExecutor()`` joins on exit, so it must not be held across a yield.
    """
    pool = ThreadPoolExecutor(workers)
    try:
        yield pool
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
