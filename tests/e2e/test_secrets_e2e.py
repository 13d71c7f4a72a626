"""No secret leaves a run: every report, snapshot, stdout and stderr line is scanned for them.

The CLI runs with distinctive fake credentials in its environment (secret key and session
token carry a unique marker) and with verbose logging, against an account whose users hold
access keys (``CreateAccessKey`` hands the test their secrets). Further runs use one of
those users' own keys, assume a role (``--role-arn``) and audit an Organization, whose
assumed-role credentials moto records and the test reads back. No secret access key and no
session token in use may appear in any output, the HTML's compressed data block included;
an access-key id may appear only truncated (``AKIA…WXYZ``), never in full.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from auditor.demo import moto_account
from auditor.report.html_report import decode_data

from .conftest import AwsClient, RunCli

ALL_FORMATS = "json,csv,html,cis,ocsf,asff"
MARKER = "Zq7LeakCanary"
ENV_KEY_ID = "AKIAZQ7LEAKCANARY0X1"
ENV_SECRET = f"{MARKER}Secret/abcdefghijklmnopqrstuvwxyz0123"
ENV_TOKEN = f"{MARKER}Token" + "IQoJb3JpZ2luX2VjEXAMPLE" * 8
FULL_KEY_ID = re.compile(r"(?:AKIA|ASIA)[A-Z0-9]{16}")
DATA_BLOCK = re.compile(r'<script type="application/octet-stream"[^>]*>([^<]*)</script>')


@dataclass
class Secrets:
    """What must never be printed: secret keys and tokens, and key ids in full."""

    secrets: set[str] = field(default_factory=set)
    key_ids: set[str] = field(default_factory=set)

    def add_key(self, key_id: str, secret: str, token: str | None = None) -> None:
        self.key_ids.add(key_id)
        self.secrets.add(secret)
        if token:
            self.secrets.add(token)


def outputs(directory: Path) -> Iterator[tuple[str, str]]:
    """``(where, text)`` for every file under ``directory``, HTML data blocks decoded too."""
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        text = path.read_bytes().decode("utf-8", errors="replace")
        yield str(path), text
        for index, block in enumerate(DATA_BLOCK.findall(text)):
            if block.strip():
                yield f"{path} data block {index}", repr(decode_data(block.strip()))


def leaks(secrets: Secrets, texts: Iterable[tuple[str, str]]) -> list[str]:
    """Each place a secret, a known key id or any full-length key id shows up."""
    found = []
    for where, text in texts:
        found += [f"{where}: secret {s[:6]}…" for s in secrets.secrets if s in text]
        found += [f"{where}: key id {k}" for k in secrets.key_ids if k in text]
        found += [f"{where}: full key id {m}" for m in FULL_KEY_ID.findall(text)]
    return found


def streams(proc: subprocess.CompletedProcess[str]) -> list[tuple[str, str]]:
    return [("stdout", proc.stdout), ("stderr", proc.stderr)]


def assumed_credentials() -> Iterator[tuple[str, str, str]]:
    """``(key id, secret, token)`` of every role moto's STS has handed out in this process."""
    from moto.sts.models import sts_backends

    for account_id in list(sts_backends.keys()):
        for partition in list(sts_backends[account_id].keys()):
            for role in sts_backends[account_id][partition].assumed_roles:
                yield role.access_key_id, role.secret_access_key, role.session_token


def users_with_keys(aws_client: AwsClient, secrets: Secrets, prefix: str = "leak") -> list[Any]:
    """Two users with keys (one with both slots), their keys recorded as secrets."""
    iam = aws_client("iam")
    keys = []
    for name, count in ((f"{prefix}-alice", 2), (f"{prefix}-bob", 1)):
        iam.create_user(UserName=name)
        for _ in range(count):
            key = iam.create_access_key(UserName=name)["AccessKey"]
            secrets.add_key(key["AccessKeyId"], key["SecretAccessKey"])
            keys.append(key)
    return keys


@pytest.fixture
def secrets() -> Secrets:
    found = Secrets()
    found.add_key(ENV_KEY_ID, ENV_SECRET, ENV_TOKEN)
    return found


ENV = {
    "AWS_ACCESS_KEY_ID": ENV_KEY_ID,
    "AWS_SECRET_ACCESS_KEY": ENV_SECRET,
    "AWS_SESSION_TOKEN": ENV_TOKEN,
}


def test_verbose_audit_with_every_format_and_a_snapshot_leaks_nothing(
    run_cli: RunCli, aws_client: AwsClient, tmp_path: Path, secrets: Secrets
) -> None:
    users_with_keys(aws_client, secrets)
    moto_account.backdate_access_key("leak-alice", 1, created_days_ago=200, last_used_days_ago=3)
    out = tmp_path / "out"
    snap = tmp_path / "snap" / "snapshot.json"

    proc = run_cli(
        "audit", "-v", "--format", ALL_FORMATS, "--output-dir", out, "--save-snapshot", snap,
        env=ENV,
    )  # fmt: skip

    assert proc.returncode in (0, 1, 3), proc.stderr[-2000:]
    # The run did read the users and log verbosely, so the scan below had something to see.
    assert "leak-alice" in (out / "report.json").read_text(encoding="utf-8")
    assert "iam-auditor: INFO" in proc.stderr
    assert snap.is_file()
    assert len(list(out.iterdir())) == 7
    assert leaks(secrets, [*outputs(out), *outputs(snap.parent), *streams(proc)]) == []


def test_audit_with_a_users_own_key_leaks_neither_its_secret_nor_its_id(
    run_cli: RunCli, aws_client: AwsClient, tmp_path: Path, secrets: Secrets
) -> None:
    keys = users_with_keys(aws_client, secrets, prefix="own")
    key = keys[-1]
    out = tmp_path / "out"

    env = {"AWS_ACCESS_KEY_ID": key["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": key["SecretAccessKey"]}

    proc = run_cli("audit", "-v", "--format", ALL_FORMATS, "--output-dir", out, env=env)

    assert proc.returncode in (0, 1, 3), proc.stderr[-2000:]
    assert "own-bob" in (out / "report.json").read_text(encoding="utf-8")
    assert leaks(secrets, [*outputs(out), *streams(proc)]) == []


def test_assumed_role_run_leaks_none_of_the_credentials_sts_returned(
    run_cli: RunCli, aws_client: AwsClient, tmp_path: Path, secrets: Secrets
) -> None:
    users_with_keys(aws_client, secrets, prefix="role")
    aws_client("iam").create_role(
        RoleName="auditor",
        AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"AWS":"arn:aws:iam::123456789012:root"},"Action":"sts:AssumeRole"}]}',
    )
    before = set(assumed_credentials())
    out = tmp_path / "out"

    proc = run_cli(
        "audit", "-v", "--format", ALL_FORMATS, "--output-dir", out,
        "--role-arn", "arn:aws:iam::123456789012:role/auditor", env=ENV,
    )  # fmt: skip

    assert proc.returncode in (0, 1, 3), proc.stderr[-2000:]
    handed_out = set(assumed_credentials()) - before
    assert handed_out, "the CLI did not assume the role"
    for key_id, secret, token in handed_out:
        secrets.add_key(key_id, secret, token)
    assert leaks(secrets, [*outputs(out), *streams(proc)]) == []


def test_verbose_org_run_leaks_no_member_credentials(
    run_cli: RunCli, aws_client: AwsClient, tmp_path: Path, secrets: Secrets
) -> None:
    users_with_keys(aws_client, secrets, prefix="mgmt")
    moto_account.create_organization("alpha", "beta")
    before = set(assumed_credentials())
    out = tmp_path / "org"

    proc = run_cli("org", "-v", "--format", ALL_FORMATS, "--output-dir", out, env=ENV)

    assert proc.returncode in (0, 1, 3), proc.stderr[-2000:]
    handed_out = set(assumed_credentials()) - before
    assert len(handed_out) >= 2, "the org run did not assume a role in each member"
    for key_id, secret, token in handed_out:
        secrets.add_key(key_id, secret, token)
    assert (out / "org-summary.json").is_file()
    assert leaks(secrets, [*outputs(out), *streams(proc)]) == []


def test_the_scan_finds_what_it_looks_for(tmp_path: Path, secrets: Secrets) -> None:
    """The scanner itself: a secret, a key id or any full key id in a file is caught."""
    (tmp_path / "a.txt").write_text(f"x {ENV_TOKEN} y", encoding="utf-8")
    (tmp_path / "b.txt").write_text("AKIAABCDEFGHIJKLMNOP", encoding="utf-8")
    (tmp_path / "c.txt").write_text("AKIA…MNOP only", encoding="utf-8")
    found = leaks(secrets, outputs(tmp_path))
    assert any("a.txt: secret" in f for f in found)
    assert any("b.txt: full key id" in f for f in found)
    assert not any("c.txt" in f for f in found)
