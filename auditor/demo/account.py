"""The demo account: a small AWS account with the mistakes real accounts have, in moto.

Written as a story, one boto3 call after another, the way the account would have grown;
what the API cannot say (ages, last use, root) is set on moto's objects through
``moto_account``. The three AWS managed policies it attaches are added alone rather than
through ``MOTO_IAM_LOAD_MANAGED_POLICIES=true``: loading all ~1,600 costs seconds on every
``GetAccountAuthorizationDetails`` and would fill the report with unattached policies.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from unittest.mock import patch
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.compat import HTTPHeaders

from auditor.demo import moto_account
from auditor.demo.access_analyzer import AnalyzerWorld, analyzer

if TYPE_CHECKING:
    from mypy_boto3_iam import IAMClient

DEMO_ACCOUNT_ID = moto_account.DEFAULT_ACCOUNT_ID
DEMO_REGION = "us-east-1"
"""The one region whose Access Analyzer has an analyzer (AA-001 fails everywhere else)."""

VENDOR_ACCOUNT_ID = "999988887777"
GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"

_LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# moto stores but never checks it; it only has to satisfy the (weak) password policy.
_DEMO_PASSWORD = "demo-not-a-secret-1"  # noqa: S105


def _doc(*statements: Mapping[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(action: str | list[str], resource: str | list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def _trust_service(service: str) -> str:
    return _doc({"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"})


def _trust_account(account_id: str) -> str:
    return _doc(
        {
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": "sts:AssumeRole",
        }
    )


def build_demo_account(*, endpoint_url: str | None = None) -> None:
    """Create the demo account in moto: call inside an active ``moto.mock_aws()``.

    With ``endpoint_url`` it builds the same account on a moto server running in this
    process instead (``testkit.server.moto_server``); only loopback URLs are
    accepted. Either way it refuses to run against anything but moto, since it writes.
    """
    _refuse_real_aws(endpoint_url)
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's conventional fake key
        region_name=DEMO_REGION,
    )
    iam: IAMClient = session.client("iam", endpoint_url=endpoint_url)

    _password_policy_and_root(iam)
    _people(iam)
    _workloads(iam)
    _roles(iam)
    _certificates_and_federation(iam)


@contextmanager
def demo_session() -> Iterator[boto3.Session]:
    """A boto3 session on the demo account, for ``iam-auditor demo`` to audit.

    Starts ``moto.mock_aws()`` (in process), builds the account, and answers Access
    Analyzer for the session's clients; everything disappears when the block ends. The
    developer's own AWS setup is kept out for the duration: no profile, no endpoint
    override, no config or credentials file, so the demo can never reach a real account.
    """
    from moto import mock_aws  # noqa: PLC0415 - moto is the demo extra

    isolated = {
        "AWS_CONFIG_FILE": os.devnull,
        "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_DEFAULT_REGION": DEMO_REGION,
    }
    with patch.dict(os.environ, isolated):
        for name in [n for n in os.environ if n.startswith(_FOREIGN_ENV_PREFIXES)]:
            del os.environ[name]
        with mock_aws():
            build_demo_account()
            session = boto3.Session(
                aws_access_key_id="testing",
                aws_secret_access_key="testing",  # noqa: S106 - moto's conventional fake key
                region_name=DEMO_REGION,
            )
            install_demo_access_analyzer(session)
            session.events.register("after-call.iam.GetCredentialReport", _date_the_report)
            yield session


def _date_the_report(parsed: dict[str, Any], **_: Any) -> None:
    """Date the demo's credential report now, as AWS does when it builds one.

    moto answers every ``GetCredentialReport`` with a fixed 2015 time, which would make
    the demo report say its data is eleven years old.
    """
    parsed["GeneratedTime"] = datetime.now(UTC)


# Variables that could point boto3 at a real account or another endpoint.
_FOREIGN_ENV_PREFIXES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_")


def _refuse_real_aws(endpoint_url: str | None) -> None:
    if endpoint_url is not None:
        if urlsplit(endpoint_url).hostname not in _LOCAL_HOSTS:
            raise RuntimeError(f"the demo account is built on a local moto only: {endpoint_url}")
        return
    from moto.core.models import botocore_stubber  # noqa: PLC0415 - moto is an extra

    if not botocore_stubber.enabled:
        raise RuntimeError("build_demo_account() must run inside an active moto.mock_aws()")


def _password_policy_and_root(iam: IAMClient) -> None:
    # The account was opened years ago and its policy never revisited: 8 characters,
    # passwords may be reused forever.
    iam.update_account_password_policy(
        MinimumPasswordLength=8,
        RequireNumbers=True,
        AllowUsersToChangePassword=True,
    )
    # Someone created a root access key "for the billing script" and still uses it;
    # root has no MFA.
    moto_account.set_root_state(
        access_keys_present=True,
        mfa_enabled=False,
        password_present=True,
        root_key_created_days_ago=700,
        root_key_last_used_days_ago=12,
        password_last_used_days_ago=40,
        account_created_days_ago=1500,
    )


def _console_user(
    iam: IAMClient,
    name: str,
    *,
    created_days_ago: float,
    signed_in_days_ago: float,
    tags: Mapping[str, str] | None = None,
) -> None:
    """A user with a console password, created and last signed in that many days ago."""
    iam.create_user(UserName=name, Tags=[{"Key": k, "Value": v} for k, v in (tags or {}).items()])
    iam.create_login_profile(UserName=name, Password=_DEMO_PASSWORD)
    moto_account.backdate_user(name, created_days_ago=created_days_ago)
    moto_account.backdate_password(name, last_used_days_ago=signed_in_days_ago)


def _people(iam: IAMClient) -> None:
    # The founding engineer: administrator through an inline *:* policy, console access,
    # never enabled MFA.
    _console_user(
        iam, "alice.admin", created_days_ago=900, signed_in_days_ago=2, tags={"team": "platform"}
    )
    iam.put_user_policy(
        UserName="alice.admin",
        PolicyName="FullAdministrator",
        PolicyDocument=_doc(_allow("*", "*")),
    )

    # A developer with an authenticator app.
    _console_user(iam, "maria.garcia", created_days_ago=300, signed_in_days_ago=1)
    moto_account.add_virtual_mfa(iam, "maria.garcia")

    # A developer without MFA, who has not signed in for two months, and whose access
    # key was made together with the user and never used.
    _console_user(iam, "dev.chen", created_days_ago=150, signed_in_days_ago=60)
    iam.create_access_key(UserName="dev.chen")
    moto_account.backdate_access_key("dev.chen", 1, created_days_ago=150, last_used_days_ago=None)

    # The analyst everyone should be: console with a hardware token, permissions only
    # through a group with a narrow policy.
    policy = iam.create_policy(
        PolicyName="AnalystsReadReports",
        PolicyDocument=_doc(
            _allow(
                ["s3:GetObject", "s3:ListBucket"],
                ["arn:aws:s3:::example-reports", "arn:aws:s3:::example-reports/*"],
            )
        ),
    )
    iam.create_group(GroupName="analysts")
    iam.attach_group_policy(GroupName="analysts", PolicyArn=policy["Policy"]["Arn"])
    _console_user(iam, "jane.analyst", created_days_ago=200, signed_in_days_ago=3)
    iam.add_user_to_group(GroupName="analysts", UserName="jane.analyst")
    # A hardware token's serial: not a virtual device.
    moto_account.enable_mfa(iam, "jane.analyst", "GAHT12345678")

    # A contractor given an inline policy instead of a group, with s3:* on a bucket.
    _console_user(iam, "contractor.sam", created_days_ago=50, signed_in_days_ago=10)
    iam.put_user_policy(
        UserName="contractor.sam",
        PolicyName="UploadAssets",
        PolicyDocument=_doc(
            _allow("s3:*", ["arn:aws:s3:::example-assets", "arn:aws:s3:::example-assets/*"])
        ),
    )


def _workloads(iam: IAMClient) -> None:
    # The old deploy user: its key is 200 days old and has not been used for 100 days.
    iam.create_user(UserName="legacy-deployer")
    iam.create_access_key(UserName="legacy-deployer")
    moto_account.backdate_user("legacy-deployer", created_days_ago=220)
    moto_account.backdate_access_key(
        "legacy-deployer", 1, created_days_ago=200, last_used_days_ago=100
    )

    # A rotation that was never finished: two active keys, both in use.
    iam.create_user(UserName="ops-automation")
    iam.create_access_key(UserName="ops-automation")
    iam.create_access_key(UserName="ops-automation")
    moto_account.backdate_user("ops-automation", created_days_ago=400)
    moto_account.backdate_access_key(
        "ops-automation", 1, created_days_ago=380, last_used_days_ago=4
    )
    moto_account.backdate_access_key("ops-automation", 2, created_days_ago=20, last_used_days_ago=1)

    # A CI uploader: a fresh key in daily use, but a user where a role belongs.
    iam.create_user(UserName="ci-uploader")
    iam.create_access_key(UserName="ci-uploader")
    iam.put_user_policy(
        UserName="ci-uploader",
        PolicyName="PutArtifacts",
        PolicyDocument=_doc(_allow("s3:PutObject", "arn:aws:s3:::example-artifacts/*")),
    )
    moto_account.backdate_user("ci-uploader", created_days_ago=40)
    moto_account.backdate_access_key("ci-uploader", 1, created_days_ago=30, last_used_days_ago=1)


def _roles(iam: IAMClient) -> None:
    support_access, read_only, admin_access = moto_account.add_aws_managed_policies(
        "AWSSupportAccess", "ReadOnlyAccess", "AdministratorAccess"
    )

    # A Lambda function's role, used an hour ago.
    iam.create_role(
        RoleName="orders-processor",
        AssumeRolePolicyDocument=_trust_service("lambda.amazonaws.com"),
        Description="Processes orders from the queue",
    )
    iam.put_role_policy(
        RoleName="orders-processor",
        PolicyName="WriteOrders",
        PolicyDocument=_doc(
            _allow(
                ["dynamodb:PutItem", "dynamodb:UpdateItem"],
                f"arn:aws:dynamodb:us-east-1:{DEMO_ACCOUNT_ID}:table/orders",
            )
        ),
    )
    moto_account.backdate_role("orders-processor", created_days_ago=250, last_used_days_ago=0.05)

    # A batch role made for a project that never shipped: 300 days old, never used.
    iam.create_role(
        RoleName="legacy-batch",
        AssumeRolePolicyDocument=_trust_service("ec2.amazonaws.com"),
    )
    moto_account.backdate_role("legacy-batch", created_days_ago=300, last_used_days_ago=None)

    # The support role CIS asks for: AWSSupportAccess, assumable by this account's admins.
    iam.create_role(
        RoleName="SupportAccess", AssumeRolePolicyDocument=_trust_account(DEMO_ACCOUNT_ID)
    )
    iam.attach_role_policy(RoleName="SupportAccess", PolicyArn=support_access)
    moto_account.backdate_role("SupportAccess", created_days_ago=600, last_used_days_ago=45)

    # A monitoring vendor reads everything, trusted by account id alone: no external id.
    iam.create_role(
        RoleName="vendor-monitoring", AssumeRolePolicyDocument=_trust_account(VENDOR_ACCOUNT_ID)
    )
    iam.attach_role_policy(RoleName="vendor-monitoring", PolicyArn=read_only)
    moto_account.backdate_role("vendor-monitoring", created_days_ago=500, last_used_days_ago=0.5)

    _deploy_chain(iam, admin_access)


def _deploy_chain(iam: IAMClient, admin_access: str) -> None:
    """A two-step path to admin no single policy shows: the CI user may assume the deploy
    role, the deploy role may pass any role to a new Lambda function, and the cleanup
    function's role is an administrator. Each grant looks routine on its own."""
    iam.create_role(
        RoleName="lambda-cleanup",
        AssumeRolePolicyDocument=_trust_service("lambda.amazonaws.com"),
        Description="Deletes stale resources every night",
    )
    iam.attach_role_policy(RoleName="lambda-cleanup", PolicyArn=admin_access)
    moto_account.backdate_role("lambda-cleanup", created_days_ago=330, last_used_days_ago=0.5)

    iam.create_role(RoleName="deploy", AssumeRolePolicyDocument=_trust_account(DEMO_ACCOUNT_ID))
    iam.put_role_policy(
        RoleName="deploy",
        PolicyName="DeployFunctions",
        PolicyDocument=_doc(
            {
                "Sid": "PassFunctionRoles",
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": f"arn:aws:iam::{DEMO_ACCOUNT_ID}:role/*",
            },
            {
                "Sid": "ManageFunctions",
                "Effect": "Allow",
                "Action": [
                    "lambda:CreateFunction",
                    "lambda:InvokeFunction",
                    "lambda:UpdateFunctionCode",
                ],
                "Resource": "*",
            },
        ),
    )
    moto_account.backdate_role("deploy", created_days_ago=200, last_used_days_ago=1)

    iam.create_user(UserName="ci-deploy")
    iam.create_access_key(UserName="ci-deploy")
    iam.put_user_policy(
        UserName="ci-deploy",
        PolicyName="AssumeDeploy",
        PolicyDocument=_doc(
            _allow("sts:AssumeRole", f"arn:aws:iam::{DEMO_ACCOUNT_ID}:role/deploy")
        ),
    )
    moto_account.backdate_user("ci-deploy", created_days_ago=200)
    moto_account.backdate_access_key("ci-deploy", 1, created_days_ago=60, last_used_days_ago=1)


def _certificates_and_federation(iam: IAMClient) -> None:
    # One certificate renewed in time, one left behind after it expired.
    moto_account.use_real_certificate_dates()
    for name, common_name, issued, expires in (
        ("www-example-com", "www.example.com", 165, 200),
        ("legacy-www-example-com", "legacy.example.com", 385, -20),
    ):
        body, key = moto_account.make_server_certificate(
            common_name, issued_days_ago=issued, expires_in_days=expires
        )
        iam.upload_server_certificate(
            ServerCertificateName=name, CertificateBody=body, PrivateKey=key
        )

    # Staff sign in through the corporate identity provider (SAML) ...
    iam.create_saml_provider(Name="CorporateIdP", SAMLMetadataDocument=_saml_metadata())

    # ... and GitHub Actions deploys through OIDC, but the trust accepts any repository
    # of the organization, and any branch.
    provider = iam.create_open_id_connect_provider(
        Url=f"https://{GITHUB_OIDC_HOST}",
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=["6938fd4d98bab03faadb97b34396831e3780aea1"],
    )
    iam.create_role(
        RoleName="github-actions-deploy",
        AssumeRolePolicyDocument=_doc(
            {
                "Effect": "Allow",
                "Principal": {"Federated": provider["OpenIDConnectProviderArn"]},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{GITHUB_OIDC_HOST}:aud": "sts.amazonaws.com"},
                    "StringLike": {f"{GITHUB_OIDC_HOST}:sub": "repo:example-org/*"},
                },
            }
        ),
    )
    iam.put_role_policy(
        RoleName="github-actions-deploy",
        PolicyName="DeployStaticSite",
        PolicyDocument=_doc(
            _allow(["s3:PutObject", "s3:DeleteObject"], "arn:aws:s3:::example-www/*")
        ),
    )
    moto_account.backdate_role("github-actions-deploy", created_days_ago=120, last_used_days_ago=2)


def _saml_metadata() -> str:
    """IdP metadata as an identity provider publishes it, with its signing certificate."""
    pem, _ = moto_account.make_server_certificate(
        "idp.example.com", issued_days_ago=100, expires_in_days=900
    )
    cert = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://idp.example.com/saml">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing">
      <ds:KeyInfo><ds:X509Data><ds:X509Certificate>{cert}</ds:X509Certificate></ds:X509Data>
      </ds:KeyInfo>
    </md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://idp.example.com/saml/sso"/>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="https://idp.example.com/saml/sso"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>
"""


# --- Access Analyzer ----------------------------------------------------------------------


class _Body:
    """The raw body botocore reads an ``AWSResponse`` from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def install_demo_access_analyzer(
    session: boto3.Session, world: AnalyzerWorld | None = None
) -> AnalyzerWorld:
    """Make Access Analyzer answer for clients of ``session`` (moto has none in process).

    Registers a ``before-send.accessanalyzer`` handler (the event name botocore emits:
    the service id ``AccessAnalyzer`` hyphenized) that answers each request from
    ``world`` — by default an ACTIVE account analyzer in ``us-east-1`` only, so AA-001
    passes there and fails in every other region — before moto would answer 404.
    Clients copy the session's handlers when created: call this before creating them.
    Returns the world, so a caller can change what the regions say.
    """
    if world is None:
        world = AnalyzerWorld()
        world.set_analyzers(
            DEMO_REGION, [analyzer("DemoAccountAnalyzer", account_id=DEMO_ACCOUNT_ID)]
        )
    answering = world

    # Returns Any only because the event-hook stubs type handlers as returning None;
    # botocore sends whatever a before-send handler returns instead of the request.
    def answer(request: AWSPreparedRequest, **_: Any) -> Any:
        response = answering.handle(request.method, request.url, dict(request.headers.items()))
        headers = HTTPHeaders()
        for name, value in response.headers.items():
            headers[name] = value
        return AWSResponse(request.url, response.status, headers, _Body(response.body))

    session.events.register("before-send.accessanalyzer", answer)
    return world
