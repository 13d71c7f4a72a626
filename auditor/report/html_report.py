"""The human report: ``report.html``, one self-contained page a person reads.

Rendered with Jinja from ``reports/templates/report.html.j2`` with autoescaping on for
every template and ``StrictUndefined``, so an IAM name such as ``<script>`` is shown, never
run, and a template typo fails loudly instead of rendering blank. Templates never use
``|safe``. The page loads nothing: its CSS and JS are inlined, and a Content-Security-Policy
built from their SHA-256 hashes (``default-src 'none'``) forbids anything else, so even a
hypothetical escaping slip could not load or execute outside code.

The per-check table lists every check that was run (``Report.checks``, in catalog order),
also those without findings, each with a collapsed "Why and how to fix": rationale, the
fix in the console, the AWS CLI command, references and framework mappings. References are
plain text, never links: the page points nowhere outside itself. A report built without
check metadata still gets a line per check that has findings, from the findings.

Pictures: the overview draws its charts (failing findings by severity, findings by status,
the age of active access keys from KEY-002's evidence) as inline SVG computed here, so
they need no script, no chart library and nothing fetched, and read the same on paper.
The "Attack paths" section draws PERM-010's paths to administrator the same way, laid out
by ``auditor.report.attack_paths`` (aggregated so it stays readable at 5,000 users); it is
left out when PERM-010 did not run.

Scale: an account with 5,000 users yields about a hundred thousand findings, and a browser
that parses one table row per finding takes half a minute to show the page. So each group
of rows (failing, errors, muted, and the PASS findings of each check) is written as HTML
up to ``PAGE_ROWS`` rows only (a PASS group, closed, to ``PASS_PAGE_ROWS``), and every
finding is also in one data block: a ``<script type="application/octet-stream">`` (never
executed) holding the findings as JSON, zlib-compressed and base64-encoded
(``encode_data``). Compressed, the 16 MB of JSON of a 5,000-user account is under 2 MB,
which the browser reads several times faster, and base64 is inert whatever the findings
say. The page's script inflates it with the browser's own ``DecompressionStream``, renders
further pages of a group on request, and the filters select from it, re-rendering only the
groups a person can see (a closed PASS group waits until it is opened). Without JavaScript
the page still shows every group's first rows and says where the rest is. The row markup
is kept lean (the explanation and fix are shown once per check; a finding repeats its fix
only when it differs).

Memory: ``stream_html`` yields the page as Jinja generates it, in chunks of about
``CHUNK_CHARS``; the data block is compressed a few hundred rows at a time as its JSON is
made (``encode_finding_data``), and a PASS row's evidence text, which no part of the page
shows, is never made. Jinja itself is imported only when a page is rendered.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.resources
import json
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import auditor
from auditor.model import CheckMeta, Compliance, Finding, Report, Severity, Status
from auditor.report.attack_paths import (
    NODE_HEIGHT,
    NODE_WIDTH,
    attack_paths_view,
    members_shown,
    row_evidence,
)
from auditor.report.common import (
    ITEMS_PER_CHUNK,
    batched,
    check_errors,
    optional_utc_timestamp,
    ordered_findings,
    plain,
    utc_timestamp,
)

if TYPE_CHECKING:
    import jinja2

TEMPLATE = "report.html.j2"
CSS_PARTIAL = "report.css.j2"
JS_PARTIAL = "report.js.j2"

# Rows of a group written as HTML (and shown per "Show more"); the rest come from the data.
PAGE_ROWS = 100
# A PASS group is closed until opened, when the script fills it to a page: the HTML writes
# only a few rows of each, for a reader without JavaScript (they are most of the markup).
PASS_PAGE_ROWS = 20


def template_dir() -> Path:
    """Where the Jinja templates are: inside the installed package, else the checkout.

    A wheel ships ``reports/templates`` as the ``auditor.templates`` package; an editable
    install runs from the source tree, where they sit at ``reports/templates`` beside the
    ``auditor`` package. Neither depends on the current working directory.
    """
    packaged = importlib.resources.files("auditor") / "templates"
    if isinstance(packaged, Path) and (packaged / TEMPLATE).is_file():
        return packaged
    source = Path(auditor.__file__).resolve().parent.parent / "reports" / "templates"
    if (source / TEMPLATE).is_file():
        return source
    raise FileNotFoundError(
        f"iam-auditor's report templates are missing: neither {packaged} nor {source} "
        f"holds {TEMPLATE}; reinstall iam-auditor"
    )


@functools.lru_cache(maxsize=4)
def environment(directory: Path | None = None) -> jinja2.Environment:
    """The Jinja environment for ``directory`` (default ``template_dir()``), cached.

    ``autoescape=True`` escapes every expression in every template, whatever its name;
    the CSS and JS partials contain no expressions, so inlining them is unaffected.
    """
    import jinja2  # noqa: PLC0415 (only pages need Jinja: a json or csv run never loads it)

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(directory or template_dir()),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


@dataclass(frozen=True, slots=True)
class Row:
    """One finding as the template shows it, evidence pre-serialised.

    ``severity_note`` says why the severity differs from the check's ("raised from medium:
    ..."), empty when it does not. ``evidence`` is empty for an unmuted PASS row: the page
    shows such a row's detail only.
    """

    finding: Finding
    evidence: str
    severity_note: str


@dataclass(slots=True)
class CheckLine:
    """One line of the per-check table, and the heading of the check's PASS group.

    ``remediation`` is the fix as the check's metadata words it for the console (or, for a
    check known only from its findings, the findings' own remediation).
    """

    id: str
    title: str
    severity: str
    remediation: str
    rationale: str = ""
    remediation_cli: str = ""
    references: tuple[str, ...] = ()
    mappings: tuple[tuple[str, str], ...] = ()
    passed: int = 0
    failed: int = 0
    errors: int = 0
    muted: int = 0
    passing: list[Row] = field(default_factory=list)

    @property
    def total(self) -> int:
        """How many findings the check produced, whatever their status."""
        return self.passed + self.failed + self.errors + self.muted


# Framework labels as people say them, in the order the report JSON lists them.
MAPPING_LABELS: Mapping[str, str] = {
    "CIS-7.0": "CIS AWS Foundations 7.0",
    "CIS-5.0": "CIS AWS Foundations 5.0",
    "AWS-FSBP": "AWS FSBP (Security Hub)",
}


def mapping_lines(compliance: Compliance) -> tuple[tuple[str, str], ...]:
    """``(framework label, "id, id")`` for each framework that maps the check."""
    return tuple(
        (MAPPING_LABELS.get(framework, framework), ", ".join(ids))
        for framework, ids in compliance.as_dict().items()
    )


def _line_from_meta(meta: CheckMeta) -> CheckLine:
    return CheckLine(
        id=meta.id,
        title=meta.title,
        severity=meta.severity.value,
        remediation=meta.remediation.strip(),
        rationale=meta.rationale.strip(),
        remediation_cli=meta.remediation_cli.strip(),
        references=tuple(r.strip() for r in meta.references if r.strip()),
        mappings=mapping_lines(meta.compliance),
    )


def check_lines(checks: Iterable[CheckMeta], findings: Iterable[Finding]) -> list[CheckLine]:
    """One line per check run (in the given order), then per check known only by findings.

    Counts and PASS rows are left for the caller to fill; the lines of checks known only
    from their findings (a report built without metadata) follow in id order.
    """
    lines: dict[str, CheckLine] = {}
    for meta in checks:
        lines.setdefault(meta.id, _line_from_meta(meta))
    extra: dict[str, CheckLine] = {}
    for finding in findings:
        line = lines.get(finding.check_id) or extra.get(finding.check_id)
        if line is None:
            line = extra[finding.check_id] = CheckLine(
                id=finding.check_id,
                title=finding.title,
                severity=finding.base_severity.value,
                remediation=finding.remediation,
                mappings=mapping_lines(finding.compliance),
            )
    return list(lines.values()) + sorted(extra.values(), key=lambda c: c.id)


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def inline_csp(styles: Iterable[str] = (), scripts: Iterable[str] = ()) -> str:
    """A CSP allowing exactly these inline ``<style>`` and ``<script>`` texts, nothing else.

    Each text is allowed by its SHA-256 hash; a page with no script gets ``'none'``, so
    not even an injected inline script could run. Shared by every HTML page we render.
    """
    style_src = " ".join(_csp_hash(text) for text in styles) or "'none'"
    script_src = " ".join(_csp_hash(text) for text in scripts) or "'none'"
    return (
        "default-src 'none'; "
        f"style-src {style_src}; "
        f"script-src {script_src}; "
        "base-uri 'none'; form-action 'none'"
    )


def content_security_policy(env: jinja2.Environment) -> str:
    """A CSP that allows exactly the inline CSS and JS of the page and nothing else."""
    css = env.get_template(CSS_PARTIAL).render()
    js = env.get_template(JS_PARTIAL).render()
    return inline_csp([css], [js])


def evidence_text(evidence: Mapping[str, Any]) -> str:
    """Evidence for people: ``key: value; key: value``, nested values as compact JSON."""
    parts = []
    for key, value in plain(evidence).items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        parts.append(f"{key}: {shown}")
    return "; ".join(parts)


def _row_evidence(finding: Finding) -> str:
    """The evidence a finding's row shows: PERM-010's summarised (see ``row_evidence``)."""
    summary = row_evidence(finding)
    return evidence_text(finding.evidence) if summary is None else summary


def score_text(value: float) -> str:
    """A score as people read it: one decimal, without a trailing ``.0`` (``72.5``, ``80``)."""
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _severity_note(finding: Finding) -> str:
    """Why a finding's severity is not its check's, or "" when it is the same."""
    if finding.severity is finding.base_severity:
        return ""
    moved = "raised" if finding.severity.rank > finding.base_severity.rank else "lowered"
    note = f"{moved} from {finding.base_severity.value}"
    reason = finding.severity_reason
    if reason and reason.startswith(("raised from ", "lowered from ")):
        return reason  # the analyzer's context rule already says it ("raised from high: ...")
    return f"{note}: {reason}" if reason else note


# --- charts -------------------------------------------------------------------------------

# Bar lengths in px (the SVGs are drawn at this size and scale down on narrow screens).
BAR_LENGTH = 190
COLUMN_HEIGHT = 110
# Active keys by age in days since created or last rotated: (label, lowest, highest).
KEY_AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("0-30", 0, 30),
    ("31-90", 31, 90),
    ("91-180", 91, 180),
    ("181-365", 181, 365),
    (">365", 366, None),
)
# Colour of an age bucket past the rotation limit: older keys look more alarming.
_AGE_COLOURS = ("medium", "medium", "medium", "high", "critical")
ROTATION_CHECK = "KEY-002"
DEFAULT_ROTATION_DAYS = 90


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: its label, its count, its colour class and its length in px (0 for none)."""

    label: str
    count: int
    colour: str
    length: float


@dataclass(frozen=True, slots=True)
class Chart:
    """A chart as the template draws it; ``description`` says every bar in words."""

    id: str
    title: str
    description: str
    bars: tuple[Bar, ...]
    note: str = ""

    @property
    def empty(self) -> bool:
        """True when there is nothing to draw (every bar is zero)."""
        return not any(bar.count for bar in self.bars)


def _bars(items: Iterable[tuple[str, int, str]], longest: int) -> tuple[Bar, ...]:
    """Bars scaled to the largest count; a non-zero count always shows at least 2 px."""
    items = list(items)
    top = max((count for _, count, _ in items), default=0)
    return tuple(
        Bar(label, count, colour, max(2.0, round(longest * count / top, 1)) if count else 0.0)
        for label, count, colour in items
    )


def _described(items: Iterable[tuple[str, int, str]]) -> str:
    return ", ".join(f"{label}: {count}" for label, count, _ in items)


def severity_chart(fail_by_severity: Mapping[Severity, int]) -> Chart:
    """Unmuted FAIL findings per severity, critical first, in the report's severity colours."""
    items = [(s.value, fail_by_severity.get(s, 0), s.value) for s in Severity]
    return Chart(
        id="chart-severity",
        title="Failing findings by severity",
        description="Unmuted failing findings by severity: " + _described(items),
        bars=_bars(items, BAR_LENGTH),
    )


def status_chart(summary: Mapping[str, int]) -> Chart:
    """Every finding by status (PASS, FAIL, ERROR unmuted; muted apart)."""
    items = [(s.value, summary.get(s.value, 0), s.value) for s in Status]
    items.append(("muted", summary.get("muted", 0), "muted"))
    return Chart(
        id="chart-status",
        title="Findings by status",
        description="Findings by status: " + _described(items),
        bars=_bars(items, BAR_LENGTH),
    )


def _days(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def key_age_chart(findings: Iterable[Finding]) -> Chart:
    """Active access keys by age, from the rotation check's findings (one per active key).

    KEY-002 judges every active key and records its ``age_days`` (and ``limit_days``) in
    the evidence, whether it passed, failed or was muted; an active key without a creation
    date is its ERROR and is counted apart as of unknown age. Buckets entirely within the
    rotation limit are drawn in the PASS colour, older ones in warmer severity colours.
    """
    counts = [0] * len(KEY_AGE_BUCKETS)
    unknown = 0
    limit = DEFAULT_ROTATION_DAYS
    for finding in findings:
        if finding.check_id != ROTATION_CHECK:
            continue
        age = _days(finding.evidence.get("age_days"))
        if age is None:
            unknown += finding.status is Status.ERROR
            continue
        limit = _days(finding.evidence.get("limit_days")) or limit
        for index, (_, low, high) in enumerate(KEY_AGE_BUCKETS):
            if age >= low and (high is None or age <= high):
                counts[index] += 1
                break
    items = [
        (
            label,
            counts[index],
            "PASS" if high is not None and high <= limit else _AGE_COLOURS[index],
        )
        for index, (label, _, high) in enumerate(KEY_AGE_BUCKETS)
    ]
    note = f"{unknown} active key(s) of unknown age." if unknown else ""
    return Chart(
        id="chart-key-age",
        title="Active access keys by age (days)",
        description=(
            f"Active access keys by days since created or rotated (limit {limit}): "
            + _described(items)
            + (f"; unknown: {unknown}" if unknown else "")
        ),
        bars=_bars(items, COLUMN_HEIGHT),
        note=note,
    )


# --- finding data -------------------------------------------------------------------------

DATA_ENCODING = "json+zlib+base64"
# zlib's compression level for the data block.
DATA_LEVEL = 6


@dataclass(frozen=True, slots=True)
class Group:
    """A group of finding rows on the page: its key (``data-group``), status and rows."""

    key: str
    status: str
    rows: list[Row]


def encode_data(data: Mapping[str, Any]) -> str:
    """``data`` as the page carries it: compact JSON, zlib-compressed, then base64.

    Deterministic (the same report renders the same bytes) and only ``A-Za-z0-9+/=``, so
    nothing a finding says can end the ``<script>`` element or be read as markup.
    """
    raw = _compact(data).encode("utf-8")
    return base64.b64encode(zlib.compress(raw, DATA_LEVEL)).decode("ascii")


def decode_data(text: str) -> Any:
    """The inverse of ``encode_data``: what the page's script reads from the data block."""
    return json.loads(zlib.decompress(base64.b64decode(text, validate=True)))


def finding_data(groups: Iterable[Group], arn_prefix: str = "") -> dict[str, Any]:
    """Every finding of every group, compact, for the page's script (see ``encode_data``).

    ``rows`` holds one array per finding, in page order: group index, severity index,
    index into ``checks`` (``[check id, title]``), resource name, ARN, detail, then (not
    for PASS rows, which show no more) evidence text, own fix, severity note, and for
    muted rows the status and the reason. Trailing empty fields are left out. An ARN that
    starts with ``arn_prefix`` (the account's ``arn:PARTITION:iam::ACCOUNT:``, a sixth of
    the data otherwise) is stored without it, any other as a one-element list.
    """
    group_list = list(groups)
    head, checks = _data_head(group_list, arn_prefix)
    return {**head, "rows": list(_data_rows(group_list, arn_prefix, checks))}


def encode_finding_data(groups: Iterable[Group], arn_prefix: str = "") -> str:
    """``encode_data(finding_data(groups, arn_prefix))``, made without either whole.

    The JSON is compressed a few hundred rows at a time as it is made (zlib's output does
    not depend on how its input is cut), so neither the row arrays nor the JSON of every
    finding (16 MB at 5,000 users) is ever held; only the compressed bytes are.
    """
    group_list = list(groups)
    head, checks = _data_head(group_list, arn_prefix)
    compressor = zlib.compressobj(DATA_LEVEL)
    # The head's JSON without its closing brace, then "rows" as the last key.
    parts = [compressor.compress(_compact({**head, "rows": []})[:-3].encode("utf-8"))]
    opening = "["
    for batch in batched(_data_rows(group_list, arn_prefix, checks), ITEMS_PER_CHUNK):
        text = opening + ",".join(_compact(row) for row in batch)
        parts.append(compressor.compress(text.encode("utf-8")))
        opening = ","
    parts.append(compressor.compress(b"[]}" if opening == "[" else b"]}"))
    parts.append(compressor.flush())
    return base64.b64encode(b"".join(parts)).decode("ascii")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _data_head(
    groups: list[Group], arn_prefix: str
) -> tuple[dict[str, Any], dict[tuple[str, str], int]]:
    """The data's keys before ``rows``, and each ``(check id, title)``'s index in ``checks``.

    ``checks`` lists them in the order rows first name them; it comes before the rows in
    the JSON, so it is found in a pass of its own.
    """
    checks: dict[tuple[str, str], int] = {}
    for group in groups:
        for row in group.rows:
            checks.setdefault((row.finding.check_id, row.finding.title), len(checks))
    head = {
        "page": PAGE_ROWS,
        "arn": arn_prefix,
        "sev": [s.value for s in Severity],
        "groups": [[g.key, g.status] for g in groups],
        "checks": [list(pair) for pair in checks],
    }
    return head, checks


def _data_rows(
    groups: list[Group], arn_prefix: str, checks: Mapping[tuple[str, str], int]
) -> Iterator[list[Any]]:
    """One array per finding, in page order (the ``rows`` of ``finding_data``)."""
    severities = {s: i for i, s in enumerate(Severity)}
    for index, group in enumerate(groups):
        for row in group.rows:
            f = row.finding
            item: list[Any] = [
                index,
                severities[f.severity],
                checks[(f.check_id, f.title)],
                f.resource_name,
                (
                    f.resource_arn[len(arn_prefix) :]
                    if arn_prefix and f.resource_arn.startswith(arn_prefix)
                    else [f.resource_arn]
                ),
                f.detail,
            ]
            if group.status != Status.PASS.value:
                item += [
                    row.evidence,
                    # Slot 7, a finding's own fix, stays empty: the analyzer words the fix
                    # once per check, and the check table shows it.
                    "",
                    row.severity_note,
                ]
                if f.muted:
                    item += [f.status.value, f.mute_reason or "no reason given"]
            while item[-1] == "":
                item.pop()
            yield item


def _context(report: Report) -> dict[str, Any]:
    """Everything the template needs, computed once here so the template stays simple."""
    lines = check_lines(report.checks, report.findings)
    by_id = {line.id: line for line in lines}
    failing: list[Row] = []
    errors: list[Row] = []
    muted: list[Row] = []
    fail_by_severity: Counter[Severity] = Counter()

    for finding in ordered_findings(report.findings):
        line = by_id[finding.check_id]
        passed = finding.status is Status.PASS and not finding.muted
        row = Row(
            finding=finding,
            # Most findings pass, and a PASS row never shows its evidence: not made at all.
            evidence="" if passed else _row_evidence(finding),
            severity_note=_severity_note(finding),
        )
        if finding.muted:
            line.muted += 1
            muted.append(row)
        elif finding.status is Status.FAIL:
            line.failed += 1
            fail_by_severity[finding.severity] += 1
            failing.append(row)
        elif finding.status is Status.ERROR:
            line.errors += 1
            errors.append(row)
        else:
            line.passed += 1
            line.passing.append(row)

    pass_groups = [c for c in lines if c.passing]
    groups = [
        Group("failing", Status.FAIL.value, failing),
        Group("errors", Status.ERROR.value, errors),
        Group("muted", "muted", muted),
        *(Group(f"pass:{c.id}", Status.PASS.value, c.passing) for c in pass_groups),
    ]
    summary = report.summary()
    return {
        "tool": report.tool,
        "account_id": report.account_id,
        "partition": report.partition,
        "generated_at": utc_timestamp(report.generated_at),
        "credential_report_generated_at": optional_utc_timestamp(
            report.credential_report_generated_at
        ),
        "complete": report.complete,
        "gaps": [
            {
                "operation": gap.operation,
                "region": gap.region or "",
                "error": gap.error,
                "message": gap.message,
                "checks": ", ".join(ids),
            }
            for gap, ids in report.gap_checks().items()
        ],
        # The checks that could not look for a reason no gap gives (a missing root row, an
        # unreadable row or policy): without them the banner of such an audit lists nothing.
        "check_errors": [
            {"check_id": e.check_id, "title": e.title, "reason": e.reason()}
            for e in check_errors(report)
        ],
        "notes": report.notes,
        "score": score_text(report.score.value),
        "grade": report.score.grade,
        "summary": summary,
        "total": len(report.findings),
        "severities": [s.value for s in Severity],
        "fail_by_severity": [(s.value, fail_by_severity[s]) for s in Severity],
        "statuses": [s.value for s in Status],
        "checks": lines,
        "check_counts": [
            ("run", "run", len(lines)),
            ("failing", "with failing findings", sum(c.failed > 0 for c in lines)),
            ("errors", "that could not look", sum(c.errors > 0 for c in lines)),
            ("empty", "with nothing to judge", sum(c.total == 0 for c in lines)),
        ],
        "failing": failing,
        "errors": errors,
        "muted": muted,
        "pass_groups": pass_groups,
        "page": PAGE_ROWS,
        "pass_page": PASS_PAGE_ROWS,
        "data": encode_finding_data(
            (g for g in groups if g.rows),
            arn_prefix=f"arn:{report.partition}:iam::{report.account_id}:",
        ),
        "data_encoding": DATA_ENCODING,
        "charts": [
            severity_chart(fail_by_severity),
            status_chart(summary),
        ],
        "key_ages": key_age_chart(report.findings),
        "changes": report.changes,  # a ReportDiff for the "Since last run" section, or None
        # The "Attack paths" section (PERM-010's findings drawn), None when PERM-010 did not run.
        "attack_paths": attack_paths_view(report),
        "members_shown": members_shown,
        "node_width": NODE_WIDTH,
        "node_height": NODE_HEIGHT,
    }


def stream_html(report: Report, directory: Path | None = None) -> Iterator[bytes]:
    """``report.html`` as UTF-8 chunks; ``directory`` overrides where templates are read.

    Jinja's ``generate`` yields the page a few characters at a time as the template runs;
    they are gathered into chunks of about ``CHUNK_CHARS``, so the page text is never whole.
    """
    env = environment(directory)
    context = _context(report)
    context["csp"] = content_security_policy(env)
    yield from utf8_chunks(env.get_template(TEMPLATE).generate(context))


def render_html(report: Report, directory: Path | None = None) -> bytes:
    """``report.html`` whole, as bytes (see ``stream_html``)."""
    return b"".join(stream_html(report, directory))


# Characters of page text per chunk a page's stream yields.
CHUNK_CHARS = 64 * 1024


def utf8_chunks(pieces: Iterable[str], size: int = CHUNK_CHARS) -> Iterator[bytes]:
    """``pieces`` (a template's many small strings) joined into UTF-8 chunks of ~``size``."""
    buffer: list[str] = []
    held = 0
    for piece in pieces:
        buffer.append(piece)
        held += len(piece)
        if held >= size:
            yield "".join(buffer).encode("utf-8")
            buffer.clear()
            held = 0
    if buffer:
        yield "".join(buffer).encode("utf-8")
