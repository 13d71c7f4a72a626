"""What the CLI prints on a terminal: progress lines, the end-of-run summary, the catalog.

Plain text for people; progress goes to stderr so stdout stays clean for pipes. Every
account name and AWS message passes through ``inert``, so a hostile name cannot move the
cursor or rewrite the screen.
"""

from __future__ import annotations

import json
import shutil
import sys
import threading
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from auditor.analyze import credential_report_age
from auditor.model import AccountOutcome, CheckMeta, OrgReport, Report, Status
from auditor.policy.graph import AttackPath, Cut, Grant, Node, NodeKind, render_hop, render_path
from auditor.report.common import check_errors

if TYPE_CHECKING:
    from auditor.org import MemberAccount
    from auditor.policy.graph import AttackGraph

_START = time.monotonic()


_progress_lost = threading.Event()


def progress(message: str) -> None:
    """One progress line on stderr, with seconds since the run started.

    Progress is a courtesy: when stderr's reader has gone (``audit 2>&1 | head -1``) the
    audit must still finish and write its reports, so a broken stderr silences progress
    instead of ending the run.
    """
    if _progress_lost.is_set():
        return
    try:
        print(f"[{time.monotonic() - _START:6.1f}s] {message}", file=sys.stderr, flush=True)
    except (BrokenPipeError, ValueError):  # ValueError: stderr was closed
        _progress_lost.set()


def summary(report: Report, paths: Sequence[Path | str]) -> str:
    """The end-of-run summary: score, completeness, failing checks, report paths."""
    counts = report.summary()
    lines = [
        f"Account {report.account_id} ({report.partition}): "
        f"score {report.score.value:.1f} / 100, grade {report.score.grade}",
        f"Findings: {counts['FAIL']} FAIL, {counts['PASS']} PASS, {counts['ERROR']} ERROR, "
        f"{counts['muted']} muted",
    ]
    if not report.complete:
        lines.append("AUDIT INCOMPLETE: some checks could not look (see ERROR findings):")
        lines.extend(inert(line) for line in incomplete_reasons(report))
    failing = Counter(
        (f.severity, f.check_id, f.title)
        for f in report.findings
        if f.status is Status.FAIL and not f.muted
    )
    if failing:
        lines.append("Failing checks:")
        for (sev, check_id, title), n in sorted(
            failing.items(), key=lambda item: (-item[0][0].rank, item[0][1])
        ):
            lines.append(f"  {sev.value.upper():8} {check_id:9} {title} ({n})")
    age = credential_report_age(report.credential_report_generated_at, report.generated_at)
    if age is not None:
        lines.append(age[0].upper() + age[1:] + ".")
    # Notes quote names from the account and the configuration (mute globs, principals).
    lines.extend(inert(note) for note in report.notes)
    lines.append("Reports:")
    lines.extend(f"  {p}" for p in paths)
    return "\n".join(lines)


def incomplete_reasons(report: Report) -> list[str]:
    """Every reason ``report`` is incomplete, one ``  - ...`` line each (not yet inert).

    First each failed call with the checks it turned to ERROR, then each check that
    reported ERROR with no failed call behind it (a root row the credential report lacks,
    a row or a policy that could not be read): its id, title and detail, or how many
    resources it could not judge.
    """
    lines: list[str] = []
    for gap, ids in report.gap_checks().items():
        where = f" in {gap.region}" if gap.region else ""
        checks = f" ({', '.join(ids)})" if ids else ""
        lines.append(f"  - {gap.operation}{where}: {gap.error}{checks}")
    lines.extend(
        f"  - {errors.check_id} {errors.title}: {errors.reason()}"
        for errors in check_errors(report)
    )
    return lines


def catalog_table(metas: Sequence[CheckMeta]) -> str:
    """The catalog as an aligned text table."""
    rows = [("ID", "SEVERITY", "SLUG", "CIS 7.0", "FSBP", "TITLE")]
    for m in metas:
        rows.append(
            (
                m.id,
                m.severity.value,
                m.slug,
                ",".join(m.compliance.cis_7) or "-",
                ",".join(m.compliance.fsbp) or "-",
                m.title,
            )
        )
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
        for r in rows
    )


def catalog_json(metas: Sequence[CheckMeta]) -> str:
    """The catalog as JSON: one object per check with its metadata and mappings."""
    return json.dumps(
        [
            {
                "id": m.id,
                "slug": m.slug,
                "title": m.title,
                "severity": m.severity.value,
                "resource_type": m.resource_type.value,
                "needs": sorted(s.value for s in m.needs),
                "compliance": m.compliance.as_dict(),
                "references": list(m.references),
            }
            for m in metas
        ],
        indent=2,
    )


# --- organization runs ---------------------------------------------------------------------

# The steps of one account's audit, in order, by the start of their progress messages: the
# bar shows how far along this list an account has come. Steps that a narrowed run skips
# are simply jumped over; an unknown message leaves the bar where it was.
_ORG_STEPS: tuple[tuple[str, ...], ...] = (
    ("assuming role",),
    ("generating credential report",),
    ("reading users", "reading authorization details"),
    ("listing Access Analyzer",),
    ("waiting for the credential report",),
    ("writing reports",),
)
_BAR_WIDTH = 12
_WORST_SHOWN = 5


def inert(text: str) -> str:
    """``text`` with every control or format character shown as ``?``, on one line.

    Account names and AWS messages are other people's strings; on a terminal an escape
    sequence or a bidi override in them would act instead of being read.
    """
    return "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in text)


def account_label(account_id: str, name: str) -> str:
    """``111122223333 (prod)``, or just the id when the account has no name."""
    return f"{account_id} ({inert(name)})" if name else account_id


def _step_index(message: str) -> int | None:
    for index, prefixes in enumerate(_ORG_STEPS):
        if message.startswith(prefixes):
            return index
    return None


def outcome_line(outcome: AccountOutcome) -> str:
    """``done: score 71.2 C, complete`` or ``NOT AUDITED: <reason>``."""
    if not outcome.audited or outcome.score is None:
        return f"NOT AUDITED: {inert(outcome.error or 'unknown reason')}"
    state = "complete" if outcome.complete else "INCOMPLETE"
    return f"done: score {outcome.score.value:.1f} {outcome.score.grade}, {state}"


@dataclass
class _InFlight:
    label: str
    step: int
    message: str


class OrgConsole:
    """Per-account progress of an organization run on ``stream`` (an ``OrgProgress``).

    On a terminal (``stream.isatty()``) each account in flight has one line - its label,
    a bar of collection steps and its current step - redrawn in place with ANSI escapes,
    and each finished account leaves one permanent line above the bars. Elsewhere every
    event is one plain line ``[  12.3s] 111122223333 (prod): reading users…``. Events come
    from worker threads; one lock serialises them. Call ``close()`` when the run ends
    (or is interrupted) to take the bars off the screen.
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        width: int | None = None,
    ) -> None:
        self._stream = stream if stream is not None else sys.stderr
        self._tty = self._stream.isatty() if tty is None else tty
        self._clock = clock
        self._start = clock()
        self._width = width
        self._lock = threading.Lock()
        self._in_flight: dict[str, _InFlight] = {}
        self._drawn = 0
        self._total = 0
        self._finished = 0

    # OrgProgress ------------------------------------------------------------------------

    def planned(self, accounts: Sequence[MemberAccount]) -> None:
        """Say how many accounts the run will audit."""
        with self._lock:
            self._total = len(accounts)
            plural = "" if len(accounts) == 1 else "s"
            self._emit(f"auditing {len(accounts)} account{plural} of the Organization")

    def started(self, account: MemberAccount) -> None:
        """Give ``account`` a bar (terminal) or a first line (plain)."""
        with self._lock:
            label = account_label(account.account_id, account.name)
            self._in_flight[account.account_id] = _InFlight(label, -1, "starting…")
            if self._tty:
                self._redraw()
            else:
                self._line(f"{label}: starting…")

    def step(self, account: MemberAccount, message: str) -> None:
        """Move ``account``'s bar on and show its current step."""
        with self._lock:
            state = self._in_flight.get(account.account_id)
            if state is None:
                return
            index = _step_index(message)
            if index is not None:
                state.step = max(state.step, index)
            state.message = inert(message)
            if self._tty:
                self._redraw()
            else:
                self._line(f"{state.label}: {state.message}")

    def done(self, account: MemberAccount, outcome: AccountOutcome) -> None:
        """Replace ``account``'s bar by one permanent line saying how it ended."""
        with self._lock:
            self._in_flight.pop(account.account_id, None)
            self._finished += 1
            label = account_label(account.account_id, account.name)
            self._emit(f"{label}: {outcome_line(outcome)}")

    # ------------------------------------------------------------------------------------

    def close(self) -> None:
        """Take any bars left on the screen away (after the run, or an interrupt)."""
        with self._lock:
            self._in_flight.clear()
            if self._tty:
                self._clear_bars()
                self._stream.flush()

    def _stamp(self) -> str:
        return f"[{self._clock() - self._start:6.1f}s]"

    def _columns(self) -> int:
        if self._width is not None:
            return self._width
        return shutil.get_terminal_size((100, 24)).columns

    def _fit(self, line: str) -> str:
        # A line that wraps takes two rows and the cursor arithmetic would be off by one.
        limit = max(20, self._columns() - 1)
        return line if len(line) <= limit else line[: limit - 1] + "…"

    def _line(self, text: str) -> None:
        print(f"{self._stamp()} {text}", file=self._stream, flush=True)

    def _emit(self, text: str) -> None:
        """A permanent line: above the bars on a terminal, or a plain line."""
        if not self._tty:
            self._line(text)
            return
        self._clear_bars()
        # Not cut to the width: a permanent line may wrap, as only the bars are redrawn.
        self._stream.write(f"{self._stamp()} {text}\n")
        self._redraw()

    def _clear_bars(self) -> None:
        if self._drawn:
            # To column 1 of the first bar's row, then erase to the end of the screen.
            self._stream.write(f"\x1b[{self._drawn}F\x1b[J")
            self._drawn = 0

    def _redraw(self) -> None:
        self._clear_bars()
        lines = [self._bar_line(state) for state in self._in_flight.values()]
        if lines:
            header = f"{self._stamp()} {self._finished}/{self._total} accounts finished"
            lines.insert(0, header)
        for line in lines:
            self._stream.write("\x1b[2K" + self._fit(line) + "\n")
        self._drawn = len(lines)
        self._stream.flush()

    def _bar_line(self, state: _InFlight) -> str:
        filled = round(_BAR_WIDTH * (state.step + 1) / len(_ORG_STEPS)) if state.step >= 0 else 0
        bar = "#" * filled + "-" * (_BAR_WIDTH - filled)
        return f"  {state.label}  [{bar}]  {state.message}"


def org_summary(org: OrgReport, paths: Sequence[Path | str]) -> str:
    """The end of an organization run: who was audited, who was not and why, the worst."""
    audited = [a for a in org.accounts if a.audited]
    not_audited = [a for a in org.accounts if not a.audited]
    incomplete = [a for a in audited if not a.complete]
    plural = "" if len(org.accounts) == 1 else "s"
    lines = [
        f"Organization audit from account {org.runner_account_id}: "
        f"{len(org.accounts)} account{plural}, {len(audited)} audited, "
        f"{len(not_audited)} not audited"
    ]
    if not_audited:
        lines.append("NOT AUDITED:")
        lines.extend(
            f"  {account_label(a.account_id, a.name)}: {inert(a.error or 'unknown reason')}"
            for a in not_audited
        )
    if incomplete:
        lines.append("AUDIT INCOMPLETE (some checks could not look):")
        for a in incomplete:
            gaps = "; ".join(
                inert(f"{g.operation}{f' in {g.region}' if g.region else ''}: {g.error}")
                for g in a.gaps
            )
            count = a.summary.get("ERROR", 0)
            errors = f"{count} ERROR findings (see its report)"
            # Each gap turns at least one check to ERROR, so more ERRORs than gaps may hide
            # checks that could not look for another reason (a missing root row): say the
            # total then. The outcome keeps counts, not findings, so it cannot name them.
            if gaps and count > len(a.gaps):
                gaps = f"{gaps}; {count} ERROR findings in all (see its report)"
            lines.append(f"  {account_label(a.account_id, a.name)}: {gaps or errors}")
    ranked = sorted(
        ((a.score, a) for a in audited if a.score is not None),
        key=lambda pair: (pair[0].value, pair[1].account_id),
    )
    if ranked:
        lines.append("Worst accounts:")
        for score, a in ranked[:_WORST_SHOWN]:
            worst = f", worst {a.worst.value.upper()}" if a.worst else ""
            lines.append(
                f"  {account_label(a.account_id, a.name)}: score {score.value:.1f} "
                f"{score.grade}, {a.summary.get('FAIL', 0)} FAIL{worst}"
            )
    lines.append("Organization summary:")
    lines.extend(f"  {p}" for p in paths)
    return "\n".join(lines)


# --- attack paths (``iam-auditor paths``) ------------------------------------------------


def select_paths(graph: AttackGraph, start: Node | None, target: Node) -> list[AttackPath]:
    """The paths ``paths`` prints: from ``start`` (or every start) to ``target``."""
    if start is not None:
        path = graph.path(start, target)
        return [path] if path is not None and path.hops else []
    if target.kind is NodeKind.ADMIN:
        return list(graph.paths_to_admin())
    found = (graph.path(n, target) for n in graph.starts() if n.id != target.id)
    return [p for p in found if p is not None and p.hops]


def paths_text(paths: Sequence[AttackPath], cut: Cut | None) -> str:
    """One block per path (its one-line rendering, then each hop with the statements that
    grant it and what the snapshot could not decide), then the cheapest cut. Every name,
    policy and Sid goes through ``inert``: they are other people's strings."""
    if not paths:
        return "No attack path found."
    blocks = []
    for number, path in enumerate(paths, 1):
        where = " [starts outside the account]" if path.starts_outside else ""
        doubt = "" if path.certain else " [possible, not certain]"
        lines = [f"Path {number} of {len(paths)}{where}{doubt}:", f"  {render_path(path)}"]
        for step, hop in enumerate(path.hops, 1):
            lines.append(
                f"  {step}. {inert(hop.source.name)} -> {inert(hop.target.name)}: {render_hop(hop)}"
            )
            lines.extend(f"     grant: {_grant_text(g)}" for g in hop.evidence)
            lines.extend(f"     undecided: {inert(u)}" for u in hop.undecided)
            if hop.needs_unseen_resource:
                lines.append("     needs a resource the snapshot does not show")
            lines.extend(f"     note: {inert(n)}" for n in hop.notes)
        blocks.append("\n".join(lines))
    blocks.append(_cut_text(cut, len(paths)))
    return "\n\n".join(blocks)


def _grant_text(g: Grant) -> str:
    sid = f" ({inert(g.sid)})" if g.sid else ""
    what = ", ".join(inert(a) for a in g.actions) or g.need
    on = f" on {', '.join(inert(r) for r in g.resources)}" if g.resources else ""
    who = f" for {inert(g.principal)}" if g.principal else ""
    return f"{g.kind.value} {inert(g.policy)} stmt {g.statement_index}{sid}: {what}{on}{who}"


def _cut_text(cut: Cut | None, total: int) -> str:
    if cut is None:
        return "Cheapest cut: none; no single statement breaks any of these paths."
    s = cut.statement
    sid = f" ({inert(s.sid)})" if s.sid else ""
    return (
        f"Cheapest cut: remove statement {s.index}{sid} of {inert(s.policy or s.policy_ref)}\n"
        f"  breaks {cut.paths_broken} of {total} path(s): "
        f"{', '.join(inert(x) for x in cut.starts)}"
    )
