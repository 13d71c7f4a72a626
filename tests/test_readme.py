"""The README's commands are real: every ``iam-auditor`` invocation it shows parses.

Users copy the README's crontab line, systemd unit and examples as they are, so a renamed
or removed flag must fail a test rather than a scheduled job. Each fenced code block is
scanned for ``iam-auditor SUBCOMMAND ...``; shell around it (``$(date ...)``, ``||``,
redirections, quotes) is reduced to the words the CLI would receive, which must then parse
with the real argument parser. The option tables are held to the same rule, and the
sample summary is what ``make demo`` really prints: the demo is run in process and every
line the sample shows must appear in its output, in order (``...`` stands for lines left
out). The attack-path sample is ``iam-auditor paths`` on a snapshot of that demo account,
printed whole.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from auditor import snapshot as snapshot_json
from auditor.audit import run_audit
from auditor.cli import build_parser, main
from auditor.config import Settings
from auditor.demo.account import demo_session

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
SUBCOMMANDS = ("audit", "org", "demo", "checks", "permissions", "diff", "paths")
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
_INVOCATION = re.compile(r"(?:^|[\s/'\"])iam-auditor\s+(" + "|".join(SUBCOMMANDS) + r")\b(.*)")
# Where the shell stops handing words to the command.
_SHELL_END = re.compile(r"\s(?:\|\||&&|\||;|2>>?|>>?)\s")


def readme_invocations() -> list[str]:
    """Every ``iam-auditor SUBCOMMAND ...`` command line in the README's code blocks."""
    text = README.read_text(encoding="utf-8")
    found: list[str] = []
    for block in _FENCE.findall(text):
        for line in block.splitlines():
            match = _INVOCATION.search(line)
            if match:
                found.append(f"{match.group(1)}{match.group(2)}")
    return found


def argv_of(command: str) -> list[str]:
    """The arguments the shell would pass for ``command`` (substitutions become a word)."""
    command = _SHELL_END.split(f"{command} ", maxsplit=1)[0]
    # A systemd ExecStart wraps the command in sh -c '...'; its closing quote ends it.
    command = command.split("'", 1)[0] if command.count("'") % 2 else command
    command = re.sub(r"\$\([^)]*\)", "SUBSTITUTED", command).replace("%%", "%")
    return shlex.split(command)


def test_the_readme_shows_commands() -> None:
    commands = readme_invocations()
    assert any(c.startswith("audit ") for c in commands)
    assert any(c.startswith("org ") for c in commands)


@pytest.mark.parametrize("command", readme_invocations())
def test_readme_command_parses(command: str) -> None:
    parser = build_parser()
    try:
        parser.parse_args(argv_of(command))
    except SystemExit as exc:  # argparse's way of rejecting arguments
        pytest.fail(f"README command does not parse ({exc.code}): iam-auditor {command}")


def test_option_tables_name_real_options() -> None:
    parser = build_parser()
    known: set[str] = set()
    for action in parser._subparsers._group_actions:  # type: ignore[union-attr]
        for sub in action.choices.values():  # type: ignore[union-attr]
            for option in sub._actions:
                known.update(option.option_strings)
    text = README.read_text(encoding="utf-8")
    table_rows = [line for line in text.splitlines() if line.startswith("| `--")]
    named = {opt for row in table_rows for opt in re.findall(r"`(--[a-z][a-z-]*)", row)}
    assert named, "the README's option tables were not found"
    assert named <= known, f"README names options the CLI does not have: {named - known}"


def demo_sample() -> list[str]:
    """The README's sample summary: the code block that opens with an ``Account`` line."""
    text = README.read_text(encoding="utf-8")
    for block in _FENCE.findall(text):
        lines: list[str] = str(block).splitlines()
        if lines and lines[0].startswith("Account ") and " score " in lines[0]:
            return lines
    raise AssertionError("the README's sample summary was not found")


def make_demo_dir() -> str:
    """Where ``make demo`` writes its reports (``DEMO_DIR`` of the Makefile)."""
    found = re.search(r"^DEMO_DIR \?= (\S+)$", (REPO / "Makefile").read_text(), re.MULTILINE)
    assert found is not None, "DEMO_DIR is no longer set in the Makefile"
    return found.group(1)


def test_readme_sample_summary_is_what_make_demo_prints(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As ``make demo`` runs it: from the repository's root, into DEMO_DIR.
    monkeypatch.chdir(tmp_path)
    assert main(["demo", "--output-dir", make_demo_dir()]) == 0
    printed = capsys.readouterr().out.splitlines()

    sample = demo_sample()
    # The lines a reader compares first are shown whole, never elided.
    assert sample[:3] == printed[:3]
    assert sample[2] == "Failing checks:"
    at = 0
    for line in sample:
        if line.strip() == "...":
            continue
        assert line in printed[at:], f"the README shows a line make demo does not print: {line!r}"
        at = printed.index(line, at) + 1
    # "writes reports/demo/report.{html,csv,json}", as the Quickstart says.
    reports = [line.strip() for line in sample[sample.index("Reports:") + 1 :]]
    assert reports == [f"{make_demo_dir()}/report.{ext}" for ext in ("json", "csv", "html")]
    assert all((tmp_path / report).is_file() for report in reports)


def paths_sample() -> tuple[list[str], list[str]]:
    """The README's ``iam-auditor paths`` sample: its arguments and the lines it shows."""
    text = README.read_text(encoding="utf-8")
    for block in _FENCE.findall(text):
        lines: list[str] = str(block).splitlines()
        if lines and lines[0].startswith("$ iam-auditor paths "):
            return shlex.split(lines[0].removeprefix("$ iam-auditor "))[1:], lines[1:]
    raise AssertionError("the README's attack-path sample was not found")


def test_readme_paths_sample_is_what_paths_prints_on_the_demo(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with demo_session() as session:
        snapshot = run_audit(Settings(), session=session, only=["PERM-010"]).snapshot
    args, shown = paths_sample()
    # The sample names its snapshot ``demo.json``: write the demo's there.
    monkeypatch.chdir(tmp_path)
    (tmp_path / "demo.json").write_text(snapshot_json.dumps(snapshot), encoding="utf-8")

    assert main(["paths", *args]) == 1, "the demo account has an attack path"
    assert capsys.readouterr().out.splitlines() == shown
