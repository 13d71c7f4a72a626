"""auditor.names: each shared rule matches a whole ASCII string, never a prefix or a line.

The cases every entry point shares are in role_names.py; the entry points' own tests are
test_cli_names.py, test_lambda_validation.py, test_config.py and policy/test_trust.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
import role_names

from auditor import names
from auditor.org import role_arn

ACCOUNT = "111122223333"
ARABIC_INDIC = "١١١١٢٢٢٢٣٣٣٣"  # twelve digits of another script: \d matches them


@pytest.mark.parametrize(
    ("check", "good"),
    [
        (names.is_account_id, ACCOUNT),
        (names.is_role_name, "audit/IamAuditor"),
        (names.is_session_name, "iam-auditor"),
        (names.is_external_id, "ext-1234"),
        (names.is_bucket_name, "iam-auditor-reports"),
        (names.is_key_segment, "reports"),
        (names.is_unique_id, "AROAEXAMPLEEXAMPLE1234"),
    ],
)
def test_a_trailing_newline_or_anything_around_a_good_value_is_refused(
    check: Callable[[object], bool], good: str
) -> None:
    assert check(good)
    for bad in (good + "\n", good + "\r\n", "\n" + good, good + "\t", good + "\x00"):
        assert not check(bad), repr(bad)


@pytest.mark.parametrize(
    "check",
    [
        names.is_account_id,
        names.is_role_name,
        names.is_session_name,
        names.is_external_id,
        names.is_bucket_name,
        names.is_key_segment,
        names.is_unique_id,
    ],
)
def test_only_strings_pass(check: Callable[[object], bool]) -> None:
    for value in (None, 111122223333, b"111122223333", ["111122223333"]):
        assert not check(value)


def test_account_ids_are_twelve_ascii_digits() -> None:
    assert names.is_account_id("012345678901")
    for bad in (ARABIC_INDIC, "12345678901", "1234567890123", "12345678901a", ""):
        assert not names.is_account_id(bad), bad


def test_the_shared_patterns_mean_the_whole_string_whatever_method_reads_them() -> None:
    # auditor.org still calls config.ACCOUNT_ID.match: it must not take a prefix.
    patterns = [
        getattr(names, n) for n in names.__all__ if isinstance(getattr(names, n), re.Pattern)
    ]
    assert names.ACCOUNT_ID in patterns
    for pattern in patterns:
        assert pattern.pattern.startswith(r"\A"), pattern
        assert pattern.pattern.endswith(r"\Z"), pattern
    assert names.ACCOUNT_ID.match("1234567890123") is None
    assert names.ACCOUNT_ID.match(f"{ACCOUNT}\n") is None
    assert names.ACCOUNT_ID.search(f"x{ACCOUNT}") is None


@pytest.mark.parametrize("value", role_names.ACCEPTED)
def test_role_names_accepted(value: str) -> None:
    assert names.is_role_name(value)


@pytest.mark.parametrize("value", role_names.REJECTED.values(), ids=role_names.REJECTED.keys())
def test_role_names_refused(value: str) -> None:
    assert not names.is_role_name(value)


def test_a_role_name_with_a_path_is_the_arn_sts_assumes() -> None:
    # arn:aws:iam::ACCOUNT:role/PATH/NAME: the role named NAME at the path /PATH/.
    arn = role_arn(ACCOUNT, "audit/IamAuditor")
    assert arn == f"arn:aws:iam::{ACCOUNT}:role/audit/IamAuditor"
    path_and_name = arn.split(":role", 1)[1]
    path, name = path_and_name.rsplit("/", 1)
    assert (path + "/", name) == ("/audit/", "IamAuditor")


def test_session_and_external_id_lengths() -> None:
    assert names.is_session_name("ab") and names.is_session_name("s" * 64)
    assert not names.is_session_name("a") and not names.is_session_name("s" * 65)
    assert names.is_external_id("ab") and names.is_external_id("e" * 1224)
    assert not names.is_external_id("a") and not names.is_external_id("e" * 1225)
    assert names.is_external_id("urn:ext/id=1,2@x.y+z_-")
    assert not names.is_external_id("ext-ü")


def test_key_segments() -> None:
    assert names.is_key_segment("rapports-été")  # S3 keys are UTF-8
    for bad in (".", "..", "a/b", "", "a\nb"):
        assert not names.is_key_segment(bad), bad
