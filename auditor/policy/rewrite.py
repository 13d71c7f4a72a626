"""Corrected copies of policy statements as written, for a finding's ``suggested_statement``.

Each function returns a new JSON-plain statement and leaves the original alone; the checks
fill in ``<PLACEHOLDERS>`` for what only the role's owner knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from auditor.policy.document import Condition
from auditor.policy.trust import TrustGrant


def plain(value: Any) -> Any:
    """A JSON-plain copy (dicts and lists) of a statement as written, for evidence."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return value


def with_condition(raw: Mapping[str, Any], operator: str, key: str, value: str) -> dict[str, Any]:
    """``raw`` with ``key`` held by ``operator`` to ``value``, replacing whatever held it."""
    out: dict[str, Any] = plain(raw)
    blocks = out.get("Condition")
    condition: dict[str, Any] = {}
    if isinstance(blocks, dict):
        for op, block in blocks.items():
            if not isinstance(block, dict):
                condition[op] = block
                continue
            kept = {k: v for k, v in block.items() if str(k).lower() != key.lower()}
            if kept:
                condition[op] = kept
    condition.setdefault(operator, {})[key] = value
    out["Condition"] = condition
    return out


def without_ifexists(raw: Mapping[str, Any], keys: Iterable[str]) -> dict[str, Any]:
    """``raw`` with ``keys`` moved from ``…IfExists`` / ``ForAllValues:`` to plain operators."""
    out: dict[str, Any] = plain(raw)
    wanted = {k.lower() for k in keys}
    blocks = out.get("Condition")
    if not isinstance(blocks, dict):
        return out
    condition: dict[str, Any] = {}
    for op, block in blocks.items():
        if not isinstance(block, dict):
            condition[op] = block
            continue
        strict = Condition(op, "", ()).base_operator
        for k, v in block.items():
            target = strict if str(k).lower() in wanted else op
            condition.setdefault(target, {})[k] = v
    out["Condition"] = condition
    return out


def replace_principal(raw: Mapping[str, Any], grant: TrustGrant, new: str | None) -> Any:
    """``raw`` with ``grant``'s principal replaced by ``new`` (None: removed).

    None when nothing would be left to trust: the statement should then be deleted.
    """
    out: dict[str, Any] = plain(raw)
    principal = out.get("Principal")
    if grant.not_principal or not isinstance(principal, dict):
        out.pop("NotPrincipal", None)
        if new is None:
            return None
        out["Principal"] = {"AWS": new}
        return out
    kind = next((k for k in principal if k == grant.principal_type), grant.principal_type)
    current = principal.get(kind)
    values = [current] if isinstance(current, str) else list(current or [])
    values = [v for v in values if v != grant.principal]
    if new is not None:
        values.append(new)
    if values:
        principal[kind] = values[0] if len(values) == 1 else values
    else:
        principal.pop(kind, None)
    return out if principal else None
