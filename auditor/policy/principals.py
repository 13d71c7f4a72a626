"""Which policies a user, group or role holds (for a user, its groups' too; boundaries never
grant), and ``PolicyEngine``, which parses each shared document once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from auditor.policy.document import (
    FULL_ADMIN_POLICY_NAME,
    Decision,
    Policy,
    evaluate,
    parse_policy,
)
from auditor.policy.memo import ByIdentity
from auditor.snapshot import AuthorizationDetails, Group, PolicyDocument, Role, User

# --- principals and the policies they hold -----------------------------------------------


@dataclass(frozen=True)
class EffectivePolicy:
    """One policy a principal holds, and how.

    ``arn`` is set for managed policies and None for inline ones; ``via_group`` names the
    group a user inherits it from. ``document`` is None when a managed policy's document was
    not in the authorization details (it is then known by ARN only).
    """

    name: str
    arn: str | None
    document: PolicyDocument | None
    via_group: str | None = None

    @property
    def inline(self) -> bool:
        """True for an inline (embedded) policy."""
        return self.arn is None

    @property
    def label(self) -> str:
        """How a finding names it: ``AdministratorAccess (managed, via group admins)``."""
        kind = "inline" if self.inline else "managed"
        via = f", via group {self.via_group}" if self.via_group else ""
        return f"{self.name} ({kind}{via})"

    @property
    def ref(self) -> str:
        """A stable reference for evidence: the ARN, or ``inline:NAME``."""
        return self.arn if self.arn is not None else f"inline:{self.name}"


IamPrincipal = User | Group | Role


def effective_documents(
    principal: IamPrincipal, details: AuthorizationDetails
) -> tuple[EffectivePolicy, ...]:
    """Every policy that can grant ``principal`` permissions.

    A user holds its inline and attached policies and those of each of its groups; a group
    or a role its own. Permissions boundaries only limit, so they are never included.
    """
    out = list(_own_policies(principal, details, via_group=None))
    if isinstance(principal, User):
        for name in principal.groups:
            group = details.group(name)
            if group is not None:
                out.extend(_own_policies(group, details, via_group=group.name))
    return tuple(out)


def _own_policies(
    principal: IamPrincipal, details: AuthorizationDetails, via_group: str | None
) -> Iterable[EffectivePolicy]:
    for inline in principal.inline_policies:
        yield EffectivePolicy(inline.name, None, inline.document, via_group)
    for attached in principal.attached_policies:
        managed = details.policy(attached.arn)
        document = managed.document if managed is not None else None
        yield EffectivePolicy(attached.name, attached.arn, document, via_group)


def is_aws_policy(arn: str, name: str) -> bool:
    """True for the AWS managed policy ``name`` (no path) in any partition."""
    return arn.startswith("arn:") and arn.endswith(f":iam::aws:policy/{name}")


def is_full_admin_policy_arn(arn: str) -> bool:
    """True for ``arn:<any partition>:iam::aws:policy/AdministratorAccess``."""
    return is_aws_policy(arn, FULL_ADMIN_POLICY_NAME)


class PolicyEngine:
    """Policy questions about one account's principals, with parsed documents cached.

    The cache is keyed by the identity of the document object, holding a reference to it so
    the identity cannot be reused: managed policies are shared by many principals, and
    parsing a large AWS managed policy thousands of times would dominate an audit.
    """

    def __init__(self, details: AuthorizationDetails) -> None:
        self.details = details
        self._parsed: ByIdentity[object, Policy] = ByIdentity()

    def parse(self, document: object) -> Policy:
        """``parse_policy`` with the engine's cache."""
        return self._parsed.get(document, parse_policy)

    def policies_of(self, principal: IamPrincipal) -> tuple[EffectivePolicy, ...]:
        """``effective_documents`` for this account."""
        return effective_documents(principal, self.details)

    def direct_policies_of(self, principal: IamPrincipal) -> tuple[EffectivePolicy, ...]:
        """Only the policies attached to or embedded in ``principal`` itself."""
        return tuple(_own_policies(principal, self.details, via_group=None))

    def grants_full_admin(self, held: EffectivePolicy) -> bool:
        """True when ``held`` allows ``*:*`` on ``*`` (or is AdministratorAccess by ARN)."""
        if held.document is None:
            return held.arn is not None and is_full_admin_policy_arn(held.arn)
        return bool(self.parse(held.document).full_admin_statements())

    def full_admin_grants(
        self, principal: IamPrincipal, *, inherited: bool = True
    ) -> tuple[EffectivePolicy, ...]:
        """The policies that make ``principal`` a full administrator (empty if none).

        With ``inherited=False`` a user's group policies are not considered: the group
        itself is then where the grant is reported and fixed.
        """
        held = self.policies_of(principal) if inherited else self.direct_policies_of(principal)
        return tuple(p for p in held if self.grants_full_admin(p))

    def evaluate(self, principal: IamPrincipal, action: str, resource: str = "*") -> Decision:
        """What ``principal``'s identity policies decide for one request.

        Policies known only by ARN contribute nothing (except AdministratorAccess, whose
        document is fixed), so an uncollected document can only under-state permissions.
        """
        parsed = []
        for held in self.policies_of(principal):
            if held.document is not None:
                parsed.append(self.parse(held.document))
            elif held.arn is not None and is_full_admin_policy_arn(held.arn):
                parsed.append(_ADMIN_POLICY)
        return evaluate(parsed, action, resource)


_ADMIN_POLICY = parse_policy(
    {"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}
)
