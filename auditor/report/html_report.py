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

Scale: an account with 5,000 users yields tens of thousands of findings. The markup per
finding is kept lean (the explanation and fix are shown once per check; a finding repeats
its fix only when it differs), PASS findings are grouped per check inside collapsed
``<details>``, and the filters toggle ``hidden`` on rows rather than rebuilding the page.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import importlib.resources
import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2

import auditor
from auditor.model import CheckMeta, Compliance, Finding, Report, Severity, Status
from auditor.report.common import (
    optional_utc_timestamp,
    ordered_findings,
    plain,
    utc_timestamp,
)

TEMPLATE = "report.html.j2"
CSS_PARTIAL = "report.css.j2"
JS_PARTIAL = "report.js.j2"


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
    """One finding as the template shows it: evidence pre-serialised, fix only if unusual.

    ``severity_note`` says why the severity differs from the check's ("raised from medium:
    ..."), empty when it does not.
    """

    finding: Finding
    evidence: str
    own_remediation: bool
    severity_note: str


@dataclass(slots=True)
class CheckLine:
    """One line of the per-check table, and the heading of the check's PASS group.

    ``remediation`` is the fix as the check's metadata words it for the console (or, for a
    check known only from its findings, the findings' own remediation). ``usual_fix`` is
    the remediation its findings carry (the first one's); a finding that says something
    else repeats its own inline.
    """

    id: str
    title: str
    severity: str
    remediation: str
    rationale: str = ""
    remediation_cli: str = ""
    references: tuple[str, ...] = ()
    mappings: tuple[tuple[str, str], ...] = ()
    usual_fix: str | None = None
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
        if line.usual_fix is None:
            line.usual_fix = finding.remediation
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
    return f"{note}: {finding.severity_reason}" if finding.severity_reason else note


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
        row = Row(
            finding=finding,
            evidence=evidence_text(finding.evidence),
            own_remediation=finding.remediation != line.usual_fix,
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
        "notes": report.notes,
        "score": score_text(report.score.value),
        "grade": report.score.grade,
        "summary": report.summary(),
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
        "pass_groups": [c for c in lines if c.passing],
    }


def render_html(report: Report, directory: Path | None = None) -> bytes:
    """``report.html`` as UTF-8; ``directory`` overrides where the templates are read."""
    env = environment(directory)
    context = _context(report)
    context["csp"] = content_security_policy(env)
    return env.get_template(TEMPLATE).render(context).encode("utf-8")
