"""Checks on the account password policy (PWD-001..005).

With no policy (``snap.password_policy`` None but collected) PWD-001 fails and PWD-002..005
are judged against AWS's defaults, saying so. Every result is about the account root ARN.
"""

from __future__ import annotations

from collections.abc import Iterator

from auditor.checks.common import SECURITY_HUB_IAM_DOC, account_result
from auditor.checks.registry import CheckContext, check
from auditor.model import ResourceType, Result, Severity, Source, Status
from auditor.snapshot import PasswordPolicy, Snapshot

POLICY_DOC = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_passwords_account-policy.html"
)
NO_POLICY = "No password policy is set, so AWS's defaults apply"
# update-account-password-policy replaces the whole policy: every PWD check gives the full
# command, so fixing one setting does not silently reset the others.
FULL_POLICY_CLI = (
    "aws iam update-account-password-policy --minimum-password-length 14 "
    "--password-reuse-prevention 24 --require-uppercase-characters "
    "--require-lowercase-characters --require-numbers --require-symbols --max-password-age 90 "
    "--allow-users-to-change-password"
)
REMEDIATION = (
    "IAM console > Account settings > Password policy > Edit > Custom: set a minimum length "
    "of 14, require uppercase, lowercase, numbers and symbols, expire passwords in 90 days, "
    "prevent reuse of the last 24 passwords and allow users to change their own password."
)


def _policy(snap: Snapshot) -> tuple[PasswordPolicy, bool]:
    """The policy to judge and whether it is AWS's default (no policy set)."""
    if snap.password_policy is None:
        return PasswordPolicy(), True
    return snap.password_policy, False


def _judged(default: bool, detail: str) -> str:
    """``detail``, led by ``NO_POLICY`` when what was judged is AWS's default policy."""
    return f"{NO_POLICY}: {detail[0].lower()}{detail[1:]}" if default else detail


def _at_least(
    snap: Snapshot, default: bool, have: int, want: int, detail: str, **setting: int
) -> Result:
    """PASS when the policy's ``setting`` (value ``have``) reaches the required ``want``."""
    return account_result(
        snap,
        Status.PASS if have >= want else Status.FAIL,
        _judged(default, detail),
        **setting,
        required=want,
        default_policy=default,
    )


def _either(items: list[str]) -> str:
    """``a``, ``a or b``, ``a, b or c``."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} or {items[-1]}"


@check(
    id="PWD-001",
    slug="password-policy-missing",
    title="The account has a password policy",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.PASSWORD_POLICY},
    rationale=(
        "Without a password policy IAM accepts any password of 8 characters or more, with "
        "no complexity, reuse or expiry rules. A policy is the account's only control over "
        "the strength of IAM users' console passwords."
    ),
    remediation=REMEDIATION,
    remediation_cli=FULL_POLICY_CLI,
    references=(POLICY_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.8", "2.9"),
    cis_5=("1.7", "1.8"),
    fsbp=("IAM.7",),
)
def password_policy_missing(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when the account has no password policy."""
    if snap.password_policy is None:
        yield account_result(
            snap,
            Status.FAIL,
            f"{NO_POLICY}: any password of 8 or more characters is accepted.",
            policy_present=False,
        )
    else:
        yield account_result(snap, Status.PASS, "A password policy is set.", policy_present=True)


@check(
    id="PWD-002",
    slug="password-min-length",
    title="The password policy requires at least 14 characters",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.PASSWORD_POLICY},
    rationale=(
        "Length is what makes a password hard to guess or crack offline. CIS and AWS "
        "Security Hub ask for at least 14 characters."
    ),
    remediation=REMEDIATION,
    remediation_cli=FULL_POLICY_CLI,
    references=(POLICY_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.8",),
    cis_5=("1.7",),
    fsbp=("IAM.15",),
)
def password_min_length(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when the minimum password length is below the threshold."""
    policy, default = _policy(snap)
    want = ctx.thresholds.password_min_length
    have = policy.minimum_password_length
    yield _at_least(
        snap,
        default,
        have,
        want,
        f"Minimum password length is {have}; at least {want} is required.",
        minimum_password_length=have,
    )


@check(
    id="PWD-003",
    slug="password-reuse",
    title="The password policy prevents reuse of the last 24 passwords",
    severity=Severity.MEDIUM,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.PASSWORD_POLICY},
    rationale=(
        "Without reuse prevention a user forced to change a compromised password can set it "
        "straight back. Remembering 24 previous passwords makes cycling back impractical."
    ),
    remediation=REMEDIATION,
    remediation_cli=FULL_POLICY_CLI,
    references=(POLICY_DOC, SECURITY_HUB_IAM_DOC),
    cis_7=("2.9",),
    cis_5=("1.8",),
    fsbp=("IAM.16",),
)
def password_reuse(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when fewer than the threshold's previous passwords are remembered."""
    policy, default = _policy(snap)
    want = ctx.thresholds.password_reuse
    have = policy.password_reuse_prevention or 0
    what = f"the last {have} passwords" if have else "no previous passwords"
    yield _at_least(
        snap,
        default,
        have,
        want,
        f"Password reuse prevention remembers {what}; at least {want} are required.",
        password_reuse_prevention=have,
    )


@check(
    id="PWD-004",
    slug="password-complexity",
    title="The password policy requires uppercase, lowercase, numbers and symbols",
    severity=Severity.LOW,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.PASSWORD_POLICY},
    rationale=(
        "Requiring every character class stops the shortest dictionary passwords. It "
        "matters less than length, but Security Hub checks each class separately."
    ),
    remediation=REMEDIATION,
    remediation_cli=FULL_POLICY_CLI,
    references=(POLICY_DOC, SECURITY_HUB_IAM_DOC),
    fsbp=("IAM.11", "IAM.12", "IAM.13", "IAM.14"),
)
def password_complexity(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when any of the four character classes is not required."""
    policy, default = _policy(snap)
    classes = {
        "uppercase letters": policy.require_uppercase_characters,
        "lowercase letters": policy.require_lowercase_characters,
        "numbers": policy.require_numbers,
        "symbols": policy.require_symbols,
    }
    missing = [name for name, required in classes.items() if not required]
    evidence = {"not_required": missing, "default_policy": default}
    if not missing:
        yield account_result(
            snap,
            Status.PASS,
            "Passwords must contain uppercase letters, lowercase letters, numbers and symbols.",
            **evidence,
        )
        return
    yield account_result(
        snap,
        Status.FAIL,
        _judged(default, f"Passwords need not contain {_either(missing)}."),
        **evidence,
    )


@check(
    id="PWD-005",
    slug="password-expiry",
    title="Passwords expire within 90 days",
    severity=Severity.INFO,
    resource_type=ResourceType.ACCOUNT,
    needs={Source.PASSWORD_POLICY},
    rationale=(
        "Expiry limits how long a leaked password stays valid. Current NIST guidance prefers "
        "MFA and breach screening over forced rotation, hence the informational severity."
    ),
    remediation=REMEDIATION,
    remediation_cli=FULL_POLICY_CLI,
    references=(POLICY_DOC, SECURITY_HUB_IAM_DOC),
    fsbp=("IAM.17",),
)
def password_expiry(snap: Snapshot, ctx: CheckContext) -> Iterator[Result]:
    """FAIL when passwords never expire or expire later than the threshold."""
    policy, default = _policy(snap)
    limit = ctx.thresholds.password_max_age_days
    age = policy.max_password_age if policy.max_password_age else None
    evidence = {"max_password_age": age, "limit_days": limit, "default_policy": default}
    if age is not None:
        yield account_result(
            snap,
            Status.PASS if age <= limit else Status.FAIL,
            f"Passwords expire after {age} days; the limit is {limit}.",
            **evidence,
        )
    else:
        yield account_result(
            snap,
            Status.FAIL,
            _judged(default, f"Passwords never expire; the limit is {limit} days."),
            **evidence,
        )
