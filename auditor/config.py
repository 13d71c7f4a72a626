"""Configuration: TOML file -> validated ``Settings``.

All keys are optional; defaults are the catalog's thresholds. An unknown key, an unknown
check id or a wrong type raises ``ConfigError`` naming the file, the line and the key,
so a typo never silently weakens an audit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from auditor.model import Severity


@dataclass(frozen=True)
class Thresholds:
    """Numbers the checks judge against (``[thresholds]`` in the config)."""

    key_rotation_days: int = 90
    unused_credentials_days: int = 45
    dormant_user_days: int = 90
    role_unused_days: int = 90
    root_recent_use_days: int = 90
    password_min_length: int = 14
    password_reuse: int = 24
    password_max_age_days: int = 90
    cert_expiry_warning_days: int = 30
    key_setup_window_seconds: int = 10


@dataclass(frozen=True)
class CheckOverride:
    """``[checks.ID]``: turn a check off or change its severity."""

    enabled: bool = True
    severity: Severity | None = None


@dataclass(frozen=True)
class Mute:
    """``[[mute]]``: a FAIL on a matching resource is marked muted (never dropped)."""

    check: str
    resource: str
    reason: str
    expires: date | None = None


@dataclass(frozen=True)
class Settings:
    """The whole validated configuration of one audit."""

    thresholds: Thresholds = field(default_factory=Thresholds)
    trusted_account_ids: frozenset[str] = frozenset()
    checks: dict[str, CheckOverride] = field(default_factory=dict)
    mutes: tuple[Mute, ...] = ()
    source: str | None = None


class ConfigError(ValueError):
    """A configuration problem; ``str()`` is the one line the CLI prints (exit 2)."""
