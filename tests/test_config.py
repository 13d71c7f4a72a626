"""Tests for auditor.config: loading, validation and one-line errors that name file, line, key."""

from __future__ import annotations

import dataclasses
import tomllib
from datetime import date
from pathlib import Path

import pytest

from auditor.config import (
    CheckOverride,
    ConfigError,
    Mute,
    Settings,
    Thresholds,
    load_config,
    parse_config,
)
from auditor.model import Severity

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "config.example.toml"

KNOWN = {"KEY-002", "ROLE-005", "AA-001", "PWD-001"}
# The day configs with a mute are loaded on. Their expiry dates (the example's too) are real
# dates that will pass, and a mute that has expired is refused: loaded on the real date, these
# tests would start failing on that day.
TODAY = date(2026, 11, 23)

# The catalog's ids (docs/architecture.md), for loading the example before checks register.
CATALOG_IDS = (
    [f"ROOT-00{n}" for n in range(1, 6)]
    + [f"PWD-00{n}" for n in range(1, 6)]
    + [f"USER-00{n}" for n in range(1, 9)]
    + [f"KEY-00{n}" for n in range(1, 5)]
    + [f"PERM-{n:03d}" for n in range(1, 12)]
    + [f"ROLE-{n:03d}" for n in range(1, 17)]
    + ["AA-001", "CERT-001", "CERT-002", "FED-001"]
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str, known: set[str] = KNOWN) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path, known)
    message = str(info.value)
    assert "\n" not in message and "\r" not in message
    return message


MUTE = 'check = "KEY-002"\nresource = "arn:aws:iam::*:user/x"\nreason = "ok"\n'

# (name, text, line, what the message must name after "file:line: ", problem fragment)
ERRORS = [
    (
        "unknown top-level key",
        "# header\nthresholdz = 1\n",
        2,
        "thresholdz: unknown key",
        "did you mean thresholds?",
    ),
    (
        "unknown threshold key",
        "\n[thresholds]\nkey_rotation_days = 90\n\nkey_rotation_dayz = 7\n",
        5,
        "[thresholds] key_rotation_dayz: unknown key",
        "did you mean key_rotation_days?",
    ),
    (
        "string for int",
        '[thresholds]\nrole_unused_days = "90"\n',
        2,
        "[thresholds] role_unused_days",
        'expected a positive integer, got string "90"',
    ),
    (
        "bool for int",
        "[thresholds]\npassword_reuse = true\n",
        2,
        "[thresholds] password_reuse",
        "got boolean true",
    ),
    (
        "float for int",
        "[thresholds]\npassword_reuse = 2.5\n",
        2,
        "[thresholds] password_reuse",
        "got float 2.5",
    ),
    (
        "negative threshold",
        "[thresholds]\n\nkey_rotation_days = -5\n",
        3,
        "[thresholds] key_rotation_days",
        "must be a positive integer, got -5",
    ),
    (
        "zero threshold",
        "[thresholds]\ndormant_user_days = 0\n",
        2,
        "[thresholds] dormant_user_days",
        "positive integer, got 0",
    ),
    (
        "threshold above what AWS allows",
        "[thresholds]\npassword_reuse = 25\n",
        2,
        "[thresholds] password_reuse",
        "must be at most 24",
    ),
    (
        "thresholds not a table",
        "thresholds = 90\n",
        1,
        "thresholds",
        "expected a table, got integer 90",
    ),
    (
        "top-level key below a table header",
        "[thresholds]\nkey_rotation_days = 90\ntrusted_account_ids = []\n",
        3,
        "[thresholds] trusted_account_ids: unknown key",
        "top-level keys must come before the first [table] header",
    ),
    (
        "unknown check id",
        "[checks.KEY-099]\nenabled = false\n",
        1,
        "[checks] KEY-099",
        "unknown check id",
    ),
    (
        "check id in the wrong case",
        "[checks.key-002]\nenabled = false\n",
        1,
        "[checks] key-002",
        "did you mean KEY-002?",
    ),
    (
        "slug instead of id",
        "[checks.access-key-rotation]\nenabled = false\n",
        1,
        "[checks] access-key-rotation",
        "unknown check id",
    ),
    (
        "unknown key in a check table",
        "[checks.KEY-002]\nenable = false\n",
        2,
        "[checks.KEY-002] enable: unknown key",
        "did you mean enabled?",
    ),
    (
        "string for bool",
        '[checks.AA-001]\nenabled = "false"\n',
        2,
        "[checks.AA-001] enabled",
        'expected true or false, got string "false"',
    ),
    (
        "bad severity",
        '[checks.ROLE-005]\nseverity = "urgent"\n',
        2,
        "[checks.ROLE-005] severity",
        'unknown severity "urgent"; expected one of critical, high, medium, low, info',
    ),
    (
        "bad severity in an inline table",
        '[checks]\n"ROLE-005" = { severity = "severe" }\n',
        2,
        "[checks.ROLE-005] severity",
        'unknown severity "severe"',
    ),
    (
        "mute without reason",
        f'[[mute]]\n{MUTE}\n[[mute]]\ncheck = "KEY-002"\nresource = "arn:*"\n',
        6,
        "[[mute]] #2 reason",
        "required key is missing",
    ),
    (
        "mute with blank reason",
        '[[mute]]\ncheck = "KEY-002"\nresource = "arn:*"\nreason = "   "\n',
        4,
        "[[mute]] #1 reason",
        "non-empty reason",
    ),
    (
        "mute of an unknown check",
        '[[mute]]\ncheck = "KEY-020"\nresource = "arn:*"\nreason = "r"\n',
        2,
        "[[mute]] #1 check",
        'unknown check id "KEY-020"',
    ),
    (
        "mute with unbalanced bracket",
        '[[mute]]\ncheck = "KEY-002"\nresource = "arn:aws:iam::*:user/[ab"\nreason = "r"\n',
        3,
        "[[mute]] #1 resource",
        "'[' at position 21 is never closed",
    ),
    (
        "mute with stray closing bracket",
        '[[mute]]\ncheck = "KEY-002"\nresource = "arn:aws:iam::*:user/a]"\nreason = "r"\n',
        3,
        "[[mute]] #1 resource",
        "has no matching '['",
    ),
    (
        "mute glob that cannot match an ARN",
        '[[mute]]\ncheck = "KEY-002"\nresource = "user/legacy-*"\nreason = "r"\n',
        3,
        "[[mute]] #1 resource",
        "must start with 'arn:' or '*'",
    ),
    (
        "mute with empty resource",
        '[[mute]]\ncheck = "KEY-002"\nresource = ""\nreason = "r"\n',
        3,
        "[[mute]] #1 resource",
        "expected an ARN glob",
    ),
    (
        "mute expiry quoted",
        f'[[mute]]\n{MUTE}expires = "2027-03-31"\n',
        5,
        "[[mute]] #1 expires",
        "write it without quotes",
    ),
    (
        "mute expiry with a time",
        f"[[mute]]\n{MUTE}expires = 2027-03-31T10:00:00Z\n",
        5,
        "[[mute]] #1 expires",
        "got date-time",
    ),
    (
        "unknown key in a mute",
        f"[[mute]]\n{MUTE}expiry = 2027-03-31\n",
        5,
        "[[mute]] #1 expiry: unknown key",
        "did you mean expires?",
    ),
    (
        "bad account id",
        'trusted_account_ids = [\n  "111122223333",\n  "12345",\n]\n',
        1,
        "trusted_account_ids #2",
        'expected a 12-digit account id, got string "12345"',
    ),
    (
        # "$" also matches before a final newline: the id must be checked whole.
        "account id ending in a newline",
        'trusted_account_ids = ["111122223333\\n"]\n',
        1,
        "trusted_account_ids #1",
        'expected a 12-digit account id, got string "111122223333\\n"',
    ),
    (
        "account id in another script's digits",
        'trusted_account_ids = ["' + "\u0661" * 12 + '"]\n',
        1,
        "trusted_account_ids #1",
        "expected a 12-digit account id",
    ),
    (
        "account id as a number",
        "trusted_account_ids = [111122223333]\n",
        1,
        "trusted_account_ids #1",
        "as a quoted string",
    ),
    (
        "account ids not an array",
        'trusted_account_ids = "111122223333"\n',
        1,
        "trusted_account_ids",
        "expected an array",
    ),
]


@pytest.mark.parametrize(
    ("text", "line", "key", "problem"),
    [case[1:] for case in ERRORS],
    ids=[case[0] for case in ERRORS],
)
def test_config_error_names_file_line_and_key(
    tmp_path: Path, text: str, line: int, key: str, problem: str
) -> None:
    message = error_for(tmp_path, text)
    prefix = f"{tmp_path / 'config.toml'}:{line}: "
    assert message.startswith(prefix), message
    assert message[len(prefix) :].startswith(key + ":") or message[len(prefix) :].startswith(
        key + " "
    ), message
    assert problem in message


@pytest.mark.parametrize(
    ("text", "line", "fragment"),
    [
        ("[thresholds]\nkey_rotation_days = \n", 2, "Invalid value"),
        ("[thresholds]\nkey_rotation_days = 1\nkey_rotation_days = 2\n", 3, "Cannot overwrite"),
        ("[thresholds\n", 1, "TOML syntax error"),
        ("a = 1\nb = ", 2, "TOML syntax error"),
    ],
)
def test_syntax_error_names_file_and_line(
    tmp_path: Path, text: str, line: int, fragment: str
) -> None:
    message = error_for(tmp_path, text)
    assert message.startswith(f"{tmp_path / 'config.toml'}:{line}: TOML syntax error: ")
    assert fragment in message
    assert "(at line" not in message  # the position moved into file:line


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.toml"
    with pytest.raises(ConfigError) as info:
        load_config(path, KNOWN)
    assert str(info.value) == f"{path}: config file not found"


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"[thresholds]\n# caf\xe9\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, KNOWN)
    assert str(info.value).startswith(f"{path}: not UTF-8 text")


def test_hostile_key_stays_on_one_line(tmp_path: Path) -> None:
    message = error_for(tmp_path, '"evil\\nkey\\u001b[31m" = 1\n')
    assert message.startswith(f"{tmp_path / 'config.toml'}:1: ")
    assert "\\n" in message and "\x1b" not in message


def test_error_without_locatable_line_still_names_file_and_key(tmp_path: Path) -> None:
    # A key inside an array of inline tables has no line of its own; the array's line is used.
    message = error_for(tmp_path, '\nmute = [{ check = "KEY-002", resource = "arn:*" }]\n')
    assert message.startswith(f"{tmp_path / 'config.toml'}:2: [[mute]] #1 reason: ")


def test_empty_file_gives_defaults(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing configured\n")
    assert load_config(path, KNOWN) == Settings(source=str(path))


def test_full_config_is_parsed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
trusted_account_ids = ["111122223333", "012345678901"]

[thresholds]
key_rotation_days = 60
password_reuse = 12

[checks.ROLE-005]
severity = "LOW"

[checks.AA-001]
enabled = false

[[mute]]
check = "KEY-002"
resource = "arn:aws:iam::*:user/legacy-[!x]*"
reason = "  Vendor rotates quarterly; SEC-123  "
expires = 2027-03-31

[[mute]]
check = "PWD-001"
resource = "*"
reason = '''Password policy is managed
by the identity team'''
""",
    )
    settings = load_config(path, KNOWN, today=TODAY)
    assert settings.thresholds == dataclasses.replace(
        Thresholds(), key_rotation_days=60, password_reuse=12
    )
    assert settings.trusted_account_ids == frozenset({"111122223333", "012345678901"})
    assert settings.checks == {
        "ROLE-005": CheckOverride(enabled=True, severity=Severity.LOW),
        "AA-001": CheckOverride(enabled=False, severity=None),
    }
    assert settings.mutes == (
        Mute(
            check="KEY-002",
            resource="arn:aws:iam::*:user/legacy-[!x]*",
            reason="Vendor rotates quarterly; SEC-123",
            expires=date(2027, 3, 31),
        ),
        Mute(
            check="PWD-001",
            resource="*",
            reason="Password policy is managed\nby the identity team",
        ),
    )
    assert settings.source == str(path)


def test_dotted_keys_are_accepted(tmp_path: Path) -> None:
    path = write(tmp_path, "checks.AA-001.enabled = false\nthresholds.key_rotation_days = 30\n")
    settings = load_config(path, KNOWN)
    assert settings.checks == {"AA-001": CheckOverride(enabled=False)}
    assert settings.thresholds.key_rotation_days == 30


def test_line_found_after_multiline_string(tmp_path: Path) -> None:
    text = '[[mute]]\ncheck = "KEY-002"\nresource = "arn:*"\nreason = """a\nb = c\n"""\nbad = 1\n'
    assert error_for(tmp_path, text).startswith(f"{tmp_path / 'config.toml'}:7: [[mute]] #1 bad:")


def test_parse_config_names_given_source() -> None:
    with pytest.raises(ConfigError, match=r"^s3://bucket/config\.toml:1: thresholdz: "):
        parse_config("thresholdz = 1\n", KNOWN, name="s3://bucket/config.toml")


@pytest.mark.parametrize(
    "glob",
    ["*", "arn:aws:iam::*:user/legacy-*", "arn:aws:iam::*:role/[!x]?", "arn:*:[]]x", "arn:[!]]"],
)
def test_good_globs_accepted(glob: str) -> None:
    text = f'[[mute]]\ncheck = "KEY-002"\nresource = "{glob}"\nreason = "r"\n'
    assert parse_config(text, KNOWN).mutes[0].resource == glob


# --- the shipped example -----------------------------------------------------------------


def test_example_config_loads() -> None:
    # On a fixed day: the example's mute has a real expiry date, which will pass.
    settings = load_config(EXAMPLE, CATALOG_IDS, today=TODAY)
    # The example documents the defaults: its values must be the code's defaults.
    assert settings.thresholds == Thresholds()
    assert settings.trusted_account_ids == frozenset()
    assert all(m.reason.strip() for m in settings.mutes)
    assert settings.mutes, "the example shows a mute"


def test_example_config_documents_every_threshold() -> None:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    assert set(raw["thresholds"]) == {f.name for f in dataclasses.fields(Thresholds)}
    assert set(raw) == {"thresholds", "trusted_account_ids", "checks", "mute"}
    assert set(raw["checks"]["USER-002"]) == {"enabled", "severity"}
    assert set(raw["mute"][0]) == {"check", "resource", "reason", "expires"}


def test_example_config_changes_no_defaults() -> None:
    settings = load_config(EXAMPLE, CATALOG_IDS, today=TODAY)
    for check_id, override in settings.checks.items():
        # Restating the catalog severity is fine; changing it would surprise a copier.
        assert override.enabled, check_id
    # The example mute is scoped to AWS's documentation account.
    assert all(":111122223333:" in m.resource for m in settings.mutes)


def example_check_ids() -> set[str]:
    raw = tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))
    return set(raw.get("checks", {})) | {m["check"] for m in raw.get("mute", [])}


def test_example_check_ids_are_in_the_catalog() -> None:
    assert example_check_ids() <= set(CATALOG_IDS)


def test_example_check_ids_are_registered() -> None:
    from auditor.checks import all_checks

    # The example must load against the checks this release ships, or a user copying it
    # gets exit 2 on their first run.
    registered = {c.meta.id for c in all_checks()}
    assert example_check_ids() <= registered
    load_config(EXAMPLE, registered, today=TODAY)


def test_past_date_mute_is_an_error_naming_line_and_date(tmp_path: Path) -> None:
    path = write(tmp_path, f"[[mute]]\n{MUTE}expires = 2026-11-22\n")
    with pytest.raises(ConfigError) as info:
        load_config(path, KNOWN, today=date(2026, 11, 23))
    assert str(info.value) == (
        f"{path}:5: [[mute]] #1 expires: mute of KEY-002 expired on 2026-11-22 "
        "(today is 2026-11-23): renew it with a later date or remove it"
    )


def test_mute_is_live_through_its_expiry_date() -> None:
    text = f"[[mute]]\n{MUTE}expires = 2026-11-23\n"
    settings = parse_config(text, KNOWN, today=date(2026, 11, 23))
    assert settings.mutes[0].expires == date(2026, 11, 23)
