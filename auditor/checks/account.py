"""Account-wide checks: Access Analyzer, server certificates, federation (AA-001, CERT, FED).

AA-001 is judged per enabled region (a region whose call failed is an ERROR for that region
only); the certificate checks give a result per certificate, or one account PASS when IAM
stores none; FED-001 counts SAML providers and OIDC providers other than CI/CD or EKS
issuers (those federate workloads, not people).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from auditor.checks.common import (
    SECURITY_HUB_IAM_DOC,
    account_result,
    age_days,
    credential_users,
    iso,
    need,
)
from auditor.checks.registry import CheckContext, check
from auditor.model import Gap, ResourceType, Result, Severity, Source, Status
from auditor.snapshot import OidcProvider, ServerCertificate, Snapshot

EXTERNAL_ACCESS_TYPES = frozenset({"ACCOUNT", "ORGANIZATION"})
SERVER_CERTS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_server-certs.html"
)
# OIDC issuers of CI/CD systems and EKS clusters: providers for workloads, not for people.
WORKLOAD_OIDC_HOSTS = (
    "token.actions.githubusercontent.com",
    "gitlab.com",
    "app.terraform.io",
    "agent.buildkite.com",
    "oidc.circleci.com",
    "api.bitbucket.org",
)
EKS_OIDC = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/", re.IGNORECASE)
MAX_NAMED_USERS = 20


# --- Access Analyzer ---------------------------------------------------------------------


def _region_result(
    snap: Snapshot, region: str, status: Status, detail: str, evidence: dict[str, object]
) -> Result:
    return Result(
        status=status,
        resource_arn=f"arn:{snap.partition}:access-analyzer:{region}:{snap.account_id}:*",
        resource_name=region,
        detail=detail,
        evidence={"region": region, **evidence},
        qualifier=region,
        resource_type=ResourceType.REGION,
    )


@check(
    id="AA-001",
    slug="access-analyzer-disabled",
    title="An active IAM Access Analyzer external-access analyzer runs in every enabled region",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.REGION,
    needs={Source.ACCESS_ANALYZER},
    rationale=(
        "An external-access analyzer continuously finds resources (buckets, keys, roles, "
        "queues) shared outside the account or organization. Analyzers are regional, so a "
        "region without one is a blind spot."
    ),
    remediation=(
        "In each region: IAM console > Access analyzer > Analyzer settings > Create "
        "analyzer > Resource analysis - External access > zone of trust: current account "
        "or organization > Create analyzer."
    ),
    remediation_cli=(
        "aws accessanalyzer create-analyzer --analyzer-name external-access --type ACCOUNT "
        "--region REGION"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html",
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-create-external.html",
        SECURITY_HUB_IAM_DOC,
    ),
    cis_7=("2.18",),
    cis_5=("1.19",),
    fsbp=("IAM.28",),
)
def access_analyzer_disabled(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """Per region: PASS with an ACTIVE external-access analyzer, FAIL without, ERROR if unread."""
    state = need(snap.access_analyzer, Source.ACCESS_ANALYZER)
    failed: dict[str, Gap] = {
        g.region: g for g in snap.gaps if g.source is Source.ACCESS_ANALYZER and g.region
    }
    regions = sorted(set(state.regions) | set(failed))
    if not regions:
        yield account_result(
            snap,
            Status.ERROR,
            "No enabled region was listed, so no region's analyzers could be checked.",
        )
        return
    for region in regions:
        gap = failed.get(region)
        if gap is not None:
            yield _region_result(
                snap,
                region,
                Status.ERROR,
                f"Analyzers in {region} could not be listed: {gap.error}.",
                {"operation": gap.operation, "error": gap.error, "message": gap.message},
            )
            continue
        here = [a for a in state.analyzers if a.region == region]
        good = sorted(
            a.name for a in here if a.type in EXTERNAL_ACCESS_TYPES and a.status == "ACTIVE"
        )
        seen = [f"{a.name} ({a.type}, {a.status})" for a in here]
        if good:
            yield _region_result(
                snap,
                region,
                Status.PASS,
                f"External-access analyzer {', '.join(good)} is active in {region}.",
                {"analyzers": good},
            )
        else:
            others = f" (found: {', '.join(seen)})" if seen else ""
            yield _region_result(
                snap,
                region,
                Status.FAIL,
                f"No active external-access analyzer in {region}{others}.",
                {"analyzers_seen": seen},
            )


# --- server certificates -----------------------------------------------------------------


def _cert_result(
    cert: ServerCertificate, status: Status, detail: str, **evidence: object
) -> Result:
    return Result(
        status=status,
        resource_arn=cert.arn,
        resource_name=cert.name,
        detail=detail,
        evidence={"expiration": iso(cert.expiration), **evidence},
        resource_type=ResourceType.SERVER_CERTIFICATE,
    )


def _no_expiration(cert: ServerCertificate, question: str) -> Result:
    # CERT-001 and CERT-002 both meet such a certificate; each names its own question.
    return _cert_result(
        cert,
        Status.ERROR,
        f"Server certificate {cert.name} has no expiration date listed, so {question} "
        "cannot be judged.",
    )


@check(
    id="CERT-001",
    slug="expired-server-cert",
    title="No expired server certificates are stored in IAM",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.SERVER_CERTIFICATE,
    needs={Source.SERVER_CERTIFICATES},
    rationale=(
        "An expired certificate still attached to a load balancer or CloudFront breaks "
        "clients or, worse, trains them to accept errors. Expired ones left in IAM can be "
        "deployed again by mistake."
    ),
    remediation=(
        "Replace the certificate wherever it is used (preferably with an AWS Certificate "
        "Manager certificate), then delete it from IAM; IAM server certificates are managed "
        "only through the CLI or API."
    ),
    remediation_cli="aws iam delete-server-certificate --server-certificate-name CERT_NAME",
    references=(SERVER_CERTS_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.17",),
    cis_5=("1.18",),
    fsbp=("IAM.26",),
)
def expired_server_cert(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each stored server certificate past its expiration."""
    certs = need(snap.server_certificates, Source.SERVER_CERTIFICATES)
    if not certs:
        yield account_result(snap, Status.PASS, "No server certificates are stored in IAM.")
    for cert in certs:
        if cert.expiration is None:
            yield _no_expiration(cert, "whether it has expired")
        elif cert.expiration <= snap.collected_at:
            days = age_days(snap.collected_at, cert.expiration)
            yield _cert_result(
                cert,
                Status.FAIL,
                f"Server certificate {cert.name} expired on "
                f"{cert.expiration.date().isoformat()} ({days} days ago).",
                days_since_expiry=days,
            )
        else:
            days = age_days(cert.expiration, snap.collected_at)
            yield _cert_result(
                cert,
                Status.PASS,
                f"Server certificate {cert.name} expires on "
                f"{cert.expiration.date().isoformat()} (in {days} days).",
                days_to_expiry=days,
            )


@check(
    id="CERT-002",
    slug="expiring-server-cert",
    title="No server certificate stored in IAM expires within 30 days",
    severity=Severity.LOW,
    resource_type=ResourceType.SERVER_CERTIFICATE,
    needs={Source.SERVER_CERTIFICATES},
    rationale=(
        "IAM does not renew server certificates. One that expires unnoticed takes down "
        "whatever serves it; a month's warning leaves time to replace it."
    ),
    remediation=(
        "Obtain a new certificate (or move to AWS Certificate Manager, which renews "
        "automatically), upload it, switch the load balancer or distribution to it, then "
        "delete the old one."
    ),
    remediation_cli=(
        "aws iam upload-server-certificate --server-certificate-name NEW_CERT_NAME "
        "--certificate-body file://cert.pem --private-key file://key.pem "
        "--certificate-chain file://chain.pem"
    ),
    references=(SERVER_CERTS_DOC,),
)
def expiring_server_cert(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each unexpired certificate expiring within the warning window.

    Certificates already expired are CERT-001's, and are not judged again here.
    """
    limit = ctx.thresholds.cert_expiry_warning_days
    certs = need(snap.server_certificates, Source.SERVER_CERTIFICATES)
    now = snap.collected_at
    judged = 0
    for cert in certs:
        if cert.expiration is None:
            judged += 1
            yield _no_expiration(cert, f"whether it expires within {limit} days")
            continue
        if cert.expiration <= now:
            continue
        judged += 1
        days = age_days(cert.expiration, now)
        yield _cert_result(
            cert,
            Status.FAIL if days <= limit else Status.PASS,
            f"Server certificate {cert.name} expires in {days} days; the warning is "
            f"{limit} days ahead.",
            days_to_expiry=days,
            warning_days=limit,
        )
    if not judged:
        yield account_result(snap, Status.PASS, "No unexpired server certificate is stored in IAM.")


# --- federation --------------------------------------------------------------------------


def is_workload_oidc(provider: OidcProvider) -> bool:
    """True for OIDC issuers that federate CI/CD jobs or EKS pods rather than people."""
    host = provider.host.lower()
    return any(host == h or host.startswith(h + "/") for h in WORKLOAD_OIDC_HOSTS) or bool(
        EKS_OIDC.match(host)
    )


@check(
    id="FED-001",
    slug="users-not-federated",
    title="People sign in through identity federation rather than IAM user passwords",
    severity=Severity.INFO,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.SAML_PROVIDERS, Source.OIDC_PROVIDERS, Source.CREDENTIAL_REPORT},
    rationale=(
        "With federation (IAM Identity Center or a SAML/OIDC identity provider) people use "
        "their corporate identity, temporary credentials and central off-boarding. IAM user "
        "passwords are managed account by account and outlive the people who hold them."
    ),
    remediation=(
        "Enable IAM Identity Center (or add a SAML identity provider under IAM console > "
        "Identity providers), give people permission sets or roles, then remove IAM users' "
        "console passwords."
    ),
    remediation_cli=(
        "aws iam create-saml-provider --name CorporateIdP --saml-metadata-document "
        "file://metadata.xml"
    ),
    references=(
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers.html",
        "https://docs.aws.amazon.com/singlesignon/latest/userguide/what-is.html",
    ),
    cis_7=("2.19",),
    cis_5=("1.20",),
)
def users_not_federated(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when IAM users sign in with passwords and no human identity provider exists."""
    saml = sorted(p.arn for p in need(snap.saml_providers, Source.SAML_PROVIDERS))
    oidc = need(snap.oidc_providers, Source.OIDC_PROVIDERS)
    human_oidc = sorted(p.arn for p in oidc if not is_workload_oidc(p))
    console = sorted(r.user for r in credential_users(snap) if r.password_enabled is True)
    evidence: dict[str, object] = {
        "saml_providers": saml,
        "human_oidc_providers": human_oidc,
        "workload_oidc_providers": sorted(p.arn for p in oidc if is_workload_oidc(p)),
        "console_user_count": len(console),
        "console_users": console[:MAX_NAMED_USERS],
    }
    providers = len(saml) + len(human_oidc)
    if providers:
        rest = f"; {len(console)} IAM users still have console passwords" if console else ""
        yield account_result(
            snap,
            Status.PASS,
            f"{providers} SAML/OIDC identity provider{'s' if providers > 1 else ''} "
            f"federate{'' if providers > 1 else 's'} sign-in{rest}.",
            **evidence,
        )
    elif not console:
        yield account_result(snap, Status.PASS, "No IAM user has a console password.", **evidence)
    else:
        shown = ", ".join(console[:MAX_NAMED_USERS])
        more = (
            f" and {len(console) - MAX_NAMED_USERS} more" if len(console) > MAX_NAMED_USERS else ""
        )
        yield account_result(
            snap,
            Status.FAIL,
            f"No SAML or OIDC identity provider for people exists, and {len(console)} IAM "
            f"user{'s' if len(console) > 1 else ''} sign{'' if len(console) > 1 else 's'} in "
            f"with a password ({shown}{more}).",
            **evidence,
        )
