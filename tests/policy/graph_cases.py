"""The attack-path table: small accounts and the exact path (or none) each start must get.

A path is written as its hops, ``"reason>target"`` each (``admin`` for the sink). A rewrite
hop that makes another principal an administrator adds ``@subject``; a hop whose source is
not the previous hop's target (a rewrite needing two footholds) starts with ``source:``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from factories import (
    ACCOUNT,
    ADMIN_DOC,
    READ_ONLY_DOC,
    ROOT_ARN,
    arn,
    aws_policy_arn,
    document,
    group,
    inline,
    oidc,
    policy,
    role,
    saml,
    snapshot,
    statement,
    user,
)

from auditor.snapshot import Snapshot

ADMIN = policy("AdministratorAccess", ADMIN_DOC, aws_managed=True)
READ_ONLY = policy("ReadOnlyAccess", READ_ONLY_DOC, aws_managed=True)
VENDOR = "444455556666"
GITHUB = "token.actions.githubusercontent.com"
GITHUB_ARN = arn("oidc-provider", GITHUB)
OKTA_ARN = arn("saml-provider", "okta")
LAMBDA_CODE = ["lambda:CreateFunction", "lambda:InvokeFunction"]

Doc = dict[str, Any]


def trust(*statements: Doc) -> Doc:
    """A trust policy document."""
    return document(*statements)


def admits(
    principal: Any,
    *,
    action: str | list[str] = "sts:AssumeRole",
    condition: Mapping[str, Any] | None = None,
) -> Doc:
    """One trust statement admitting ``principal``."""
    out: Doc = {"Effect": "Allow", "Principal": principal, "Action": action}
    if condition is not None:
        out["Condition"] = condition
    return out


ROOT_TRUST = trust(admits({"AWS": ROOT_ARN}))
LAMBDA_TRUST = trust(admits({"Service": "lambda.amazonaws.com"}))
EC2_TRUST = trust(admits({"Service": "ec2.amazonaws.com"}))


def p(name: str, *statements: Doc) -> Any:
    """An inline policy of ``statements``."""
    return inline(name, document(*statements))


def admin_role(name: str, doc: Doc = ROOT_TRUST) -> Any:
    """An admin-equivalent role with trust ``doc``."""
    return role(name, policies=[ADMIN], trust=doc)


def assumes(target: str = "*", **kw: Any) -> Doc:
    """Allow sts:AssumeRole on role ``target`` (a name or ``*``)."""
    return statement("sts:AssumeRole", "*" if target == "*" else arn("role", target), **kw)


def passes(target: str, actions: list[str] | None = None, **kw: Any) -> list[Doc]:
    """Allow iam:PassRole on role ``target`` and the Lambda create-and-invoke method."""
    return [
        statement("iam:PassRole", "*" if target == "*" else arn("role", target), **kw),
        statement(actions if actions is not None else LAMBDA_CODE, "*"),
    ]


def snap(*principals: Any, policies: list[Any] | None = None, **parts: Any) -> Snapshot:
    """A snapshot of these users, roles and groups (AdministratorAccess always collected)."""
    from auditor.snapshot import Group, Role, User

    return snapshot(
        users=[x for x in principals if isinstance(x, User)],
        roles=[x for x in principals if isinstance(x, Role)],
        groups=[x for x in principals if isinstance(x, Group)],
        policies=[ADMIN, READ_ONLY, *(policies or [])],
        **parts,
    )


@dataclass(frozen=True)
class Case:
    """One account, one start, the expected path (None: no path)."""

    id: str
    build: Callable[[], Snapshot]
    start: str
    expect: tuple[str, ...] | None
    certain: bool = True
    undecided: str | None = None  # a fragment some undecided condition must contain
    note: str | None = None  # a fragment some hop's note must contain


def _c(
    id: str, build: Callable[[], Snapshot], start: str, expect: tuple[str, ...] | None, **kw: Any
) -> Case:
    return Case(id, build, start, expect, **kw)


def _alice_may_on_admin_bob(action: str) -> Callable[[], Snapshot]:
    """Alice allowed ``action`` on the admin user bob: a credential or password takeover."""
    return lambda: snap(
        user("alice", inline_policies=[p("k", statement(action, arn("user", "bob")))]),
        user("bob", policies=[ADMIN]),
    )


def _alice_holds_team_a_and_may(action: str, policies: str) -> Callable[[], Snapshot]:
    """Alice holds the customer policy team-a and may ``action`` on policies ``policies``."""
    team_a = policy("team-a", READ_ONLY_DOC)
    return lambda: snap(
        user(
            "alice",
            policies=[team_a],
            inline_policies=[p("v", statement(action, arn("policy", policies)))],
        ),
        policies=[team_a],
    )


# --- edge kinds --------------------------------------------------------------------------

EDGE_KINDS = [
    _c(
        "assume-role-through-root-trust",
        lambda: snap(user("alice", inline_policies=[p("a", assumes("ops"))]), admin_role("ops")),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "trust-naming-the-user-needs-no-identity-policy",
        lambda: snap(
            user("alice"), admin_role("ops", trust(admits({"AWS": arn("user", "alice")})))
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "trust-naming-a-role-still-needs-its-identity-policy",
        lambda: snap(role("ci"), admin_role("ops", trust(admits({"AWS": arn("role", "ci")})))),
        "ci",
        None,
    ),
    _c(
        "trust-naming-a-role-with-its-identity-policy",
        lambda: snap(
            role("ci", inline_policies=[p("a", assumes("ops"))]),
            admin_role("ops", trust(admits({"AWS": arn("role", "ci")}))),
        ),
        "ci",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "pass-role-to-lambda",
        lambda: snap(
            user("dev", inline_policies=[p("d", *passes("fn-admin"))]),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        ("pass-role>fn-admin", "admin-equivalent>admin"),
    ),
    _c(
        "existing-compute-is-kept-but-uncertain",
        lambda: snap(
            user("dev", inline_policies=[p("d", statement("lambda:UpdateFunctionCode"))]),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        ("existing-compute>fn-admin", "admin-equivalent>admin"),
        certain=False,
        note="existing lambda.amazonaws.com resource",
    ),
    *[
        _c(
            f"{reason}-for-an-admin-user",
            _alice_may_on_admin_bob(action),
            "alice",
            (f"{reason}>bob", "admin-equivalent>admin"),
        )
        for reason, action in [
            ("create-access-key", "iam:CreateAccessKey"),
            ("create-login-profile", "iam:CreateLoginProfile"),
            ("update-login-profile", "iam:UpdateLoginProfile"),
        ]
    ],
    _c(
        "update-assume-role-policy-of-an-admin-role",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p("t", statement("iam:UpdateAssumeRolePolicy", arn("role", "ops")))
                ],
            ),
            admin_role("ops", EC2_TRUST),
        ),
        "alice",
        ("update-assume-role-policy>ops", "admin-equivalent>admin"),
    ),
    _c(
        "join-a-group-that-can-pass-an-admin-role",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p("j", statement("iam:AddUserToGroup", arn("group", "deployers")))
                ],
            ),
            group("deployers", inline_policies=[p("d", *passes("fn-admin"))]),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "alice",
        ("add-user-to-group>deployers", "pass-role>fn-admin", "admin-equivalent>admin"),
    ),
    _c(
        "join-an-admin-group",
        lambda: snap(
            user(
                "alice",
                inline_policies=[p("j", statement("iam:AddUserToGroup", arn("group", "admins")))],
            ),
            group("admins", policies=[ADMIN]),
        ),
        "alice",
        ("add-user-to-group>admin",),
        note="group admins",
    ),
    _c(
        "attach-a-policy-to-itself",
        lambda: snap(
            user(
                "alice",
                inline_policies=[p("s", statement("iam:AttachUserPolicy", arn("user", "alice")))],
            )
        ),
        "alice",
        ("attach-policy>admin",),
    ),
    _c(
        "role-puts-an-inline-policy-on-itself",
        lambda: snap(
            role(
                "ops", inline_policies=[p("s", statement("iam:PutRolePolicy", arn("role", "ops")))]
            )
        ),
        "ops",
        ("put-policy>admin",),
    ),
    _c(
        "policy-version-of-a-policy-it-holds",
        _alice_holds_team_a_and_may("iam:CreatePolicyVersion", "team-*"),
        "alice",
        ("policy-version>admin",),
    ),
    _c(
        "set-default-policy-version-needs-an-unseen-version",
        _alice_holds_team_a_and_may("iam:SetDefaultPolicyVersion", "team-a"),
        "alice",
        ("policy-version>admin",),
        certain=False,
    ),
    _c(
        "delete-its-own-permissions-boundary",
        lambda: snap(
            user(
                "alice",
                policies=[ADMIN],
                boundary=policy(
                    "limit", document(statement(["s3:*", "iam:DeleteUserPermissionsBoundary"]))
                ),
            ),
            policies=[
                policy("limit", document(statement(["s3:*", "iam:DeleteUserPermissionsBoundary"])))
            ],
        ),
        "alice",
        ("delete-permissions-boundary>admin",),
    ),
]

# --- rewrites needing a second foothold --------------------------------------------------

REWRITES = [
    _c(
        "rewrite-a-role-it-can-assume",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p("a", assumes("ops"), statement("iam:AttachRolePolicy", arn("role", "ops")))
                ],
            ),
            role("ops", trust=ROOT_TRUST),
        ),
        "alice",
        ("assume-role>ops", "alice:attach-policy>admin@ops"),
    ),
    _c(
        "a-role-it-reaches-rewrites-it-back",
        lambda: snap(
            user("bob", inline_policies=[p("a", assumes("fixer"))]),
            role(
                "fixer",
                trust=ROOT_TRUST,
                inline_policies=[p("f", statement("iam:PutUserPolicy", arn("user", "bob")))],
            ),
        ),
        "bob",
        ("assume-role>fixer", "put-policy>admin@bob"),
    ),
    _c(
        "two-footholds-from-one-start",
        lambda: snap(
            user(
                "carol",
                inline_policies=[
                    p(
                        "k",
                        statement(
                            "iam:CreateAccessKey", [arn("user", "dave"), arn("user", "erin")]
                        ),
                    )
                ],
            ),
            user(
                "dave",
                inline_policies=[p("w", statement("iam:AttachUserPolicy", arn("user", "erin")))],
            ),
            user("erin"),
        ),
        "carol",
        ("create-access-key>dave", "carol:create-access-key>erin", "dave:attach-policy>admin@erin"),
    ),
    _c(
        "policy-version-of-a-policy-a-reachable-role-holds",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "a",
                        assumes("ops"),
                        statement("iam:CreatePolicyVersion", arn("policy", "ops-policy")),
                    )
                ],
            ),
            role("ops", trust=ROOT_TRUST, policies=[policy("ops-policy")]),
            policies=[policy("ops-policy")],
        ),
        "alice",
        ("assume-role>ops", "alice:policy-version>admin@ops"),
    ),
    _c(
        "group-policy-rewrite-reaches-its-members",
        lambda: snap(
            user(
                "alice",
                groups=["devs"],
                inline_policies=[p("g", statement("iam:PutGroupPolicy", arn("group", "devs")))],
            ),
            group("devs"),
        ),
        "alice",
        ("put-policy>admin",),
        note="through group devs",
    ),
]

# --- look-alikes that must not make a path -----------------------------------------------

LOOK_ALIKES = [
    _c(
        "assume-role-allowed-but-the-trust-admits-someone-else",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("ops"))]),
            user("bob"),
            admin_role("ops", trust(admits({"AWS": arn("user", "bob")}))),
        ),
        "alice",
        None,
    ),
    _c(
        "root-trust-without-an-identity-policy",
        lambda: snap(user("alice"), admin_role("ops")),
        "alice",
        None,
    ),
    _c(
        "pass-role-of-a-role-that-is-not-privileged",
        lambda: snap(
            user("dev", inline_policies=[p("d", *passes("fn-reader"))]),
            role("fn-reader", trust=LAMBDA_TRUST, policies=[READ_ONLY]),
        ),
        "dev",
        None,
    ),
    _c(
        "pass-role-of-an-admin-role-that-does-not-trust-the-service",
        lambda: snap(
            user("dev", inline_policies=[p("d", *passes("ops"))]), admin_role("ops", EC2_TRUST)
        ),
        "dev",
        None,
    ),
    _c(
        "pass-role-without-a-way-to-run-code",
        lambda: snap(
            user("dev", inline_policies=[p("d", *passes("fn-admin", ["lambda:CreateFunction"]))]),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        None,
    ),
    _c(
        "policy-version-of-a-policy-nobody-holds",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p("v", statement("iam:CreatePolicyVersion", arn("policy", "team-*")))
                ],
            ),
            policies=[policy("team-x", attachments=0)],
        ),
        "alice",
        None,
    ),
    _c(
        "aws-managed-policies-cannot-be-rewritten",
        lambda: snap(
            user(
                "alice",
                policies=[READ_ONLY],
                inline_policies=[
                    p("v", statement("iam:CreatePolicyVersion", "arn:aws:iam::aws:policy/*"))
                ],
            )
        ),
        "alice",
        None,
    ),
    _c(
        "self-service-access-keys-only-reach-itself",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "k",
                        statement(
                            "iam:CreateAccessKey", f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}"
                        ),
                    )
                ],
            ),
            user("bob", policies=[ADMIN]),
        ),
        "alice",
        None,
    ),
    _c(
        "a-cycle-of-roles-without-an-exit-terminates",
        lambda: snap(
            role("a", trust=ROOT_TRUST, inline_policies=[p("x", assumes("b"))]),
            role("b", trust=ROOT_TRUST, inline_policies=[p("x", assumes("a"))]),
        ),
        "a",
        None,
    ),
    _c(
        "oidc-trust-granting-only-sts-assume-role-admits-no-token",
        lambda: snap(admin_role("deploy", trust(admits({"Federated": GITHUB_ARN})))),
        f"oidc:{GITHUB_ARN}|",
        None,
    ),
]

# --- resources ---------------------------------------------------------------------------

RESOURCES = [
    _c(
        "pass-role-pattern-that-covers-the-admin-role",
        lambda: snap(
            user("dev", inline_policies=[p("d", *passes("fn-*"))]),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        ("pass-role>fn-admin", "admin-equivalent>admin"),
    ),
    _c(
        "pass-role-pattern-that-misses-the-admin-role",
        lambda: snap(
            user("dev", inline_policies=[p("d", *passes("app-*"))]),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        None,
    ),
    _c(
        "not-resource-excluding-the-admin-role",
        lambda: snap(
            user(
                "dev",
                inline_policies=[
                    p(
                        "d",
                        {
                            "Effect": "Allow",
                            "Action": "iam:PassRole",
                            "NotResource": arn("role", "fn-admin"),
                        },
                        statement(LAMBDA_CODE),
                    )
                ],
            ),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        None,
    ),
    _c(
        "not-resource-excluding-another-role",
        lambda: snap(
            user(
                "dev",
                inline_policies=[
                    p(
                        "d",
                        {
                            "Effect": "Allow",
                            "Action": "iam:PassRole",
                            "NotResource": arn("role", "other"),
                        },
                        statement(LAMBDA_CODE),
                    )
                ],
            ),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        ("pass-role>fn-admin", "admin-equivalent>admin"),
    ),
]

# --- conditions --------------------------------------------------------------------------


def _dev_passes_to(service: str) -> Callable[[], Snapshot]:
    """Dev may pass the Lambda-trusted admin role only when iam:PassedToService is ``service``."""
    condition = {"StringEquals": {"iam:PassedToService": service}}
    return lambda: snap(
        user("dev", inline_policies=[p("d", *passes("fn-admin", condition=condition))]),
        admin_role("fn-admin", LAMBDA_TRUST),
    )


SOURCE_IP = {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}
CONDITIONS = [
    _c(
        "passed-to-service-naming-the-service-used",
        _dev_passes_to("lambda.amazonaws.com"),
        "dev",
        ("pass-role>fn-admin", "admin-equivalent>admin"),
    ),
    _c(
        "passed-to-service-naming-another-service",
        _dev_passes_to("ec2.amazonaws.com"),
        "dev",
        None,
    ),
    _c(
        "source-ip-is-undecided-and-flagged",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("ops", condition=SOURCE_IP))]),
            admin_role("ops"),
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
        certain=False,
        undecided="aws:sourceip",
    ),
    _c(
        "mfa-is-undecided-and-flagged",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "a",
                        assumes("ops", condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}),
                    )
                ],
            ),
            admin_role("ops"),
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
        certain=False,
        undecided="aws:multifactorauthpresent",
    ),
    _c(
        "request-tag-the-caller-sets-itself",
        lambda: snap(
            user(
                "dev",
                inline_policies=[
                    p(
                        "d",
                        statement("iam:PassRole", arn("role", "fn-admin")),
                        statement("lambda:InvokeFunction"),
                        statement(
                            "lambda:CreateFunction",
                            condition={"StringEquals": {"aws:RequestTag/team": "x"}},
                        ),
                    )
                ],
            ),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        ("pass-role>fn-admin", "admin-equivalent>admin"),
    ),
    _c(
        "request-tag-on-an-iam-action-that-takes-no-tags",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "s",
                        statement(
                            "iam:AttachUserPolicy",
                            arn("user", "alice"),
                            condition={"StringEquals": {"aws:RequestTag/team": "x"}},
                        ),
                    )
                ],
            )
        ),
        "alice",
        None,
    ),
    _c(
        "string-like-star-on-a-key-always-present",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p("a", assumes("ops", condition={"StringLike": {"aws:SourceIp": "*"}}))
                ],
            ),
            admin_role("ops"),
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "for-all-values-on-tags-an-iam-action-never-carries",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "s",
                        statement(
                            "iam:AttachUserPolicy",
                            arn("user", "alice"),
                            condition={"ForAllValues:StringEquals": {"aws:TagKeys": ["team"]}},
                        ),
                    )
                ],
            )
        ),
        "alice",
        ("attach-policy>admin",),
    ),
    _c(
        "policy-arn-held-to-a-read-only-policy",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "s",
                        statement(
                            "iam:AttachUserPolicy",
                            arn("user", "alice"),
                            condition={
                                "ArnEquals": {"iam:PolicyARN": aws_policy_arn("ReadOnlyAccess")}
                            },
                        ),
                    )
                ],
            )
        ),
        "alice",
        None,
    ),
    _c(
        "policy-arn-allowing-administrator-access",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "s",
                        statement(
                            "iam:AttachUserPolicy",
                            arn("user", "alice"),
                            condition={
                                "ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/Admin*"}
                            },
                        ),
                    )
                ],
            )
        ),
        "alice",
        ("attach-policy>admin",),
    ),
    _c(
        "principal-arn-condition-naming-the-caller",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "a",
                        assumes(
                            "ops",
                            condition={"ArnEquals": {"aws:PrincipalArn": arn("user", "alice")}},
                        ),
                    )
                ],
            ),
            admin_role("ops"),
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "principal-arn-condition-naming-someone-else",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "a",
                        assumes(
                            "ops", condition={"ArnEquals": {"aws:PrincipalArn": arn("user", "bob")}}
                        ),
                    )
                ],
            ),
            admin_role("ops"),
        ),
        "alice",
        None,
    ),
]

# --- denies and boundaries ---------------------------------------------------------------

DENIES = [
    _c(
        "explicit-deny-on-the-role-cuts-the-edge",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "a",
                        assumes("*"),
                        statement("sts:AssumeRole", arn("role", "ops"), effect="Deny"),
                    )
                ],
            ),
            admin_role("ops"),
        ),
        "alice",
        None,
    ),
    _c(
        "conditional-deny-does-not-cut",
        lambda: snap(
            user(
                "alice",
                inline_policies=[
                    p(
                        "a",
                        assumes("*"),
                        statement(
                            "sts:AssumeRole", arn("role", "ops"), effect="Deny", condition=SOURCE_IP
                        ),
                    )
                ],
            ),
            admin_role("ops"),
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "deny-forced-by-passed-to-service",
        lambda: snap(
            user(
                "dev",
                inline_policies=[
                    p(
                        "d",
                        *passes("*"),
                        statement(
                            "iam:PassRole",
                            effect="Deny",
                            condition={
                                "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}
                            },
                        ),
                    )
                ],
            ),
            admin_role("fn-admin", LAMBDA_TRUST),
        ),
        "dev",
        None,
    ),
    _c(
        "deny-star-cancels-the-admin-grant",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("ops"))]),
            role(
                "ops",
                trust=ROOT_TRUST,
                policies=[ADMIN],
                inline_policies=[p("q", statement("*", effect="Deny"))],
            ),
        ),
        "alice",
        None,
    ),
    _c(
        "boundary-without-sts-cuts-the-edge",
        lambda: snap(
            user(
                "alice",
                inline_policies=[p("a", assumes("ops"))],
                boundary=policy("s3-only", document(statement("s3:*"))),
            ),
            admin_role("ops"),
            policies=[policy("s3-only", document(statement("s3:*")))],
        ),
        "alice",
        None,
    ),
    _c(
        "boundary-allowing-sts-keeps-the-edge",
        lambda: snap(
            user(
                "alice",
                inline_policies=[p("a", assumes("ops"))],
                boundary=policy("sts", document(statement("sts:*"))),
            ),
            admin_role("ops"),
            policies=[policy("sts", document(statement("sts:*")))],
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "boundary-makes-a-self-attach-useless",
        lambda: snap(
            user(
                "alice",
                inline_policies=[p("s", statement("iam:AttachUserPolicy", arn("user", "alice")))],
                boundary=policy("b", document(statement(["s3:*", "iam:AttachUserPolicy"]))),
            ),
            policies=[policy("b", document(statement(["s3:*", "iam:AttachUserPolicy"])))],
        ),
        "alice",
        None,
    ),
    _c(
        "trust-deny-naming-the-caller",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("ops"))]),
            admin_role(
                "ops",
                trust(
                    admits({"AWS": ROOT_ARN}),
                    {
                        "Effect": "Deny",
                        "Principal": {"AWS": arn("user", "alice")},
                        "Action": "sts:AssumeRole",
                    },
                ),
            ),
        ),
        "alice",
        None,
    ),
]

# --- chains, cycles, preferences ---------------------------------------------------------

CHAINS = [
    _c(
        "four-hops-through-three-roles",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("r1"))]),
            role("r1", trust=ROOT_TRUST, inline_policies=[p("x", assumes("r2"))]),
            role("r2", trust=ROOT_TRUST, inline_policies=[p("x", assumes("r3"))]),
            admin_role("r3"),
        ),
        "alice",
        ("assume-role>r1", "assume-role>r2", "assume-role>r3", "admin-equivalent>admin"),
    ),
    _c(
        "a-cycle-with-an-exit",
        lambda: snap(
            role("a", trust=ROOT_TRUST, inline_policies=[p("x", assumes("b"))]),
            role("b", trust=ROOT_TRUST, inline_policies=[p("x", assumes("a"), assumes("c"))]),
            admin_role("c"),
        ),
        "a",
        ("assume-role>b", "assume-role>c", "admin-equivalent>admin"),
    ),
    _c(
        "the-shortest-of-two-routes",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("long"), assumes("short"))]),
            role("long", trust=ROOT_TRUST, inline_policies=[p("x", assumes("mid"))]),
            role("mid", trust=ROOT_TRUST, inline_policies=[p("x", assumes("ops"))]),
            role("short", trust=ROOT_TRUST, inline_policies=[p("x", assumes("ops"))]),
            admin_role("ops"),
        ),
        "alice",
        ("assume-role>short", "assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "a-certain-route-beats-a-shorter-doubtful-one",
        lambda: snap(
            user(
                "alice",
                inline_policies=[p("a", assumes("ops", condition=SOURCE_IP), assumes("hop"))],
            ),
            role("hop", trust=ROOT_TRUST, inline_policies=[p("x", assumes("ops"))]),
            admin_role("ops"),
        ),
        "alice",
        ("assume-role>hop", "assume-role>ops", "admin-equivalent>admin"),
    ),
]

# --- entry points ------------------------------------------------------------------------

EXTERNAL_ID = {"StringEquals": {"sts:ExternalId": "vendor-42"}}
SUB_MAIN = {
    "StringEquals": {
        f"{GITHUB}:sub": "repo:acme/app:ref:refs/heads/main",
        f"{GITHUB}:aud": "sts.amazonaws.com",
    }
}
WEB = "sts:AssumeRoleWithWebIdentity"
ENTRIES = [
    _c(
        "another-account-by-its-root",
        lambda: snap(admin_role("vendor", trust(admits({"AWS": f"arn:aws:iam::{VENDOR}:root"})))),
        f"account:{VENDOR}",
        ("assume-role>vendor", "admin-equivalent>admin"),
    ),
    _c(
        "another-account-with-an-external-id",
        lambda: snap(admin_role("vendor", trust(admits({"AWS": VENDOR}, condition=EXTERNAL_ID)))),
        f"account:{VENDOR}",
        ("assume-role>vendor", "admin-equivalent>admin"),
        note="does not stop the trusted account",
    ),
    _c(
        "another-account-by-a-role-arn-in-it",
        lambda: snap(
            admin_role("vendor", trust(admits({"AWS": f"arn:aws:iam::{VENDOR}:role/ci"})))
        ),
        f"account:{VENDOR}",
        ("assume-role>vendor", "admin-equivalent>admin"),
    ),
    _c(
        "github-repository-with-a-pinned-subject",
        lambda: snap(
            admin_role(
                "deploy", trust(admits({"Federated": GITHUB_ARN}, action=WEB, condition=SUB_MAIN))
            ),
            oidc_providers=(oidc(GITHUB),),
        ),
        "token.actions.githubusercontent.com (sub repo:acme/app:ref:refs/heads/main)",
        ("assume-role>deploy", "admin-equivalent>admin"),
    ),
    _c(
        "github-without-a-subject-admits-any-repository",
        lambda: snap(
            admin_role("deploy", trust(admits({"Federated": GITHUB_ARN}, action=WEB))),
            oidc_providers=(oidc(GITHUB),),
        ),
        "token.actions.githubusercontent.com (any subject)",
        ("assume-role>deploy", "admin-equivalent>admin"),
    ),
    _c(
        "oidc-provider-not-registered-is-flagged",
        lambda: snap(
            admin_role("deploy", trust(admits({"Federated": GITHUB_ARN}, action=WEB))),
            oidc_providers=(),
        ),
        "token.actions.githubusercontent.com (any subject)",
        ("assume-role>deploy", "admin-equivalent>admin"),
        certain=False,
        undecided="not registered",
    ),
    _c(
        "saml-provider",
        lambda: snap(
            admin_role(
                "sso", trust(admits({"Federated": OKTA_ARN}, action="sts:AssumeRoleWithSAML"))
            ),
            saml_providers=(saml("okta"),),
        ),
        "SAML okta",
        ("assume-role>sso", "admin-equivalent>admin"),
    ),
    _c(
        "wildcard-principal-admits-anyone",
        lambda: snap(admin_role("open", trust(admits("*")))),
        "*",
        ("assume-role>open", "admin-equivalent>admin"),
    ),
    _c(
        "wildcard-principal-held-to-an-organisation-is-flagged",
        lambda: snap(
            admin_role(
                "open",
                trust(
                    admits(
                        {"AWS": "*"}, condition={"StringEquals": {"aws:PrincipalOrgID": "o-abc123"}}
                    )
                ),
            )
        ),
        "*",
        ("assume-role>open", "admin-equivalent>admin"),
        certain=False,
        undecided="aws:principalorgid",
    ),
    _c(
        "wildcard-trust-still-needs-an-identity-policy-inside",
        lambda: snap(user("alice"), admin_role("open", trust(admits("*")))),
        "alice",
        None,
    ),
]

# --- trusts that read the caller, and denies in them -------------------------------------

ALI_ONLY = {"ArnLike": {"aws:PrincipalArn": arn("user", "ali*")}}
CALLERS = [
    _c(
        "caller-reading-trust-admits-the-principal-it-names",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("*"))]),
            user("bob", inline_policies=[p("a", assumes("*"))]),
            admin_role("ops", trust(admits({"AWS": ROOT_ARN}, condition=ALI_ONLY))),
        ),
        "alice",
        ("assume-role>ops", "admin-equivalent>admin"),
    ),
    _c(
        "caller-reading-trust-keeps-out-the-others",
        lambda: snap(
            user("alice", inline_policies=[p("a", assumes("*"))]),
            user("bob", inline_policies=[p("a", assumes("*"))]),
            admin_role("ops", trust(admits({"AWS": ROOT_ARN}, condition=ALI_ONLY))),
        ),
        "bob",
        None,
    ),
    _c(
        "a-deny-of-this-account-leaves-the-other-account-in",
        lambda: snap(
            admin_role(
                "vendor",
                trust(
                    admits({"AWS": VENDOR}),
                    {"Effect": "Deny", "Principal": {"AWS": ROOT_ARN}, "Action": "sts:AssumeRole"},
                ),
            )
        ),
        f"account:{VENDOR}",
        ("assume-role>vendor", "admin-equivalent>admin"),
    ),
    _c(
        "another-account-held-to-mfa-controls-its-own-mfa",
        lambda: snap(
            admin_role(
                "vendor",
                trust(
                    admits(
                        {"AWS": VENDOR}, condition={"Bool": {"aws:MultiFactorAuthPresent": "true"}}
                    )
                ),
            )
        ),
        f"account:{VENDOR}",
        ("assume-role>vendor", "admin-equivalent>admin"),
        note="MFA is required",
    ),
    _c(
        "a-boundary-still-limits-a-user-the-trust-names",
        lambda: snap(
            user("alice", boundary=policy("s3-only", document(statement("s3:*")))),
            admin_role("ops", trust(admits({"AWS": arn("user", "alice")}))),
            policies=[policy("s3-only", document(statement("s3:*")))],
        ),
        "alice",
        None,
    ),
    _c(
        "a-service-linked-role-is-never-passed",
        lambda: snap(
            user("dev", inline_policies=[p("d", *passes("*"))]),
            role(
                "AWSServiceRoleForLambdaThing",
                path="/aws-service-role/lambda.amazonaws.com/",
                policies=[ADMIN],
                trust=LAMBDA_TRUST,
            ),
        ),
        "dev",
        None,
    ),
]

CASES = [
    *EDGE_KINDS,
    *REWRITES,
    *LOOK_ALIKES,
    *RESOURCES,
    *CONDITIONS,
    *DENIES,
    *CHAINS,
    *ENTRIES,
    *CALLERS,
]
