"""The CIS compliance export: ``cis-<version>.csv`` and ``.html``, one row per control.

Controls come from ``auditor/data/cis_aws_foundations.json``; which checks cover each comes
from the checks' own ``cis_7`` / ``cis_5`` mappings, never from that file, so the two cannot
disagree. ``control_status`` is the status rule the README states.
"""

from __future__ import annotations

import enum
import functools
import importlib.resources
import json
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from auditor.errors import UsageError
from auditor.model import CheckMeta, Finding, Report, Status
from auditor.report.common import utc_timestamp
from auditor.report.csv_report import neutralise
from auditor.report.html_report import CSS_PARTIAL, environment, inline_csp

CATALOG_FILE = "cis_aws_foundations.json"
TEMPLATE = "cis.html.j2"
DEFAULT_BENCHMARK = "cis-7.0"
# Failing resources named per control before "and N more": enough to act on, short enough
# to read in one spreadsheet cell.
MAX_RESOURCES = 10

CSV_COLUMNS: tuple[str, ...] = (
    "control_id",
    "title",
    "level",
    "assessment",
    "status",
    "checks",
    "passed",
    "failed",
    "errors",
    "muted",
    "failing_resources",
    "notes",
    "benchmark",
    "account_id",
    "generated_at",
    "tool_version",
    "audit_complete",
)

_BOM = b"\xef\xbb\xbf"


class Assessment(enum.Enum):
    """How the benchmark itself says a control is assessed."""

    AUTOMATED = "automated"
    MANUAL = "manual"


class ControlStatus(enum.Enum):
    """A control's verdict in the export (``control_status`` is the rule)."""

    PASS = "PASS"  # noqa: S105 (a status, not a password)
    FAIL = "FAIL"
    ERROR = "ERROR"
    NOT_RUN = "NOT RUN"
    MANUAL = "MANUAL"


@dataclass(frozen=True)
class Control:
    """One recommendation of the benchmark's IAM section, as the catalog lists it."""

    id: str
    title: str
    level: int
    assessment: Assessment
    attest: str = ""


@dataclass(frozen=True)
class Benchmark:
    """One version of the benchmark: its name, its IAM section and every control in it.

    ``key`` is how ``--compliance`` names it (``cis-7.0``); ``framework`` is the key of the
    checks' compliance mappings (``CIS-7.0``).
    """

    key: str
    framework: str
    name: str
    version: str
    section: str
    controls: tuple[Control, ...]

    @property
    def standard(self) -> str:
        """``CIS Amazon Web Services Foundations Benchmark v7.0.0``."""
        return f"{self.name} v{self.version}"


@dataclass(frozen=True)
class ControlResult:
    """A control's row: its status, the checks behind it, counts and failing resources.

    ``checks`` are the covering checks (catalog order), ``not_run`` those of them that did
    not run; counts are of the covering checks' findings (PASS, FAIL, ERROR unmuted;
    ``muted`` whatever their status). ``failing_resources`` names each resource with an
    unmuted FAIL once, in report order, uncapped (renderers cap it).
    """

    control: Control
    status: ControlStatus
    checks: tuple[str, ...]
    not_run: tuple[str, ...]
    passed: int
    failed: int
    errors: int
    muted: int
    failing_resources: tuple[str, ...]
    notes: str


def _catalog_text() -> str:
    return (importlib.resources.files("auditor.data") / CATALOG_FILE).read_text(encoding="utf-8")


@functools.lru_cache(maxsize=1)
def benchmarks() -> Mapping[str, Benchmark]:
    """Every benchmark version in the catalog, by ``--compliance`` key, in file order."""
    data = json.loads(_catalog_text())
    out: dict[str, Benchmark] = {}
    for key, spec in data["benchmarks"].items():
        controls = tuple(
            Control(
                id=c["id"],
                title=c["title"],
                level=int(c["level"]),
                assessment=Assessment(c["assessment"]),
                attest=c.get("attest", ""),
            )
            for c in spec["controls"]
        )
        out[key] = Benchmark(
            key=key,
            framework=spec["framework"],
            name=spec["name"],
            version=spec["version"],
            section=spec["section"],
            controls=controls,
        )
    return out


def benchmark(key: str) -> Benchmark:
    """The benchmark named ``key`` (``cis-7.0``); ``ValueError`` names the valid keys."""
    try:
        return benchmarks()[key]
    except KeyError:
        valid = ", ".join(benchmarks())
        raise UsageError(f"unknown compliance benchmark {key!r}; expected one of {valid}") from None


def parse_compliance(text: str) -> tuple[str, ...]:
    """``"cis-7.0,cis-5.0"`` -> keys in the order given, duplicates dropped, case ignored.

    An empty list or an unknown key raises ``ValueError`` naming it and the valid keys.
    """
    valid = ", ".join(benchmarks())
    names = [part.strip().lower() for part in text.split(",")]
    if not any(names):
        raise UsageError(f"no compliance benchmark given; expected names from {valid}")
    keys: list[str] = []
    for name in names:
        if not name:
            raise UsageError(f"empty compliance benchmark in {text!r}; expected names from {valid}")
        benchmark(name)
        if name not in keys:
            keys.append(name)
    return tuple(keys)


def _registry_metas() -> list[CheckMeta]:
    # Imported here: the check registry is only needed for this export, and importing it
    # at module level would load every check whenever any renderer is imported.
    from auditor.checks import all_checks  # noqa: PLC0415

    return [c.meta for c in all_checks()]


def covering_checks(
    bench: Benchmark, metas: Iterable[CheckMeta], findings: Iterable[Finding] = ()
) -> dict[str, tuple[str, ...]]:
    """Control id -> ids of the checks mapping to it in ``bench`` (sorted), for every control.

    Mappings come from the checks' metadata, and from findings too (a report built
    without metadata still says which control its findings concern).
    """
    out: dict[str, set[str]] = {c.id: set() for c in bench.controls}
    pairs = [(m.id, m.compliance.as_dict()) for m in metas]
    pairs += [(f.check_id, f.compliance.as_dict()) for f in findings]
    for check_id, mappings in pairs:
        for control_id in mappings.get(bench.framework, ()):
            out.setdefault(control_id, set()).add(check_id)
    return {control_id: tuple(sorted(ids)) for control_id, ids in out.items()}


def control_status(
    covering: Collection[str], run: Collection[str], findings: Iterable[Finding]
) -> ControlStatus:
    """The export's rule for one control, from its covering checks and their findings.

    ``covering`` are the ids of the checks mapping to the control, ``run`` the ids of the
    checks this audit ran, ``findings`` the report's findings (others are ignored).
    """
    if not covering:
        return ControlStatus.MANUAL
    relevant = [f for f in findings if f.check_id in covering]
    if any(f.status is Status.FAIL and not f.muted for f in relevant):
        return ControlStatus.FAIL
    if any(f.status is Status.ERROR for f in relevant):
        return ControlStatus.ERROR
    if not set(covering) <= set(run):
        return ControlStatus.NOT_RUN
    return ControlStatus.PASS


def _notes(control: Control, status: ControlStatus, checks: Sequence[str], **facts: Any) -> str:
    parts: list[str] = []
    if status is ControlStatus.MANUAL:
        parts.append("No check covers this control; attest it by hand. " + control.attest)
    if facts["not_run"]:
        parts.append(
            "Not run: "
            + ", ".join(facts["not_run"])
            + " (disabled in the configuration or not selected with --checks)."
        )
    if facts["operations"]:
        parts.append("Could not look: " + ", ".join(facts["operations"]) + ".")
    if facts["muted_fails"]:
        parts.append(f"{facts['muted_fails']} muted FAIL finding(s) are not counted as failing.")
    if checks and control.assessment is Assessment.MANUAL:
        parts.append(
            "The benchmark assesses this control manually; iam-auditor checks it with "
            + ", ".join(checks)
            + "."
        )
    return " ".join(p.strip() for p in parts)


def evaluate(
    report: Report, bench: Benchmark, catalog: Iterable[CheckMeta] | None = None
) -> list[ControlResult]:
    """Every control of ``bench``, in benchmark order, judged from ``report``.

    ``catalog`` is the metadata of every check that exists (default: the registry); the
    report's own ``checks`` and findings are added to it.
    """
    metas = list(_registry_metas() if catalog is None else catalog) + list(report.checks)
    covering = covering_checks(bench, metas, report.findings)
    run = {m.id for m in report.checks} | {f.check_id for f in report.findings}

    results: list[ControlResult] = []
    for control in bench.controls:
        checks = covering[control.id]
        wanted = set(checks)
        findings = [f for f in report.findings if f.check_id in wanted]
        status = control_status(checks, run, findings)
        unmuted = [f for f in findings if not f.muted]
        failing = [f for f in unmuted if f.status is Status.FAIL]
        erring = [f for f in unmuted if f.status is Status.ERROR]
        not_run = tuple(c for c in checks if c not in run)
        operations = sorted({str(op) for f in erring if (op := f.evidence.get("operation"))})
        muted_fails = sum(f.muted and f.status is Status.FAIL for f in findings)
        results.append(
            ControlResult(
                control=control,
                status=status,
                checks=checks,
                not_run=not_run,
                passed=sum(f.status is Status.PASS for f in unmuted),
                failed=len(failing),
                errors=len(erring),
                muted=sum(f.muted for f in findings),
                failing_resources=tuple(dict.fromkeys(f.resource_name for f in failing)),
                notes=_notes(
                    control,
                    status,
                    checks,
                    not_run=not_run,
                    operations=operations,
                    muted_fails=muted_fails,
                ),
            )
        )
    return results


def capped(names: Sequence[str], limit: int = MAX_RESOURCES) -> str:
    """``"a, b, c and 7 more"``: at most ``limit`` names, then how many are left out."""
    shown = ", ".join(names[:limit])
    rest = len(names) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def status_counts(results: Iterable[ControlResult]) -> dict[str, int]:
    """How many controls have each status, every status present (in enum order)."""
    counts = {s.value: 0 for s in ControlStatus}
    for result in results:
        counts[result.status.value] += 1
    return counts


def render_cis_csv(report: Report, key: str = DEFAULT_BENCHMARK) -> bytes:
    """``cis-<version>.csv``: one neutralised row per control, UTF-8 with BOM, CRLF."""
    bench = benchmark(key)
    context = (
        bench.standard,
        report.account_id,
        utc_timestamp(report.generated_at),
        report.tool.version,
        "true" if report.complete else "false",
    )
    rows = [
        [
            neutralise(str(cell))
            for cell in (
                r.control.id,
                r.control.title,
                r.control.level,
                r.control.assessment.value,
                r.status.value,
                "; ".join(r.checks),
                r.passed,
                r.failed,
                r.errors,
                r.muted,
                capped(r.failing_resources),
                r.notes,
                *context,
            )
        ]
        for r in evaluate(report, bench)
    ]
    import pandas as pd  # noqa: PLC0415 (loaded only when a CSV is written)

    frame = pd.DataFrame(rows, columns=list(CSV_COLUMNS), dtype=object)
    return _BOM + frame.to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def render_cis_html(
    report: Report, key: str = DEFAULT_BENCHMARK, directory: Path | None = None
) -> bytes:
    """``cis-<version>.html``: the same rows as the CSV on one self-contained page."""
    bench = benchmark(key)
    results = evaluate(report, bench)
    env = environment(directory)
    context = {
        "csp": inline_csp([env.get_template(CSS_PARTIAL).render()]),
        "bench": bench,
        "tool": report.tool,
        "account_id": report.account_id,
        "generated_at": utc_timestamp(report.generated_at),
        "complete": report.complete,
        "counts": status_counts(results),
        "rows": [
            {
                "result": r,
                "resources": r.failing_resources[:MAX_RESOURCES],
                "more": max(0, len(r.failing_resources) - MAX_RESOURCES),
            }
            for r in results
        ],
    }
    return env.get_template(TEMPLATE).render(context).encode("utf-8")


def filenames(key: str) -> tuple[str, str]:
    """The export's two file names for benchmark ``key``: ``(csv, html)``."""
    return f"{key}.csv", f"{key}.html"


def render_cis(report: Report, keys: Iterable[str] = (DEFAULT_BENCHMARK,)) -> dict[str, bytes]:
    """Both files for each benchmark in ``keys``: ``{"cis-7.0.csv": ..., "cis-7.0.html": ...}``."""
    return {name: b"".join(produce()) for name, produce in cis_files(report, keys).items()}


def cis_files(
    report: Report, keys: Iterable[str] = (DEFAULT_BENCHMARK,)
) -> dict[str, Callable[[], Iterator[bytes]]]:
    """``render_cis``'s files, each rendered only when its producer is called.

    A control per row, a few dozen rows: each file is made whole and yielded as one chunk.
    Unknown keys raise here, before anything is rendered.
    """
    out: dict[str, Callable[[], Iterator[bytes]]] = {}
    for key in keys:
        benchmark(key)
        csv_name, html_name = filenames(key)
        out[csv_name] = functools.partial(_whole, render_cis_csv, report, key)
        out[html_name] = functools.partial(_whole, render_cis_html, report, key)
    return out


def _whole(render: Callable[[Report, str], bytes], report: Report, key: str) -> Iterator[bytes]:
    yield render(report, key)
