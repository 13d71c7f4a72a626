"""ROLE-006..ROLE-010: OIDC, EKS, Cognito and SAML federation, table by table."""

from __future__ import annotations

import pytest

from auditor.model import Status
from checks.trust_cases import (
    BUILDKITE,
    CIRCLECI,
    COGNITO,
    COGNITO_POOL,
    EKS,
    EXACT_SUBJECTS,
    GENERIC,
    GITHUB,
    GITLAB,
    SAML_AUD,
    TERRAFORM,
    Case,
    aud,
    case,
    judge,
    merge,
    pin_forms,
    provider,
    run_case,
    saml,
    sub,
    trust,
    web,
)

# --- ROLE-006 / ROLE-007 / ROLE-008: OIDC ----------------------------------------------------

ROLE_006 = [
    case(
        trust(web(provider(GITHUB), aud(GITHUB))),
        Status.FAIL,
        "github-no-sub",
        detail=(f"{GITHUB}:sub is not pinned",),
    ),
    *[
        case(
            trust(web(provider(GITHUB), merge(aud(GITHUB), sub(GITHUB, v, "StringLike")))),
            Status.FAIL,
            f"github-{v}",
            detail=("a wildcard owner",),
        )
        for v in ("*", "repo:*", "repo:*/*", "repo:ac*/app:*")
    ],
    case(
        trust(web(provider(GITLAB), aud(GITLAB, "https://gitlab.com"))),
        Status.FAIL,
        "gitlab-no-sub",
    ),
    case(
        trust(web(provider(GITLAB), sub(GITLAB, "project_path:*", "StringLike"))),
        Status.FAIL,
        "gitlab-any-project",
    ),
    case(trust(web(provider("gitlab.acme.internal"))), Status.FAIL, "gitlab-self-hosted-no-sub"),
    case(trust(web(provider(TERRAFORM))), Status.FAIL, "terraform-no-sub"),
    case(
        trust(web(provider(TERRAFORM), sub(TERRAFORM, "organization:*", "StringLike"))),
        Status.FAIL,
        "terraform-any-org",
    ),
    case(trust(web(provider(BUILDKITE))), Status.FAIL, "buildkite-no-sub"),
    case(trust(web(provider(GENERIC), aud(GENERIC, "client-1"))), Status.FAIL, "generic-no-sub"),
    case(
        trust(web(provider(GENERIC), sub(GENERIC, "*", "StringLike"))),
        Status.FAIL,
        "generic-any-sub",
    ),
    case(trust(web("accounts.google.com")), Status.FAIL, "google-no-sub"),
    *[
        case(
            trust(web(provider(host), merge(sub(host, value), aud(host)))),
            Status.PASS,
            f"{host.split('.')[0]}-pinned",
        )
        for host, value in EXACT_SUBJECTS.items()
    ],
    case(
        trust(web(provider(GITHUB), sub(GITHUB, "repo:acme/*", "StringLike"))),
        Status.PASS,
        "github-owner-wide-is-role-007s",
    ),
    case(trust(web(provider(CIRCLECI))), Status.PASS, "circleci-issuer-pins-the-org"),
    case(trust(web(provider(EKS))), Status.PASS, "eks-is-role-008s"),
    case(trust(web(COGNITO)), Status.PASS, "cognito-is-role-009s"),
    case(trust(saml()), Status.PASS, "saml-is-role-010s"),
    case(trust({**web(provider(GITHUB)), "Effect": "Deny"}), Status.PASS, "deny"),
    *pin_forms(
        lambda c: web(provider(GITHUB), c),
        f"{GITHUB}:sub",
        "repo:acme/app:environment:prod",
        wildcard="repo:*",
        base=aud(GITHUB),
        prefix="github-sub-",
    ),
]


@pytest.mark.parametrize("c", ROLE_006)
def test_role_006_oidc_no_sub(c: Case) -> None:
    run_case("ROLE-006", c)


ROLE_007 = [
    case(
        trust(web(provider(GITHUB), merge(aud(GITHUB), sub(GITHUB, "repo:acme/*", "StringLike")))),
        Status.FAIL,
        "github-whole-owner",
        detail=("every repository of one owner",),
        evidence={"subject_breadth": "owner"},
    ),
    case(
        trust(
            web(provider(GITHUB), merge(aud(GITHUB), sub(GITHUB, "repo:acme/app:*", "StringLike")))
        ),
        Status.FAIL,
        "github-any-branch",
        detail=("any branch",),
    ),
    case(
        trust(
            web(
                provider(GITHUB),
                merge(aud(GITHUB), sub(GITHUB, "repo:acme/app:ref:refs/heads/*", "StringLike")),
            )
        ),
        Status.FAIL,
        "github-any-ref",
    ),
    case(
        trust(
            web(
                provider(GITLAB),
                merge(aud(GITLAB), sub(GITLAB, "project_path:acme/*", "StringLike")),
            )
        ),
        Status.FAIL,
        "gitlab-whole-group",
    ),
    case(
        trust(
            web(
                provider(TERRAFORM),
                merge(
                    aud(TERRAFORM, "aws.workload.identity"),
                    sub(
                        TERRAFORM,
                        "organization:acme:project:core:workspace:prod:run_phase:*",
                        "StringLike",
                    ),
                ),
            )
        ),
        Status.FAIL,
        "terraform-any-run-phase",
    ),
    case(
        trust(
            web(
                provider(BUILDKITE),
                merge(aud(BUILDKITE), sub(BUILDKITE, "organization:acme:pipeline:*", "StringLike")),
            )
        ),
        Status.FAIL,
        "buildkite-any-pipeline",
    ),
    case(
        trust(web(provider(CIRCLECI), aud(CIRCLECI, "5b1d4d3c-0a7e-4c2f-9a49-1c3f0e7d8a21"))),
        Status.FAIL,
        "circleci-no-sub-is-org-wide",
        detail=("every project of the organization",),
    ),
    case(
        trust(
            web(
                provider(CIRCLECI),
                merge(aud(CIRCLECI, "x"), sub(CIRCLECI, "org/o/project/p/user/*", "StringLike")),
            )
        ),
        Status.FAIL,
        "circleci-any-user",
    ),
    case(
        trust(
            web(
                provider(EKS),
                merge(aud(EKS), sub(EKS, "system:serviceaccount:payments:*", "StringLike")),
            )
        ),
        Status.FAIL,
        "eks-whole-namespace",
    ),
    case(
        trust(web(provider(EKS), sub(EKS, "system:serviceaccount:payments:api"))),
        Status.FAIL,
        "eks-no-aud",
    ),
    case(
        trust(
            web(
                provider(GENERIC),
                merge(aud(GENERIC, "client-1"), sub(GENERIC, "svc-*", "StringLike")),
            )
        ),
        Status.FAIL,
        "generic-partly-wildcarded",
    ),
    *[
        case(
            trust(web(provider(host), merge(sub(host, value), aud(host)))),
            Status.PASS,
            f"{host.split('.')[0]}-pinned",
        )
        for host, value in {**EXACT_SUBJECTS, EKS: "system:serviceaccount:payments:api"}.items()
    ],
    case(
        trust(web(provider(GITHUB), aud(GITHUB))),
        Status.PASS,
        "github-no-sub-is-role-006s",
    ),
    case(trust(web(COGNITO)), Status.PASS, "cognito-not-judged"),
    case(trust(saml()), Status.PASS, "saml-not-judged"),
    *pin_forms(
        lambda c: web(provider(GITHUB), c),
        f"{GITHUB}:aud",
        "sts.amazonaws.com",
        base=sub(GITHUB, "repo:acme/app:environment:prod"),
        prefix="github-aud-",
    ),
]


@pytest.mark.parametrize("c", ROLE_007)
def test_role_007_oidc_broad_sub(c: Case) -> None:
    run_case("ROLE-007", c)


def test_role_007_suggests_one_repository_environment_and_audience() -> None:
    doc = trust(web(provider(GITHUB), sub(GITHUB, "repo:acme/*", "StringLike")))
    (r,) = judge("ROLE-007", doc)
    assert r.evidence["missing_condition"] == f"{GITHUB}:aud"
    assert r.evidence["suggested_statement"]["Condition"] == {
        "StringEquals": {
            f"{GITHUB}:sub": "repo:<OWNER>/<REPO>:environment:<ENVIRONMENT>",
            f"{GITHUB}:aud": "sts.amazonaws.com",
        }
    }


ROLE_008 = [
    case(trust(web(provider(EKS), aud(EKS))), Status.FAIL, "no-sub", detail=("any pod",)),
    *[
        case(
            trust(web(provider(EKS), merge(aud(EKS), sub(EKS, v, "StringLike")))),
            Status.FAIL,
            f"sub-{v}",
        )
        for v in ("system:serviceaccount:*", "system:*", "*")
    ],
    case(
        trust(web(provider("oidc.eks.cn-north-1.amazonaws.com.cn/id/ABC"))),
        Status.FAIL,
        "china-region",
    ),
    case(
        trust(
            web(
                provider(EKS),
                merge(aud(EKS), sub(EKS, "system:serviceaccount:payments:*", "StringLike")),
            )
        ),
        Status.PASS,
        "namespace-is-role-007s",
    ),
    case(trust(web(provider(GITHUB))), Status.PASS, "not-eks"),
    *pin_forms(
        lambda c: web(provider(EKS), c),
        f"{EKS}:sub",
        "system:serviceaccount:payments:api",
        wildcard="system:serviceaccount:*",
        base=aud(EKS),
        prefix="sub-",
    ),
]


@pytest.mark.parametrize("c", ROLE_008)
def test_role_008_eks_irsa_sub(c: Case) -> None:
    run_case("ROLE-008", c)


# --- ROLE-009 / ROLE-010 ---------------------------------------------------------------------

AMR = {"ForAnyValue:StringLike": {f"{COGNITO}:amr": "authenticated"}}

ROLE_009 = [
    case(trust(web(COGNITO, AMR)), Status.FAIL, "amr-only", detail=("any identity pool",)),
    case(
        trust(web(COGNITO, merge(AMR, {"StringEquals": {f"{COGNITO}:aud": "us-east-1:*"}}))),
        Status.FAIL,
        "any-pool-of-a-region",
    ),
    case(trust(web(provider(GITHUB))), Status.PASS, "not-cognito"),
    *pin_forms(lambda c: web(COGNITO, c), f"{COGNITO}:aud", COGNITO_POOL, base=AMR, prefix="aud-"),
]


@pytest.mark.parametrize("c", ROLE_009)
def test_role_009_cognito_no_aud(c: Case) -> None:
    run_case("ROLE-009", c)


ROLE_010 = [
    case(trust(saml()), Status.FAIL, "no-aud", detail=("okta",)),
    case(trust(web(COGNITO)), Status.PASS, "not-saml"),
    *pin_forms(saml, "SAML:aud", SAML_AUD, wildcard="https://*", prefix="aud-"),
]


@pytest.mark.parametrize("c", ROLE_010)
def test_role_010_saml_no_aud(c: Case) -> None:
    run_case("ROLE-010", c)


def test_role_010_suggests_the_partition_sign_in_endpoint() -> None:
    (r,) = judge("ROLE-010", trust(saml()))
    assert r.evidence["suggested_statement"]["Condition"] == {
        "StringEquals": {"SAML:aud": SAML_AUD}
    }
