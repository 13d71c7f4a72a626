"""Trust policies: who may assume a role, and whether its conditions really restrict them.

``read_trust`` gives one ``TrustGrant`` per principal of each ``Allow`` statement reaching an
``sts:AssumeRole*`` action (``NotPrincipal`` is read as ``"*"``). ``is_pinned`` asks whether a
key is held to a specific value by an operator a request cannot skip (``…IfExists`` and
``ForAllValues:`` never pin); ``subject_breadth`` grades OIDC subjects by provider. Nothing
here raises on an unexpected shape; ``TrustAnalysis`` reads each role's trust once per audit.
"""

from __future__ import annotations

import enum
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.names import is_account_id, is_unique_id
from auditor.policy.document import Condition, Effect, Policy, Statement, as_mapping, parse_policy
from auditor.policy.memo import ByIdentity, forget, is_cached
from auditor.snapshot import AuthorizationDetails, Role

# The actions that let a principal become the role; a statement granting none of them is not
# trust, whatever else it allows (sts:TagSession, sts:SetSourceIdentity).
ASSUME_ROLE_ACTIONS = (
    "sts:AssumeRole",
    "sts:AssumeRoleWithWebIdentity",
    "sts:AssumeRoleWithSAML",
)

# Keys that narrow "any AWS principal" to principals or resources of known accounts or
# organisations (ROLE-001); sts:ExternalId is deliberately absent: anyone can send one.
PRINCIPAL_RESTRICTING_KEYS = (
    "aws:PrincipalOrgID",
    "aws:PrincipalOrgPaths",
    "aws:PrincipalAccount",
    "aws:PrincipalArn",
    "aws:SourceAccount",
    "aws:SourceArn",
    "aws:SourceOrgID",
)
# Keys that tie a service principal to the account or resource acting for you (ROLE-005).
SOURCE_KEYS = ("aws:SourceAccount", "aws:SourceArn", "aws:SourceOrgID", "aws:SourceOrgPaths")

# Operators that hold a key to the values listed (after a ForAnyValue: prefix is stripped).
# Negated operators (StringNotEquals...) exclude values rather than pin them, and Null only
# asks that a key be present.
_PINNING_OPERATORS = frozenset(
    {
        "stringequals",
        "stringequalsignorecase",
        "stringlike",
        "arnequals",
        "arnlike",
        "bool",
        "numericequals",
    }
)
# Keys whose values are identifiers: any wildcard in them lets in identifiers nobody chose.
_ID_KEYS = frozenset(
    {
        "aws:principalaccount",
        "aws:sourceaccount",
        "aws:principalorgid",
        "aws:sourceorgid",
        "aws:resourceaccount",
        "aws:resourceorgid",
        "sts:externalid",
    }
)
_ARN_KEYS = frozenset({"aws:principalarn", "aws:sourcearn"})
_ORG_PATH_KEYS = frozenset({"aws:principalorgpaths", "aws:sourceorgpaths"})

_WILDCARD = re.compile(r"[*?]")
# An ARN whose literal prefix reaches a concrete account (or, for account-less ARNs such as
# S3 buckets, a concrete resource name): a wildcard after that still names one owner.
_OWNED_ARN_PREFIX = re.compile(r"^arn:[^:]*:[^:]*:[^:]*:(?:\d{12}:|:[^:*?/]+)")
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
# Cognito identity pool ids are "<region>:<uuid>": "us-east-1:*" is any pool of the region.
_REGION_PREFIX = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d+:")
_EKS_ISSUER = re.compile(r"^oidc\.eks\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/id/", re.IGNORECASE)


def has_wildcard(value: str) -> bool:
    """True when ``value`` contains an IAM wildcard (``*`` or ``?``)."""
    return _WILDCARD.search(value) is not None


# --- pinning -----------------------------------------------------------------------------


def pins(condition: Condition) -> bool:
    """True when ``condition`` on its own holds its key to values that each name someone.

    ``…IfExists`` and ``ForAllValues:`` operators pass when the key is absent, so they never
    pin; neither do negated operators, ``Null``, an empty value list or a wildcard value.
    """
    if condition.if_exists or (condition.set_qualifier or "").lower() == "forallvalues":
        return False
    if condition.base_operator.lower() not in _PINNING_OPERATORS:
        return False
    return bool(condition.values) and all(
        is_specific_value(condition.key, v, condition.base_operator) for v in condition.values
    )


def pinning_conditions(conditions: Iterable[Condition], key: str) -> tuple[Condition, ...]:
    """The conditions on ``key`` (case-insensitive) that pin it."""
    wanted = key.lower()
    return tuple(c for c in conditions if c.key == wanted and pins(c))


def is_pinned(conditions: Iterable[Condition], key: str) -> bool:
    """True when some condition pins ``key`` to specific values (see ``pins``).

    Conditions of one statement are all required, so one pinning condition is enough.
    """
    return bool(pinning_conditions(conditions, key))


def pinned_values(conditions: Iterable[Condition], key: str) -> tuple[str, ...]:
    """The values ``key`` is pinned to, in document order (empty when it is not pinned)."""
    out: list[str] = []
    for c in pinning_conditions(conditions, key):
        out.extend(v for v in c.values if v not in out)
    return tuple(out)


def why_not_pinned(conditions: Iterable[Condition], key: str) -> str:
    """One sentence on why ``key`` is not pinned, naming each condition that falls short."""
    wanted = key.lower()
    reasons = [_shortfall(c) for c in conditions if c.key == wanted]
    if not reasons:
        return f"no condition on {key}"
    return "; ".join(reasons)


def _shortfall(c: Condition) -> str:
    written = f"{c.operator} {c.key} {_listing(c.values)}"
    if c.if_exists:
        return f"{written} passes when the key is absent (…IfExists)"
    if (c.set_qualifier or "").lower() == "forallvalues":
        return f"{written} passes when the key is absent (ForAllValues:)"
    if c.base_operator.lower() not in _PINNING_OPERATORS:
        return f"{written} does not hold the key to specific values"
    if not c.values:
        return f"{written} lists no value"
    wild = [v for v in c.values if not is_specific_value(c.key, v, c.base_operator)]
    if wild:
        return f"{written}: {_listing(tuple(wild))} matches values nobody chose (a wildcard)"
    return f"{written} pins it"


def _listing(values: tuple[str, ...]) -> str:
    return ", ".join(json.dumps(v) for v in values) if values else "[]"


def is_specific_value(  # noqa: PLR0911 (one rule a key kind)
    key: str, value: str, operator: str = "StringEquals"
) -> bool:
    """True when ``value`` names a specific someone for condition key ``key``.

    A value without wildcards always does (an empty one never). With wildcards: an
    identifier (account, organisation, ExternalId) never does; an ARN must name a concrete
    account (``operator`` matters: ``ArnLike`` matches each colon-separated field apart,
    while a ``StringLike`` wildcard may span fields); an organisation path its organisation;
    an OIDC ``sub`` must not be open to any owner (``subject_breadth``); any other value
    must not start with a wildcard (after a URL scheme, or a region prefix as Cognito pool
    ids carry). ``operator`` is the base operator (no ``ForAnyValue:``, no ``IfExists``).
    """
    text = value.strip()
    if not text:
        return False
    if not has_wildcard(text):
        return True
    key = key.lower()
    if key in _ID_KEYS:
        return False
    if key in _ARN_KEYS:
        return _specific_arn(text, operator)
    if key in _ORG_PATH_KEYS:
        org = text.split("/", 1)[0]
        return bool(org) and not has_wildcard(org)
    if key.endswith(":sub"):
        return subject_breadth(text) < Breadth.ANY
    return not _leading_wildcard(text)


def _specific_arn(text: str, operator: str) -> bool:
    fields = text.split(":", 5)
    if operator.lower().startswith("arn") and len(fields) == 6:
        account, resource = fields[4], fields[5]
        if account:
            return not has_wildcard(account)
        return bool(resource) and resource[0] not in "*?"
    first = _WILDCARD.search(text)
    prefix = text[: first.start()] if first is not None else text
    return _OWNED_ARN_PREFIX.match(prefix) is not None


def _leading_wildcard(text: str) -> bool:
    rest = _REGION_PREFIX.sub("", _SCHEME.sub("", text.strip()), count=1)
    return not rest or rest[0] in "*?"


# --- OIDC subjects -----------------------------------------------------------------------


class Breadth(enum.IntEnum):
    """How many workloads an OIDC ``sub`` admits, from one to anyone; ordered."""

    EXACT = 0  # one workload: a repository's environment or branch, one service account
    SCOPE = 1  # one repository / project / pipeline, but any branch, environment or run
    OWNER = 2  # every repository of one organisation, group or Kubernetes namespace
    ANY = 3  # any owner on the provider: anyone who can run a job there
    UNPINNED = 4  # no condition holds the subject at all


def subject_breadth(value: str) -> Breadth:  # noqa: PLR0911 (one branch a claim format)
    """Grade one ``sub`` value by the claim format its prefix shows.

    GitHub ``repo:OWNER/REPO:…``, GitLab ``project_path:GROUP/PROJECT:…``, Terraform Cloud
    and Buildkite ``organization:ORG:…``, EKS ``system:serviceaccount:NS:SA``, CircleCI
    ``org/ORG/project/P/user/U``; anything else is ``ANY`` when it starts with a wildcard
    and ``SCOPE`` when a wildcard comes later.
    """
    text = value.strip()
    if not text:
        return Breadth.ANY
    if not has_wildcard(text):
        return Breadth.EXACT
    lower = text.lower()
    if lower.startswith("repo:"):
        return _github_breadth(text[len("repo:") :])
    if lower.startswith("project_path:"):
        return _gitlab_breadth(text[len("project_path:") :])
    if lower.startswith("organization:"):
        owner, _, rest = text[len("organization:") :].partition(":")
        if not owner or has_wildcard(owner):
            return Breadth.ANY
        return _pairs_breadth(rest.split(":") if rest else [], _KV_WORKLOAD, _KV_TOLERATED)
    if lower.startswith("system:"):
        return _eks_breadth(text)
    if lower.startswith("org/"):
        # CircleCI's issuer URL carries the organisation, so the org segment admits no one
        # from outside it, wildcard or not.
        return _pairs_breadth(text.split("/"), _CIRCLECI_WORKLOAD, _CIRCLECI_TOLERATED)
    return Breadth.ANY if _leading_wildcard(text) else Breadth.SCOPE


def _github_breadth(rest: str) -> Breadth:
    cut = min((i for i in (rest.find("/"), rest.find(":")) if i >= 0), default=len(rest))
    owner, sep, after = rest[:cut], rest[cut : cut + 1], rest[cut + 1 :]
    if not owner or has_wildcard(owner):
        return Breadth.ANY
    if sep != "/":
        return Breadth.OWNER
    repo, _, qualifier = after.partition(":")
    if not repo or has_wildcard(repo):
        return Breadth.OWNER
    return Breadth.SCOPE if has_wildcard(qualifier) else Breadth.EXACT


def _gitlab_breadth(rest: str) -> Breadth:
    path, _, qualifier = rest.partition(":")
    group, slash, project = path.partition("/")
    if not group or has_wildcard(group):
        return Breadth.ANY
    if not slash or not project or has_wildcard(project):
        return Breadth.OWNER
    return Breadth.SCOPE if has_wildcard(qualifier) else Breadth.EXACT


# Claim-pair formats: the keys naming the workload (a Terraform workspace, a Buildkite
# pipeline, a CircleCI project), and those a tight subject may still leave open (Buildkite's
# commit and step; a Terraform project, since a workspace name is unique in its
# organisation; CircleCI's org, which its issuer already pins). A wildcard anywhere else is
# any branch or run of one workload once the workload is named, and the whole owner before.
_KV_WORKLOAD = frozenset({"workspace", "pipeline"})
_KV_TOLERATED = frozenset({"project", "commit", "step"})
_CIRCLECI_WORKLOAD = frozenset({"project"})
_CIRCLECI_TOLERATED = frozenset({"org"})


def _pairs_breadth(
    tokens: list[str], workload: frozenset[str], tolerated: frozenset[str]
) -> Breadth:
    named = False  # a workload key has been seen with a literal value
    loose = False  # a tolerated wildcard was seen: fine only once a workload is named
    for i in range(0, len(tokens), 2):
        key = tokens[i].lower()
        value = tokens[i + 1] if i + 1 < len(tokens) else ""
        if has_wildcard(key):
            return Breadth.SCOPE if named else Breadth.OWNER
        if has_wildcard(value):
            if key in tolerated:
                loose = True
                continue
            if key in workload:
                return Breadth.OWNER
            return Breadth.SCOPE if named else Breadth.OWNER
        if key in workload and value:
            named = True
    return Breadth.EXACT if named or not loose else Breadth.OWNER


def _eks_breadth(text: str) -> Breadth:
    parts = text.split(":")
    if len(parts) < 3 or [p.lower() for p in parts[:2]] != ["system", "serviceaccount"]:
        return Breadth.ANY
    namespace = parts[2]
    if not namespace or has_wildcard(namespace):
        return Breadth.ANY
    account = parts[3] if len(parts) > 3 else ""
    return Breadth.OWNER if not account or has_wildcard(account) else Breadth.EXACT


def subject_scope(conditions: Iterable[Condition], key: str) -> Breadth:
    """How broad the ``sub`` claim ``key`` is held to by the statement's conditions.

    Each pinning-capable condition admits its broadest value; the statement (all conditions
    required) admits the narrowest of those. No such condition: ``UNPINNED``.
    """
    wanted = key.lower()
    best = Breadth.UNPINNED
    for c in conditions:
        if c.key != wanted or c.if_exists:
            continue
        if (c.set_qualifier or "").lower() == "forallvalues":
            continue
        if c.base_operator.lower() not in _PINNING_OPERATORS or not c.values:
            continue
        best = min(best, max(subject_breadth(v) for v in c.values))
    return best


# --- federation providers ----------------------------------------------------------------


class Provider(enum.Enum):
    """Identity providers the trust checks know; ``OIDC`` is any other OIDC issuer."""

    GITHUB = "GitHub Actions"
    GITLAB = "GitLab"
    TERRAFORM = "Terraform Cloud"
    BUILDKITE = "Buildkite"
    CIRCLECI = "CircleCI"
    EKS = "EKS IRSA"
    OIDC = "OIDC"
    COGNITO = "Amazon Cognito"
    SAML = "SAML"

    @property
    def is_oidc(self) -> bool:
        """True for web-identity issuers whose ``sub`` names a workload (not Cognito, SAML)."""
        return self not in (Provider.COGNITO, Provider.SAML)


COGNITO_HOST = "cognito-identity.amazonaws.com"
# Web-identity providers of old that IAM knows without a provider resource, and the claims
# they use in place of sub and aud.
_LEGACY_CLAIMS = {
    "graph.facebook.com": ("id", "app_id"),
    "www.amazon.com": ("user_id", "app_id"),
}


@dataclass(frozen=True)
class Federation:
    """Who a ``Federated`` principal is: its provider kind and the issuer its keys name.

    ``host`` is the issuer as condition keys spell it (``token.actions.githubusercontent.com``,
    ``oidc.eks.us-east-1.amazonaws.com/id/ABC``); for SAML it is the provider's name.
    """

    provider: Provider
    host: str

    @property
    def sub_claim(self) -> str:
        """The key naming the workload, as written (``<host>:sub``; Cognito's identity id)."""
        claim = _LEGACY_CLAIMS.get(self.host.lower(), ("sub", "aud"))[0]
        return f"{self.host}:{claim}"

    @property
    def aud_claim(self) -> str:
        """The key naming the audience, as written: ``<host>:aud``, or ``SAML:aud``."""
        if self.provider is Provider.SAML:
            return "SAML:aud"
        claim = _LEGACY_CLAIMS.get(self.host.lower(), ("sub", "aud"))[1]
        return f"{self.host}:{claim}"

    @property
    def sub_key(self) -> str:
        """``sub_claim`` lower-cased, as ``Condition.key`` holds keys."""
        return self.sub_claim.lower()

    @property
    def aud_key(self) -> str:
        """``aud_claim`` lower-cased, as ``Condition.key`` holds keys."""
        return self.aud_claim.lower()


# Issuers recognised by the start of their host (the part of the provider ARN after
# ``oidc-provider/``), lower-case.
_ISSUER_PREFIXES = (
    ("token.actions.githubusercontent.com", Provider.GITHUB),
    ("app.terraform.io", Provider.TERRAFORM),
    ("agent.buildkite.com", Provider.BUILDKITE),
    ("oidc.circleci.com/org/", Provider.CIRCLECI),
)


def federation_of(value: str, conditions: Iterable[Condition] = ()) -> Federation:
    """Classify a ``Federated`` principal (a provider ARN or a bare issuer name).

    Self-hosted GitLab and Terraform Enterprise are recognised by their ``sub`` format.
    """
    if ":saml-provider/" in value:
        return Federation(Provider.SAML, value.split(":saml-provider/", 1)[1])
    host = value.split(":oidc-provider/", 1)[1] if ":oidc-provider/" in value else value
    return Federation(_issuer_kind(host, conditions), host)


def _issuer_kind(host: str, conditions: Iterable[Condition]) -> Provider:
    lower = host.lower()
    if lower == COGNITO_HOST:
        return Provider.COGNITO
    for prefix, provider in _ISSUER_PREFIXES:
        if lower.startswith(prefix):
            return provider
    if _EKS_ISSUER.match(host):
        return Provider.EKS
    sub_key = f"{lower}:sub"
    subjects = [v.lower() for c in conditions if c.key == sub_key for v in c.values]
    if "gitlab" in lower or any(v.startswith("project_path:") for v in subjects):
        return Provider.GITLAB
    if any(v.startswith("organization:") and ":workspace:" in v for v in subjects):
        return Provider.TERRAFORM
    return Provider.OIDC


def circleci_org_id(host: str) -> str | None:
    """The organisation id in a CircleCI issuer (``oidc.circleci.com/org/<id>``)."""
    _, sep, tail = host.partition("/org/")
    org = tail.strip("/")
    return org if sep and org else None


# --- grants ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TrustGrant:
    """One principal that one ``Allow`` statement lets assume the role.

    ``statement`` is the statement's raw JSON as written (for evidence); ``principal_type``
    is ``AWS``, ``Service``, ``Federated``, ``CanonicalUser`` or ``*`` (the bare ``"*"``
    form, and ``NotPrincipal``, which grants everyone it does not name: ``not_principal``);
    ``account_id`` is set for AWS principals of a concrete account (a bare 12-digit id is
    that account's root). ``actions`` are the assume-role actions the statement grants;
    ``not_action`` says it grants them through ``NotAction``.
    """

    statement_index: int
    statement: Mapping[str, Any] = field(compare=False)
    principal_type: str
    principal: str
    account_id: str | None
    conditions: tuple[Condition, ...]
    actions: tuple[str, ...] = ()
    not_principal: bool = False
    not_action: bool = False

    @property
    def is_wildcard(self) -> bool:
        """Any AWS principal: ``*``, ``{"AWS": "*"}``, a wildcard account, ``NotPrincipal``."""
        if self.principal_type == "*":
            return True
        return (
            self.principal_type == "AWS"
            and self.account_id is None
            and has_wildcard(self.principal)
        )

    @property
    def is_unique_id(self) -> bool:
        """An AWS principal written as a unique id (``AROA…``, ``AIDA…``): it was deleted."""
        return self.principal_type == "AWS" and is_unique_id(self.principal)

    @property
    def is_account_root(self) -> bool:
        """An account as a whole: a bare 12-digit id or ``arn:…:iam::ACCOUNT:root``."""
        if self.principal_type != "AWS" or self.account_id is None:
            return False
        return self.principal == self.account_id or self.principal.endswith(
            f":{self.account_id}:root"
        )

    @property
    def federation(self) -> Federation | None:
        """For a ``Federated`` principal, its provider; None for any other kind."""
        if self.principal_type != "Federated":
            return None
        return federation_of(self.principal, self.conditions)

    @property
    def service(self) -> str | None:
        """For a ``Service`` principal, its service: ``lambda`` of ``lambda.amazonaws.com``."""
        if self.principal_type != "Service":
            return None
        return self.principal.split(".", 1)[0].lower()


def account_of(principal: str) -> str | None:
    """The account of an AWS principal: a bare 12-digit id, or an ARN's account field."""
    if is_account_id(principal):
        return principal
    if principal.startswith("arn:"):
        parts = principal.split(":", 5)
        if len(parts) == 6 and is_account_id(parts[4]):
            return parts[4]
    return None


@dataclass(frozen=True)
class TrustPolicy:
    """A role's trust document read once: its grants, its parse and what could not be read."""

    grants: tuple[TrustGrant, ...]
    policy: Policy

    @property
    def problems(self) -> tuple[str, ...]:
        """Statements that could not be read: a check must not PASS over them unseen."""
        return self.policy.problems

    def statement(self, index: int) -> Statement | None:
        """The parsed statement at ``index`` of the document."""
        return next((s for s in self.policy.statements if s.index == index), None)

    def grants_in(self, index: int) -> tuple[TrustGrant, ...]:
        """The grants of statement ``index``."""
        return tuple(g for g in self.grants if g.statement_index == index)


def read_trust(document: object) -> TrustPolicy:
    """Read a trust document (a mapping or JSON text); never raises."""
    # Decoded here too, so statement indexes line up with the raw statements in evidence.
    mapping = as_mapping(document, [])
    policy = parse_policy(mapping if mapping is not None else document)
    raw = mapping.get("Statement") if mapping is not None else None
    entries: list[Any] = [raw] if isinstance(raw, Mapping) else raw if isinstance(raw, list) else []
    grants: list[TrustGrant] = []
    for stmt in policy.statements:
        if stmt.effect is not Effect.ALLOW:
            continue
        actions = tuple(a for a in ASSUME_ROLE_ACTIONS if stmt.touches_action(a))
        if not actions:
            continue
        entry = entries[stmt.index] if stmt.index < len(entries) else None
        written: Mapping[str, Any] = entry if isinstance(entry, Mapping) else {}
        common: dict[str, Any] = {
            "statement_index": stmt.index,
            "statement": written,
            "conditions": stmt.conditions,
            "actions": actions,
            "not_action": bool(stmt.not_actions),
        }
        if stmt.not_principals:
            grants.append(
                TrustGrant(
                    principal_type="*",
                    principal="*",
                    account_id=None,
                    not_principal=True,
                    **common,
                )
            )
        for p in stmt.principals:
            account = account_of(p.value) if p.kind == "AWS" else None
            grants.append(
                TrustGrant(principal_type=p.kind, principal=p.value, account_id=account, **common)
            )
    return TrustPolicy(tuple(grants), policy)


def trust_grants(role: Role) -> tuple[TrustGrant, ...]:
    """The principals ``role``'s trust policy lets assume it (``Allow`` + ``sts:AssumeRole*``)."""
    return read_trust(role.trust_policy).grants


def trusting_accounts(role: Role) -> frozenset[str]:
    """The accounts of the AWS principals that may assume ``role`` (wildcards excluded)."""
    return frozenset(
        g.account_id
        for g in trust_grants(role)
        if g.principal_type == "AWS" and g.account_id is not None
    )


# --- one read per audit ------------------------------------------------------------------


class TrustAnalysis:
    """Every role's trust of one account, each document read once however many checks ask.

    The cache is keyed by the role object's identity and keeps a reference to it, so the
    identity cannot be reused by another object while the entry lives.
    """

    def __init__(self, details: AuthorizationDetails) -> None:
        self.details = details
        self._read: ByIdentity[Role, TrustPolicy] = ByIdentity()

    def of(self, role: Role) -> TrustPolicy:
        """``read_trust`` of ``role``'s trust policy, cached."""
        return self._read.get(role, _read_role)


def _read_role(role: Role) -> TrustPolicy:
    return read_trust(role.trust_policy)


_ANALYSES: OrderedDict[int, tuple[AuthorizationDetails, TrustAnalysis]] = OrderedDict()
_ANALYSES_KEPT = 4  # a few accounts' worth: an organisation audit moves on account by account
_ANALYSES_LOCK = threading.Lock()


def trust_analysis(details: AuthorizationDetails) -> TrustAnalysis:
    """The trust analysis of ``details``, shared by the checks of one audit."""
    with _ANALYSES_LOCK:
        hit = _ANALYSES.get(id(details))
        if hit is not None and hit[0] is details:
            _ANALYSES.move_to_end(id(details))
            return hit[1]
        analysis = TrustAnalysis(details)
        _ANALYSES[id(details)] = (details, analysis)
        while len(_ANALYSES) > _ANALYSES_KEPT:
            _ANALYSES.popitem(last=False)
        return analysis


def has_trust_analysis(details: AuthorizationDetails) -> bool:
    """Whether the trust analysis of ``details`` is cached."""
    return is_cached(_ANALYSES, _ANALYSES_LOCK, details)


def forget_trust_analysis(details: AuthorizationDetails) -> bool:
    """Drop the cached trust analysis of ``details``, if any; True when there was one."""
    return forget(_ANALYSES, _ANALYSES_LOCK, details)
