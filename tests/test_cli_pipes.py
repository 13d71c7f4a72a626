"""Output piped into a reader that stops early (``| head``, ``| grep -q``) ends quietly.

The installed ``iam-auditor`` runs with its stdout on a pipe whose read end is already
closed, so its first write (or the flush at exit, when the output fits in the buffer) meets
a broken pipe every time, whatever the output's size and the machine's speed. Python
buffers stdout on a pipe unless ``PYTHONUNBUFFERED`` is set, and the two fail at different
moments (the write, or the interpreter's last flush), so each command runs both ways. The
run must end with no traceback and exit 0 or 141 (128 + SIGPIPE, what a shell reports for
a writer its reader left), never 1 or Python's 120.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

from auditor import cli
from auditor.errors import ExitCode

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes and sh")

CLI = Path(sys.executable).parent / "iam-auditor"
QUIET = {0, 141}
NOISE = ("Traceback", "BrokenPipeError", "Exception ignored", "Broken pipe")


def environment(*, buffered: bool) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    return env


def into_closed_pipe(command: list[str], *, buffered: bool) -> tuple[int, str]:
    """Run ``command`` with stdout on a pipe nobody reads; its exit code and stderr."""
    read_end, write_end = os.pipe()
    os.close(read_end)  # before the child starts: no write of it can ever succeed
    try:
        child = subprocess.Popen(  # noqa: S603 - our own CLI, no shell
            command,
            stdout=write_end,
            stderr=subprocess.PIPE,
            env=environment(buffered=buffered),
        )
    finally:
        os.close(write_end)
    _, err = child.communicate(timeout=120)
    return child.returncode, err.decode("utf-8", "replace")


def in_shell(line: str) -> subprocess.CompletedProcess[str]:
    """Run a fixed ``sh -c`` line in which ``$0`` is the installed CLI (buffered stdout)."""
    return subprocess.run(  # noqa: S603 - our own CLI through a fixed shell line
        ["/bin/sh", "-c", line, CLI],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment(buffered=True),
        check=False,
    )


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize(
    "args", [["checks"], ["checks", "--json"], ["permissions"], ["--help"]], ids=" ".join
)
def test_installed_cli_into_a_closed_pipe_ends_quietly(args: list[str], buffered: bool) -> None:
    code, err = into_closed_pipe([str(CLI), *args], buffered=buffered)
    assert not any(word in err for word in NOISE), err
    assert code in QUIET, (code, err)


def test_python_m_auditor_into_a_closed_pipe_ends_quietly() -> None:
    code, err = into_closed_pipe([sys.executable, "-m", "auditor", "checks"], buffered=True)
    assert not any(word in err for word in NOISE), err
    assert code in QUIET, (code, err)


def test_a_shell_pipeline_into_head() -> None:
    # Whether the pipe breaks here depends on timing; that it ends quietly must not.
    done = in_shell('"$0" checks | head -n 1; "$0" permissions | grep -q Statement')
    assert done.returncode == 0, done.stderr
    assert not any(word in done.stderr for word in NOISE), done.stderr
    assert done.stdout.startswith("ID")


def test_a_closed_stdout_is_no_crash_either() -> None:
    # With fd 1 closed Python has no sys.stdout at all (None), and main's flush must cope.
    done = in_shell('"$0" checks >&-')
    assert done.returncode in QUIET, done.stderr
    assert not any(word in done.stderr for word in NOISE), done.stderr


class _GoneReader(io.TextIOBase):
    """A stdout whose reader has left: every write is a broken pipe."""

    def write(self, text: str) -> int:
        raise BrokenPipeError(32, "Broken pipe")


def test_main_returns_141_when_the_reader_went_away(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", _GoneReader())
    assert cli.main(["checks"]) == ExitCode.BROKEN_PIPE == 141


def test_a_broken_stderr_still_writes_the_reports(tmp_path: Path) -> None:
    # `audit 2>&1 | head -1`: the progress reader leaves after one line. Progress is a
    # courtesy; losing it must not lose the audit's reports.
    read_end, write_end = os.pipe()
    os.close(read_end)
    out = tmp_path / "reports"
    try:
        child = subprocess.Popen(  # noqa: S603 - our own CLI, no shell
            [str(CLI), "demo", "--output-dir", str(out)],
            stdout=subprocess.DEVNULL,
            stderr=write_end,
            env=environment(buffered=False),
        )
    finally:
        os.close(write_end)
    code = child.wait(timeout=300)
    assert code in {0, 1, 141}, code
    assert sorted(p.name for p in out.iterdir()) == ["report.csv", "report.html", "report.json"]
