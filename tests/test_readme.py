"""The README's commands are real: every ``iam-auditor`` invocation it shows parses.

Users copy the README's crontab line, systemd unit and examples as they are, so a renamed
or removed flag must fail a test rather than a scheduled job. Each fenced code block is
scanned for ``iam-auditor SUBCOMMAND ...``; shell around it (``$(date ...)``, ``||``,
redirections, quotes) is reduced to the words the CLI would receive, which must then parse
with the real argument parser. The option tables are held to the same rule.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from auditor.cli import build_parser

README = Path(__file__).resolve().parent.parent / "README.md"
SUBCOMMANDS = ("audit", "org", "demo", "checks", "permissions", "diff")
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
