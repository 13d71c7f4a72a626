"""What the analyzer shares between findings, and what it does not keep after analysing.

Findings are the bulk of an audit's memory on a large account, so what is the same for
every finding of a check is one object (the remediation text, a severity reason, empty
evidence), and the per-account analyses the checks share (privileges, trust, the attack
graph) are dropped once the findings are made - unless someone built them beforehand.
"""

from __future__ import annotations

from collections import defaultdict

import factories

from auditor.analyze import analyze, selected_checks
from auditor.audit import TOOL
from auditor.checks import all_checks
from auditor.config import CheckOverride, Settings
from auditor.model import NO_EVIDENCE, Finding, Severity, Status
from auditor.policy.graph import analyses_scope, attack_graph
from auditor.policy.graph.engine import has_graph
from auditor.policy.privilege import has_privilege_analysis, privilege_analysis
from auditor.policy.trust import has_trust_analysis
from auditor.snapshot import Snapshot

ADMIN = factories.policy("Admin", factories.document(factories.statement(action="*", resource="*")))


def account() -> Snapshot:
    names = [f"user-{n}" for n in range(6)]
    return factories.snapshot(
        credential_report=[factories.cred_row(n, mfa=n.endswith("0")) for n in names],
        users=[factories.user(n, policies=[ADMIN] if n.endswith("1") else ()) for n in names],
        roles=[factories.role(f"role-{n}") for n in range(3)],
        policies=[ADMIN],
    )


def by_check(findings: tuple[Finding, ...]) -> dict[str, list[Finding]]:
    out: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        out[f.check_id].append(f)
    return out


def test_findings_of_a_check_share_its_remediation_text() -> None:
    report = analyze(account(), Settings(), selected_checks(Settings()), tool=TOOL)
    metas = {c.meta.id: c.meta for c in all_checks()}

    groups = by_check(report.findings)
    assert any(len(fs) > 1 for fs in groups.values())
    for check_id, findings in groups.items():
        meta = metas[check_id]
        text = f"{meta.remediation.strip()} CLI: {meta.remediation_cli.strip()}"
        assert {f.remediation for f in findings} == {text}
        assert len({id(f.remediation) for f in findings}) == 1


def test_findings_without_evidence_share_the_empty_evidence() -> None:
    report = analyze(account(), Settings(), selected_checks(Settings()), tool=TOOL)

    empty = [f for f in report.findings if not f.evidence]
    assert empty
    assert all(f.evidence is NO_EVIDENCE for f in empty)
    assert any(f.evidence for f in report.findings)
    assert all(type(f.evidence) is dict for f in report.findings if f.evidence)


def test_a_configured_severity_gives_one_shared_reason() -> None:
    settings = Settings(checks={"USER-001": CheckOverride(severity=Severity.LOW)})

    report = analyze(account(), settings, selected_checks(settings), tool=TOOL)

    user_001 = [f for f in report.findings if f.check_id == "USER-001"]
    assert len(user_001) > 1
    assert {f.severity_reason for f in user_001} == {
        "set to low by [checks.USER-001] in the configuration"
    }
    assert len({id(f.severity_reason) for f in user_001}) == 1


def test_analyses_built_for_an_audit_are_dropped_after_it() -> None:
    snap = account()
    assert snap.authorization is not None

    report = analyze(snap, Settings(), selected_checks(Settings()), tool=TOOL)

    assert any(f.check_id == "PERM-010" and f.status is Status.PASS for f in report.findings)
    assert not has_privilege_analysis(snap.authorization)
    assert not has_trust_analysis(snap.authorization)
    assert not has_graph(snap.authorization)


def test_analyses_built_before_an_audit_are_kept() -> None:
    snap = account()
    assert snap.authorization is not None
    privileges = privilege_analysis(snap.authorization)
    assert not has_trust_analysis(snap.authorization)

    analyze(snap, Settings(), selected_checks(Settings()), tool=TOOL)

    assert privilege_analysis(snap.authorization) is privileges
    assert not has_trust_analysis(snap.authorization)  # built by the audit: dropped
    assert not has_graph(snap.authorization)
    graph = attack_graph(snap)  # reads every role's trust too: both kept from here on
    analyze(snap, Settings(), selected_checks(Settings()), tool=TOOL)
    assert attack_graph(snap) is graph
    assert has_trust_analysis(snap.authorization)


def test_the_scope_drops_its_analyses_when_the_block_fails() -> None:
    snap = account()
    assert snap.authorization is not None

    try:
        with analyses_scope(snap.authorization):
            attack_graph(snap)
            assert has_graph(snap.authorization)
            raise RuntimeError("a check crashed the analysis")
    except RuntimeError:
        pass

    assert not has_graph(snap.authorization)
    assert not has_privilege_analysis(snap.authorization)
