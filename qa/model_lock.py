"""The lock that serialises llama.cpp, with questions first: background work runs only while none waits."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager


class ModelLock:
    """``with lock:`` for a question (waits its turn); ``with lock.when_idle() as got:`` for background work,
    which gets the model only if no question is waiting and should stop soon after ``wanted`` turns true."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = threading.Lock()
        self._waiting = 0

    def __enter__(self) -> "ModelLock":
        with self._count:
            self._waiting += 1
        try:
            self._lock.acquire()
        finally:
            with self._count:
                self._waiting -= 1
        return self

    def __exit__(self, *exc) -> None:
        self._lock.release()

    @property
    def wanted(self) -> bool:
        """A question is waiting for the model."""
        return self._waiting > 0

    @contextmanager
    def when_idle(self) -> Iterator[bool]:
        got = not self.wanted and self._lock.acquire(blocking=False)
        try:
            yield got
        finally:
            if got:
                self._lock.release()
