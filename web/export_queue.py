"""The bounded queue exports run in, so a burst of them never takes every worker thread.

Per process, at most ``EXPORT_CONCURRENCY`` renders run at once and at most ``EXPORT_QUEUE``
more wait for a turn (``EXPORT_WAIT_S`` seconds at most); each user — each address when not
signed in — has at most ``EXPORT_PER_USER`` exports running or waiting. Anything beyond is
refused at once with 503 and a ``Retry-After``, so the threads left over keep answering pages
and ``/healthz``: keep ``EXPORT_CONCURRENCY + EXPORT_QUEUE`` below the threads of a worker.
Renders run in threads of their own at a lower CPU priority (on Linux, where the nice value
is per thread), so the requests beside them get the processor first.
"""

from __future__ import annotations

import os
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress

from flask import current_app

from core.errors import UserError

EXTENSION = "atlas_export_queue"
#: how much nicer than the requests the render threads run
RENDER_NICE = 10
_creating = threading.Lock()


def _lower_priority() -> None:
    """Make the calling render thread yield the CPU to requests (Linux: nice is per thread)."""
    if sys.platform.startswith("linux"):
        with suppress(OSError):  # not allowed here: render at the priority we have
            os.setpriority(os.PRIO_PROCESS, 0, min(19, os.getpriority(os.PRIO_PROCESS, 0) + RENDER_NICE))


class ExportBusy(UserError):
    """The export queue is full (for everyone, or for this user): try again after a while."""

    status = 503

    def __init__(self, retry_after: int, *, mine: bool = False):
        zh, en = (("您已有导出任务在进行，请等它完成后再试。",
                   "You already have an export running; try again once it is done.") if mine else
                  ("导出任务繁忙，请稍后再试。", "Too many exports are running; please try again shortly."))
        super().__init__(zh, en, code="busy", details={"retry_after": retry_after})
        self.headers = {"Retry-After": str(retry_after)}


class ExportQueue:
    """Slots for ``running`` renders, room for ``waiting`` more, ``per_user`` each."""

    def __init__(self, running: int, waiting: int, per_user: int, wait_s: float):
        self.running, self.waiting, self.per_user, self.wait_s = running, waiting, per_user, wait_s
        self._slots = threading.BoundedSemaphore(running)
        self._threads = ThreadPoolExecutor(running, thread_name_prefix="export", initializer=_lower_priority)
        self._lock = threading.Lock()
        self._admitted = 0
        self._by_user: Counter[str] = Counter()

    @property
    def retry_after(self) -> int:
        return max(1, int(self.wait_s))

    def run(self, user: str, fn, *args):
        """``fn(*args)`` in a render thread, for ``user``; :class:`ExportBusy` when no slot is
        free in time or the queue or the user's share of it is full."""
        with self._admitted_for(user):
            if not self._slots.acquire(timeout=self.wait_s):
                raise ExportBusy(self.retry_after)
            try:
                return self._threads.submit(fn, *args).result()
            finally:
                self._slots.release()

    @contextmanager
    def _admitted_for(self, user: str) -> Iterator[None]:
        with self._lock:
            if self._by_user[user] >= self.per_user:
                raise ExportBusy(self.retry_after, mine=True)
            if self._admitted >= self.running + self.waiting:
                raise ExportBusy(self.retry_after)
            self._admitted += 1
            self._by_user[user] += 1
        try:
            yield
        finally:
            with self._lock:
                self._admitted -= 1
                self._by_user[user] -= 1
                if not self._by_user[user]:
                    del self._by_user[user]


def export_queue() -> ExportQueue:
    """The app's queue, made from its ``EXPORT_*`` settings on first use."""
    ext = current_app.extensions
    if EXTENSION not in ext:
        with _creating:
            if EXTENSION not in ext:
                c = current_app.config
                ext[EXTENSION] = ExportQueue(int(c["EXPORT_CONCURRENCY"]), int(c["EXPORT_QUEUE"]),
                                             int(c["EXPORT_PER_USER"]), float(c["EXPORT_WAIT_S"]))
    return ext[EXTENSION]
