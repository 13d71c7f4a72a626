"""Trust and privilege analysis end to end: real trust documents, the installed CLI.

Three accounts, each built with boto3 calls on the moto server and audited once:

- **risky**: one role per trust-policy risk of the catalog (ROLE-001..ROLE-014), each beside
  its properly pinned twin, written in the forms the normalisation rules name (a dict or a
  list ``Statement``, ``"*"`` and ``{"AWS": "*"}``, a bare account id, lower-case
  condition keys, ``IfExists``, wildcard ExternalId and ``sub``, ``NotPrincipal``, a
  service-linked role, an org-pinned wildcard); customer policies and users for
  PERM-003..PERM-008; and the context rule: an old key on an admin user is raised one
  level and outranks the same old key on a read-only user.
- **careful**: the acceptance's account with no risky trust (service roles pinned to the
  account, a vendor role with an ExternalId from a trusted account, a GitHub role pinned to
  one repository and environment): no trust or privilege check FAILs above info.
- **organization**: the account manages an AWS Organization; a role trusting a member
  account is not reported by ROLE-003 / ROLE-004, while one trusting a stranger is.

AWS managed policies (``AdministratorAccess``, ``ReadOnlyAccess``) are added with their
real documents through ``auditor.demo.moto_account.add_aws_managed_policies``.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from auditor.demo import moto_account
from auditor.demo.access_analyzer import ANY_REGION, analyzer
from auditor.snapshot import loads
from testkit.server import AccessAnalyzerStub

from .audit_helpers import (
    ACCOUNT_ID,
    FAIL,
    PASS,
    AuditRun,
    Expect,
    allow,
    assert_table,
    audit,
    policy_doc,
    statuses_by_check,
)
from .conftest import AwsClient, RunCli
from .test_checks_e2e import saml_metadata

TRUSTED = "111122223333"  # in trusted_account_ids
VENDOR = "444455556666"  # a third party, not trusted
STRANGER = "999988887777"
ORG_ID = "o-a1b2c3d4e5"
GITHUB = "token.actions.githubusercontent.com"
EKS = "oidc.eks.us-east-1.amazonaws.com/id/EXAMPLED539D4633E53DE1B71EXAMPLE"
COGNITO = "cognito-identity.amazonaws.com"
COGNITO_POOL = "us-east-1:12345678-1234-1234-1234-123456789012"
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"

TRUST_CHECKS = tuple(f"ROLE-{n:03d}" for n in range(1, 15))
PRIVILEGE_CHECKS = tuple(f"PERM-{n:03d}" for n in range(3, 9))
SEVERITY_RANK = {"info": 0, "low": 1, "medium": 2, "high": 3, "critical": 4}


def arn(account: str, resource: str = "root") -> str:
    return f"arn:aws:iam::{account}:{resource}"


# --- trust documents --------------------------------------------------------------------


def assume(principal: Any, condition: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    """One Allow sts:AssumeRole statement (``principal`` as written: "*" or a dict)."""
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal}
    statement["Action"] = extra.pop("action", "sts:AssumeRole")
    if condition:
        statement["Condition"] = condition
    statement.update(extra)
    return statement


def web_identity(provider: str, condition: dict[str, Any] | None) -> dict[str, Any]:
    """An OIDC federation statement for ``provider`` (an ARN, or Cognito's service name)."""
    return assume({"Federated": provider}, condition, action="sts:AssumeRoleWithWebIdentity")


def trust_list(*statements: dict[str, Any]) -> str:
    """A trust policy whose ``Statement`` is a list."""
    return policy_doc(*statements)


def trust_dict(statement: dict[str, Any]) -> str:
    """A trust policy whose ``Statement`` is a single object, as AWS also accepts."""
    return json.dumps({"Version": "2012-10-17", "Statement": statement})


def external_id(value: str, operator: str = "StringEquals", key: str = "sts:ExternalId") -> Any:
    return {operator: {key: value}}


def github(sub: str | None, operator: str = "StringLike") -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {f"{GITHUB}:aud": "sts.amazonaws.com"}}
    if sub is not None:
        condition.setdefault(operator, {})[f"{GITHUB}:sub"] = sub
    return condition


def irsa(sub: str | None, operator: str = "StringEquals") -> dict[str, Any]:
    condition: dict[str, Any] = {"StringEquals": {f"{EKS}:aud": "sts.amazonaws.com"}}
    if sub is not None:
        condition.setdefault(operator, {})[f"{EKS}:sub"] = sub
    return condition


def add_role(iam: Any, name: str, trust_policy: str, *policies: str, path: str = "/") -> None:
    """A role with ``trust_policy`` and the managed policies (ARNs) attached."""
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust_policy, Path=path)
    for policy_arn in policies:
        iam.attach_role_policy(RoleName=name, PolicyArn=policy_arn)


def write_config(tmp_path: Path, *trusted: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f"trusted_account_ids = {json.dumps(list(trusted))}\n", encoding="utf-8")
    return path


def prepare_account(aa_stub: AccessAnalyzerStub) -> None:
    """Root in order and analyzers everywhere, so only what a test builds can fail."""
    moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
    aa_stub.set_analyzers(ANY_REGION, [analyzer("ExternalAccess")])


def failing_above_info(run: AuditRun, check_ids: tuple[str, ...]) -> list[str]:
    """Each unmuted FAIL of ``check_ids`` above info, one readable line each."""
    return [
        f"{f['check_id']} {f['resource_name']} {f['severity']}: {f['detail']}"
        for f in run.findings
        if f["check_id"] in check_ids
        and f["status"] == FAIL
        and not f["muted"]
        and SEVERITY_RANK[f["severity"]] > SEVERITY_RANK["info"]
    ]


def one(run: AuditRun, check_id: str, resource: str) -> dict[str, Any]:
    (finding,) = [
        f for f in run.findings if f["check_id"] == check_id and f["resource_name"] == resource
    ]
    return dict(finding)


# --- the risky account ----------------------------------------------------------------------


def build_risky_account(iam: Any, aa_stub: AccessAnalyzerStub) -> None:
    """A role per trust risk beside its pinned twin; policies and users per privilege risk."""
    prepare_account(aa_stub)
    admin, read_only = moto_account.add_aws_managed_policies(
        "AdministratorAccess", "ReadOnlyAccess"
    )
    github_arn = iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )["OpenIDConnectProviderArn"]
    eks_arn = iam.create_open_id_connect_provider(
        Url=f"https://{EKS}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["9e99a48a9960b14926bb7f3b02e22da2b0ab7280"],
    )["OpenIDConnectProviderArn"]
    saml_arn = iam.create_saml_provider(Name="okta", SAMLMetadataDocument=saml_metadata())[
        "SAMLProviderArn"
    ]

    # ROLE-001 / ROLE-002: wildcard principals.
    add_role(iam, "wildcard-any", trust_dict(assume("*")))
    add_role(iam, "wildcard-external-id-only", trust_list(assume({"AWS": "*"}, external_id("x1"))))
    add_role(iam, "wildcard-account-arn", trust_list(assume({"AWS": "arn:aws:iam::*:root"})))
    add_role(
        iam,
        "wildcard-org-pinned",
        # A lower-case condition key pins as well as the documented spelling.
        trust_list(assume({"AWS": "*"}, {"StringEquals": {"aws:principalorgid": ORG_ID}})),
    )
    add_role(
        iam,
        "wildcard-org-ifexists",
        trust_list(assume({"AWS": "*"}, {"StringEqualsIfExists": {"aws:PrincipalOrgID": ORG_ID}})),
    )
    # ROLE-003 / ROLE-004: other accounts.
    add_role(iam, "vendor-no-external-id", trust_list(assume({"AWS": arn(VENDOR)})))
    add_role(iam, "vendor-bare-account-id", trust_list(assume({"AWS": VENDOR})))
    add_role(
        iam,
        "vendor-wildcard-external-id",
        trust_list(assume({"AWS": arn(VENDOR)}, external_id("*", "StringLike"))),
    )
    add_role(
        iam,
        "vendor-pinned",
        trust_list(assume({"AWS": [arn(VENDOR)]}, external_id("vendor-7f3a"))),
    )
    add_role(
        iam,
        "vendor-pinned-lowercase-key",
        trust_dict(assume({"AWS": arn(VENDOR)}, external_id("vendor-9c1d", key="sts:externalid"))),
    )
    add_role(
        iam,
        "vendor-ifexists",
        trust_list(assume({"AWS": arn(VENDOR)}, external_id("v-2", "StringEqualsIfExists"))),
    )
    add_role(iam, "partner-trusted", trust_list(assume({"AWS": arn(TRUSTED)})))
    # ROLE-005: services.
    add_role(iam, "svc-s3-open", trust_list(assume({"Service": "s3.amazonaws.com"})))
    add_role(iam, "svc-lambda-open", trust_list(assume({"Service": "lambda.amazonaws.com"})))
    add_role(
        iam,
        "svc-s3-pinned",
        trust_list(
            assume(
                {"Service": "s3.amazonaws.com"},
                {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}},
            )
        ),
    )
    # Trust checks skip service-linked roles: their trust cannot be edited.
    iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")
    # ROLE-006 / ROLE-007: GitHub Actions.
    add_role(iam, "gha-no-sub", trust_list(web_identity(github_arn, github(None))))
    add_role(iam, "gha-any-repo", trust_list(web_identity(github_arn, github("repo:*"))))
    add_role(iam, "gha-org-wide", trust_list(web_identity(github_arn, github("repo:acme/*"))))
    add_role(
        iam,
        "gha-pinned",
        trust_list(
            web_identity(github_arn, github("repo:acme/app:environment:prod", "StringEquals"))
        ),
    )
    # ROLE-008: EKS IRSA.
    add_role(iam, "irsa-no-sub", trust_list(web_identity(eks_arn, irsa(None))))
    add_role(
        iam,
        "irsa-any-service-account",
        trust_list(web_identity(eks_arn, irsa("system:serviceaccount:*", "StringLike"))),
    )
    add_role(
        iam,
        "irsa-pinned",
        trust_list(web_identity(eks_arn, irsa("system:serviceaccount:payments:api"))),
    )
    # ROLE-009: Cognito identity pools.
    amr = {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}
    add_role(iam, "cognito-no-aud", trust_list(web_identity(COGNITO, amr)))
    add_role(
        iam,
        "cognito-pinned",
        trust_list(
            web_identity(COGNITO, {**amr, "StringEquals": {f"{COGNITO}:aud": COGNITO_POOL}})
        ),
    )
    # ROLE-010: SAML.
    saml = {"Federated": saml_arn}
    add_role(iam, "saml-no-aud", trust_list(assume(saml, action="sts:AssumeRoleWithSAML")))
    add_role(
        iam,
        "saml-pinned",
        trust_list(
            assume(
                saml,
                {"StringEquals": {"SAML:aud": SAML_AUDIENCE}},
                action="sts:AssumeRoleWithSAML",
            )
        ),
    )
    # ROLE-011: NotPrincipal in an Allow.
    add_role(
        iam,
        "not-principal",
        trust_list(
            {
                "Effect": "Allow",
                "NotPrincipal": {"AWS": arn(ACCOUNT_ID, "user/bob")},
                "Action": "sts:AssumeRole",
            }
        ),
    )
    # ROLE-012: this account's root, on an admin role and on a read-only one (bare id).
    add_role(iam, "admin-root-trust", trust_list(assume({"AWS": arn(ACCOUNT_ID)})), admin)
    add_role(iam, "readonly-root-trust", trust_list(assume({"AWS": ACCOUNT_ID})), read_only)
    # ROLE-013: the unique id a deleted role's ARN turns into.
    add_role(iam, "orphaned-principal", trust_list(assume({"AWS": "AROAEXAMPLEEXAMPLE1234"})))
    # ROLE-014: what another account can do once it is in.
    vendor_pinned = trust_list(assume({"AWS": arn(VENDOR)}, external_id("vendor-5e6f")))
    add_role(iam, "vendor-readonly", vendor_pinned, read_only)
    add_role(iam, "vendor-admin", vendor_pinned, admin)
    add_role(
        iam, "partner-admin", trust_list(assume({"AWS": arn(TRUSTED)}, external_id("p-1"))), admin
    )

    build_risky_privileges(iam, admin, read_only)


def build_risky_privileges(iam: Any, admin: str, read_only: str) -> None:
    """Customer policies and users for PERM-003..PERM-008 and the context rule."""

    def policy(name: str, *statements: dict[str, Any]) -> str:
        return str(
            iam.create_policy(PolicyName=name, PolicyDocument=policy_doc(*statements))["Policy"][
                "Arn"
            ]
        )

    policy("unattached-admin", allow("*"))
    policy("unattached-narrow", allow("s3:GetObject", "arn:aws:s3:::example-reports/*"))
    policy("s3-everything", allow("s3:*"))
    policy("everything-but-iam", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"})
    policy("pass-any-role", allow("iam:PassRole"))
    policy(
        "pass-one-role",
        allow("iam:PassRole", arn(ACCOUNT_ID, "role/app")),
    )

    # PERM-007: can rewrite any policy's default version, hence become admin.
    iam.create_user(UserName="policy-editor")
    iam.put_user_policy(
        UserName="policy-editor",
        PolicyName="edit-policies",
        PolicyDocument=policy_doc(allow("iam:CreatePolicyVersion")),
    )
    # The context rule: the same 200-day-old key on an admin and on a read-only user.
    for user, grant in (("old-admin", admin), ("old-reader", read_only)):
        iam.create_user(UserName=user)
        iam.attach_user_policy(UserName=user, PolicyArn=grant)
        key_id = iam.create_access_key(UserName=user)["AccessKey"]["AccessKeyId"]
        moto_account.backdate_access_key(user, key_id, created_days_ago=200, last_used_days_ago=1)
    # PERM-008: an admin with MFA beside old-admin, who has none.
    iam.create_user(UserName="admin-with-mfa")
    iam.attach_user_policy(UserName="admin-with-mfa", PolicyArn=admin)
    moto_account.add_virtual_mfa(iam, "admin-with-mfa")


RISKY = (
    # ROLE-001: a wildcard principal; an ExternalId alone does not make it safe.
    Expect("ROLE-001", "wildcard-any", FAIL, severity="critical"),
    Expect("ROLE-001", "wildcard-external-id-only", FAIL, severity="critical"),
    Expect("ROLE-001", "wildcard-account-arn", FAIL, severity="critical"),
    Expect("ROLE-001", "wildcard-org-ifexists", FAIL, severity="critical"),
    Expect("ROLE-001", "wildcard-org-pinned", PASS),
    # ROLE-002: restricted by conditions only: review, and say which.
    Expect("ROLE-002", "wildcard-org-pinned", FAIL, severity="medium", detail="PrincipalOrgID"),
    Expect("ROLE-002", "vendor-pinned", PASS),
    # ROLE-003: accounts neither this one nor trusted; the finding names them.
    Expect("ROLE-003", "vendor-no-external-id", FAIL, severity="medium", detail=VENDOR),
    Expect("ROLE-003", "vendor-bare-account-id", FAIL, detail=VENDOR),
    Expect("ROLE-003", "vendor-pinned", FAIL, detail=VENDOR),
    Expect("ROLE-003", "partner-trusted", PASS),
    Expect("ROLE-003", "admin-root-trust", PASS),
    # ROLE-004: another account without a pinned ExternalId.
    Expect("ROLE-004", "vendor-no-external-id", FAIL, severity="high", detail=VENDOR),
    Expect("ROLE-004", "vendor-bare-account-id", FAIL, detail=VENDOR),
    Expect("ROLE-004", "vendor-wildcard-external-id", FAIL),
    Expect("ROLE-004", "vendor-ifexists", FAIL),
    Expect("ROLE-004", "vendor-pinned", PASS),
    Expect("ROLE-004", "vendor-pinned-lowercase-key", PASS),
    Expect("ROLE-004", "partner-trusted", PASS),
    # ROLE-005: service principals without a source pin; compute services are low.
    Expect("ROLE-005", "svc-s3-open", FAIL, severity="medium"),
    Expect("ROLE-005", "svc-lambda-open", FAIL, severity="low"),
    Expect("ROLE-005", "svc-s3-pinned", PASS),
    # ROLE-006 / ROLE-007: GitHub Actions.
    Expect("ROLE-006", "gha-no-sub", FAIL, severity="critical"),
    Expect("ROLE-006", "gha-any-repo", FAIL, severity="critical"),
    Expect("ROLE-006", "gha-org-wide", PASS),
    Expect("ROLE-006", "gha-pinned", PASS),
    Expect("ROLE-007", "gha-org-wide", FAIL, severity="medium"),
    Expect("ROLE-007", "gha-pinned", PASS),
    # ROLE-008: EKS IRSA.
    Expect("ROLE-008", "irsa-no-sub", FAIL, severity="high"),
    Expect("ROLE-008", "irsa-any-service-account", FAIL, severity="high"),
    Expect("ROLE-008", "irsa-pinned", PASS),
    # ROLE-009: Cognito without a pinned identity pool.
    Expect("ROLE-009", "cognito-no-aud", FAIL, severity="critical"),
    Expect("ROLE-009", "cognito-pinned", PASS),
    # ROLE-010: SAML without SAML:aud.
    Expect("ROLE-010", "saml-no-aud", FAIL, severity="low"),
    Expect("ROLE-010", "saml-pinned", PASS),
    # ROLE-011: NotPrincipal, IfExists on the pinning keys.
    Expect("ROLE-011", "not-principal", FAIL, severity="high"),
    Expect("ROLE-011", "vendor-ifexists", FAIL, severity="high"),
    Expect("ROLE-011", "wildcard-org-ifexists", FAIL, severity="high"),
    Expect("ROLE-011", "vendor-pinned", PASS),
    # ROLE-012: this account's root: info on a read-only role (severity checked apart for
    # the admin role, which the context rule may raise further).
    Expect("ROLE-012", "readonly-root-trust", FAIL, severity="info"),
    Expect("ROLE-012", "admin-root-trust", FAIL),
    Expect("ROLE-012", "vendor-pinned", PASS),
    # ROLE-013: a principal written as a unique id.
    Expect("ROLE-013", "orphaned-principal", FAIL, severity="low"),
    Expect("ROLE-013", "vendor-pinned", PASS),
    # ROLE-014: privileged roles an untrusted account can assume; the finding names it.
    Expect("ROLE-014", "vendor-readonly", FAIL, detail=VENDOR),
    Expect("ROLE-014", "vendor-admin", FAIL, detail=VENDOR),
    Expect("ROLE-014", "vendor-pinned", PASS),
    Expect("ROLE-014", "partner-admin", PASS),
    # PERM-003..PERM-006: customer policies.
    Expect("PERM-003", "unattached-admin", FAIL, severity="low"),
    Expect("PERM-003", "unattached-narrow", PASS),
    Expect("PERM-004", "s3-everything", FAIL, severity="low"),
    Expect("PERM-004", "unattached-narrow", PASS),
    Expect("PERM-005", "everything-but-iam", FAIL, severity="medium"),
    Expect("PERM-005", "unattached-narrow", PASS),
    Expect("PERM-006", "pass-any-role", FAIL, severity="medium"),
    Expect("PERM-006", "pass-one-role", PASS),
    # PERM-007: the finding names the method.
    Expect("PERM-007", "policy-editor", FAIL, detail="CreatePolicyVersion"),
    Expect("PERM-007", "old-reader", PASS),
    # PERM-008: admin users need MFA.
    Expect("PERM-008", "old-admin", FAIL, severity="critical"),
    Expect("PERM-008", "admin-with-mfa", PASS),
    # The context rule: the old key on the admin user is raised, the other is not.
    Expect("KEY-002", "old-admin", FAIL, evidence={"key": 1}, severity="high"),
    Expect("KEY-002", "old-reader", FAIL, evidence={"key": 1}, severity="medium"),
)


def test_the_risky_table_has_a_pass_and_a_fail_for_every_new_check() -> None:
    covered = statuses_by_check(RISKY)
    for check_id in (*TRUST_CHECKS, *PRIVILEGE_CHECKS):
        assert {PASS, FAIL} <= covered.get(check_id, set()), check_id


def test_risky_account(
    aws_client: AwsClient,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    build_risky_account(aws_client("iam"), aa_stub)
    config = write_config(tmp_path, TRUSTED)

    run = audit(run_cli, tmp_path / "out", "--config", config, "--format", "json,csv")

    assert run.proc.returncode == 1, run.proc.stderr
    assert run.report is not None
    assert (run.report["complete"], run.report["gaps"]) == (True, [])
    assert_table(run, RISKY)

    # Evidence people can act on: the statement as written, its index, the principal, and
    # a corrected statement to paste.
    for f in run.findings:
        if f["check_id"] in TRUST_CHECKS[:13] and f["status"] == FAIL:
            evidence = f["evidence"]
            assert isinstance(evidence["statement_index"], int), f
            assert isinstance(evidence["statement"], dict), f
            assert evidence["principal"], f
            assert "suggested_statement" in evidence, f
    vendor = one(run, "ROLE-004", "vendor-no-external-id")["evidence"]
    assert (vendor["statement_index"], vendor["statement"]) == (0, assume({"AWS": arn(VENDOR)}))
    assert vendor["principal"] == arn(VENDOR)
    suggested = json.dumps(vendor["suggested_statement"])
    assert "sts:ExternalId" in suggested and arn(VENDOR) in suggested

    # A service-linked role's trust cannot be edited: no trust check holds it against us.
    linked = "AWSServiceRoleForElasticBeanstalk"
    assert [f for f in failing_above_info(run, TRUST_CHECKS) if f" {linked} " in f] == []

    # An admin role trusted by the account root is at least high.
    admin_root = one(run, "ROLE-012", "admin-root-trust")
    assert SEVERITY_RANK[admin_root["severity"]] >= SEVERITY_RANK["high"]

    # The context rule keeps the base severity and says why it raised the finding...
    raised = one(run, "KEY-002", "old-admin")
    kept = one(run, "KEY-002", "old-reader")
    assert (raised["severity"], raised["base_severity"]) == ("high", "medium")
    assert raised["severity_reason"]
    assert (kept["severity"], kept["base_severity"]) == ("medium", "medium")
    assert kept["severity_reason"] is None
    # ...and the admin user's old key comes first in every report.
    order = [f["finding_id"] for f in run.findings]
    assert order.index(raised["finding_id"]) < order.index(kept["finding_id"])
    rows = list(csv.DictReader(io.StringIO(_read(run, "report.csv"))))
    names = [r["resource_name"] for r in rows if r["check_id"] == "KEY-002"]
    assert names.index("old-admin") < names.index("old-reader")


def _read(run: AuditRun, name: str) -> str:
    return (run.output_dir / name).read_text(encoding="utf-8-sig")


# --- the careful account --------------------------------------------------------------------


def build_careful_account(iam: Any, aa_stub: AccessAnalyzerStub) -> None:
    """The acceptance's account with no risky trust."""
    prepare_account(aa_stub)
    (read_only,) = moto_account.add_aws_managed_policies("ReadOnlyAccess")
    own_account = {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    add_role(
        iam, "lambda-app", trust_list(assume({"Service": "lambda.amazonaws.com"}, own_account))
    )
    add_role(
        iam,
        "s3-replication",
        trust_list(
            assume(
                {"Service": "s3.amazonaws.com"},
                {"ArnLike": {"aws:SourceArn": "arn:aws:s3:::example-reports"}},
            )
        ),
    )
    add_role(
        iam,
        "vendor-monitoring",
        trust_list(assume({"AWS": arn(TRUSTED)}, external_id("monitoring-3b9e"))),
        read_only,
    )
    github_arn = iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )["OpenIDConnectProviderArn"]
    add_role(
        iam,
        "deploy-from-github",
        trust_list(
            web_identity(github_arn, github("repo:acme/app:environment:prod", "StringEquals"))
        ),
    )
    iam.put_role_policy(
        RoleName="deploy-from-github",
        PolicyName="deploy",
        PolicyDocument=policy_doc(allow("s3:PutObject", "arn:aws:s3:::example-site/*")),
    )


def test_careful_account_has_no_trust_or_privilege_failure_above_info(
    aws_client: AwsClient,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    build_careful_account(aws_client("iam"), aa_stub)
    config = write_config(tmp_path, TRUSTED)

    run = audit(run_cli, tmp_path / "out", "--config", config, "--format", "json")

    assert run.report is not None
    assert run.report["complete"] is True
    assert failing_above_info(run, (*TRUST_CHECKS, *PRIVILEGE_CHECKS)) == []
    # The checks did look at these roles: the same conditions, judged and passed.
    assert_table(
        run,
        (
            Expect("ROLE-002", "vendor-monitoring", PASS),
            Expect("ROLE-003", "vendor-monitoring", PASS),
            Expect("ROLE-004", "vendor-monitoring", PASS),
            Expect("ROLE-005", "lambda-app", PASS),
            Expect("ROLE-005", "s3-replication", PASS),
            Expect("ROLE-006", "deploy-from-github", PASS),
            Expect("ROLE-007", "deploy-from-github", PASS),
            Expect("ROLE-014", "vendor-monitoring", PASS),
        ),
    )


# --- the organization -----------------------------------------------------------------------


def test_organization_member_accounts_count_as_trusted(
    aws_client: AwsClient,
    aa_stub: AccessAnalyzerStub,
    run_cli: RunCli,
    tmp_path: Path,
) -> None:
    prepare_account(aa_stub)
    org = aws_client("organizations")
    org.create_organization(FeatureSet="ALL")
    member = org.create_account(AccountName="workloads", Email="workloads@example.com")[
        "CreateAccountStatus"
    ]["AccountId"]
    iam = aws_client("iam")
    add_role(iam, "from-member", trust_list(assume({"AWS": arn(member)})))
    add_role(iam, "from-stranger", trust_list(assume({"AWS": arn(STRANGER)})))
    snapshot_file = tmp_path / "snapshot.json"

    run = audit(run_cli, tmp_path / "out", "--format", "json", "--save-snapshot", snapshot_file)

    assert run.report is not None
    assert run.report["complete"] is True
    assert_table(
        run,
        (
            Expect("ROLE-003", "from-member", PASS),
            Expect("ROLE-004", "from-member", PASS),
            Expect("ROLE-003", "from-stranger", FAIL, detail=STRANGER),
            Expect("ROLE-004", "from-stranger", FAIL, detail=STRANGER),
        ),
    )
    assert (
        "2 active account(s) of the AWS Organization count as trusted "
        "(organizations:ListAccounts), with trusted_account_ids"
    ) in run.report["notes"]
    snapshot = loads(snapshot_file.read_text(encoding="utf-8"))
    assert snapshot.organization_account_ids == {ACCOUNT_ID, member}
    assert snapshot.api_calls["organizations:ListAccounts"] == 1

    # The same account without the Organization's list: the member is a stranger too.
    again = audit(
        run_cli,
        tmp_path / "offline",
        "--format",
        "json",
        "--from-snapshot",
        _without_organization(snapshot_file, tmp_path),
    )
    assert again.report is not None
    assert_table(again, (Expect("ROLE-003", "from-member", FAIL, detail=member),))


def _without_organization(snapshot_file: Path, tmp_path: Path) -> Path:
    """A copy of the saved snapshot as if the Organization had not been collected."""
    data = json.loads(snapshot_file.read_text(encoding="utf-8"))
    data["snapshot"]["organization_account_ids"] = None
    data["snapshot"]["sources"].remove("organization")
    path = tmp_path / "snapshot-without-organization.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path
