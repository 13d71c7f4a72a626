"""The command line's checks of role, session and account names: whole values, one rule each.

``iam-auditor org`` runs in this process with ``run_org_audit`` replaced by a recorder, so
a name the CLI accepts is seen arriving where the role would be assumed, and one it refuses
is one line on stderr and exit 2 with nothing called. The role name rule is the Lambda's
too (role_names.py, test_lambda_validation.py): ``NAME`` or ``PATH/NAME``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import role_names

from auditor import cli
from auditor.errors import ExitCode
from auditor.org import OrgError

MEMBER = "111122223333"
ARABIC_INDIC = "١١١١٢٢٢٢٣٣٣٣"


@pytest.fixture
def org_calls(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """What ``iam-auditor org`` passes to ``run_org_audit``; the run then stops (exit 2)."""
    from auditor import org

    calls: list[dict[str, Any]] = []

    def record(*args: Any, **kwargs: Any) -> Any:
        calls.append(kwargs)
        raise OrgError("stopped by the test")

    monkeypatch.setattr(org, "run_org_audit", record)
    return calls


def run_org(tmp_path: Path, *flags: str) -> int:
    return cli.main(["org", "-q", "--output-dir", str(tmp_path / "out"), *flags])


@pytest.mark.parametrize("role", role_names.ACCEPTED)
def test_role_name_accepted_reaches_the_org_run_as_given(
    tmp_path: Path, org_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], role: str
) -> None:
    assert run_org(tmp_path, "--role-name", role) == ExitCode.USAGE
    assert "stopped by the test" in capsys.readouterr().err
    assert [c["role_name"] for c in org_calls] == [role]


@pytest.mark.parametrize("role", role_names.REJECTED.values(), ids=role_names.REJECTED.keys())
def test_role_name_refused_before_anything_runs(
    tmp_path: Path, org_calls: list[dict[str, Any]], capsys: pytest.CaptureFixture[str], role: str
) -> None:
    assert run_org(tmp_path, "--role-name", role) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert err.startswith(f"iam-auditor: error: --role-name {role!r} is not an IAM role name")
    assert err.count("\n") == 1
    assert org_calls == []


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--role-name", "IamAuditor\n"], "--role-name 'IamAuditor\\n' is not an IAM role name"),
        (["--role-name", "audit/IamAuditor\n"], "is not an IAM role name"),
        (["--session-name", "iam-auditor\n"], "--session-name 'iam-auditor\\n': 2 to 64 of"),
        (["--session-name", "iam-audïtor"], "--session-name 'iam-audïtor': 2 to 64 of"),
        (["--external-id", "ext-1234\n"], "--external-id is not a valid external id"),
        (["--accounts", ARABIC_INDIC], f"--accounts: {ARABIC_INDIC!r} is not a 12-digit"),
        (["--accounts", f"{MEMBER}0"], f"--accounts: '{MEMBER}0' is not a 12-digit"),
    ],
)
def test_org_refuses_line_breaks_and_non_ascii(
    tmp_path: Path,
    org_calls: list[dict[str, Any]],
    capsys: pytest.CaptureFixture[str],
    flags: list[str],
    message: str,
) -> None:
    assert run_org(tmp_path, *flags) == ExitCode.USAGE
    err = capsys.readouterr().err
    assert message in err
    assert "ext-1234" not in err  # an external id is not echoed
    assert org_calls == []


def test_accounts_are_split_on_commas_and_stripped(
    tmp_path: Path, org_calls: list[dict[str, Any]]
) -> None:
    # A list pasted from a file may end in a newline; the ids themselves are whole.
    run_org(tmp_path, "--accounts", f" {MEMBER},\n444455556666\n")
    assert [c["accounts"] for c in org_calls] == [[MEMBER, "444455556666"]]


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (["--session-name", "nightly\n"], "--session-name 'nightly\\n': 2 to 64 of"),
        (["--session-name", "x"], "--session-name 'x': 2 to 64 of"),
        (["--external-id", "e"], "--external-id is not a valid external id"),
    ],
)
def test_audit_checks_session_name_and_external_id_as_org_does(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], flags: list[str], message: str
) -> None:
    # Checked before the snapshot is read (there is none): nothing else is looked at.
    code = cli.main(
        ["audit", "-q", "--from-snapshot", str(tmp_path / "missing.json"),
         "--output-dir", str(tmp_path / "out"), *flags]
    )  # fmt: skip
    assert code == ExitCode.USAGE
    assert message in capsys.readouterr().err


def test_cli_module_has_no_validator_of_its_own() -> None:
    # One rule per name, in auditor.names: the CLI keeps no copy that could drift.
    assert not any(
        name in vars(cli) for name in ("_ROLE_NAME", "_SESSION_NAME", "ACCOUNT_ID", "re")
    )
