"""The demo account tells its story: what boto3 reads back is what ``demo.py`` narrates."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest

from auditor.demo import moto_account
from auditor.demo.access_analyzer import AnalyzerWorld, analyzer
from auditor.demo.account import (
    DEMO_REGION,
    VENDOR_ACCOUNT_ID,
    build_demo_account,
    demo_session,
    install_demo_access_analyzer,
)


@dataclass(frozen=True)
class Story:
    """Everything the tests read back, taken while the demo's moto was running."""

    summary: dict[str, int]
    report: dict[str, dict[str, str]]
    password_policy: dict[str, Any]
    details: dict[str, Any]
    mfa_devices: list[dict[str, Any]]
    certificates: dict[str, dict[str, Any]]
    saml_providers: list[str]
    oidc_providers: list[str]
    analyzers: dict[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def story() -> Story:
    # Built and read once for the module, and the mock stopped before any test runs, so
    # no test here can see (or leak) an active moto.
    with demo_session() as session:
        iam = session.client("iam")
        iam.generate_credential_report()
        content = iam.get_credential_report()["Content"].decode()
        certs = iam.list_server_certificates()["ServerCertificateMetadataList"]
        return Story(
            summary=iam.get_account_summary()["SummaryMap"],
            report={r["user"]: r for r in moto_account.credential_report_rows(content)},
            password_policy=iam.get_account_password_policy()["PasswordPolicy"],
            details=iam.get_account_authorization_details(),
            mfa_devices=iam.list_virtual_mfa_devices()["VirtualMFADevices"],
            certificates={c["ServerCertificateName"]: c for c in certs},
            saml_providers=[p["Arn"] for p in iam.list_saml_providers()["SAMLProviderList"]],
            oidc_providers=[
                p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]
            ],
            analyzers={
                region: session.client("accessanalyzer", region_name=region).list_analyzers()[
                    "analyzers"
                ]
                for region in (DEMO_REGION, "eu-west-1")
            },
        )


def days_ago(when: str | datetime) -> float:
    """How many days before now ``when`` (a report cell or a parsed timestamp) was."""
    moment = datetime.fromisoformat(when) if isinstance(when, str) else when
    return (datetime.now(UTC) - moment).total_seconds() / 86400


def test_root_has_an_access_key_and_no_mfa(story: Story) -> None:
    summary, report = story.summary, story.report
    assert summary["AccountAccessKeysPresent"] == 1
    assert summary["AccountMFAEnabled"] == 0
    assert summary["AccountPasswordPresent"] == 1
    root = report["<root_account>"]
    assert (root["mfa_active"], root["access_key_1_active"]) == ("false", "true")
    assert days_ago(root["access_key_1_last_used_date"]) == pytest.approx(12, abs=0.1)
    assert next(iter(report)) == "<root_account>"  # first row, as AWS writes it


def test_password_policy_is_weak(story: Story) -> None:
    policy = story.password_policy
    assert policy["MinimumPasswordLength"] == 8
    assert "PasswordReusePrevention" not in policy
    assert not policy["RequireSymbols"]


def test_people_and_their_credentials(story: Story) -> None:
    report = story.report
    assert set(report) == {
        "<root_account>",
        "alice.admin",
        "maria.garcia",
        "dev.chen",
        "jane.analyst",
        "contractor.sam",
        "legacy-deployer",
        "ops-automation",
        "ci-uploader",
        "ci-deploy",
    }
    console_no_mfa = {
        u
        for u, r in report.items()
        if r["password_enabled"] == "true" and r["mfa_active"] == "false"
    }
    assert console_no_mfa == {"alice.admin", "dev.chen", "contractor.sam"}
    assert report["maria.garcia"]["mfa_active"] == "true"
    assert report["jane.analyst"]["mfa_active"] == "true"
    assert days_ago(report["dev.chen"]["password_last_used"]) == pytest.approx(60, abs=0.1)


def test_key_ages_tell_the_story(story: Story) -> None:
    report = story.report
    deployer = report["legacy-deployer"]
    assert days_ago(deployer["access_key_1_last_rotated"]) == pytest.approx(200, abs=0.1)
    assert days_ago(deployer["access_key_1_last_used_date"]) == pytest.approx(100, abs=0.1)
    ops = report["ops-automation"]
    assert (ops["access_key_1_active"], ops["access_key_2_active"]) == ("true", "true")
    workload = report["ci-uploader"]
    assert (workload["password_enabled"], workload["access_key_1_active"]) == ("false", "true")
    # dev.chen's key was made with the user and never used.
    chen = report["dev.chen"]
    assert chen["access_key_1_last_rotated"] == chen["user_creation_time"]
    assert chen["access_key_1_last_used_date"] == "N/A"


def test_permissions(story: Story) -> None:
    details = story.details
    users = {u["UserName"]: u for u in details["UserDetailList"]}
    admin_doc = users["alice.admin"]["UserPolicyList"][0]["PolicyDocument"]
    assert admin_doc["Statement"] == [{"Effect": "Allow", "Action": "*", "Resource": "*"}]
    jane = users["jane.analyst"]
    assert jane["GroupList"] == ["analysts"]
    assert jane.get("UserPolicyList", []) == [] and jane.get("AttachedManagedPolicies", []) == []
    assert [p["PolicyName"] for p in users["contractor.sam"]["UserPolicyList"]] == ["UploadAssets"]
    # Only the three AWS managed policies the story needs, not moto's 1,600.
    assert sorted(p["Arn"] for p in details["Policies"]) == [
        "arn:aws:iam::123456789012:policy/AnalystsReadReports",
        "arn:aws:iam::aws:policy/AWSSupportAccess",
        "arn:aws:iam::aws:policy/AdministratorAccess",
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
    ]


def test_roles(story: Story) -> None:
    details = story.details
    roles = {r["RoleName"]: r for r in details["RoleDetailList"]}
    assert set(roles) == {
        "orders-processor",
        "legacy-batch",
        "SupportAccess",
        "vendor-monitoring",
        "github-actions-deploy",
        "deploy",
        "lambda-cleanup",
    }
    unused = roles["legacy-batch"]
    assert days_ago(unused["CreateDate"]) == pytest.approx(300, abs=0.1)
    assert "LastUsedDate" not in unused.get("RoleLastUsed", {})
    used = roles["orders-processor"]["RoleLastUsed"]["LastUsedDate"]
    assert days_ago(used) == pytest.approx(0.05, abs=0.01)
    assert [p["PolicyArn"] for p in roles["SupportAccess"]["AttachedManagedPolicies"]] == [
        "arn:aws:iam::aws:policy/AWSSupportAccess"
    ]
    vendor = roles["vendor-monitoring"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert vendor["Principal"] == {"AWS": f"arn:aws:iam::{VENDOR_ACCOUNT_ID}:root"}
    assert "Condition" not in vendor
    github = roles["github-actions-deploy"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert github["Principal"]["Federated"].endswith(
        ":oidc-provider/token.actions.githubusercontent.com"
    )
    assert github["Condition"]["StringLike"] == {
        "token.actions.githubusercontent.com:sub": "repo:example-org/*"
    }


def test_mfa_devices_certificates_and_federation(story: Story) -> None:
    assert [d["User"]["UserName"] for d in story.mfa_devices] == ["maria.garcia"]
    certs = story.certificates
    assert days_ago(certs["legacy-www-example-com"]["Expiration"]) == pytest.approx(20, abs=0.1)
    assert days_ago(certs["www-example-com"]["Expiration"]) == pytest.approx(-200, abs=0.1)
    assert (
        certs["www-example-com"]["ServerCertificateId"]
        != (certs["legacy-www-example-com"]["ServerCertificateId"])
    )
    assert story.saml_providers == ["arn:aws:iam::123456789012:saml-provider/CorporateIdP"]
    assert [p.rsplit("/", 1)[-1] for p in story.oidc_providers] == [
        "token.actions.githubusercontent.com"
    ]


def test_access_analyzer_runs_in_the_demo_region_only(story: Story) -> None:
    home = story.analyzers[DEMO_REGION]
    assert [(a["name"], a["status"]) for a in home] == [("DemoAccountAnalyzer", "ACTIVE")]
    assert story.analyzers["eu-west-1"] == []


def test_access_analyzer_hook_must_precede_the_client(mock_aws: None) -> None:
    world = AnalyzerWorld()
    world.set_analyzers("*", [analyzer("everywhere")])
    world.fail("eu-north-1")
    session = boto3.Session(region_name="us-east-1")
    early = session.client("accessanalyzer", region_name="sa-east-1")
    assert install_demo_access_analyzer(session, world) is world
    late = session.client("accessanalyzer", region_name="sa-east-1")
    assert [a["name"] for a in late.list_analyzers()["analyzers"]] == ["everywhere"]
    with pytest.raises(Exception, match="AccessDenied"):
        session.client("accessanalyzer", region_name="eu-north-1").list_analyzers()
    # A client made before the hook is moto's, which has no Access Analyzer.
    with pytest.raises(Exception, match="404"):
        early.list_analyzers()
    assert [r.region for r in world.requests] == ["sa-east-1", "eu-north-1"]


def test_demo_refuses_anything_but_moto(story: Story) -> None:
    # After the demo session ended, no mock is active: building must refuse, not write.
    with pytest.raises(RuntimeError, match=r"mock_aws"):
        build_demo_account()
    with pytest.raises(RuntimeError, match="local moto only"):
        build_demo_account(endpoint_url="https://iam.amazonaws.com")


def test_demo_session_keeps_the_developer_setup_out(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "production")
    monkeypatch.setenv("AWS_ENDPOINT_URL", "https://example.invalid")
    with demo_session() as session:
        assert "AWS_PROFILE" not in os.environ
        assert session.client("iam").meta.endpoint_url == "https://iam.amazonaws.com"
        assert "alice.admin" in moto_account.iam_backend().users
    assert os.environ["AWS_PROFILE"] == "production"
