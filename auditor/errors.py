"""The vocabulary every entry point shares: the exit codes and the one error base class.

An ``AuditorError`` is a problem the user can act on (a bad flag, an unreadable config or
report, credentials that do not work, a sink that refuses a write): the CLI prints its
one-line message and exits with its ``exit_code``; the Lambda handler fails the invocation
with the same line. Anything else that escapes is a bug and keeps its traceback.
"""

from __future__ import annotations

from enum import IntEnum
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from auditor.model import Severity


class Judged(Protocol):
    """What the exit rule reads: a Report, an OrgReport or one account's outcome."""

    @property
    def complete(self) -> bool:
        """False when something could not be examined."""

    @property
    def worst(self) -> Severity | None:
        """The highest severity of any unmuted FAIL, or None."""


__all__ = ["AuditorError", "ExitCode", "Judged", "UsageError"]


class ExitCode(IntEnum):
    """What the process tells its caller; docs/architecture.md and the README list them."""

    OK = 0
    FAIL = 1
    USAGE = 2
    INCOMPLETE = 3
    SEND_FAILED = 4
    # 128 + SIGINT (2): what a shell reports for a run stopped with Ctrl-C.
    INTERRUPTED = 130
    # 128 + SIGPIPE (13): what a shell reports for a writer whose reader went away. Spelled
    # out, since the signal module has no SIGPIPE on Windows.
    BROKEN_PIPE = 141

    @classmethod
    def judge(cls, outcome: Judged, fail_on: Severity | None) -> ExitCode:
        """The one rule for a report, an org run or a Lambda result: 3, 1 or 0.

        Incomplete wins over failing: a scheduled job must learn that part of the account
        went unexamined even when what was examined also fails. ``outcome.worst`` is the
        highest severity of any unmuted FAIL; ``fail_on=None`` (``--fail-on never``) never
        gives 1.
        """
        if not outcome.complete:
            return cls.INCOMPLETE
        worst = outcome.worst
        if fail_on is not None and worst is not None and worst.rank >= fail_on.rank:
            return cls.FAIL
        return cls.OK


class AuditorError(Exception):
    """A problem the user can act on; its message is one line, whatever it was built from.

    Subclasses say where it came from; ``exit_code`` says what the CLI exits with.
    """

    exit_code: ExitCode = ExitCode.USAGE

    def __str__(self) -> str:
        # A message quoting a file, a policy or an AWS error can carry line breaks; one line
        # keeps a cron log or a Lambda's log event readable and unforgeable.
        return " ".join(super().__str__().split())


class UsageError(AuditorError, ValueError):
    """How the tool was invoked or configured is wrong (a flag, a value, a combination)."""
