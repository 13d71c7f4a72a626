"""The "Attack paths" section: layout, aggregation at scale, escaping, degraded evidence.

Findings follow PERM-010's data contract; ``attack_path_samples`` builds realistic ones by
running the attack-path engine on a small hand-built account.
"""

from __future__ import annotations

from typing import Any

import pytest
from attack_path_samples import (
    ACCOUNT_ARN,
    CHECK_ID,
    attack_findings,
    attack_snapshot,
    five_thousand_user_paths,
    path_evidence,
    role_arn,
    short_name,
)
from report_samples import HOSTILE, MakeFinding, MakeReport, Page, make_meta
from test_html_report import ALLOWED_TAGS

from auditor.model import Finding, Severity, Status
from auditor.report.attack_paths import (
    MAX_EDGES,
    MAX_PER_COLUMN,
    TABLE_ROWS,
    AttackPathsView,
    attack_paths_view,
)
from auditor.report.html_report import decode_data, render_html


def _view(make_report: MakeReport, findings: list[Finding], **kw: Any) -> AttackPathsView:
    view = attack_paths_view(make_report(findings, **kw))
    assert view is not None
    return view


def _page(make_report: MakeReport, findings: list[Finding], **kw: Any) -> Page:
    page = Page(render_html(make_report(findings, **kw)).decode("utf-8"))
    assert page.stack == []
    return page


# --- the small account, exactly ----------------------------------------------------------


def test_small_account_draws_every_step_once(make_report: MakeReport) -> None:
    view = _view(make_report, attack_findings(attack_snapshot()))
    assert view.paths == 7
    assert view.starts_outside == 2
    assert view.uncertain == 1
    columns = {short_name(n.id): n.column for n in view.nodes}
    assert columns == {
        "token.actions.githubusercontent.com|": 0,
        "account:444455556666": 0,
        "ci-deploy": 1, "alice": 1, "bob": 1, "dave": 1, "vendor-audit": 1,
        "fn-admin": 2, "ops-admin": 2,
        "admin": 3,
    }  # fmt: skip
    outside = {n.label for n in view.nodes if n.outside}
    assert outside == {"account 444455556666", "token.actions.githubusercon…"}
    edges = {(short_name(e.source), short_name(e.target)): e for e in view.edges}
    assert {k: (e.label, e.certain, e.cut) for k, e in edges.items()} == {
        ("token.actions.githubusercontent.com|", "ci-deploy"): ("assume-role", True, False),
        ("account:444455556666", "vendor-audit"): ("assume-role", True, False),
        ("alice", "ops-admin"): ("assume-role", True, True),
        ("bob", "ops-admin"): ("assume-role", True, True),
        ("dave", "ops-admin"): ("assume-role", False, True),
        ("vendor-audit", "ops-admin"): ("assume-role", True, True),
        ("ci-deploy", "fn-admin"): ("pass-role", True, False),
        ("fn-admin", "admin"): ("admin-equivalent", True, False),
        ("ops-admin", "admin"): ("admin-equivalent", True, False),
    }
    assert view.groups == [] and view.edges_left_out == 0
    # Boxes of one column never overlap, and every arrow goes one column to the right.
    by_id = {n.id: n for n in view.nodes}
    for a in view.nodes:
        for b in view.nodes:
            if a is not b and a.column == b.column:
                assert abs(a.y - b.y) >= 36
    assert all(by_id[e.target].column == by_id[e.source].column + 1 for e in view.edges)
    # The same report lays out the same way every time.
    again = _view(make_report, attack_findings(attack_snapshot()))
    assert [(n.id, n.x, n.y) for n in again.nodes] == [(n.id, n.x, n.y) for n in view.nodes]


def test_small_account_section_markup(make_report: MakeReport) -> None:
    page = _page(make_report, attack_findings(attack_snapshot()))
    section = page.by_id("attack-paths")
    assert section is not None
    inside = [e for e in page.elements if section in e.ancestors]
    assert len([e for e in inside if "ap-node" in e.classes]) == 10
    assert len([e for e in inside if "ap-edge" in e.classes]) == 9
    assert len([e for e in inside if "unsure" in e.classes]) == 1
    (svg,) = [e for e in inside if e.tag == "svg"]
    assert svg.attrs["role"] == "img" and "7 path(s)" in (svg.attrs["aria-label"] or "")
    cut = page.by_id("attack-cut")
    assert cut is not None
    assert "Remove statement 0 of trust policy of ops-admin: breaks 5 of 7 paths." in (
        cut.full_text()
    )
    assert len([e for e in inside if e.tag == "tr" and "path" in e.classes]) == 7
    nav = page.all("nav")[0].full_text()
    assert "Attack paths (7)" in nav
    assert not [e for e in page.elements if e.attrs.get("style") is not None]


# --- whether the section is there --------------------------------------------------------


def test_absent_when_perm_010_did_not_run(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    report = make_report([make_finding()])
    assert attack_paths_view(report) is None
    page = Page(render_html(report).decode("utf-8"))
    assert page.by_id("attack-paths") is None
    assert "Attack paths" not in page.all("nav")[0].full_text()


def test_says_no_path_when_perm_010_found_none(make_report: MakeReport) -> None:
    page = _page(make_report, [], checks=[make_meta(CHECK_ID, Severity.HIGH)])
    none = page.by_id("no-attack-paths")
    assert none is not None
    assert none.full_text() == "No principal can reach administrator through other principals."
    assert not page.all("svg", None) or all(
        page.by_id("attack-paths") not in e.ancestors for e in page.all("svg")
    )


def test_errors_and_mutes_are_said(make_report: MakeReport, make_finding: MakeFinding) -> None:
    findings = [
        make_finding(CHECK_ID, Status.ERROR, Severity.HIGH, "x"),
        make_finding(CHECK_ID, Status.FAIL, Severity.HIGH, "y", muted=True, mute_reason="ok"),
    ]
    view = _view(make_report, findings)
    assert (view.paths, view.errors, view.muted) == (0, 1, 1)
    page = _page(make_report, findings)
    text = (page.by_id("attack-paths") or page.elements[0]).full_text()
    assert "could not look" in text and "1 muted finding(s)" in text


# --- 5,000 users -------------------------------------------------------------------------


def test_five_thousand_users_collapse_below_the_caps(make_report: MakeReport) -> None:
    findings = five_thousand_user_paths()
    view = _view(make_report, findings)
    assert view.paths == 5001
    columns: dict[int, int] = {}
    for node in view.nodes:
        columns[node.column] = columns.get(node.column, 0) + 1
    assert max(columns.values()) <= MAX_PER_COLUMN
    assert len(view.edges) <= MAX_EDGES
    # Every user is in exactly one box; the outside entry point is never folded away.
    users = [m for n in view.nodes if n.kind in ("user", "principal") for m in n.members]
    assert sorted(users) == [f"user-{i:05d}" for i in range(5000)]
    (vendor_box,) = [n for n in view.nodes if n.outside]
    assert vendor_box.label == "account 444455556666" and not vendor_box.grouped
    # The roles most paths go through keep their box; the 30 odd ones are one box.
    roles = {n.label: n for n in view.nodes if n.kind == "role"}
    assert set(roles) == {"admin-0", "admin-1", "admin-2", "30 roles"}
    groups = sorted(len(n.members) for n in view.groups)
    assert groups[-3:] == [1650, 1650, 1650]  # the users of each busy role, but 20
    (more,) = [n for n in view.nodes if n.label.startswith("more: ")]
    assert more.label == f"more: {len(more.members)} users"
    assert len(view.table_rows) == TABLE_ROWS
    # The page stays small: the table and the member lists are capped.
    html = render_html(make_report(findings)).decode("utf-8")
    section = html[html.index('<section id="attack-paths"') : html.index('<section id="checks"')]
    assert len(section) < 200_000
    assert f"Showing the first {TABLE_ROWS} of 5001 paths" in section
    assert "and " in section and "more (every path is a failing finding of PERM-010)" in section


# --- hostile names and broken evidence ---------------------------------------------------


@pytest.mark.parametrize("payload", HOSTILE)
def test_hostile_names_stay_text(
    make_report: MakeReport, make_finding: MakeFinding, payload: str
) -> None:
    start = {"id": f"{ACCOUNT_ARN}:user/{payload}", "kind": "user", "name": payload}
    role = role_arn(payload)
    evidence = {
        "path": {
            **path_evidence(
                start,
                (start["id"], role, payload, False),
                (role, "admin", "admin-equivalent", True),
            ),
            "undecided": [payload],
            "text": payload,
        },
        "cut": {
            "policy": payload,
            "policy_ref": payload,
            "statement_index": 0,
            "sid": payload,
            "paths_broken": 1,
            "starts": [start["id"]],
        },
    }
    findings = [make_finding(CHECK_ID, Status.FAIL, Severity.HIGH, payload, evidence=evidence)]
    html = render_html(make_report(findings)).decode("utf-8")
    page = Page(html)
    assert page.stack == []
    assert {e.tag for e in page.elements} <= ALLOWED_TAGS
    section = page.by_id("attack-paths")
    assert section is not None
    assert payload in section.full_text()
    svg_text = "".join(e.full_text() for e in page.all("svg") if section in e.ancestors)
    assert payload[:20] in svg_text
    assert "<script>alert" not in html.replace("&lt;script&gt;", "")


def test_control_characters_in_names_are_shown_as_marks(
    make_report: MakeReport, make_finding: MakeFinding
) -> None:
    name = "ad\u202emin\nx"
    start = {"id": f"{ACCOUNT_ARN}:user/a", "kind": "user", "name": name}
    evidence = {"path": path_evidence(start, (start["id"], "admin", "attach-policy", True))}
    view = _view(make_report, [make_finding(CHECK_ID, evidence=evidence)])
    assert [n.label for n in view.nodes if n.kind == "user"] == ["ad?min?x"]


@pytest.mark.parametrize(
    "evidence",
    [
        {},
        {"path": None, "cut": "nonsense"},
        {"path": "alice -> admin"},
        {"path": {"start": 42, "nodes": "x", "hops": [None, 3, {"source": 1}]}},
        # Bare node ids (the engine's older shape), hops without reasons or certainty.
        {
            "path": {
                "start": f"{ACCOUNT_ARN}:user/alice",
                "nodes": [f"{ACCOUNT_ARN}:user/alice", f"{ACCOUNT_ARN}:role/ops", "admin"],
                "hops": [
                    {"source": f"{ACCOUNT_ARN}:user/alice", "target": f"{ACCOUNT_ARN}:role/ops"},
                    {"source": f"{ACCOUNT_ARN}:role/ops", "target": "admin"},
                ],
            },
            "cut": {"policy_ref": "p", "statement_index": "zero"},
        },
        {"path": {"start": {"id": "*"}, "hops": [{"source": "*", "target": "admin"}]}},
    ],
)
def test_missing_or_broken_evidence_degrades(
    make_report: MakeReport, make_finding: MakeFinding, evidence: dict[str, Any]
) -> None:
    findings = [
        make_finding(CHECK_ID, Status.FAIL, Severity.HIGH, "alice", evidence=evidence),
        *attack_findings(attack_snapshot()),
    ]
    view = _view(make_report, findings)
    assert view.paths == 8
    assert {n.id for n in view.nodes} >= {"admin"}
    row = next(r for r in view.rows if r.start.name in ("alice", "*"))
    assert row.text
    page = _page(make_report, findings)
    assert len([e for e in page.all("tr") if "path" in e.classes]) == 8
    # The one finding with bare ids still draws alice -> ops -> admin.
    if isinstance(evidence.get("path"), dict) and isinstance(evidence["path"]["start"], str):
        pairs = {(short_name(e.source), short_name(e.target)) for e in view.edges}
        assert {("alice", "ops"), ("ops", "admin")} <= pairs
        assert {n.kind for n in view.nodes if short_name(n.id) == "ops"} == {"role"}


def test_finding_rows_carry_a_summary_not_the_whole_evidence(make_report: MakeReport) -> None:
    """Each PERM-010 row says its path and the cut, without the cut's list of every start."""
    findings = attack_findings(attack_snapshot())
    html = render_html(make_report(findings)).decode("utf-8")
    data = html[html.index('id="findings-data"') :]
    rows = decode_data(data[data.index(">") + 1 : data.index("</script>")])["rows"]
    assert len(rows) == 7
    for row in rows:
        evidence = row[6]
        assert (
            evidence.startswith("path: ")
            and "cheapest cut: statement 0 of trust policy" in evidence
        )
        assert "starts" not in evidence and "policy_ref" not in evidence
    assert len(data) < 10_000
