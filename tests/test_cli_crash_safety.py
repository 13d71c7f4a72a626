"""Crash safety through the command line: a run that fails while writing changes nothing.

``iam-auditor audit`` runs in this process (``auditor.cli.main``) on a saved snapshot, so a
failure can be injected into the sink's file system calls: the rename of the second
report, or the writing of the third. Either way the previous run's report.json, report.csv
and report.html keep their bytes, no temporary file is left beside them, and the run says
in one line that it could not write (exit 2). A successful run leaves owner-only files
(0600) in a directory it created owner-only (0700), whatever the umask.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import factories
import pytest

from auditor import cli
from auditor import sink as sink_module
from auditor.snapshot import dumps

REPORTS = ("report.json", "report.csv", "report.html")


@pytest.fixture
def snapshot_file(tmp_path: Path) -> Path:
    snap = factories.snapshot(
        credential_report=[factories.cred_row("alice"), factories.cred_row("bob", mfa=False)]
    )
    path = tmp_path / "snapshot.json"
    path.write_text(dumps(snap), encoding="utf-8")
    return path


@pytest.fixture(autouse=True)
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def audit(snapshot: Path, out: Path) -> int:
    return cli.main(
        ["audit", "--from-snapshot", str(snapshot), "--output-dir", str(out), "-q",
         "--checks", "USER-001,USER-003", "--fail-on", "never"]
    )  # fmt: skip


def contents(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in out.iterdir()}


def test_first_run_creates_an_owner_only_directory_and_files(
    snapshot_file: Path, tmp_path: Path
) -> None:
    out = tmp_path / "new" / "reports"

    assert audit(snapshot_file, out) == 0

    assert stat.S_IMODE(out.stat().st_mode) == 0o700
    assert sorted(os.listdir(out)) == sorted(REPORTS)
    for name in REPORTS:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600, name
    assert b'\n    "USER-003": [\n' in (out / "report.json").read_bytes()


@pytest.fixture
def previous_run(snapshot_file: Path, tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """A first run's reports directory and its files' bytes; the snapshot is then changed,
    so a second run would write other bytes, were it to get through."""
    out = tmp_path / "reports"
    assert audit(snapshot_file, out) == 0
    before = contents(out)
    snapshot_file.write_text(
        dumps(factories.snapshot(credential_report=[factories.cred_row("carol", mfa=False)])),
        encoding="utf-8",
    )
    return out, before


def test_rename_of_the_second_report_failing_keeps_the_previous_reports(
    snapshot_file: Path,
    previous_run: tuple[Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out, before = previous_run
    real_replace = os.replace
    renamed: list[str] = []

    def replace(src: Any, dst: Any) -> None:
        renamed.append(Path(dst).name)
        if len(renamed) == 2:
            raise OSError(5, "Input/output error")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", replace)
    capsys.readouterr()

    code = audit(snapshot_file, out)

    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"iam-auditor: error: cannot write reports to {out}")
    assert renamed[:2] == ["report.json", "report.csv"]
    # report.json was already renamed when report.csv failed: it is put back.
    assert contents(out) == before  # every previous report intact, nothing else there


def test_failure_writing_the_third_report_replaces_none(
    snapshot_file: Path,
    previous_run: tuple[Path, dict[str, bytes]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, before = previous_run
    real = sink_module.LocalSink._write_temp

    def full_disk(self: sink_module.LocalSink, name: str, content: bytes) -> str:
        if name == "report.html":
            raise OSError(28, "No space left on device")
        return real(self, name, content)

    monkeypatch.setattr(sink_module.LocalSink, "_write_temp", full_disk)

    assert audit(snapshot_file, out) == 2
    assert contents(out) == before  # every previous report intact, nothing else there
