"""Checks on roles' trust policies: who may assume each role, and on what terms (ROLE-001..014).

Each judges every role but service-linked ones through ``auditor.policy.trust``: one FAIL per
offending principal of each offending statement (qualifier ``statement:N``), else ERROR if
the document could not be fully read, else one PASS. A FAIL's evidence quotes the statement
and carries ``suggested_statement``, the statement corrected (``auditor.policy.rewrite``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from auditor.checks.common import need, principal_result
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.policy.document import Condition
from auditor.policy.privilege import privilege_analysis
from auditor.policy.rewrite import plain, replace_principal, with_condition, without_ifexists
from auditor.policy.trust import (
    PRINCIPAL_RESTRICTING_KEYS,
    SOURCE_KEYS,
    Breadth,
    Federation,
    Provider,
    TrustGrant,
    TrustPolicy,
    circleci_org_id,
    is_pinned,
    pinned_values,
    subject_scope,
    trust_analysis,
    why_not_pinned,
)
from auditor.snapshot import Role, Snapshot

TRUST_CLI = (
    "aws iam update-assume-role-policy --role-name ROLE_NAME "
    "--policy-document file://trust.json  # trust.json: the corrected trust policy"
)
EDIT_TRUST = "IAM console > Roles > the role > Trust relationships > Edit trust policy: "
PRINCIPAL_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
)
GLOBAL_KEYS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
)
CONFUSED_DEPUTY_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/confused-deputy.html"
EXTERNAL_ID_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-user_externalid.html"
)
CROSS_ACCOUNT_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html"
)
OIDC_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_providers_create_oidc.html"
STS_KEYS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html"
)
GITHUB_OIDC_DOC = (
    "https://docs.github.com/en/actions/security-for-github-actions/"
    "security-hardening-your-deployments/configuring-openid-connect-in-amazon-web-services"
)
IRSA_DOC = "https://docs.aws.amazon.com/eks/latest/userguide/associate-service-account-role.html"
COGNITO_DOC = (
    "https://docs.aws.amazon.com/cognito/latest/developerguide/role-trust-and-permissions.html"
)
SAML_DOC = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_saml.html"
NOT_PRINCIPAL_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
)
IF_EXISTS_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/"
    "reference_policies_elements_condition_operators.html#Conditions_IfExists"
)
UNIQUE_ID_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html"
    "#identifiers-unique-ids"
)

# Services that take a role only where someone passes it to them (iam:PassRole), so a
# missing source condition matters less there (ROLE-005 rates them low).
COMPUTE_SERVICES = frozenset({"ec2", "lambda", "ecs-tasks"})
READ_ONLY_POLICY = "ReadOnlyAccess"

# Keys whose check an …IfExists (or ForAllValues:) operator quietly skips (ROLE-011).
_GUARDED_KEYS = frozenset({"sts:externalid", "aws:principalorgid"})

# A subject and audience each provider's tokens carry for one workload: the corrected
# statement's conditions (Buildkite's subject ends in a commit and step that vary by run).
_SUGGESTED_SUBJECT: Mapping[Provider, tuple[str, str]] = {
    Provider.GITHUB: ("StringEquals", "repo:<OWNER>/<REPO>:environment:<ENVIRONMENT>"),
    Provider.GITLAB: (
        "StringEquals",
        "project_path:<GROUP>/<PROJECT>:ref_type:branch:ref:<BRANCH>",
    ),
    Provider.TERRAFORM: (
        "StringEquals",
        "organization:<ORG>:project:<PROJECT>:workspace:<WORKSPACE>:run_phase:apply",
    ),
    Provider.BUILDKITE: (
        "StringLike",
        "organization:<ORG>:pipeline:<PIPELINE>:ref:refs/heads/<BRANCH>:commit:*:step:*",
    ),
    Provider.CIRCLECI: ("StringEquals", "org/<ORG_ID>/project/<PROJECT_ID>/user/<USER_ID>"),
    Provider.EKS: ("StringEquals", "system:serviceaccount:<NAMESPACE>:<SERVICE_ACCOUNT>"),
    Provider.OIDC: ("StringEquals", "<SUBJECT>"),
}
_OWNER_WIDE: Mapping[Provider, str] = {
    Provider.GITHUB: "every repository of one owner",
    Provider.GITLAB: "every project of one group",
    Provider.TERRAFORM: "every workspace of one organization",
    Provider.BUILDKITE: "every pipeline of one organization",
    Provider.CIRCLECI: "every project of the organization",
    Provider.EKS: "every service account of one namespace",
    Provider.OIDC: "many subjects",
}
_SCOPE_WIDE: Mapping[Provider, str] = {
    Provider.GITHUB: "any branch, tag, environment or pull request of one repository",
    Provider.GITLAB: "any branch or tag of one project",
    Provider.TERRAFORM: "any run phase of one workspace (plan as well as apply)",
    Provider.BUILDKITE: "any branch of one pipeline",
    Provider.CIRCLECI: "any user and branch of one project",
    Provider.EKS: "several service accounts",
    Provider.OIDC: "every subject matching a wildcard",
}


def _suggested_audience(fed: Federation) -> str:
    if fed.provider is Provider.GITLAB:
        return f"https://{fed.host}"
    if fed.provider is Provider.TERRAFORM:
        return "aws.workload.identity"
    if fed.provider is Provider.CIRCLECI:
        return circleci_org_id(fed.host) or "<ORG_ID>"
    if fed.provider is Provider.OIDC:
        return "<CLIENT_ID>"
    return "sts.amazonaws.com"


# --- the loop every trust check runs -----------------------------------------------------


@dataclass(frozen=True)
class _Seen:
    """One role as a trust check sees it, with the audit's notion of trusted accounts."""

    snap: Snapshot
    ctx: CheckContext
    role: Role
    trust: TrustPolicy

    def trusted(self, account: str) -> bool:
        """The audited account and the configured (or Organization) accounts are trusted."""
        return account == self.snap.account_id or account in self.ctx.trusted_account_ids

    def untrusted_account(self, grant: TrustGrant) -> str | None:
        """The account of an AWS principal from an untrusted account, else None."""
        if grant.principal_type != "AWS" or grant.account_id is None:
            return None
        return None if self.trusted(grant.account_id) else grant.account_id


Judge = Callable[[_Seen], Iterable[Result]]
Passing = Callable[[_Seen], str]


def _per_role(
    snap: Snapshot, ctx: CheckContext, risk: str, judge: Judge, passing: Passing
) -> Iterator[Result]:
    """FAILs from ``judge`` for each role; else ERROR if its trust was unreadable, else PASS.

    ``risk`` is what the check looks for ("a deleted principal"): all fourteen checks read
    the same unreadable document, so each ERROR says which risk it could not rule out.
    """
    details = need(snap.authorization, Source.AUTHORIZATION_DETAILS)
    analysis = trust_analysis(details)
    for role in details.roles:
        if role.service_linked:
            continue
        seen = _Seen(snap, ctx, role, analysis.of(role))
        fails = list(judge(seen))
        if fails:
            yield from fails
        elif seen.trust.problems:
            problems = list(seen.trust.problems)
            yield principal_result(
                role,
                Status.ERROR,
                f"Role {role.name}'s trust policy could not be fully read "
                f"({'; '.join(problems)}), so {risk} cannot be ruled out.",
                problems=problems,
            )
        else:
            yield principal_result(role, Status.PASS, passing(seen))


def _fail(
    seen: _Seen,
    grant: TrustGrant,
    detail: str,
    *,
    problem: str,
    suggested: Mapping[str, Any] | None,
    missing: str | None = None,
    severity: Severity | None = None,
    whole_statement: bool = False,
    **extra: object,
) -> Result:
    """A FAIL about ``grant`` (or, ``whole_statement``, about its whole statement)."""
    index = grant.statement_index
    siblings = seen.trust.grants_in(index)
    if whole_statement or len(siblings) <= 1:
        qualifier = f"statement:{index}"
    else:
        qualifier = f"statement:{index}:{grant.principal_type}:{grant.principal}"
    principal = ", ".join(g.principal for g in siblings) if whole_statement else grant.principal
    evidence: dict[str, object] = {
        "statement_index": index,
        "statement": plain(grant.statement),
        "principal": principal,
        "principal_type": grant.principal_type,
        "problem": problem,
    }
    if missing is not None:
        evidence["missing_condition"] = missing
    evidence.update(extra)
    evidence["suggested_statement"] = plain(suggested) if suggested is not None else None
    return Result(
        status=Status.FAIL,
        resource_arn=seen.role.arn,
        resource_name=seen.role.name,
        detail=detail,
        evidence=evidence,
        qualifier=qualifier,
        resource_type=ResourceType.ROLE,
        severity=severity,
    )


def _root_placeholder(seen: _Seen) -> str:
    return f"arn:{seen.snap.partition}:iam::<ACCOUNT_ID>:root"


# --- describing what is wrong ------------------------------------------------------------


def _restricting(grant: TrustGrant) -> list[str]:
    return [k for k in PRINCIPAL_RESTRICTING_KEYS if is_pinned(grant.conditions, k)]


def _unrestricted_wildcard(grant: TrustGrant) -> bool:
    return grant.is_wildcard and not _restricting(grant)


def _anyone(grant: TrustGrant) -> str:
    if grant.not_principal:
        return "every principal except those its NotPrincipal names"
    if grant.principal == "*":
        return 'any AWS principal ("*")'
    return f"principals of any account ({grant.principal})"


def _outsider(grant: TrustGrant, account: str) -> str:
    """``account 444455556666`` for a whole account, else ``ARN (account 444455556666)``."""
    if grant.is_account_root:
        return f"account {account}"
    return f"{grant.principal} (account {account})"


def _shortfalls(conditions: tuple[Condition, ...], keys: Iterable[str]) -> list[str]:
    """Why each of ``keys`` that a condition mentions fails to pin it."""
    present = {c.key for c in conditions}
    return [why_not_pinned(conditions, k) for k in keys if k.lower() in present]


def _values(conditions: tuple[Condition, ...], key: str) -> list[str]:
    return [v for c in conditions if c.key == key.lower() for v in c.values]


def _where(seen: _Seen, grant: TrustGrant) -> str:
    return f"Statement {grant.statement_index} of role {seen.role.name}'s trust policy"


def _oidc(grant: TrustGrant) -> Federation | None:
    fed = grant.federation
    return fed if fed is not None and fed.provider.is_oidc else None


def _subject_breadth(fed: Federation, grant: TrustGrant) -> Breadth:
    breadth = subject_scope(grant.conditions, fed.sub_key)
    if fed.provider is Provider.CIRCLECI and breadth >= Breadth.ANY:
        # The issuer URL names the organisation: no subject is still only its projects.
        return Breadth.OWNER
    return breadth


def _suggest_oidc(grant: TrustGrant, fed: Federation) -> dict[str, Any]:
    operator, subject = _SUGGESTED_SUBJECT.get(fed.provider, ("StringEquals", "<SUBJECT>"))
    out = with_condition(grant.statement, operator, fed.sub_claim, subject)
    if not is_pinned(grant.conditions, fed.aud_key):
        out = with_condition(out, "StringEquals", fed.aud_claim, _suggested_audience(fed))
    return out


def _unpinned_subject(fed: Federation, grant: TrustGrant, breadth: Breadth, wildcard: str) -> str:
    """What is wrong with a subject graded ``ANY`` or ``UNPINNED``."""
    if breadth is Breadth.UNPINNED:
        return f"{fed.sub_claim} is not pinned ({why_not_pinned(grant.conditions, fed.sub_key)})"
    held = _quoted(_values(grant.conditions, fed.sub_key))
    return f"{fed.sub_claim} is held only to {held}, {wildcard}"


def _quoted(values: Iterable[str]) -> str:
    return ", ".join(f'"{v}"' for v in values)


# --- ROLE-001 / ROLE-002: wildcard principals --------------------------------------------


@check(
    id="ROLE-001",
    slug="trust-wildcard-principal",
    title="No role trusts any AWS principal without a condition restricting who may assume it",
    severity=Severity.CRITICAL,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        'A trust policy whose principal is "*" (or any account) lets every AWS account in the '
        "world assume the role unless a condition pins the caller's organization, account or "
        "ARN. An ExternalId does not help: any caller can send one, and it is not a secret."
    ),
    remediation=(
        EDIT_TRUST + 'replace "*" with the accounts or roles that need access, or add a '
        "condition pinning aws:PrincipalOrgID (or aws:PrincipalAccount / aws:PrincipalArn) with "
        "StringEquals; use the finding's suggested_statement."
    ),
    remediation_cli=TRUST_CLI,
    references=(PRINCIPAL_DOC, GLOBAL_KEYS_DOC),
)
def wildcard_principal(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each wildcard principal that no condition restricts to known callers."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            if not _unrestricted_wildcard(g):
                continue
            notes = _shortfalls(g.conditions, PRINCIPAL_RESTRICTING_KEYS)
            if is_pinned(g.conditions, "sts:ExternalId"):
                notes.append("sts:ExternalId is pinned, but any caller can send it")
            why = f" ({'; '.join(notes)})" if notes else ""
            suggested = (
                replace_principal(g.statement, g, _root_placeholder(seen))
                if g.not_principal
                else with_condition(g.statement, "StringEquals", "aws:PrincipalOrgID", "<ORG_ID>")
            )
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets {_anyone(g)} assume it, and no condition pins "
                "aws:PrincipalOrgID, aws:PrincipalAccount, aws:PrincipalArn, aws:SourceAccount "
                f"or another key naming who may call{why}.",
                problem="wildcard principal without a restricting condition",
                missing="aws:PrincipalOrgID",
                suggested=suggested,
            )

    return _per_role(
        snap,
        ctx,
        "a wildcard principal with no restricting condition",
        judge,
        lambda seen: (
            f"No statement of role {seen.role.name}'s trust policy lets any AWS principal "
            "assume it unrestricted."
        ),
    )


@check(
    id="ROLE-002",
    slug="trust-wildcard-conditional",
    title="Wildcard trust principals restricted only by conditions are reviewed",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        'A "*" principal held back only by conditions such as aws:PrincipalOrgID is as safe as '
        "those conditions, which are easy to loosen by mistake and admit every principal they "
        "match. Naming the accounts or roles that need access makes the trust explicit."
    ),
    remediation=(
        EDIT_TRUST + "check that the conditions admit exactly the callers intended; prefer "
        'naming those principals instead of "*" (the finding\'s suggested_statement).'
    ),
    remediation_cli=TRUST_CLI,
    references=(PRINCIPAL_DOC, GLOBAL_KEYS_DOC),
)
def wildcard_conditional(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL (review) for each wildcard principal that only conditions restrict."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            keys = _restricting(g) if g.is_wildcard else []
            if not keys:
                continue
            pinned = {k: list(pinned_values(g.conditions, k)) for k in keys}
            which = "; ".join(f"{k} = {_quoted(v)}" for k, v in pinned.items())
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets {_anyone(g)} assume it, restricted only by conditions: "
                f"{which}. Review that they admit exactly the callers intended, or name those "
                "principals instead.",
                problem="wildcard principal restricted only by conditions",
                suggested=replace_principal(g.statement, g, _root_placeholder(seen)),
                restricting_conditions=pinned,
            )

    def passing(seen: _Seen) -> str:
        open_ = sorted({g.statement_index for g in seen.trust.grants if g.is_wildcard})
        if open_:
            return (
                f"Role {seen.role.name}'s wildcard principal (statement "
                f"{', '.join(map(str, open_))}) is not restricted by any condition: ROLE-001 "
                "reports it."
            )
        return f"Role {seen.role.name}'s trust policy names no wildcard principal."

    return _per_role(
        snap, ctx, "a wildcard principal restricted only by conditions", judge, passing
    )


# --- ROLE-003 / ROLE-004: other accounts -------------------------------------------------


@check(
    id="ROLE-003",
    slug="trust-unknown-account",
    title="Roles are trusted only by this account and accounts listed as trusted",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Every account a role trusts can reach whatever the role can, so each one should be "
        "known: your own, a vendor you chose, or another account of your Organization. An "
        "account nobody recognises is often a forgotten vendor or a test that was never undone."
    ),
    remediation=(
        EDIT_TRUST + "remove principals of accounts you do not recognise; if you know and trust "
        "the account, add its id to trusted_account_ids in the iam-auditor configuration."
    ),
    remediation_cli=TRUST_CLI,
    references=(CROSS_ACCOUNT_DOC, PRINCIPAL_DOC),
    judges_trusted_accounts=True,
)
def unknown_account(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each AWS principal of an account neither this one nor trusted."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            account = seen.untrusted_account(g)
            if account is None:
                continue
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets {_outsider(g, account)} assume it, and account "
                f"{account} is neither this account ({seen.snap.account_id}) nor a trusted account "
                "(trusted_account_ids, or the Organization's accounts when they were read). "
                "If you know and trust it, add it to trusted_account_ids; otherwise remove it.",
                problem="principal of an account that is not trusted",
                suggested=replace_principal(g.statement, g, None),
                external_accounts=[account],
            )

    def passing(seen: _Seen) -> str:
        others = sorted(
            {
                g.account_id
                for g in seen.trust.grants
                if g.principal_type == "AWS"
                and g.account_id is not None
                and g.account_id != seen.snap.account_id
            }
        )
        if others:
            return f"Role {seen.role.name} is trusted by accounts {', '.join(others)}, all trusted."
        return f"Role {seen.role.name} is trusted by no other AWS account."

    return _per_role(snap, ctx, "trust in an account that is not trusted", judge, passing)


@check(
    id="ROLE-004",
    slug="trust-no-external-id",
    title="Roles trusted by other, untrusted accounts require a pinned sts:ExternalId",
    severity=Severity.HIGH,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "A vendor that assumes roles in many customers' accounts can be tricked into using its "
        "access to yours on someone else's behalf (the confused-deputy problem). Requiring a "
        "specific sts:ExternalId per customer, or MFA for people, closes that door."
    ),
    remediation=(
        EDIT_TRUST + 'add "Condition": {"StringEquals": {"sts:ExternalId": "<EXTERNAL_ID>"}} '
        "with the id the vendor gave you (never a wildcard, never StringEqualsIfExists)."
    ),
    remediation_cli=TRUST_CLI,
    references=(EXTERNAL_ID_DOC, CONFUSED_DEPUTY_DOC),
    judges_trusted_accounts=True,
)
def no_external_id(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each untrusted account's principal with neither ExternalId nor MFA pinned."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            account = seen.untrusted_account(g)
            if account is None or _external_id_or_mfa(g):
                continue
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets {_outsider(g, account)}, which is not trusted, assume it "
                "without a pinned sts:ExternalId or aws:MultiFactorAuthPresent = true "
                f"({why_not_pinned(g.conditions, 'sts:ExternalId')}).",
                problem="cross-account principal without a pinned sts:ExternalId",
                missing="sts:ExternalId",
                suggested=with_condition(
                    g.statement, "StringEquals", "sts:ExternalId", "<EXTERNAL_ID>"
                ),
                external_accounts=[account],
            )

    def passing(seen: _Seen) -> str:
        if any(seen.untrusted_account(g) for g in seen.trust.grants):
            return (
                f"Every untrusted account's principal in role {seen.role.name}'s trust policy "
                "must present a pinned sts:ExternalId or MFA."
            )
        return f"Role {seen.role.name} is trusted by no principal of an untrusted account."

    return _per_role(
        snap, ctx, "an untrusted account allowed in without a pinned sts:ExternalId", judge, passing
    )


def _external_id_or_mfa(grant: TrustGrant) -> bool:
    if is_pinned(grant.conditions, "sts:ExternalId"):
        return True
    mfa = pinned_values(grant.conditions, "aws:MultiFactorAuthPresent")
    return bool(mfa) and all(v.lower() == "true" for v in mfa)


# --- ROLE-005: services ------------------------------------------------------------------


@check(
    id="ROLE-005",
    slug="trust-service-confused-deputy",
    title="Service principals may assume roles only for this account (aws:SourceAccount pinned)",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "An AWS service acting for any of its customers can be steered by another customer into "
        "using a role of yours, unless the trust pins the account or resource it acts for. "
        "aws:SourceAccount or aws:SourceArn ties the service to your own resources."
    ),
    remediation=(
        EDIT_TRUST + 'add "Condition": {"StringEquals": {"aws:SourceAccount": "<this account>"}} '
        "or an ArnLike aws:SourceArn naming the resource that uses the role."
    ),
    remediation_cli=TRUST_CLI,
    references=(CONFUSED_DEPUTY_DOC, GLOBAL_KEYS_DOC),
)
def service_confused_deputy(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each service principal without a pinned source account, ARN or organization."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            if g.principal_type != "Service":
                continue
            if any(is_pinned(g.conditions, k) for k in SOURCE_KEYS):
                continue
            notes = _shortfalls(g.conditions, SOURCE_KEYS) or [
                "no condition on aws:SourceAccount, aws:SourceArn or aws:SourceOrgID"
            ]
            compute = g.service in COMPUTE_SERVICES
            note = (
                f" Rated low: {g.principal} takes a role only where it is passed to it."
                if compute
                else ""
            )
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets service {g.principal} assume it for any account: "
                f"{'; '.join(notes)}.{note}",
                problem="service principal without a source condition",
                missing="aws:SourceAccount",
                suggested=with_condition(
                    g.statement, "StringEquals", "aws:SourceAccount", seen.snap.account_id
                ),
                severity=Severity.LOW if compute else None,
            )

    def passing(seen: _Seen) -> str:
        services = sorted({g.principal for g in seen.trust.grants if g.principal_type == "Service"})
        if services:
            return (
                f"Role {seen.role.name}'s service principals ({', '.join(services)}) are pinned "
                "to a source account, ARN or organization."
            )
        return f"Role {seen.role.name}'s trust policy names no service principal."

    return _per_role(
        snap, ctx, "a service principal without a pinned source account", judge, passing
    )


# --- ROLE-006..ROLE-010: federation ------------------------------------------------------


@check(
    id="ROLE-006",
    slug="trust-oidc-no-sub",
    title="OIDC trust policies pin the subject (sub) to a specific owner",
    severity=Severity.CRITICAL,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "GitHub, GitLab, Terraform Cloud and other CI providers issue tokens to every one of "
        "their users, all signed by the same issuer. Without a sub condition naming your "
        "repository or project, anyone who can run a job there can assume the role."
    ),
    remediation=(
        EDIT_TRUST + "add a StringEquals condition on <provider host>:sub naming your "
        'repository and environment (GitHub: "repo:OWNER/REPO:environment:ENV") and one on '
        '<provider host>:aud (GitHub: "sts.amazonaws.com").'
    ),
    remediation_cli=TRUST_CLI,
    references=(OIDC_DOC, GITHUB_OIDC_DOC, STS_KEYS_DOC),
)
def oidc_no_sub(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each OIDC principal whose sub is unpinned or open to any owner."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            fed = _oidc(g)
            if fed is None or fed.provider is Provider.EKS:
                continue  # EKS is ROLE-008's
            breadth = _subject_breadth(fed, g)
            if breadth < Breadth.ANY:
                continue
            what = _unpinned_subject(fed, g, breadth, "a wildcard owner")
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets {fed.provider.value} tokens from {fed.host} assume it, "
                f"but {what}: anyone who can run a job on {fed.provider.value} can assume it.",
                problem="OIDC subject not pinned to an owner",
                missing=fed.sub_claim,
                suggested=_suggest_oidc(g, fed),
                provider=fed.provider.value,
            )

    return _per_role(
        snap,
        ctx,
        "an OIDC trust without a pinned subject",
        judge,
        _federation_passing("OIDC", _oidc_but_eks),
    )


def _oidc_but_eks(g: TrustGrant) -> bool:
    fed = _oidc(g)
    return fed is not None and fed.provider is not Provider.EKS


def _federation_passing(what: str, wanted: Callable[[TrustGrant], bool]) -> Passing:
    def passing(seen: _Seen) -> str:
        hosts = sorted({g.principal for g in seen.trust.grants if wanted(g)})
        if hosts:
            return f"Role {seen.role.name}'s {what} trust ({', '.join(hosts)}) is pinned."
        return f"Role {seen.role.name}'s trust policy names no {what} provider."

    return passing


@check(
    id="ROLE-007",
    slug="trust-oidc-broad-sub",
    title="OIDC trust policies pin the subject to one repository and environment, and the aud",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "A sub that admits a whole organization, or any branch of a repository, lets any "
        "workflow there (including one on an unreviewed branch) assume the role. Pinning one "
        "repository and a protected environment or branch, and the token's audience, keeps the "
        "role for the deployments it serves."
    ),
    remediation=(
        EDIT_TRUST + "narrow the sub condition to one repository and environment (GitHub: "
        '"repo:OWNER/REPO:environment:ENV", with StringEquals) and pin <provider host>:aud.'
    ),
    remediation_cli=TRUST_CLI,
    references=(GITHUB_OIDC_DOC, OIDC_DOC, STS_KEYS_DOC),
)
def oidc_broad_sub(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each OIDC principal pinned only to an owner or any branch, or with no aud."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            fed = _oidc(g)
            if fed is None:
                continue
            issues: list[str] = []
            missing: str | None = None
            breadth = _subject_breadth(fed, g)
            if breadth in (Breadth.OWNER, Breadth.SCOPE):
                table = _OWNER_WIDE if breadth is Breadth.OWNER else _SCOPE_WIDE
                held = _quoted(_values(g.conditions, fed.sub_key)) or "no value"
                issues.append(f"{fed.sub_claim} ({held}) admits {table[fed.provider]}")
            if not is_pinned(g.conditions, fed.aud_key):
                missing = fed.aud_claim
                issues.append(
                    f"{fed.aud_claim} is not pinned ({why_not_pinned(g.conditions, fed.aud_key)})"
                )
            if not issues:
                continue
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} trusts {fed.provider.value} tokens from {fed.host} too "
                f"broadly: {'; '.join(issues)}.",
                problem="OIDC trust broader than one workload",
                missing=missing,
                suggested=_suggest_oidc(g, fed),
                provider=fed.provider.value,
                subject_breadth=breadth.name.lower(),
            )

    return _per_role(
        snap,
        ctx,
        "an OIDC trust with a broad subject or an unpinned audience",
        judge,
        _federation_passing("OIDC", lambda g: _oidc(g) is not None),
    )


def _provider(g: TrustGrant, provider: Provider) -> Federation | None:
    fed = g.federation
    return fed if fed is not None and fed.provider is provider else None


@check(
    id="ROLE-008",
    slug="trust-eks-irsa-sub",
    title="EKS IRSA trust policies pin the service account (sub)",
    severity=Severity.HIGH,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "An EKS cluster's OIDC issuer signs a token for every service account in the cluster. "
        "Without a sub condition naming one namespace and service account, any pod in any "
        "namespace can assume the role."
    ),
    remediation=(
        EDIT_TRUST + "add a StringEquals condition on <issuer>:sub with "
        '"system:serviceaccount:NAMESPACE:SERVICE_ACCOUNT" and on <issuer>:aud with '
        '"sts.amazonaws.com".'
    ),
    remediation_cli=TRUST_CLI,
    references=(IRSA_DOC, OIDC_DOC),
)
def eks_irsa_sub(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each EKS issuer principal whose sub admits any service account."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            fed = _provider(g, Provider.EKS)
            if fed is None:
                continue
            breadth = subject_scope(g.conditions, fed.sub_key)
            if breadth < Breadth.ANY:
                continue
            what = _unpinned_subject(fed, g, breadth, "which admits any namespace")
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets service accounts of EKS cluster issuer {fed.host} assume "
                f"it, but {what}: any pod of the cluster can assume it.",
                problem="EKS service account not pinned",
                missing=fed.sub_claim,
                suggested=_suggest_oidc(g, fed),
            )

    return _per_role(
        snap,
        ctx,
        "an EKS IRSA trust without a pinned service account",
        judge,
        _federation_passing("EKS IRSA", lambda g: bool(_provider(g, Provider.EKS))),
    )


@check(
    id="ROLE-009",
    slug="trust-cognito-no-aud",
    title="Cognito identity pool trust pins the identity pool (cognito-identity.amazonaws.com:aud)",
    severity=Severity.CRITICAL,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Amazon Cognito issues identities for every identity pool of every AWS customer. "
        "Without a condition pinning cognito-identity.amazonaws.com:aud to your pool, an "
        "identity from anyone's pool can assume the role."
    ),
    remediation=(
        EDIT_TRUST + 'add "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": '
        '"<IDENTITY_POOL_ID>"}} (and an amr condition for authenticated or unauthenticated).'
    ),
    remediation_cli=TRUST_CLI,
    references=(COGNITO_DOC, STS_KEYS_DOC),
)
def cognito_no_aud(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each Cognito principal without a pinned identity pool."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            fed = _provider(g, Provider.COGNITO)
            if fed is None or is_pinned(g.conditions, fed.aud_key):
                continue
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets Amazon Cognito identities assume it, but "
                f"{fed.aud_claim} is not pinned ({why_not_pinned(g.conditions, fed.aud_key)}): "
                "an identity from any identity pool, in any AWS account, can assume it.",
                problem="Cognito identity pool not pinned",
                missing=fed.aud_claim,
                suggested=with_condition(
                    g.statement, "StringEquals", fed.aud_claim, "<IDENTITY_POOL_ID>"
                ),
            )

    return _per_role(
        snap,
        ctx,
        "a Cognito trust without a pinned identity pool",
        judge,
        _federation_passing("Cognito", lambda g: bool(_provider(g, Provider.COGNITO))),
    )


@check(
    id="ROLE-010",
    slug="trust-saml-no-aud",
    title="SAML trust policies pin the sign-in audience (SAML:aud)",
    severity=Severity.LOW,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "SAML:aud names the endpoint an assertion was issued for. Pinning it to the AWS sign-in "
        "endpoint stops an assertion your identity provider issued for another purpose from "
        "being replayed to assume the role."
    ),
    remediation=(
        EDIT_TRUST + 'add "Condition": {"StringEquals": {"SAML:aud": '
        '"https://signin.aws.amazon.com/saml"}}.'
    ),
    remediation_cli=TRUST_CLI,
    references=(SAML_DOC, STS_KEYS_DOC),
)
def saml_no_aud(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each SAML principal without a pinned SAML:aud."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            fed = _provider(g, Provider.SAML)
            if fed is None or is_pinned(g.conditions, fed.aud_key):
                continue
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} lets users of SAML provider {fed.host} assume it, but "
                f"SAML:aud is not pinned ({why_not_pinned(g.conditions, fed.aud_key)}).",
                problem="SAML audience not pinned",
                missing="SAML:aud",
                suggested=with_condition(
                    g.statement,
                    "StringEquals",
                    "SAML:aud",
                    f"https://signin.{_sign_in_domain(seen)}/saml",
                ),
            )

    return _per_role(
        snap,
        ctx,
        "a SAML trust without a pinned SAML:aud",
        judge,
        _federation_passing("SAML", lambda g: bool(_provider(g, Provider.SAML))),
    )


def _sign_in_domain(seen: _Seen) -> str:
    partition = seen.snap.partition
    if partition == "aws-cn":
        return "amazonaws.cn"
    if partition == "aws-us-gov":
        return "amazonaws-us-gov.com"
    return "aws.amazon.com"


# --- ROLE-011: constructs that invert or skip a check ------------------------------------


def _guarded(key: str) -> bool:
    return key in _GUARDED_KEYS or key.endswith((":sub", ":aud"))


def _skippable(c: Condition) -> bool:
    return c.if_exists or (c.set_qualifier or "").lower() == "forallvalues"


@check(
    id="ROLE-011",
    slug="trust-notprincipal-ifexists",
    title="Trust policies use no NotPrincipal or NotAction, nor IfExists on pinning keys",
    severity=Severity.HIGH,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Allow with NotPrincipal trusts everyone except the principals named, and Allow with "
        "NotAction grants every action not named. An IfExists operator on sts:ExternalId, a "
        "sub or aud, or aws:PrincipalOrgID passes when the caller leaves the key out, so it "
        "pins nothing."
    ),
    remediation=(
        EDIT_TRUST + "replace NotPrincipal with Principal naming who may assume the role, "
        'NotAction with Action "sts:AssumeRole" (or the WithWebIdentity / WithSAML variant), '
        "and StringEqualsIfExists / StringLikeIfExists on those keys with StringEquals."
    ),
    remediation_cli=TRUST_CLI,
    references=(NOT_PRINCIPAL_DOC, IF_EXISTS_DOC),
)
def notprincipal_ifexists(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each Allow trust statement with NotPrincipal, NotAction or a skippable pin."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for index in sorted({g.statement_index for g in seen.trust.grants}):
            grants = seen.trust.grants_in(index)
            first = grants[0]
            issues: list[str] = []
            if first.not_principal:
                issues.append(
                    "Allow with NotPrincipal trusts every principal except those it names"
                )
            if first.not_action:
                issues.append(
                    "Allow with NotAction grants every action it does not name, "
                    f"{', '.join(first.actions)} included"
                )
            skipped = [
                c
                for c in first.conditions
                if _guarded(c.key) and _skippable(c) and not is_pinned(first.conditions, c.key)
            ]
            issues.extend(
                f"{c.operator} on {c.key} passes when the caller leaves the key out"
                for c in skipped
            )
            if not issues:
                continue
            yield _fail(
                seen,
                first,
                f"{_where(seen, first)}: {'; '.join(issues)}.",
                problem="; ".join(issues),
                suggested=_fix_inverted(seen, first, [c.key for c in skipped]),
                whole_statement=True,
            )

    return _per_role(
        snap,
        ctx,
        "a NotPrincipal, NotAction or IfExists loophole",
        judge,
        lambda seen: (
            f"Role {seen.role.name}'s trust policy uses no NotPrincipal or NotAction in an "
            "Allow, and no IfExists on a pinning key."
        ),
    )


def _fix_inverted(seen: _Seen, grant: TrustGrant, keys: list[str]) -> dict[str, Any]:
    out = without_ifexists(grant.statement, keys)
    if grant.not_principal:
        out.pop("NotPrincipal", None)
        out["Principal"] = {"AWS": _root_placeholder(seen)}
    if grant.not_action:
        out.pop("NotAction", None)
        out["Action"] = _assume_action_for(seen.trust.grants_in(grant.statement_index))
    return out


def _assume_action_for(grants: Iterable[TrustGrant]) -> str:
    for g in grants:
        fed = g.federation
        if fed is not None:
            return (
                "sts:AssumeRoleWithSAML"
                if fed.provider is Provider.SAML
                else ("sts:AssumeRoleWithWebIdentity")
            )
    return "sts:AssumeRole"


# --- ROLE-012..ROLE-014 ------------------------------------------------------------------


@check(
    id="ROLE-012",
    slug="trust-account-root",
    title="Roles trusting this account's root are narrowed to named principals",
    severity=Severity.INFO,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "Trusting the account's root delegates the decision to identity policies: any user or "
        "role here that is allowed sts:AssumeRole on the role can assume it. That is often "
        "intended, but for an admin-equivalent role it hands full control to whoever holds a "
        "broad sts:AssumeRole grant."
    ),
    remediation=(
        EDIT_TRUST + "name the roles or users that need the role as principals, or add an "
        "ArnEquals aws:PrincipalArn condition listing them."
    ),
    remediation_cli=TRUST_CLI,
    references=(PRINCIPAL_DOC, GLOBAL_KEYS_DOC),
    weighs_privilege=True,
)
def account_root(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL (info; high for an admin-equivalent role) for trust in this account's root."""
    details = need(snap.authorization, Source.AUTHORIZATION_DETAILS)

    def judge(seen: _Seen) -> Iterator[Result]:
        roots = [g for g in seen.trust.grants if _own_root(seen, g)]
        roots = [g for g in roots if not is_pinned(g.conditions, "aws:PrincipalArn")]
        if not roots:
            return
        privileges = privilege_analysis(details)
        admin = privileges.admin_grants(seen.role)
        for g in roots:
            note = (
                f" Role {seen.role.name} is admin-equivalent ({', '.join(admin)}), so this "
                "delegates full control of the account to every such principal."
                if admin
                else ""
            )
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} trusts this account's root ({g.principal}): any user or role "
                f"of the account allowed sts:AssumeRole on it by its own policies can assume it."
                f"{note}",
                problem="trust delegated to this account's root",
                missing="aws:PrincipalArn",
                suggested=replace_principal(
                    g.statement,
                    g,
                    f"arn:{seen.snap.partition}:iam::{seen.snap.account_id}:role/<ROLE_NAME>",
                ),
                severity=Severity.HIGH if admin else None,
                admin_equivalent=bool(admin),
                admin_policies=list(admin),
            )

    def passing(seen: _Seen) -> str:
        if any(_own_root(seen, g) for g in seen.trust.grants):
            return (
                f"Role {seen.role.name} trusts this account's root only for principals pinned "
                "by aws:PrincipalArn."
            )
        return f"Role {seen.role.name}'s trust policy does not name this account's root."

    return _per_role(snap, ctx, "trust in this account's root", judge, passing)


def _own_root(seen: _Seen, grant: TrustGrant) -> bool:
    return grant.is_account_root and grant.account_id == seen.snap.account_id


@check(
    id="ROLE-013",
    slug="trust-orphaned-principal",
    title="Trust policies name no deleted principals (unique ids such as AROA…, AIDA…)",
    severity=Severity.LOW,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "When a trusted user or role is deleted, IAM writes its unique id in place of its ARN. "
        "The entry then trusts no one (a new principal of the same name is not it), and it "
        "hides which access was meant, so it should be removed or re-pointed."
    ),
    remediation=(
        EDIT_TRUST + "remove the AROA… / AIDA… entry, or replace it with the ARN of the "
        "principal that should have access now."
    ),
    remediation_cli=TRUST_CLI,
    references=(UNIQUE_ID_DOC, PRINCIPAL_DOC),
)
def orphaned_principal(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each AWS principal written as a unique id."""

    def judge(seen: _Seen) -> Iterator[Result]:
        for g in seen.trust.grants:
            if not g.is_unique_id:
                continue
            kind = "role" if g.principal.startswith("AROA") else "user"
            yield _fail(
                seen,
                g,
                f"{_where(seen, g)} names {g.principal}, the unique id IAM writes in place of a "
                f"deleted {kind}'s ARN: the principal it meant no longer exists.",
                problem="principal is the unique id of a deleted user or role",
                suggested=replace_principal(g.statement, g, None),
            )

    return _per_role(
        snap,
        ctx,
        "a deleted principal",
        judge,
        lambda seen: f"Role {seen.role.name}'s trust policy names no deleted principal.",
    )


@check(
    id="ROLE-014",
    slug="cross-account-privileged",
    title="Untrusted accounts cannot assume admin-equivalent, escalating or read-all roles",
    severity=Severity.HIGH,
    resource_type=ResourceType.ROLE,
    needs={Source.AUTHORIZATION_DETAILS},
    rationale=(
        "A role another account can assume extends that account's reach into yours. When the "
        "role is admin-equivalent, can escalate its own privileges, or reads everything "
        "(ReadOnlyAccess), a compromise of that account becomes a compromise or full data "
        "exposure of this one."
    ),
    remediation=(
        "IAM console > Roles > the role: replace its broad policies with the few actions the "
        "other account needs, or remove that account from the trust policy (Trust "
        "relationships > Edit trust policy); add the account to trusted_account_ids only if it "
        "is yours."
    ),
    remediation_cli=(
        "aws iam detach-role-policy --role-name ROLE_NAME --policy-arn POLICY_ARN  # or "
        "update-assume-role-policy --policy-document file://trust.json"
    ),
    references=(CROSS_ACCOUNT_DOC, PRINCIPAL_DOC),
    weighs_privilege=True,
    judges_trusted_accounts=True,
)
def cross_account_privileged(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL for each untrusted principal that may assume a privileged role."""
    details = need(snap.authorization, Source.AUTHORIZATION_DETAILS)

    def outsiders(seen: _Seen) -> list[TrustGrant]:
        return [
            g
            for g in seen.trust.grants
            if seen.untrusted_account(g) is not None or _unrestricted_wildcard(g)
        ]

    def judge(seen: _Seen) -> Iterator[Result]:
        grants = outsiders(seen)
        if not grants:
            return
        privileges = privilege_analysis(details)
        admin = privileges.admin_grants(seen.role)
        methods = () if admin else privileges.escalation_methods(seen.role)
        read_all = privileges.holds_policy(seen.role, READ_ONLY_POLICY)
        held: list[str] = []
        if admin:
            held.append(f"admin-equivalent ({', '.join(admin)})")
        if methods:
            held.append(f"able to escalate ({', '.join(m.method for m in methods)})")
        if read_all:
            held.append(f"holds {READ_ONLY_POLICY}, which reads most data in the account")
        if not held:
            return
        for g in grants:
            account = seen.untrusted_account(g)
            who = f"{_outsider(g, account)}, which is not trusted," if account else _anyone(g)
            yield _fail(
                seen,
                g,
                f"Role {seen.role.name} is {'; '.join(held)}, and statement "
                f"{g.statement_index} of its trust policy lets {who} assume it.",
                problem="privileged role assumable from an untrusted account",
                suggested=replace_principal(g.statement, g, None),
                external_accounts=[account] if account else ["*"],
                admin_policies=list(admin),
                escalation_methods=[m.method for m in methods],
                read_only_access=read_all,
            )

    def passing(seen: _Seen) -> str:
        if outsiders(seen):
            return (
                f"Role {seen.role.name} can be assumed from outside the trusted accounts, but is "
                f"not admin-equivalent, cannot escalate and does not hold {READ_ONLY_POLICY}."
            )
        return f"Role {seen.role.name} cannot be assumed from an untrusted account."

    return _per_role(
        snap, ctx, "an untrusted account allowed to assume a privileged role", judge, passing
    )
