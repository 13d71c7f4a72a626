"""An account built through the IAM API with the most hostile strings it accepts, audited live.

IAM names allow only ``[\\w+=,.@-]``, so names carry formula signs (``=``, ``+``, ``-``,
``@``) and commas; role descriptions, tags and condition values in policies take HTML,
JavaScript and formula text. The installed CLI audits the account in every format; the
reports must be well-formed (JSON parses, CSV reads back), inert (the HTML page has only
the template's scripts, no ``on*`` attribute, no ``javascript:`` URL, its CSP intact; no
CSV cell starts a formula) and the strings must come back exactly in report.json.
"""

from __future__ import annotations

import json
from pathlib import Path

from auditor.report.json_read import read_report
from tests.test_hostile_input import FORMULA_START, csv_cells, raw_controls, shape

from .audit_helpers import policy_doc
from .conftest import AwsClient, RunCli

NAMES = ("=cmd", "+1", "-1", "@SUM", "=HYPERLINK.x,y", "a,b=c@d.e-f_g+h")
SCRIPT = '<script>alert(1)</script>"><img src=x onerror=alert(1)>'
FORMULA = '=HYPERLINK("http://x","y")'


def test_hostile_account_reports_are_well_formed_and_inert(
    run_cli: RunCli, aws_client: AwsClient, tmp_path: Path
) -> None:
    iam = aws_client("iam")
    condition = {"StringEquals": {"aws:PrincipalTag/team": [SCRIPT, FORMULA, "@SUM(A1)"]}}
    doc = policy_doc({"Effect": "Allow", "Action": "s3:*", "Resource": "*", "Condition": condition})
    trust = policy_doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
            "Action": "sts:AssumeRole",
            "Condition": {"StringLike": {"sts:ExternalId": SCRIPT}},
        }
    )
    tags = [{"Key": "note", "Value": SCRIPT}, {"Key": "x", "Value": FORMULA}]
    for name in NAMES:
        iam.create_user(UserName=name, Tags=tags)
        iam.create_login_profile(UserName=name, Password="Hostile-Passw0rd!")
        iam.put_user_policy(UserName=name, PolicyName=name, PolicyDocument=doc)
        iam.create_role(
            RoleName=name, AssumeRolePolicyDocument=trust, Description=FORMULA, Tags=tags
        )
        iam.create_group(GroupName=name)
        iam.create_policy(PolicyName=name, PolicyDocument=doc, Description=SCRIPT)
    out = tmp_path / "out"

    proc = run_cli("audit", "--format", "json,csv,html,cis,ocsf,asff", "--output-dir", out)

    assert proc.returncode in (1, 3), proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr
    assert raw_controls(proc.stdout) == []
    assert raw_controls(proc.stderr) == []
    report = read_report(json.loads((out / "report.json").read_text(encoding="utf-8")))
    seen = {f["resource_name"] for f in report["findings"]}
    assert set(NAMES) <= seen
    for name in ("report.ocsf.json", "report.asff.json"):
        json.loads((out / name).read_text(encoding="utf-8"))
    for name in ("report.csv", "cis-7.0.csv"):
        cells = list(csv_cells((out / name).read_bytes()))
        live = [c for c in cells if c.startswith(FORMULA_START) or c.lstrip()[:1] in set("=+-@")]
        assert live == [], (name, live[:3])
    for name in ("report.html", "cis-7.0.html"):
        page = shape((out / name).read_bytes())
        assert page.bad == [], name
        assert len(page.csp) == 1 and "default-src 'none'" in (page.csp[0] or "")
        assert all(s.get("type") == "application/octet-stream" or not s for s in page.scripts)
        assert len(page.scripts) <= 2
        assert {tag for tag, _ in page.tags}.isdisjoint({"img", "iframe", "object", "embed"})
