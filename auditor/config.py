"""Configuration: TOML file -> validated ``Settings``.

Every problem (an unknown key or check id, a wrong type, an expired mute) is a
``ConfigError`` naming the file, the line and the key, so a typo or a forgotten mute never
silently changes an audit.
"""

from __future__ import annotations

import difflib
import json
import re
import tomllib
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time
from pathlib import Path
from typing import Any, NoReturn

from auditor import names
from auditor.defaults import DEADLINE_SECONDS
from auditor.errors import AuditorError
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
    # Seconds one account's collection may take (``--deadline``); then the sources not yet
    # read become DeadlineExceeded gaps.
    collection_deadline: float = float(DEADLINE_SECONDS)


class ConfigError(AuditorError, ValueError):
    """A configuration problem; ``str()`` is the one line the CLI prints (exit 2)."""


# --- loading -----------------------------------------------------------------------------

# A key path inside the TOML document: table and key names, and list indexes (``mute`` #0).
KeyPath = tuple[str | int, ...]

_TOP_LEVEL = ("thresholds", "trusted_account_ids", "checks", "mute")
_THRESHOLD_KEYS = tuple(f.name for f in fields(Thresholds))
_CHECK_KEYS = ("enabled", "severity")
_MUTE_KEYS = ("check", "resource", "reason", "expires")
# Still importable from here: auditor.org checks the ids ListAccounts answers with it. It is
# anchored with \A and \Z, so even its ``match`` means the whole string; new code calls
# ``names.is_account_id``.
ACCOUNT_ID = names.ACCOUNT_ID

# Upper bounds where AWS itself caps the setting: a threshold above them could never pass.
_THRESHOLD_MAX = {
    "password_min_length": (128, "AWS allows a minimum length of at most 128"),
    "password_reuse": (24, "AWS remembers at most 24 previous passwords"),
    "password_max_age_days": (1095, "AWS allows a maximum password age of at most 1095 days"),
}


def load_config(
    path: Path, known_checks: Collection[str], *, today: date | None = None
) -> Settings:
    """Read and validate the TOML config at ``path``.

    ``known_checks`` are the check ids that exist (the caller passes the ids of
    ``auditor.checks.all_checks()``, which keeps this module importable without the
    checks). Any problem - a missing file, a TOML syntax error, an unknown key or check id,
    a wrong type or value, a mute that expired before ``today`` (default: the local date) -
    raises ``ConfigError`` with one line naming the file, the line where it could be found
    and the key.
    """
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"{name}: config file not found") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{name}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    except OSError as exc:
        raise ConfigError(f"{name}: cannot read config file: {exc.strerror or exc}") from None
    return parse_config(text, known_checks, name=name, today=today)


def parse_config(
    text: str,
    known_checks: Collection[str],
    *,
    name: str = "<config>",
    today: date | None = None,
) -> Settings:
    """Validate config ``text`` (TOML); ``name`` is what error messages call the file.

    The same checks as ``load_config``, for callers whose config is not a local file
    (an S3 object read by the Lambda handler, a test).
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line, message = _syntax_error_position(exc, text)
        where = f"{name}:{line}" if line else name
        raise ConfigError(f"{where}: TOML syntax error: {message}") from None
    return _Validator(text, name, known_checks, today or date.today()).settings(data)


def _syntax_error_position(exc: tomllib.TOMLDecodeError, text: str) -> tuple[int | None, str]:
    """Split tomllib's "message (at line 3, column 5)" into the line and the message."""
    message = str(exc).splitlines()[0] if str(exc) else "invalid TOML"
    match = re.search(r"\s*\(at line (\d+), column (\d+)\)$", message)
    if match:
        return int(match.group(1)), f"{message[: match.start()]} (column {match.group(2)})"
    match = re.search(r"\s*\(at end of document\)$", message)
    if match:
        return max(text.count("\n") + (0 if text.endswith("\n") else 1), 1), message[
            : match.start()
        ] + " (at end of file)"
    return getattr(exc, "lineno", None), message


class _Validator:
    """Turns the parsed TOML into ``Settings``, failing on the first problem it finds."""

    def __init__(self, text: str, name: str, known_checks: Collection[str], today: date) -> None:
        self.name = name
        self.lines = _key_lines(text)
        self.known = frozenset(known_checks)
        self.today = today

    def fail(self, path: KeyPath, problem: str) -> NoReturn:
        """Raise the one-line ``ConfigError`` for the key at ``path``."""
        line = _find_line(self.lines, path)
        where = f"{self.name}:{line}" if line else self.name
        raise ConfigError(f"{where}: {_label(path)}: {problem}")

    def settings(self, data: Mapping[str, Any]) -> Settings:
        """Validate the whole document."""
        self.no_unknown_keys((), data, _TOP_LEVEL)
        return Settings(
            thresholds=self.thresholds(data.get("thresholds", {})),
            trusted_account_ids=self.account_ids(data.get("trusted_account_ids", [])),
            checks=self.overrides(data.get("checks", {})),
            mutes=self.mutes(data.get("mute", [])),
            source=self.name,
        )

    def no_unknown_keys(
        self, table: KeyPath, data: Mapping[str, Any], known: Sequence[str]
    ) -> None:
        """Fail on the first key of ``data`` that is not in ``known``, suggesting the nearest."""
        for key in data:
            if key not in known:
                hint = _suggest(key, known)
                if table and key in _TOP_LEVEL:
                    # The classic TOML slip: a top-level key written below a [table] header.
                    hint = " (top-level keys must come before the first [table] header)"
                self.fail((*table, key), f"unknown key{hint}")

    def table(self, path: KeyPath, value: object) -> Mapping[str, Any]:
        """``value`` as a table, or a type error at ``path``."""
        if not isinstance(value, dict):
            self.fail(path, f"expected a table, got {_describe(value)}")
        return value

    def thresholds(self, value: object) -> Thresholds:
        """``[thresholds]``: positive integers, bounded where AWS bounds them."""
        table = self.table(("thresholds",), value)
        self.no_unknown_keys(("thresholds",), table, _THRESHOLD_KEYS)
        for key, number in table.items():
            path: KeyPath = ("thresholds", key)
            # bool is a subclass of int in Python; `true` is not a number of days.
            if not isinstance(number, int) or isinstance(number, bool):
                self.fail(path, f"expected a positive integer, got {_describe(number)}")
            if number <= 0:
                self.fail(path, f"must be a positive integer, got {number}")
            limit = _THRESHOLD_MAX.get(key)
            if limit is not None and number > limit[0]:
                self.fail(path, f"must be at most {limit[0]} ({limit[1]}), got {number}")
        return Thresholds(**table)

    def account_ids(self, value: object) -> frozenset[str]:
        """``trusted_account_ids``: 12-digit strings."""
        path: KeyPath = ("trusted_account_ids",)
        if not isinstance(value, list):
            self.fail(path, f"expected an array of 12-digit strings, got {_describe(value)}")
        for i, item in enumerate(value):
            if isinstance(item, int) and not isinstance(item, bool):
                self.fail(
                    (*path, i),
                    f"write account id {item} as a quoted string "
                    '(account ids may start with 0: "012345678901")',
                )
            if not names.is_account_id(item):
                self.fail((*path, i), f"expected a 12-digit account id, got {_describe(item)}")
        return frozenset(value)

    def check_id(self, path: KeyPath, value: object) -> str:
        """A check id that exists; slugs and wrong case get a pointer to the id."""
        if not isinstance(value, str):
            self.fail(path, f"expected a check id such as KEY-002, got {_describe(value)}")
        if value not in self.known:
            # Only a case slip earns a suggestion: "did you mean KEY-002?" for KEY-003
            # would invite muting a different check.
            hint = next(
                (f" (did you mean {k}?)" for k in self.known if k.lower() == value.lower()), ""
            )
            shown = "" if path[-1] == value else f" {_show(value)}"
            self.fail(path, f"unknown check id{shown}{hint}; `iam-auditor checks` lists them")
        return value

    def overrides(self, value: object) -> dict[str, CheckOverride]:
        """``[checks.ID]`` tables: ``enabled`` and ``severity``."""
        table = self.table(("checks",), value)
        out: dict[str, CheckOverride] = {}
        for check_id, body in table.items():
            self.check_id(("checks", check_id), check_id)
            entry = self.table(("checks", check_id), body)
            self.no_unknown_keys(("checks", check_id), entry, _CHECK_KEYS)
            enabled = entry.get("enabled", True)
            if not isinstance(enabled, bool):
                self.fail(
                    ("checks", check_id, "enabled"),
                    f"expected true or false, got {_describe(enabled)}",
                )
            severity = None
            if "severity" in entry:
                severity = self.severity(("checks", check_id, "severity"), entry["severity"])
            out[check_id] = CheckOverride(enabled=enabled, severity=severity)
        return out

    def severity(self, path: KeyPath, value: object) -> Severity:
        """A severity name (case-insensitive)."""
        valid = ", ".join(s.value for s in Severity)
        if not isinstance(value, str):
            self.fail(path, f"expected one of {valid}, got {_describe(value)}")
        try:
            return Severity.parse(value)
        except ValueError:
            self.fail(path, f"unknown severity {_show(value)}; expected one of {valid}")

    def mutes(self, value: object) -> tuple[Mute, ...]:
        """``[[mute]]`` entries: check, resource glob, reason, optional expiry date."""
        if not isinstance(value, list):
            self.fail(("mute",), f"expected [[mute]] tables, got {_describe(value)}")
        return tuple(self.mute(("mute", i), item) for i, item in enumerate(value))

    def mute(self, path: KeyPath, value: object) -> Mute:
        """One ``[[mute]]`` table."""
        entry = self.table(path, value)
        self.no_unknown_keys(path, entry, _MUTE_KEYS)
        for required in ("check", "resource", "reason"):
            if required not in entry:
                self.fail((*path, required), "required key is missing")
        check_id = self.check_id((*path, "check"), entry["check"])
        resource = entry["resource"]
        if not isinstance(resource, str) or not resource.strip():
            self.fail((*path, "resource"), f"expected an ARN glob, got {_describe(resource)}")
        problem = _glob_problem(resource)
        if problem:
            self.fail((*path, "resource"), f"bad ARN glob {_show(resource)}: {problem}")
        reason = entry["reason"]
        if not isinstance(reason, str) or not reason.strip():
            self.fail(
                (*path, "reason"),
                f"a mute needs a non-empty reason (who accepted the risk, and why), "
                f"got {_describe(reason)}",
            )
        expires = entry.get("expires")
        # datetime is a subclass of date: check it first so a timestamp is not accepted.
        if expires is not None and (isinstance(expires, datetime) or not isinstance(expires, date)):
            hint = " (write it without quotes)" if isinstance(expires, str) else ""
            self.fail(
                (*path, "expires"),
                f"expected a TOML date such as 2027-03-31{hint}, got {_describe(expires)}",
            )
        if expires is not None and expires < self.today:
            # An expired mute no longer hides anything, but a run that quietly stopped
            # honouring it would surprise whoever accepted the risk: make them decide.
            self.fail(
                (*path, "expires"),
                f"mute of {check_id} expired on {expires.isoformat()} "
                f"(today is {self.today.isoformat()}): renew it with a later date or remove it",
            )
        return Mute(check=check_id, resource=resource, reason=reason.strip(), expires=expires)


def _glob_problem(glob: str) -> str | None:
    """Why ``glob`` cannot be a useful fnmatch pattern for ARNs, or None when it can."""
    if not (glob.startswith(("arn:", "*"))):
        return "it must start with 'arn:' or '*' to match an ARN (e.g. arn:aws:iam::*:user/name)"
    i = 0
    while i < len(glob):
        char = glob[i]
        if char == "[":
            # fnmatch's rules: a ']' right after '[' or '[!' is part of the set, not its end.
            j = i + 1
            if j < len(glob) and glob[j] == "!":
                j += 1
            if j < len(glob) and glob[j] == "]":
                j += 1
            end = glob.find("]", j)
            if end < 0:
                return f"'[' at position {i + 1} is never closed"
            i = end + 1
            continue
        if char == "]":
            return f"']' at position {i + 1} has no matching '['"
        i += 1
    return None


def _suggest(word: str, candidates: Iterable[str]) -> str:
    """`` (did you mean X?)`` for the closest candidate, ignoring case, or an empty string."""
    pool = sorted(candidates)
    by_lower = {c.lower(): c for c in pool}
    if word.lower() in by_lower:
        return f" (did you mean {by_lower[word.lower()]}?)"
    close = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=0.6)
    return f" (did you mean {by_lower[close[0]]}?)" if close else ""


def _show(value: str) -> str:
    """A string quoted and escaped so that the error message stays one printable line."""
    shown = json.dumps(value, ensure_ascii=True)
    return shown if len(shown) <= 60 else shown[:56] + '..."'


def _describe(value: object) -> str:
    """``string "90"`` / ``boolean true`` / ``an array``: what the user wrote, briefly."""
    if isinstance(value, bool):
        return f"boolean {str(value).lower()}"
    if isinstance(value, str):
        return f"string {_show(value)}"
    if isinstance(value, list | dict):
        return "an array" if isinstance(value, list) else "a table"
    if isinstance(value, int | float):
        return f"{'integer' if isinstance(value, int) else 'float'} {value}"
    # Order matters: datetime is a subclass of date.
    for kind, name in ((datetime, "date-time"), (date, "date"), (time, "time")):
        if isinstance(value, kind):
            return f"{name} {value.isoformat()}"
    return type(value).__name__


_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def _show_key(key: str) -> str:
    """A key as TOML would accept it: bare when possible, quoted otherwise."""
    return key if _BARE_KEY.fullmatch(key) else _show(key)


def _label(path: KeyPath) -> str:
    """``[thresholds] key_rotation_dayz``, ``[[mute]] #2 reason``, ``trusted_account_ids #1``."""
    last_key = max(i for i, part in enumerate(path) if isinstance(part, str))
    table, key, items = path[:last_key], path[last_key], path[last_key + 1 :]
    text = ""
    if table and isinstance(table[-1], int):
        dotted = ".".join(_show_key(str(p)) for p in table[:-1])
        text = f"[[{dotted}]] #{table[-1] + 1} "
    elif table:
        text = "[" + ".".join(_show_key(str(p)) for p in table) + "] "
    text += _show_key(str(key))
    for item in items:
        text += f" #{int(item) + 1}"
    return text


# --- best-effort line numbers ------------------------------------------------------------
# tomllib does not say where a key was written, so the raw text is scanned once for table
# headers and ``key =`` lines. It understands the TOML a person writes in a config file
# (bare, quoted and dotted keys, [table], [[array]], multi-line strings); anything it cannot
# place falls back to the enclosing table's line, or to no line at all.


def _key_lines(text: str) -> dict[KeyPath, int]:
    """Map each key path the text defines to the (1-based) line defining it."""
    found: dict[KeyPath, int] = {}
    table: KeyPath = ()
    array_counts: dict[KeyPath, int] = {}
    open_string: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if open_string is not None:
            if open_string in line:
                open_string = None
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("[["):
            parsed = _parse_keys(line[2:])
            if parsed and parsed[1].startswith("]]"):
                name = tuple(parsed[0])
                index = array_counts.get(name, 0)
                array_counts[name] = index + 1
                table = (*name, index)
                found.setdefault(name, number)
                found[table] = number
            continue
        if line.startswith("["):
            parsed = _parse_keys(line[1:])
            if parsed and parsed[1].startswith("]"):
                table = tuple(parsed[0])
                found.setdefault(table, number)
            continue
        parsed = _parse_keys(line)
        if parsed and parsed[1].startswith("="):
            found.setdefault((*table, *parsed[0]), number)
            value = parsed[1][1:].strip()
            for quote in ('"""', "'''"):
                if value.startswith(quote) and quote not in value[3:]:
                    open_string = quote
    return found


def _parse_keys(text: str) -> tuple[list[str], str] | None:
    """Parse a (dotted) TOML key at the start of ``text``; returns keys and the rest."""
    keys: list[str] = []
    i = 0
    while True:
        parsed = _parse_key(text, _skip_blanks(text, i))
        if parsed is None:
            return None
        keys.append(parsed[0])
        i = _skip_blanks(text, parsed[1])
        if i < len(text) and text[i] == ".":
            i += 1
            continue
        return keys, text[i:]


def _skip_blanks(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t":
        i += 1
    return i


def _parse_key(text: str, i: int) -> tuple[str, int] | None:
    """One bare, "basic" or 'literal' key starting at ``i``: the key and where it ends."""
    if i >= len(text):
        return None
    if text[i] == '"':
        end = i + 1
        while end < len(text) and text[end] != '"':
            end += 2 if text[end] == "\\" else 1
        if end >= len(text):
            return None
        try:
            key = json.loads(text[i : end + 1])
        except ValueError:
            key = text[i + 1 : end]
        return str(key), end + 1
    if text[i] == "'":
        end = text.find("'", i + 1)
        return (text[i + 1 : end], end + 1) if end >= 0 else None
    match = _BARE_KEY.match(text, i)
    return (match.group(), match.end()) if match else None


def _find_line(lines: Mapping[KeyPath, int], path: KeyPath) -> int | None:
    """The line of ``path``, else of its nearest enclosing key or table."""
    while path:
        if path in lines:
            return lines[path]
        path = path[:-1]
    return None
