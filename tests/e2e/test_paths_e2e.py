"""``iam-auditor paths`` end to end: the installed CLI against the moto server.

A small account with a two-step chain to admin - user ``ci`` may assume role ``deploy``,
which may pass the admin role ``lambda-admin`` (trusting Lambda) to a new function - and a
user with no path. The live run reads only the authorization details.
"""

from __future__ import annotations

import json
from typing import Any

from auditor.demo import moto_account
from testkit.server import AccessAnalyzerStub

from .audit_helpers import ACCOUNT_ID, allow, policy_doc, trust
from .conftest import AwsClient, OperationLog, RunCli


def build_chain(iam: Any) -> None:
    (admin,) = moto_account.add_aws_managed_policies("AdministratorAccess")
    iam.create_role(
        RoleName="lambda-admin",
        AssumeRolePolicyDocument=trust({"Service": "lambda.amazonaws.com"}),
    )
    iam.attach_role_policy(RoleName="lambda-admin", PolicyArn=admin)
    iam.create_role(
        RoleName="deploy",
        AssumeRolePolicyDocument=trust({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}),
    )
    iam.put_role_policy(
        RoleName="deploy",
        PolicyName="DeployFunctions",
        PolicyDocument=policy_doc(
            allow("iam:PassRole", f"arn:aws:iam::{ACCOUNT_ID}:role/lambda-admin"),
            allow(["lambda:CreateFunction", "lambda:InvokeFunction"]),
        ),
    )
    iam.create_user(UserName="ci")
    iam.put_user_policy(
        UserName="ci",
        PolicyName="AssumeDeploy",
        PolicyDocument=policy_doc(
            allow("sts:AssumeRole", f"arn:aws:iam::{ACCOUNT_ID}:role/deploy")
        ),
    )
    iam.create_user(UserName="reader")


def test_paths_live(
    aws_client: AwsClient,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    cli_operations: OperationLog,
) -> None:
    build_chain(aws_client("iam"))

    proc = run_cli("paths", "--json")
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    starts = {p["start"]["name"]: p for p in data["paths"]}
    assert set(starts) == {"ci", "deploy"}
    ci = starts["ci"]
    assert [n["name"] for n in ci["nodes"]] == ["ci", "deploy", "lambda-admin", "admin"]
    assert [h["reason"] for h in ci["hops"]] == ["assume-role", "pass-role", "admin-equivalent"]
    assert data["cut"]["paths_broken"] == 2
    # Only what the graph needs: the authorization details, no credential report.
    assert {op.split(":")[1] for op in cli_operations.runs[-1]} <= {
        "GetAccountAuthorizationDetails",
        "GetCallerIdentity",
    }

    text = run_cli("paths", "--from", "ci")
    assert text.returncode == 1, text.stderr
    assert text.stdout.startswith("Path 1 of 1:")
    assert "ci -(assume-role: AssumeDeploy (inline) stmt 0" in text.stdout
    assert "Cheapest cut: remove statement" in text.stdout

    none = run_cli("paths", "--from", "reader")
    assert (none.returncode, none.stdout.strip()) == (0, "No attack path found."), none.stderr

    unknown = run_cli("paths", "--from", "nobody")
    assert unknown.returncode == 2
    assert (
        unknown.stderr.strip()
        == "iam-auditor: error: --from: no user, role or entry point 'nobody'"
    )
