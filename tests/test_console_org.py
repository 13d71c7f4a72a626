"""The organization run on the console: plain lines off a terminal, bars on one, the summary.

The terminal display is checked by replaying what it wrote through a tiny terminal (the
few ANSI sequences it uses), so a test sees the screen a person would see, not escape
codes; every event comes from worker threads in a real run, and one test drives it from
many threads at once.
"""

from __future__ import annotations

import io
import re
import threading
from datetime import UTC, datetime

from auditor.console import OrgConsole, inert, org_summary, outcome_line
from auditor.model import AccountOutcome, CheckTally, Gap, OrgReport, Score, Severity, Source, Tool
from auditor.org import MemberAccount, outcome_not_audited

PROD = MemberAccount("111122223333", "prod")
DEV = MemberAccount("444455556666", "dev")
_CSI = re.compile(r"\x1b\[(\d*)([A-Za-z])")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def screen(output: str) -> list[str]:
    """The rows a terminal shows after ``output``; supports the sequences OrgConsole uses.

    ``ESC[nF`` (up n rows, column 1), ``ESC[J`` (erase to the end of the screen), ``ESC[2K``
    (erase the row) and newlines. Anything else fails the test.
    """
    rows: list[str] = [""]
    row = 0
    pos = 0
    while pos < len(output):
        match = _CSI.match(output, pos)
        if match:
            count, command = match.groups()
            if command == "F":
                row = max(0, row - int(count or 1))
            elif command == "J":
                rows[row] = ""
                del rows[row + 1 :]
            elif command == "K" and count == "2":
                rows[row] = ""
            else:
                raise AssertionError(f"unexpected escape {match.group(0)!r}")
            pos = match.end()
            continue
        char = output[pos]
        assert char != "\x1b", f"stray escape at {pos}: {output[pos : pos + 10]!r}"
        if char == "\n":
            row += 1
            if row == len(rows):
                rows.append("")
        else:
            rows[row] += char
        pos += 1
    return [r for r in rows if r]


def audited(
    account: MemberAccount, value: float = 71.2, *, complete: bool = True
) -> AccountOutcome:
    return AccountOutcome(
        account.account_id, account.name, score=Score(value, "C"), complete=complete
    )


def test_plain_lines_off_a_terminal() -> None:
    stream, clock = io.StringIO(), Clock()
    display = OrgConsole(stream, tty=False, clock=clock)
    display.planned([PROD, DEV])
    clock.now += 12.3
    display.started(PROD)
    display.step(PROD, "reading users, groups, roles and policies…")
    display.started(DEV)
    clock.now += 2
    display.done(DEV, outcome_not_audited(DEV.account_id, DEV.name, "assuming role: AccessDenied"))
    display.done(PROD, audited(PROD))
    display.close()
    assert stream.getvalue().splitlines() == [
        "[   0.0s] auditing 2 accounts of the Organization",
        "[  12.3s] 111122223333 (prod): starting…",
        "[  12.3s] 111122223333 (prod): reading users, groups, roles and policies…",
        "[  12.3s] 444455556666 (dev): starting…",
        "[  14.3s] 444455556666 (dev): NOT AUDITED: assuming role: AccessDenied",
        "[  14.3s] 111122223333 (prod): done: score 71.2 C, complete",
    ]


def test_hostile_names_and_messages_stay_inert() -> None:
    stream = io.StringIO()
    evil = MemberAccount("111122223333", "x\x1b[2J\u202egnp.exe\r")
    display = OrgConsole(stream, tty=False, clock=Clock())
    display.started(evil)
    display.done(evil, outcome_not_audited(evil.account_id, evil.name, "no \x1b]0;title\x07"))
    text = stream.getvalue()
    assert "\x1b" not in text
    assert "\u202e" not in text
    assert "\r" not in text
    assert "111122223333 (x?[2J?gnp.exe?): NOT AUDITED: no ?]0;title?" in text
    assert inert("tab\there") == "tab?here"


def test_bars_on_a_terminal_are_redrawn_in_place_and_leave_only_the_results() -> None:
    stream, clock = io.StringIO(), Clock()
    display = OrgConsole(stream, tty=True, clock=clock, width=100)
    display.planned([PROD, DEV])
    display.started(PROD)
    display.started(DEV)
    display.step(PROD, "assuming role OrganizationAccountAccessRole…")
    display.step(PROD, "reading users, groups, roles and policies…")
    display.step(DEV, "generating credential report…")
    rows = screen(stream.getvalue())
    assert rows == [
        "[   0.0s] auditing 2 accounts of the Organization",
        "[   0.0s] 0/2 accounts finished",
        "  111122223333 (prod)  [######------]  reading users, groups, roles and policies…",
        "  444455556666 (dev)  [####--------]  generating credential report…",
    ]
    # An unknown message moves no bar backwards.
    display.step(PROD, "something new…")
    assert screen(stream.getvalue())[2] == "  111122223333 (prod)  [######------]  something new…"

    clock.now += 5
    display.done(PROD, audited(PROD, 55.0, complete=False))
    rows = screen(stream.getvalue())
    assert rows == [
        "[   0.0s] auditing 2 accounts of the Organization",
        "[   5.0s] 111122223333 (prod): done: score 55.0 C, INCOMPLETE",
        "[   5.0s] 1/2 accounts finished",
        "  444455556666 (dev)  [####--------]  generating credential report…",
    ]
    display.done(DEV, audited(DEV))
    display.close()
    assert screen(stream.getvalue()) == [
        "[   0.0s] auditing 2 accounts of the Organization",
        "[   5.0s] 111122223333 (prod): done: score 55.0 C, INCOMPLETE",
        "[   5.0s] 444455556666 (dev): done: score 71.2 C, complete",
    ]


def test_a_bar_never_wraps_past_the_terminal_width() -> None:
    stream = io.StringIO()
    display = OrgConsole(stream, tty=True, clock=Clock(), width=40)
    display.started(PROD)
    display.step(PROD, "reading authorization details: page 12 (12,000 entities)…")
    assert all(len(row) < 40 for row in screen(stream.getvalue()))


def test_interrupted_run_closes_with_no_bars_left() -> None:
    stream = io.StringIO()
    display = OrgConsole(stream, tty=True, clock=Clock(), width=100)
    display.started(PROD)
    display.step(PROD, "generating credential report…")
    display.close()
    assert screen(stream.getvalue()) == []


def test_many_threads_at_once_leave_a_consistent_screen() -> None:
    stream = io.StringIO()
    display = OrgConsole(stream, tty=True, clock=Clock(), width=120)
    accounts = [MemberAccount(f"{i:012d}", f"acct-{i}") for i in range(16)]
    display.planned(accounts)
    start = threading.Barrier(len(accounts))

    def work(account: MemberAccount) -> None:
        start.wait(timeout=60)
        display.started(account)
        for page in range(30):
            display.step(account, f"reading authorization details: page {page}…")
        display.done(account, audited(account))

    threads = [threading.Thread(target=work, args=(a,)) for a in accounts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    display.close()
    rows = screen(stream.getvalue())
    assert rows[0] == "[   0.0s] auditing 16 accounts of the Organization"
    assert sorted(rows[1:]) == sorted(
        f"[   0.0s] {a.account_id} ({a.name}): done: score 71.2 C, complete" for a in accounts
    )


def test_outcome_line() -> None:
    assert outcome_line(audited(PROD)) == "done: score 71.2 C, complete"
    assert outcome_line(outcome_not_audited("1" * 12, "", "why")) == "NOT AUDITED: why"


def test_org_summary_names_who_was_not_audited_and_the_worst_accounts() -> None:
    gap = Gap(
        Source.ACCESS_ANALYZER, "access-analyzer:ListAnalyzers", "AccessDenied", "m", "eu-west-1"
    )
    accounts = (
        AccountOutcome(
            "111111111111",
            "good",
            score=Score(95.0, "A"),
            complete=True,
            summary={"PASS": 9, "FAIL": 1, "ERROR": 0, "muted": 0},
            failing=(CheckTally("USER-002", "t", Severity.LOW, 1),),
        ),
        AccountOutcome(
            "222222222222",
            "bad",
            score=Score(40.5, "F"),
            complete=False,
            summary={"PASS": 1, "FAIL": 7, "ERROR": 1, "muted": 0},
            gaps=(gap,),
            failing=(CheckTally("ROOT-001", "t", Severity.CRITICAL, 1),),
        ),
        outcome_not_audited("333333333333", "locked", "assuming role x failed: AccessDenied: no"),
    )
    org = OrgReport(
        tool=Tool("iam-auditor", "0"),
        runner_account_id="111111111111",
        generated_at=datetime(2026, 11, 23, tzinfo=UTC),
        accounts=accounts,
    )
    text = org_summary(org, ["out/org-summary.json", "out/org-summary.csv"])
    assert text.splitlines() == [
        "Organization audit from account 111111111111: 3 accounts, 2 audited, 1 not audited",
        "NOT AUDITED:",
        "  333333333333 (locked): assuming role x failed: AccessDenied: no",
        "AUDIT INCOMPLETE (some checks could not look):",
        "  222222222222 (bad): access-analyzer:ListAnalyzers in eu-west-1: AccessDenied",
        "Worst accounts:",
        "  222222222222 (bad): score 40.5 F, 7 FAIL, worst CRITICAL",
        "  111111111111 (good): score 95.0 A, 1 FAIL, worst LOW",
        "Organization summary:",
        "  out/org-summary.json",
        "  out/org-summary.csv",
    ]
