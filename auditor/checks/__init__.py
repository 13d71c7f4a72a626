"""The check catalog: importing this package registers every check, one module a subject."""

from __future__ import annotations

# Importing a check module registers its checks; nothing else here refers to them.
from auditor.checks import (  # noqa: F401
    account,
    attack_paths,
    keys,
    password,
    permissions,
    roles,
    root,
    trust,
    users,
)
from auditor.checks.registry import REGISTRY, Check, CheckContext, check

__all__ = ["Check", "CheckContext", "all_checks", "check", "get_check"]


def all_checks() -> list[Check]:
    """Every registered check, ordered by area as the catalog lists them, then number."""
    areas = ["ROOT", "PWD", "USER", "KEY", "PERM", "ROLE", "AA", "CERT", "FED"]

    def order(c: Check) -> tuple[int, str]:
        area = c.meta.id.split("-")[0]
        return (areas.index(area) if area in areas else len(areas), c.meta.id)

    return sorted(REGISTRY.values(), key=order)


def get_check(id_or_slug: str) -> Check | None:
    """Look a check up by id (case-insensitive) or slug."""
    key = id_or_slug.strip()
    for c in REGISTRY.values():
        if c.meta.id == key.upper() or c.meta.slug == key.lower():
            return c
    return None
