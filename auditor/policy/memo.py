"""Caches of the policy analyses: per snapshot (is one held, dropping it) and, within one
analysis, per document or role object (``ByIdentity``).

Each entry is keyed by the ``id()`` of the object it was built from, with that object first
in the entry (so a recycled id never matches); the per-snapshot ones sit under a lock, since
an Organization run analyses accounts on several threads.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from typing import Any, Generic, TypeVar

from auditor.snapshot import AuthorizationDetails

DetailsCache = MutableMapping[int, tuple[Any, ...]]
K = TypeVar("K")
V = TypeVar("V")


class ByIdentity(Generic[K, V]):
    """Values built once per key object, keyed by its identity rather than by equality.

    Policy documents and roles are large and shared by many principals, so hashing or
    comparing them would cost what the cache saves. Each entry keeps its key referenced, so
    the key's id cannot be reused by another object while the entry lives.
    """

    def __init__(self) -> None:
        self._entries: dict[int, tuple[K, V]] = {}

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: K, build: Callable[[K], V]) -> V:
        """The value built from ``key``, building it with ``build(key)`` the first time."""
        hit = self._entries.get(id(key))
        if hit is not None and hit[0] is key:
            return hit[1]
        value = build(key)
        self._entries[id(key)] = (key, value)
        return value


def is_cached(cache: DetailsCache, lock: threading.Lock, details: AuthorizationDetails) -> bool:
    """Whether ``cache`` holds an entry built from ``details``."""
    with lock:
        hit = cache.get(id(details))
        return hit is not None and hit[0] is details


def forget(cache: DetailsCache, lock: threading.Lock, details: AuthorizationDetails) -> bool:
    """Drop ``cache``'s entry built from ``details``, if any; True when there was one."""
    with lock:
        hit = cache.get(id(details))
        if hit is None or hit[0] is not details:
            return False
        del cache[id(details)]
        return True
