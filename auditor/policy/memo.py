"""Per-snapshot caches of the policy analyses: is one held, and dropping it.

Each analysis is keyed by ``id(details)`` with the details object first in the entry (so a
recycled id never matches), under a lock, since an Organization run analyses accounts on
several threads.
"""

from __future__ import annotations

import threading
from collections.abc import MutableMapping
from typing import Any

from auditor.snapshot import AuthorizationDetails

DetailsCache = MutableMapping[int, tuple[Any, ...]]


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
