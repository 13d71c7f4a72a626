"""The attack graph of one account: who can end up an administrator, and how.

Principals point at shared hubs per (action, statements) rather than at each other, so
``iam:PassRole`` on ``*`` held by 5,000 users is 5,000 edges, not 5 million. One backward
multi-source Dijkstra from ``admin`` gives every node its next step; uncertain steps weigh
``UNCERTAIN``, so a certain path beats a shorter doubtful one. Evidence is recomputed only
for the steps of the paths reported.
"""

from __future__ import annotations

import dataclasses
import heapq
import itertools
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache

from auditor.policy.document import Effect, Statement
from auditor.policy.graph.capabilities import (
    ADD_USER_TO_GROUP,
    ASSUME_ROLE,
    ATTACH_GROUP_POLICY,
    ATTACH_ROLE_POLICY,
    ATTACH_USER_POLICY,
    CREATE_ACCESS_KEY,
    CREATE_LOGIN_PROFILE,
    CREATE_POLICY_VERSION,
    DELETE_ROLE_BOUNDARY,
    DELETE_USER_BOUNDARY,
    PASS_ROLE,
    PUT_GROUP_POLICY,
    PUT_ROLE_BOUNDARY,
    PUT_ROLE_POLICY,
    PUT_USER_BOUNDARY,
    PUT_USER_POLICY,
    SET_DEFAULT_POLICY_VERSION,
    UPDATE_ASSUME_ROLE_POLICY,
    UPDATE_LOGIN_PROFILE,
    ArnIndex,
    ArnKind,
    Compiled,
    ComputeMethod,
    Profile,
    Reader,
    Source,
    SRef,
    action_bit,
    boundary_source,
    compile_statements,
    compute_methods,
    identity_source,
    spelled,
)
from auditor.policy.graph.conditions import (
    Applies,
    Caller,
    CallerKind,
    Context,
    Verdict,
    allow_applies,
    deny_applies,
)
from auditor.policy.graph.model import (
    ADMIN_NODE,
    AttackPath,
    Grant,
    GrantKind,
    Hop,
    Node,
    NodeKind,
    Reason,
    StatementRef,
)
from auditor.policy.memo import ByIdentity, forget, is_cached
from auditor.policy.principals import EffectivePolicy, IamPrincipal, is_full_admin_policy_arn
from auditor.policy.privilege import PrivilegeAnalysis, privilege_analysis
from auditor.policy.trust import (
    Federation,
    TrustGrant,
    TrustPolicy,
    federation_of,
    pinned_values,
    trust_analysis,
)
from auditor.snapshot import (
    AuthorizationDetails,
    Group,
    InlinePolicy,
    OidcProvider,
    Role,
    SamlProvider,
    Snapshot,
    User,
)

UNCERTAIN = 1000  # the weight of a step that may not be possible: one certain path beats it
_INF = float("inf")
_SINK = -2  # next step: this node is admin-equivalent
_SELF = -3  # next step: this node rewrites its own permissions
_CLASS = -4  # next steps: _CLASS - k, the k-th rewrite class's two footholds
_LOCAL_SEARCH = 64  # up to this many footholds, subjects are searched forward from each

_WEB_IDENTITY = "sts:AssumeRoleWithWebIdentity"
_SAML = "sts:AssumeRoleWithSAML"
_ASSUME = "sts:AssumeRole"
_COGNITO = "cognito-identity.amazonaws.com"

_REASON_ORDER = {r: i for i, r in enumerate(Reason)}


# --- trust, read once per role -----------------------------------------------------------


@dataclass
class _RoleTrust:
    """One role's trust policy, sorted by who it admits."""

    role: Role
    policy: TrustPolicy
    tag_session: bool
    internal: list[TrustGrant] = field(default_factory=list)  # this account's root, or anyone
    named: dict[str, list[TrustGrant]] = field(default_factory=dict)  # ARN here -> grants
    services: dict[str, list[TrustGrant]] = field(default_factory=dict)
    entries: list[tuple[str, TrustGrant]] = field(default_factory=list)
    denies: list[Statement] = field(default_factory=list)
    static: int = int(Verdict.NEVER)  # the internal grants' verdict, the same for any caller
    dynamic: bool = False  # some grant or deny reads who the caller is


@dataclass(frozen=True)
class _Entry:
    node: Node
    caller: Caller
    provider_arn: str | None = None


@dataclass
class _Hub:
    family: str
    service: str | None


@dataclass
class _Class:
    """Principals that can rewrite the same principals: footholds ``rw``, subjects ``t``."""

    rw: list[int]
    subjects: dict[int, int]
    rw_next: list[int] = field(default_factory=list)
    t_next: list[int] = field(default_factory=list)
    t_routes: dict[int, list[int]] = field(default_factory=dict)  # foothold -> route to subject


@dataclass
class _Way:
    """One way of taking a step: a reason and the needs it must meet, each by any grant."""

    reason: Reason
    needs: list[tuple[str, list[tuple[Grant, Applies]]]]
    service: str | None = None
    method: str | None = None
    subject: int | None = None
    unseen: bool = False
    notes: tuple[str, ...] = ()

    @property
    def verdict(self) -> Verdict:
        worst = Verdict.HOLDS
        for _, grants in self.needs:
            best = min((a.verdict for _, a in grants), default=Verdict.NEVER)
            worst = max(worst, best)
        return worst

    @property
    def weight(self) -> int:
        return 1 + (UNCERTAIN if self.unseen or self.verdict is Verdict.UNDECIDED else 0)

    def critical(self) -> set[StatementRef]:
        out: set[StatementRef] = set()
        for _, grants in self.needs:
            statements = {g.statement for g, _ in grants}
            if len(statements) == 1:
                out |= statements
        return out

    def evidence(self) -> tuple[Grant, ...]:
        return tuple(g for _, grants in self.needs for g, _ in grants)

    def undecided(self) -> tuple[str, ...]:
        out: list[str] = []
        for _, grants in self.needs:
            if min((a.verdict for _, a in grants), default=Verdict.NEVER) is Verdict.UNDECIDED:
                for g, a in grants:
                    where = f"{g.policy} stmt {g.statement_index}"
                    out.extend(f"{where}: {u}" for u in a.undecided)
        return tuple(dict.fromkeys(out))

    def all_notes(self) -> tuple[str, ...]:
        notes = [*self.notes, *(n for _, gs in self.needs for _, a in gs for n in a.notes)]
        return tuple(dict.fromkeys(notes))


# --- the graph ---------------------------------------------------------------------------


class AttackGraph:
    """Attack paths of one account; build with ``attack_graph(snapshot)``.

    Read-only after construction and safe to share between threads.
    """

    def __init__(
        self,
        details: AuthorizationDetails,
        *,
        account_id: str,
        partition: str = "aws",
        oidc_providers: Sequence[OidcProvider] | None = None,
        saml_providers: Sequence[SamlProvider] | None = None,
    ) -> None:
        self.details = details
        self.account_id = account_id
        self.partition = partition
        self._registered: frozenset[str] | None = None
        if oidc_providers is not None or saml_providers is not None:
            self._registered = frozenset(
                [p.arn for p in oidc_providers or ()] + [p.arn for p in saml_providers or ()]
            )
        self._oidc_collected = oidc_providers is not None
        self._saml_collected = saml_providers is not None
        self._priv = privilege_analysis(details)
        self._unbounded: PrivilegeAnalysis | None = None
        self._boundary_admin: dict[str, bool] = {}
        self._lock = threading.Lock()
        self._paths: tuple[AttackPath, ...] | None = None
        self._build()
        self._search()

    # --- construction ---

    def _build(self) -> None:
        d = self.details
        principals: dict[str, IamPrincipal] = {}
        for p in _everyone(d):
            principals.setdefault(p.arn, p)
        ordered = sorted(principals.values(), key=lambda p: p.arn)
        self._known = frozenset(p.arn for p in ordered if not isinstance(p, Group))
        trusts = [self._read_trust(r) for r in d.roles if not r.service_linked]
        entries: dict[str, _Entry] = {}
        for rt in trusts:
            for entry_id, grant in list(rt.entries):
                if entry_id not in entries:
                    entries[entry_id] = self._entry(entry_id, grant)
        self.nodes_list: list[Node] = [_principal_node(p) for p in ordered]
        self.nodes_list.extend(entries[k].node for k in sorted(entries))
        self.nodes_list.append(ADMIN_NODE)
        self.admin_index = len(self.nodes_list) - 1
        self.n_real = len(self.nodes_list)
        self.index = {n.id: i for i, n in enumerate(self.nodes_list)}
        self._principal: dict[int, IamPrincipal] = {i: p for i, p in enumerate(ordered)}
        self._entries = {self.index[k]: e for k, e in entries.items()}
        self._trust: dict[str, _RoleTrust] = {rt.role.arn: rt for rt in trusts}
        self._named_by: dict[str, list[str]] = {}
        self._entry_roles: dict[str, list[str]] = {}
        for rt in trusts:
            for arn in rt.named:
                self._named_by.setdefault(arn, []).append(rt.role.arn)
            for eid in dict.fromkeys(eid for eid, _ in rt.entries):
                self._entry_roles.setdefault(eid, []).append(rt.role.arn)
        self._out: list[list[tuple[int, int]]] = [[] for _ in range(self.n_real)]
        self._hubs: list[_Hub] = []
        self._hub_keys: dict[tuple[object, ...], int] = {}
        self._profiles: dict[int, Profile] = {}
        self._profile_memo: dict[tuple[object, ...], Profile] = {}
        self._callers: dict[int, Caller] = {}
        self._compiled: ByIdentity[object, tuple[Compiled, ...]] = ByIdentity()

        self._index_relations(ordered)
        self._reader = Reader(
            self.account_id,
            {
                ArnKind.USER: ArnIndex(u.arn for u in d.users),
                ArnKind.ROLE: ArnIndex(r.arn for r in d.roles if not r.service_linked),
                ArnKind.GROUP: ArnIndex(g.arn for g in d.groups),
                ArnKind.POLICY: ArnIndex(p.arn for p in d.policies if not p.aws_managed),
            },
            {p.arn: getattr(p, "permissions_boundary_arn", None) or "" for p in _everyone(d)},
            self._admin_policy_arns(),
        )
        self.admin: frozenset[int] = frozenset(
            i for i, p in self._principal.items() if self._priv.is_admin_equivalent(p)
        )
        self._service_roles = self._index_service_roles(trusts)
        self._existing_hubs: dict[str, int] = {}
        self._self_rewrite: dict[int, int] = {}
        self._admin_groups = [
            p
            for i, p in sorted(self._principal.items())
            if i in self.admin and isinstance(p, Group)
        ]
        self._hops: dict[tuple[int, int, int | None], Hop] = {}
        self._class_of: dict[frozenset[tuple[int, int]], int] = {}
        self._subject_memo: dict[
            tuple[object, ...], tuple[dict[int, int], frozenset[tuple[int, int]]]
        ] = {}
        self.classes: list[_Class] = []
        self._dynamic_roles = [rt for rt in trusts if rt.dynamic]
        self._admitted_memo: dict[str, frozenset[str] | None] = {}
        self._dynamic_index: dict[str | None, list[_RoleTrust]] | None = None
        for i, p in self._principal.items():
            if i in self.admin or (isinstance(p, Role) and p.service_linked):
                continue
            self._holder_edges(i, p)
        for i, entry in self._entries.items():
            self._entry_edges(i, entry)

    def _index_relations(self, ordered: Sequence[IamPrincipal]) -> None:
        d = self.details
        self._by_arn = {p.arn: i for i, p in enumerate(ordered)}
        by_name = {("group", p.name): i for i, p in enumerate(ordered) if isinstance(p, Group)}
        self._members: dict[int, list[int]] = {}
        self._policy_holders: dict[str, list[int]] = {}
        self._boundary_holders: dict[str, list[int]] = {}
        self._groups_of: dict[int, list[int]] = {}
        for i, p in enumerate(ordered):
            for a in p.attached_policies:
                self._policy_holders.setdefault(a.arn, []).append(i)
            if isinstance(p, User):
                for name in p.groups:
                    g = by_name.get(("group", name))
                    if g is not None:
                        self._members.setdefault(g, []).append(i)
                        self._groups_of.setdefault(i, []).append(g)
            boundary = getattr(p, "permissions_boundary_arn", None)
            if boundary:
                self._boundary_holders.setdefault(boundary, []).append(i)
        self._customer_policies = {p.arn: p for p in d.policies if not p.aws_managed}

    def _admin_policy_arns(self) -> tuple[str, ...]:
        """Managed policies that make whoever holds them an administrator (for
        ``iam:PolicyARN`` conditions: attaching one of these is the escalation)."""
        out = [f"arn:{self.partition}:iam::aws:policy/AdministratorAccess"]
        for p in self.details.policies:
            if p.aws_managed or p.arn in out:
                continue
            held = EffectivePolicy(p.name, p.arn, p.document)
            if self._priv.grants_full_admin(held):
                out.append(p.arn)
        return tuple(out)

    # --- trust ---

    def _read_trust(self, role: Role) -> _RoleTrust:
        policy = trust_analysis(self.details).of(role)
        tag_session = any(
            s.effect is Effect.ALLOW and s.touches_action("sts:TagSession")
            for s in policy.policy.statements
        )
        rt = _RoleTrust(role, policy, tag_session)
        for s in policy.policy.statements:
            if s.effect is Effect.DENY and any(
                s.touches_action(a) for a in (_ASSUME, _WEB_IDENTITY, _SAML)
            ):
                rt.denies.append(s)
        for g in policy.grants:
            self._file_grant(rt, g)
        static = [g for g in rt.internal if not _reads_caller_keys(g)]
        rt.dynamic = len(static) < len(rt.internal) or any(not _wildcard_only(s) for s in rt.denies)
        if static and not self._trust_denied(rt, Caller(CallerKind.USER)):
            ctx = self._trust_context(rt, Caller(CallerKind.USER, account_id=self.account_id))
            rt.static = min(int(allow_applies(g.conditions, ctx).verdict) for g in static)
        return rt

    def _file_grant(self, rt: _RoleTrust, g: TrustGrant) -> None:  # noqa: PLR0912 (one rule a kind)
        if g.principal_type in ("AWS", "*"):
            if _ASSUME not in g.actions:
                return
            if g.is_wildcard:
                rt.internal.append(g)
                rt.entries.append(("*", g))
            elif g.is_unique_id or g.account_id is None:
                return
            elif g.account_id != self.account_id:
                rt.entries.append((f"account:{g.account_id}", g))
            elif g.is_account_root:
                rt.internal.append(g)
            else:
                arn = _principal_arn(g.principal, self.details, self._known)
                if arn is not None:
                    rt.named.setdefault(arn, []).append(g)
        elif g.principal_type == "Service":
            if _ASSUME in g.actions:
                for service in _service_names(g.principal):
                    rt.services.setdefault(service, []).append(g)
        elif g.principal_type == "Federated":
            federation = g.federation
            if federation is None:
                return
            needed = _SAML if federation.provider.name == "SAML" else _WEB_IDENTITY
            if needed not in g.actions:
                return
            if g.principal.lower() == _COGNITO:
                rt.services.setdefault(_COGNITO, []).append(g)
            rt.entries.append((_federated_id(g, federation), g))

    def _entry(self, entry_id: str, g: TrustGrant) -> _Entry:
        if entry_id == "*":
            node = Node("*", NodeKind.ANYONE, "anyone (any AWS principal)")
            return _Entry(node, Caller(CallerKind.ANYONE))
        if entry_id.startswith("account:"):
            account = entry_id.split(":", 1)[1]
            node = Node(entry_id, NodeKind.ACCOUNT, f"account {account}", account_id=account)
            return _Entry(node, Caller(CallerKind.ACCOUNT, account_id=account))
        federation = g.federation or federation_of(g.principal, g.conditions)
        saml = federation.provider.name == "SAML"
        prefixes = _claim_prefixes(federation.host, saml)
        claims = tuple(
            sorted(
                f"{c.operator} {c.key} {', '.join(c.values)}"
                for c in g.conditions
                if any(c.key.startswith(p) for p in prefixes)
            )
        )
        if saml:
            name = f"SAML {federation.host}"
        else:
            subjects = pinned_values(g.conditions, federation.sub_key)
            shown = f"sub {', '.join(subjects)}" if subjects else "any subject"
            name = f"{federation.host} ({shown})"
        node = Node(
            entry_id,
            NodeKind.SAML if saml else NodeKind.OIDC,
            name,
            provider=g.principal,
            claims=claims,
        )
        provider_arn = g.principal if g.principal.startswith("arn:") else None
        caller = Caller(CallerKind.FEDERATED, arn=g.principal, claim_prefixes=prefixes)
        return _Entry(node, caller, provider_arn)

    def _trust_context(self, rt: _RoleTrust, caller: Caller, action: str = _ASSUME) -> Context:
        return Context(
            action=action.lower(),
            account_id=self.account_id,
            caller=caller,
            in_trust=True,
            tag_session=rt.tag_session,
            service=caller.name if caller.kind is CallerKind.SERVICE else None,
        )

    def _trust_denied(self, rt: _RoleTrust, caller: Caller) -> bool:
        for s in rt.denies:
            if _deny_names(s, caller, self.account_id) and deny_applies(
                s.conditions, self._trust_context(rt, caller)
            ):
                return True
        return False

    def _trust_grants(
        self, rt: _RoleTrust, grants: Iterable[TrustGrant], caller: Caller, action: str = _ASSUME
    ) -> list[tuple[Grant, Applies]]:
        ctx = self._trust_context(rt, caller, action)
        out = []
        for g in grants:
            applies = allow_applies(g.conditions, ctx)
            if applies.verdict is not Verdict.NEVER:
                out.append((self._trust_grant(rt, g), applies))
        return out

    def _trust_grant(self, rt: _RoleTrust, g: TrustGrant) -> Grant:
        stmt = rt.policy.statement(g.statement_index)
        return Grant(
            kind=GrantKind.TRUST,
            policy=f"trust policy of {rt.role.name}",
            policy_ref=f"{rt.role.arn}#trust",
            statement_index=g.statement_index,
            sid=stmt.sid if stmt is not None else None,
            need="trust",
            actions=g.actions,
            principal=g.principal,
        )

    def _index_service_roles(self, trusts: Sequence[_RoleTrust]) -> dict[str, dict[str, int]]:
        """Service principal -> {role ARN: trust verdict} for roles the service may assume."""
        out: dict[str, dict[str, int]] = {}
        for rt in trusts:
            for service, grants in rt.services.items():
                caller = Caller(CallerKind.SERVICE, name=service)
                action = _WEB_IDENTITY if service == _COGNITO else _ASSUME
                graded = self._trust_grants(rt, grants, caller, action)
                if graded:
                    verdict = min(int(a.verdict) for _, a in graded)
                    out.setdefault(service, {})[rt.role.arn] = verdict
        return out

    # --- who holds what ---

    def _caller(self, i: int) -> Caller:
        """The request caller a principal node stands for."""
        hit = self._callers.get(i)
        if hit is None:
            p = self._principal[i]
            if isinstance(p, (User, Role)):
                kind, unique_id = (
                    (CallerKind.USER, p.user_id)
                    if isinstance(p, User)
                    else (CallerKind.ROLE, p.role_id)
                )
                hit = Caller(
                    kind,
                    arn=p.arn,
                    name=p.name,
                    unique_id=unique_id,
                    account_id=self.account_id,
                    tags=tuple(sorted(p.tags.items())),
                )
            else:
                hit = Caller(CallerKind.GROUP, arn=p.arn, name=p.name, account_id=self.account_id)
            self._callers[i] = hit
        return hit

    def _profile(self, i: int) -> Profile:
        """The compiled statements of everything principal ``i`` holds, shared with every
        principal holding the same policies and boundary."""
        hit = self._profiles.get(i)
        if hit is not None:
            return hit
        p = self._principal[i]
        held = self._priv.held_policies(p)
        boundary_arn = getattr(p, "permissions_boundary_arn", None)
        boundary_doc = None
        if boundary_arn:
            managed = self.details.policy(boundary_arn)
            boundary_doc = managed.document if managed is not None else None
            if is_full_admin_policy_arn(boundary_arn):
                boundary_doc = None  # allows everything: no limit
        signature = (
            tuple(
                (id(h.document) if h.document is not None else None, h.ref, h.via_group)
                for h in held
            ),
            boundary_arn if boundary_doc is not None else None,
            p.arn if any(h.inline and h.via_group is None for h in held) else None,
        )
        hit = self._profile_memo.get(signature)
        if hit is None:
            hit = Profile(boundary_allows={} if boundary_doc is not None else None)
            for h in held:
                if h.document is None:
                    continue
                group_arn = None
                if h.via_group is not None:
                    group = self.details.group(h.via_group)
                    group_arn = group.arn if group is not None else None
                source = identity_source(h, p.arn, group_arn)
                for ref in self._statements(h.document, source):
                    hit.add(ref, boundary=False)
            if boundary_doc is not None and boundary_arn:
                name = boundary_arn.rsplit("/", 1)[-1]
                for ref in self._statements(boundary_doc, boundary_source(name, boundary_arn)):
                    hit.add(ref, boundary=True)
            self._profile_memo[signature] = hit
        self._profiles[i] = hit
        return hit

    def _statements(self, document: object, source: Source) -> tuple[SRef, ...]:
        compiled = self._compiled.get(document, self._compile)
        return tuple(SRef(source, c) for c in compiled)

    def _compile(self, document: object) -> tuple[Compiled, ...]:
        return compile_statements(self._priv.parse(document).statements)

    def _permissive(self, i: int) -> bool:
        """True when principal ``i`` has no boundary that would stop it being admin."""
        p = self._principal[i]
        arn = getattr(p, "permissions_boundary_arn", None)
        if not arn or is_full_admin_policy_arn(arn):
            return True
        hit = self._boundary_admin.get(arn)
        if hit is None:
            managed = self.details.policy(arn)
            if managed is None:
                hit = True  # an unknown boundary is ignored, as privilege analysis does
            else:
                probe = Group(
                    "boundary",
                    f"{arn}#probe",
                    "",
                    "/",
                    None,
                    (InlinePolicy("boundary", managed.document),),
                )
                hit = PrivilegeAnalysis(AuthorizationDetails(groups=(probe,))).is_admin_equivalent(
                    probe
                )
            self._boundary_admin[arn] = hit
        return hit

    def _bounded_admin(self, i: int) -> bool:
        """True when principal ``i`` would be admin but for its permissions boundary."""
        if self._permissive(i) or i in self.admin:
            return False
        if self._unbounded is None:
            d = self.details
            self._unbounded = PrivilegeAnalysis(
                AuthorizationDetails(
                    users=tuple(
                        dataclasses.replace(u, permissions_boundary_arn=None) for u in d.users
                    ),
                    groups=d.groups,
                    roles=tuple(
                        dataclasses.replace(r, permissions_boundary_arn=None) for r in d.roles
                    ),
                    policies=d.policies,
                )
            )
        p = self._principal[i]
        if isinstance(p, Group):
            return False
        twin = dataclasses.replace(p, permissions_boundary_arn=None)
        return self._unbounded.is_admin_equivalent(twin)

    # --- edges ---

    def _hub(
        self, key: tuple[object, ...], family: str, service: str | None, targets: Mapping[str, int]
    ) -> int:
        hit = self._hub_keys.get(key)
        if hit is not None:
            return hit
        h = len(self.nodes_list) + len(self._hubs)
        self._hubs.append(_Hub(family, service))
        self._out.append(
            sorted(
                (self._by_arn[arn], 1 + (UNCERTAIN if v else 0))
                for arn, v in targets.items()
                if arn in self._by_arn
            )
        )
        self._hub_keys[key] = h
        return h

    def _edge(self, u: int, v: int, weight: int) -> None:
        if u != v:
            self._out[u].append((v, weight))

    def _holder_edges(self, i: int, p: IamPrincipal) -> None:
        profile = self._profile(i)
        caller = self._caller(i)
        bits = profile.allow_bits()
        reader = self._reader
        if bits & action_bit(ASSUME_ROLE):
            ids = reader.targets(profile, ASSUME_ROLE, ArnKind.ROLE, caller)
            key = ("assume", id(ids))
            if key not in self._hub_keys:
                targets = {}
                for arn, v in ids.items():
                    rt = self._trust.get(arn)
                    if rt is not None and not rt.dynamic and rt.static < int(Verdict.NEVER):
                        targets[arn] = max(v, rt.static)
                self._hub(key, "assume", None, targets)
            self._edge(i, self._hub_keys[key], 0)
            for rt in self._dynamic_for(p.arn):
                if rt.role.arn in ids:
                    self._pair_edge(i, self._by_arn[rt.role.arn], self._assume_ways)
        for arn in self._named_by.get(p.arn, ()):
            self._pair_edge(i, self._by_arn[arn], self._assume_ways)
        self._compute_edges(i, profile, caller, bits)
        for action, kind, family in (
            (CREATE_ACCESS_KEY, ArnKind.USER, "create-access-key"),
            (CREATE_LOGIN_PROFILE, ArnKind.USER, "create-login-profile"),
            (UPDATE_LOGIN_PROFILE, ArnKind.USER, "update-login-profile"),
            (UPDATE_ASSUME_ROLE_POLICY, ArnKind.ROLE, "update-assume-role-policy"),
        ):
            if bits & action_bit(action):
                found = reader.targets(profile, action, kind, caller)
                if found:
                    self._edge(i, self._hub((family, id(found)), family, None, found), 0)
        if isinstance(p, User) and bits & action_bit(ADD_USER_TO_GROUP) and self._permissive(i):
            found = reader.targets(profile, ADD_USER_TO_GROUP, ArnKind.GROUP, caller)
            if found:
                self._edge(i, self._hub(("join", id(found)), "join", None, found), 0)
        self._rewrite_class(i, profile, caller, bits)

    def _dynamic_for(self, arn: str) -> list[_RoleTrust]:
        """The caller-reading trusts that may admit the principal ``arn``."""
        if self._dynamic_index is None:
            index: dict[str | None, list[_RoleTrust]] = {}
            for rt in self._dynamic_roles:
                admitted = self._admitted(rt)
                for who in admitted if admitted is not None else (None,):
                    index.setdefault(who, []).append(rt)
            self._dynamic_index = index
        return [*self._dynamic_index.get(None, ()), *self._dynamic_index.get(arn, ())]

    def _admitted(self, rt: _RoleTrust) -> frozenset[str] | None:
        """The principals a caller-reading trust can admit, when its grants pin
        ``aws:PrincipalArn`` (None: anyone may be, evaluate each caller)."""
        if rt.role.arn in self._admitted_memo:
            return self._admitted_memo[rt.role.arn]
        found: set[str] = set()
        admitted: frozenset[str] | None = None
        for g in rt.internal:
            if not _reads_caller_keys(g):
                break
            values = pinned_values(g.conditions, "aws:PrincipalArn")
            if not values:
                break
            for v in values:
                for kind in (ArnKind.USER, ArnKind.ROLE):
                    found |= self._reader.indexes[kind].match(v)
        else:
            admitted = frozenset(found)
        self._admitted_memo[rt.role.arn] = admitted
        return admitted

    def _pair_edge(self, u: int, v: int, ways_of: Callable[[int, int], list[_Way]]) -> None:
        ways = ways_of(u, v)
        if ways:
            self._edge(u, v, min(w.weight for w in ways))

    def _compute_edges(self, i: int, profile: Profile, caller: Caller, bits: int) -> None:
        reader = self._reader
        passing: dict[str, int] = {}
        existing: dict[str, int] = {}
        can_pass = bool(bits & action_bit(PASS_ROLE))
        for m, needed in _methods_with_bits():
            if needed & ~bits or (m.passes_role and not can_pass):
                continue
            verdict = max(int(reader.anywhere(profile, a, caller).verdict) for a in m.actions)
            if verdict == int(Verdict.NEVER):
                continue
            table = passing if m.passes_role else existing
            for service in m.services:
                table[service] = min(table.get(service, verdict), verdict)
        for service, verdict in passing.items():
            roles = self._service_roles.get(service)
            if not roles:
                continue
            allowed = reader.targets(profile, PASS_ROLE, ArnKind.ROLE, caller, service)
            key = ("pass", service, id(allowed))
            if key not in self._hub_keys:
                targets = {a: max(v, roles[a]) for a, v in allowed.items() if a in roles}
                self._hub(key, "pass", service, targets)
            self._edge(i, self._hub_keys[key], UNCERTAIN if verdict else 0)
        for service, verdict in existing.items():
            roles = self._service_roles.get(service)
            if not roles:
                continue
            hub = self._existing_hubs.get(service)
            if hub is None:
                # Which resource runs as which role is not in the snapshot: every such step
                # is uncertain, whatever the policies say.
                hub = self._hub(("existing", service), "existing", service, dict.fromkeys(roles, 1))
                self._existing_hubs[service] = hub
            self._edge(i, hub, 0 if verdict == 0 else UNCERTAIN)

    def _entry_edges(self, i: int, entry: _Entry) -> None:
        for arn in self._entry_roles.get(entry.node.id, ()):
            self._pair_edge(i, self._by_arn[arn], self._entry_ways)

    # --- rewrites ---

    def _rewrite_class(self, i: int, profile: Profile, caller: Caller, bits: int) -> None:
        if not bits & _REWRITE_BITS:
            return
        reads_caller = any(profile.reads_caller(a) for a in _REWRITE_ACTIONS)
        memo_key = (
            tuple(profile.key(a) for a in _REWRITE_ACTIONS),
            caller.arn if reads_caller else caller.kind,
        )
        memo = self._subject_memo.get(memo_key)
        if memo is None:
            subjects = self._subjects(profile, caller)
            memo = (subjects, frozenset(subjects.items()))
            self._subject_memo[memo_key] = memo
        subjects, key = memo
        if not subjects:
            return
        if i in subjects:
            self._self_rewrite[i] = subjects[i]
        if len(subjects) == 1 and i in subjects:
            return  # only itself: the seed above covers it, no second foothold needed
        k = self._class_of.get(key)
        if k is None:
            k = len(self.classes)
            self._class_of[key] = k
            self.classes.append(_Class([], dict(subjects)))
        self.classes[k].rw.append(i)

    def _subjects(  # noqa: PLR0912 (one block a rewrite action)
        self, profile: Profile, caller: Caller
    ) -> dict[int, int]:
        """Principal node -> verdict, for each principal this profile can make an admin."""
        reader = self._reader
        never = int(Verdict.NEVER)
        writes: dict[int, int] = {}
        removals: dict[int, int] = {}

        def put(table: dict[int, int], node: int, v: int) -> None:
            if v < table.get(node, never):
                table[node] = v

        def targets(action: str, kind: ArnKind) -> dict[str, int]:
            return reader.targets(profile, action, kind, caller)

        for action, kind in (
            (ATTACH_USER_POLICY, ArnKind.USER),
            (PUT_USER_POLICY, ArnKind.USER),
            (ATTACH_ROLE_POLICY, ArnKind.ROLE),
            (PUT_ROLE_POLICY, ArnKind.ROLE),
        ):
            for arn, v in targets(action, kind).items():
                put(writes, self._by_arn[arn], v)
        for action in (ATTACH_GROUP_POLICY, PUT_GROUP_POLICY):
            for arn, v in targets(action, ArnKind.GROUP).items():
                g = self._by_arn[arn]
                put(writes, g, v)
                for m in self._members.get(g, ()):
                    put(writes, m, v)
        for action, floor in ((CREATE_POLICY_VERSION, 0), (SET_DEFAULT_POLICY_VERSION, 1)):
            for arn, found in targets(action, ArnKind.POLICY).items():
                v = max(found, floor)  # SetDefault needs a version the snapshot does not show
                for h in self._policy_holders.get(arn, ()):
                    put(writes, h, v)
                    for m in self._members.get(h, ()):
                        put(writes, m, v)
                for h in self._boundary_holders.get(arn, ()):
                    put(removals, h, v)
        joins = targets(ADD_USER_TO_GROUP, ArnKind.GROUP)
        admin_join = min(
            (v for arn, v in joins.items() if self._by_arn[arn] in self.admin), default=never
        )
        if admin_join < never:
            for u in self.details.users:
                put(writes, self._by_arn[u.arn], admin_join)
        for action, kind in (
            (DELETE_USER_BOUNDARY, ArnKind.USER),
            (PUT_USER_BOUNDARY, ArnKind.USER),
            (DELETE_ROLE_BOUNDARY, ArnKind.ROLE),
            (PUT_ROLE_BOUNDARY, ArnKind.ROLE),
        ):
            for arn, v in targets(action, kind).items():
                put(removals, self._by_arn[arn], v)
        out: dict[int, int] = {}
        for node in {*writes, *removals}:
            w = writes.get(node, never)
            if isinstance(self._principal[node], Group) or self._permissive(node):
                v = w
            elif self._bounded_admin(node):
                v = removals.get(node, never)
            else:
                v = max(w, removals.get(node, never))
            if v < never and node not in self.admin:
                out[node] = v
        return out

    # --- the search ---

    def _search(self) -> None:
        total = len(self._out)
        rev: list[list[tuple[int, int]]] = [[] for _ in range(total)]
        for u, edges in enumerate(self._out):
            for v, w in edges:
                rev[v].append((u, w))
        self._rev = rev
        seeds: dict[int, tuple[float, int]] = {}
        for a in self.admin:
            seeds[a] = (1, _SINK)
        for a, v in self._self_rewrite.items():
            cand = (1 + (UNCERTAIN if v else 0), _SELF)
            if cand[0] < seeds.get(a, (_INF, 0))[0]:
                seeds[a] = cand
        for k, c in enumerate(self.classes):
            rw_dist, c.rw_next, settled = self._reverse({a: 0 for a in c.rw})
            footholds = [
                x
                for x in settled
                if x < self.n_real and x != self.admin_index and x not in self.admin
            ]
            offsets = {p: UNCERTAIN if v else 0 for p, v in c.subjects.items()}
            if len(footholds) <= _LOCAL_SEARCH:
                # Few nodes reach a rewriter: search forward from each to the nearest
                # subject rather than backwards from thousands of subjects.
                t_dist = {}
                for x in footholds:
                    route = self._nearest(x, offsets)
                    if route is not None:
                        c.t_routes[x] = route[1]
                        t_dist[x] = route[0]
            else:
                dist, c.t_next, _ = self._reverse(offsets)
                t_dist = {x: dist[x] for x in footholds}
            for x, t in t_dist.items():
                d = rw_dist[x] + t + 1
                if d < seeds.get(x, (_INF, 0))[0]:
                    seeds[x] = (d, _CLASS - k)
        self.dist, self.next, _ = self._reverse(
            {x: d for x, (d, _) in seeds.items()}, {x: n for x, (_, n) in seeds.items()}
        )

    def _nearest(self, s: int, offsets: Mapping[int, int]) -> tuple[float, list[int]] | None:
        """The lightest route from ``s`` to one of ``offsets`` (plus its offset)."""
        dist: dict[int, float] = {s: 0}
        prev: dict[int, int] = {}
        heap: list[tuple[float, int]] = [(0, s)]
        best: tuple[float, int] | None = None
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist.get(u, _INF):
                continue
            if best is not None and d >= best[0]:
                break
            if u in offsets and (best is None or d + offsets[u] < best[0]):
                best = (d + offsets[u], u)
            for v, w in self._out[u]:
                nd = d + w
                if nd < dist.get(v, _INF):
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if best is None:
            return None
        route = [best[1]]
        while route[-1] != s:
            route.append(prev[route[-1]])
        return best[0], [n for n in reversed(route) if n < self.n_real]

    def _reverse(
        self, seeds: Mapping[int, float], marks: Mapping[int, int] | None = None
    ) -> tuple[list[float], list[int], list[int]]:
        """Multi-source Dijkstra on the reversed graph: (distance to a seed, next node
        towards it, the nodes settled in order)."""
        total = len(self._out)
        dist = [_INF] * total
        nxt = [-1] * total
        settled: list[int] = []
        heap: list[tuple[float, int]] = []
        for x, d in seeds.items():
            dist[x] = d
            nxt[x] = marks[x] if marks is not None else -1
            heap.append((d, x))
        heapq.heapify(heap)
        rev = self._rev
        while heap:
            d, v = heapq.heappop(heap)
            if d > dist[v]:
                continue
            settled.append(v)
            for u, w in rev[v]:
                nd = d + w
                if nd < dist[u]:
                    dist[u] = nd
                    nxt[u] = v
                    heapq.heappush(heap, (nd, u))
        return dist, nxt, settled

    # --- ways of taking one step (evidence) ---

    def _identity_need(
        self, u: int, action: str, kind: ArnKind, arn: str, service: str | None = None
    ) -> list[tuple[str, list[tuple[Grant, Applies]]]] | None:
        if action not in self._profile(u).allows:
            return None
        allows, limit, denied = self._reader.grants(
            self._profile(u), action, kind, arn, self._caller(u), service=service
        )
        if denied or not allows or (limit is not None and not limit):
            return None
        return _needs(action, allows, limit)

    def _anywhere_need(
        self, u: int, action: str
    ) -> list[tuple[str, list[tuple[Grant, Applies]]]] | None:
        profile = self._profile(u)
        caller = self._caller(u)
        if action not in profile.allows:
            return None
        if self._reader.anywhere(profile, action, caller).verdict is Verdict.NEVER:
            return None
        allows, limit = self._reader.anywhere_grants(profile, action, caller)
        return _needs(action, allows, limit)

    def _assume_ways(self, u: int, v: int) -> list[_Way]:
        role = self._principal.get(v)
        rt = self._trust.get(role.arn) if isinstance(role, Role) else None
        if rt is None or u not in self._principal:
            return []
        caller = self._caller(u)
        if self._trust_denied(rt, caller):
            return []
        named = rt.named.get(self._principal[u].arn, [])
        trust_all = self._trust_grants(rt, [*rt.internal, *named], caller)
        ways = []
        allows, limit, denied = self._reader.grants(
            self._profile(u),
            ASSUME_ROLE,
            ArnKind.ROLE,
            rt.role.arn,
            caller,
        )
        if denied or (limit is not None and not limit):
            return []
        boundary = []
        if limit is not None:
            boundary = [
                (
                    "boundary:sts:AssumeRole",
                    [(r.grant("boundary:sts:AssumeRole", (ASSUME_ROLE,)), a) for r, a in limit],
                )
            ]
        if caller.kind is CallerKind.USER and named:
            trust_named = self._trust_grants(rt, named, caller)
            if trust_named:
                ways.append(_Way(Reason.ASSUME_ROLE, [("trust", trust_named), *boundary]))
        if allows and trust_all:
            grants = [(r.grant("sts:AssumeRole", (ASSUME_ROLE,)), a) for r, a in allows]
            ways.append(
                _Way(
                    Reason.ASSUME_ROLE,
                    [("sts:AssumeRole", grants), ("trust", trust_all), *boundary],
                )
            )
        return ways

    def _compute_ways(self, u: int, v: int) -> list[_Way]:
        role = self._principal.get(v)
        rt = self._trust.get(role.arn) if isinstance(role, Role) else None
        if rt is None or u not in self._principal:
            return []
        if not rt.services:
            return []
        bits = self._profile(u).allow_bits()
        can_pass = bool(bits & action_bit(PASS_ROLE))
        trusts: dict[str, list[tuple[Grant, Applies]]] = {}
        ways = []
        for m, needed in _methods_with_bits():
            if needed & ~bits or (m.passes_role and not can_pass):
                continue
            for service in m.services:
                grants = rt.services.get(service)
                if not grants:
                    continue
                if service not in trusts:
                    caller = Caller(CallerKind.SERVICE, name=service)
                    action = _WEB_IDENTITY if service == _COGNITO else _ASSUME
                    trusts[service] = self._trust_grants(rt, grants, caller, action)
                if not trusts[service]:
                    continue
                way = self._method_way(u, m, rt.role.arn, service, trusts[service])
                if way is not None:
                    ways.append(way)
        return ways

    def _method_way(
        self,
        u: int,
        m: ComputeMethod,
        role_arn: str,
        service: str,
        trust: list[tuple[Grant, Applies]],
    ) -> _Way | None:
        needs: list[tuple[str, list[tuple[Grant, Applies]]]] = []
        if m.passes_role:
            passing = self._identity_need(u, PASS_ROLE, ArnKind.ROLE, role_arn, service)
            if passing is None:
                return None
            needs.extend(passing)
        for action in m.actions:
            need = self._anywhere_need(u, action)
            if need is None:
                return None
            needs.extend(need)
        needs.append(("trust", trust))
        if m.passes_role:
            return _Way(Reason.PASS_ROLE_TO_SERVICE, needs, service=service, method=m.name)
        return _Way(
            Reason.EXISTING_COMPUTE,
            needs,
            service=service,
            method=m.name,
            unseen=True,
            notes=(
                f"depends on an existing {service} resource running as this role, which "
                "the snapshot does not show",
            ),
        )

    def _targeted_ways(self, u: int, v: int) -> list[_Way]:
        target = self._principal.get(v)
        if target is None or u not in self._principal:
            return []
        ways = []
        if isinstance(target, User):
            for action, reason in (
                (CREATE_ACCESS_KEY, Reason.CREATE_ACCESS_KEY),
                (CREATE_LOGIN_PROFILE, Reason.CREATE_LOGIN_PROFILE),
                (UPDATE_LOGIN_PROFILE, Reason.UPDATE_LOGIN_PROFILE),
            ):
                needs = self._identity_need(u, action, ArnKind.USER, target.arn)
                if needs is not None:
                    ways.append(_Way(reason, needs))
        elif isinstance(target, Role) and not target.service_linked:
            needs = self._identity_need(u, UPDATE_ASSUME_ROLE_POLICY, ArnKind.ROLE, target.arn)
            if needs is not None:
                ways.append(
                    _Way(
                        Reason.UPDATE_ASSUME_ROLE_POLICY,
                        needs,
                        notes=("rewrites the trust policy to admit itself, then assumes the role",),
                    )
                )
        elif (
            isinstance(target, Group)
            and isinstance(self._principal[u], User)
            and self._permissive(u)
        ):
            needs = self._identity_need(u, ADD_USER_TO_GROUP, ArnKind.GROUP, target.arn)
            if needs is not None:
                ways.append(_Way(Reason.ADD_USER_TO_GROUP, needs))
        return ways

    def _entry_ways(self, u: int, v: int) -> list[_Way]:
        entry = self._entries.get(u)
        role = self._principal.get(v)
        rt = self._trust.get(role.arn) if isinstance(role, Role) else None
        if entry is None or rt is None or self._trust_denied(rt, entry.caller):
            return []
        grants = [g for eid, g in rt.entries if eid == entry.node.id]
        action = _ASSUME
        if entry.node.kind is NodeKind.OIDC:
            action = _WEB_IDENTITY
        elif entry.node.kind is NodeKind.SAML:
            action = _SAML
        trust = self._trust_grants(rt, grants, entry.caller, action)
        if not trust:
            return []
        way = _Way(Reason.ASSUME_ROLE, [("trust", trust)])
        missing = self._unregistered(entry)
        if missing is not None:
            trust = [
                (g, Applies(Verdict.UNDECIDED, (*a.undecided, missing), a.notes)) for g, a in trust
            ]
            way = _Way(Reason.ASSUME_ROLE, [("trust", trust)])
        return [way]

    def _unregistered(self, entry: _Entry) -> str | None:
        arn = entry.provider_arn
        if arn is None or self._registered is None:
            return None
        collected = self._saml_collected if ":saml-provider/" in arn else self._oidc_collected
        if not collected or arn in self._registered:
            return None
        return f"the identity provider {arn} is not registered in this account"

    def _admin_way(self, u: int) -> list[_Way]:
        p = self._principal.get(u)
        if p is None or u not in self.admin:
            return []
        holds = Applies(Verdict.HOLDS)
        grants: list[tuple[Grant, Applies]] = []
        for held in self._priv.admin_policies(p):
            group = self.details.group(held.via_group) if held.via_group else None
            source = identity_source(held, p.arn, group.arn if group else None)
            if held.document is None:  # AdministratorAccess known by ARN: its one statement
                grants.append((_admin_grant(source, _ADMIN_STATEMENT, "admin"), holds))
                continue
            for s in self._priv.parse(held.document).statements:
                if _admin_statement(s):
                    grants.append((_admin_grant(source, s, "admin"), holds))
        needs = [("admin", grants)]
        boundary_arn = getattr(p, "permissions_boundary_arn", None)
        managed = self.details.policy(boundary_arn) if boundary_arn else None
        if boundary_arn and managed is not None and not is_full_admin_policy_arn(boundary_arn):
            source = boundary_source(managed.name, boundary_arn)
            limit = [
                (_admin_grant(source, s, "boundary:admin"), holds)
                for s in self._priv.parse(managed.document).statements
                if _admin_statement(s)
            ]
            if limit:
                needs.append(("boundary:admin", limit))
        return [_Way(Reason.ADMIN_EQUIVALENT, needs)]

    def _rewrite_ways(self, a: int, p: int) -> list[_Way]:
        """Every way ``a`` can make principal ``p`` an administrator (the same reading as
        ``_subjects``, statement by statement)."""
        target = self._principal.get(p)
        if target is None or a not in self._principal:
            return []

        def way(
            action: str,
            kind: ArnKind,
            arn: str,
            reason: Reason,
            note: str | None = None,
            *,
            unseen: bool = False,
        ) -> list[_Way]:
            needs = self._identity_need(a, action, kind, arn)
            if needs is None:
                return []
            return [_Way(reason, needs, subject=p, unseen=unseen, notes=(note,) if note else ())]

        writes: list[_Way] = []
        if isinstance(target, User):
            writes += way(ATTACH_USER_POLICY, ArnKind.USER, target.arn, Reason.ATTACH_POLICY)
            writes += way(PUT_USER_POLICY, ArnKind.USER, target.arn, Reason.PUT_POLICY)
        elif isinstance(target, Role):
            writes += way(ATTACH_ROLE_POLICY, ArnKind.ROLE, target.arn, Reason.ATTACH_POLICY)
            writes += way(PUT_ROLE_POLICY, ArnKind.ROLE, target.arn, Reason.PUT_POLICY)
        groups = [p] if isinstance(target, Group) else self._groups_of.get(p, [])
        for g in groups:
            group = self._principal[g]
            note = None if g == p else f"through group {group.name}, which it is in"
            writes += way(ATTACH_GROUP_POLICY, ArnKind.GROUP, group.arn, Reason.ATTACH_POLICY, note)
            writes += way(PUT_GROUP_POLICY, ArnKind.GROUP, group.arn, Reason.PUT_POLICY, note)
        for arn in self._held_customer_policies(p):
            name = self._customer_policies[arn].name
            writes += way(
                CREATE_POLICY_VERSION,
                ArnKind.POLICY,
                arn,
                Reason.POLICY_VERSION,
                f"a new default version of {name}",
            )
            writes += way(
                SET_DEFAULT_POLICY_VERSION,
                ArnKind.POLICY,
                arn,
                Reason.POLICY_VERSION,
                f"another version of {name} made the default",
                unseen=True,
            )
        if isinstance(target, User):
            for admins in self._admin_groups:
                writes += way(
                    ADD_USER_TO_GROUP,
                    ArnKind.GROUP,
                    admins.arn,
                    Reason.ADD_USER_TO_GROUP,
                    f"adds it to group {admins.name}, which is admin-equivalent",
                )
        if isinstance(target, Group) or self._permissive(p):
            return writes
        lift = Reason.DELETE_PERMISSIONS_BOUNDARY
        replace = "replaces the boundary with one that allows everything"
        removals: list[_Way] = []
        if isinstance(target, User):
            removals += way(DELETE_USER_BOUNDARY, ArnKind.USER, target.arn, lift)
            removals += way(PUT_USER_BOUNDARY, ArnKind.USER, target.arn, lift, replace)
        elif isinstance(target, Role):
            removals += way(DELETE_ROLE_BOUNDARY, ArnKind.ROLE, target.arn, lift)
            removals += way(PUT_ROLE_BOUNDARY, ArnKind.ROLE, target.arn, lift, replace)
        boundary_arn = getattr(target, "permissions_boundary_arn", None) or ""
        if boundary_arn in self._customer_policies:
            removals += way(
                CREATE_POLICY_VERSION,
                ArnKind.POLICY,
                boundary_arn,
                lift,
                "a new default version of its boundary policy",
            )
            removals += way(
                SET_DEFAULT_POLICY_VERSION,
                ArnKind.POLICY,
                boundary_arn,
                lift,
                "another version of its boundary policy made the default",
                unseen=True,
            )
        if self._bounded_admin(p):
            return removals
        return [
            _Way(
                w.reason,
                [*w.needs, *r.needs],
                subject=p,
                unseen=w.unseen or r.unseen,
                notes=(*w.notes, "and lifts its permissions boundary", *r.notes),
            )
            for w in writes
            for r in removals
        ]

    def _held_customer_policies(self, p: int) -> list[str]:
        principal = self._principal[p]
        out = [a.arn for a in principal.attached_policies]
        for g in self._groups_of.get(p, ()):
            out.extend(a.arn for a in self._principal[g].attached_policies)
        return [arn for arn in dict.fromkeys(out) if arn in self._customer_policies]

    def _ways(self, u: int, v: int) -> list[_Way]:
        """Every way of going from node ``u`` to node ``v`` in one step."""
        if v == self.admin_index:
            return self._admin_way(u)
        if u in self._entries:
            return self._entry_ways(u, v)
        out = [*self._assume_ways(u, v), *self._compute_ways(u, v), *self._targeted_ways(u, v)]
        return out

    # --- hops and paths ---

    def _hop(self, u: int, v: int, subject: int | None = None) -> Hop:
        """The hop from node ``u`` to node ``v`` (to ``admin`` rewriting ``subject``);
        paths share their last steps, so each is worked out once."""
        key = (u, v, subject)
        hit = self._hops.get(key)
        if hit is None:
            hit = self._hops[key] = self._new_hop(u, v, subject)
        return hit

    def _new_hop(self, u: int, v: int, subject: int | None) -> Hop:
        ways = self._rewrite_ways(u, subject) if subject is not None else self._ways(u, v)
        source, target = self.nodes_list[u], self.nodes_list[v]
        if not ways:
            return Hop(
                source,
                target,
                Reason.ASSUME_ROLE,
                notes=("internal error: no evidence recomputed for this step",),
            )
        ways.sort(key=lambda w: (w.weight, _REASON_ORDER[w.reason]))
        best = ways[0]
        critical = set.intersection(*(w.critical() for w in ways))
        alternatives = tuple(dict.fromkeys(w.reason for w in ways[1:] if w.reason != best.reason))
        return Hop(
            source=source,
            target=target,
            reason=best.reason,
            evidence=best.evidence(),
            critical=tuple(sorted(critical, key=lambda s: (s.policy_ref, s.index))),
            undecided=best.undecided(),
            needs_unseen_resource=best.unseen,
            subject=self.nodes_list[subject] if subject is not None else None,
            service=best.service,
            method=best.method,
            notes=best.all_notes(),
            alternatives=alternatives,
        )

    def _real_next(self, nxt: Sequence[int], u: int) -> int:
        """The next real node after ``u`` along ``nxt``, stepping over a hub."""
        v = nxt[u]
        while v >= self.n_real:
            v = nxt[v]
        return v

    def _admin_path(self, s: int) -> AttackPath | None:
        """The shortest (most certain first) path from node ``s`` to ``admin``."""
        if self.dist[s] == _INF or s == self.admin_index:
            return None
        hops: list[Hop] = []
        reached = [s]
        cur = s
        for _ in range(self.n_real + 1):
            step = self.next[cur]
            if step == _SINK:
                hops.append(self._hop(cur, self.admin_index))
                break
            if step == _SELF:
                hops.append(self._hop(cur, self.admin_index, subject=cur))
                break
            if step <= _CLASS:
                hops.extend(self._rewrite_hops(cur, self.classes[_CLASS - step], reached))
                break
            nxt = self._real_next(self.next, cur)
            hops.append(self._hop(cur, nxt))
            reached.append(nxt)
            cur = nxt
        return AttackPath(self.nodes_list[s], tuple(hops))

    def _rewrite_hops(self, x: int, c: _Class, reached: list[int]) -> list[Hop]:
        hops: list[Hop] = []
        have = set(reached)
        a = x
        while c.rw_next[a] != -1:
            b = self._real_next(c.rw_next, a)
            hops.append(self._hop(a, b))
            have.add(b)
            a = b
        route = c.t_routes.get(x)
        if route is None:
            route = [x]
            while c.t_next[route[-1]] != -1:
                route.append(self._real_next(c.t_next, route[-1]))
        for q, b in itertools.pairwise(route):
            if b not in have:
                hops.append(self._hop(q, b))
                have.add(b)
        q = route[-1]
        hops.append(self._hop(a, self.admin_index, subject=q))
        return hops

    def _forward_path(self, s: int, t: int) -> AttackPath | None:
        """The lightest chain of "can act as" steps from node ``s`` to node ``t``."""
        if s == t:
            return AttackPath(self.nodes_list[s], ())
        total = len(self._out)
        dist = [_INF] * total
        prev = [-1] * total
        dist[s] = 0
        heap: list[tuple[float, int]] = [(0, s)]
        while heap:
            d, u = heapq.heappop(heap)
            if d > dist[u]:
                continue
            if u == t:
                break
            for v, w in self._out[u]:
                nd = d + w
                if nd < dist[v]:
                    dist[v] = nd
                    prev[v] = u
                    heapq.heappush(heap, (nd, v))
        if dist[t] == _INF:
            return None
        chain = [t]
        while chain[-1] != s:
            chain.append(prev[chain[-1]])
        real = [n for n in reversed(chain) if n < self.n_real]
        hops = tuple(self._hop(u, v) for u, v in itertools.pairwise(real))
        return AttackPath(self.nodes_list[s], hops)

    def _successors(self, u: int) -> list[int]:
        """The real nodes one step from ``u`` (through hubs)."""
        out: dict[int, None] = {}
        stack = [v for v, _ in self._out[u]]
        while stack:
            v = stack.pop()
            if v >= self.n_real:
                stack.extend(w for w, _ in self._out[v])
            elif v != u:
                out[v] = None
        return sorted(out)

    # --- the public questions ---

    def node(self, key: str | Node) -> Node | None:
        """A node by id, ARN or name: ``arn:…:user/alice``, ``alice``, ``user/alice``,
        ``account:111122223333``, ``*``, ``admin``. A bare name that is both a user's and a
        role's finds the user (then role, then group); prefix it with ``role/`` to choose."""
        if isinstance(key, Node):
            key = key.id
        i = self._lookup(key)
        return self.nodes_list[i] if i is not None else None

    def _lookup(self, key: str) -> int | None:
        hit = self.index.get(key)
        if hit is not None:
            return hit
        kind, sep, name = key.partition("/")
        wanted = {"user": NodeKind.USER, "role": NodeKind.ROLE, "group": NodeKind.GROUP}
        order = [wanted[kind]] if sep and kind in wanted else list(wanted.values())
        if not (sep and kind in wanted):
            name = key
        for k in order:
            for i, n in enumerate(self.nodes_list):
                if n.kind is k and n.name == name:
                    return i
        return next((i for i, n in enumerate(self.nodes_list) if n.name == key), None)

    def nodes(self) -> tuple[Node, ...]:
        """Every node: principals by ARN, then entry points by id, then ``admin``."""
        return tuple(self.nodes_list)

    def admin_principals(self, *, include_groups: bool = False) -> tuple[Node, ...]:
        """The admin-equivalent users and roles (and groups), by ARN: the sinks."""
        kinds = {NodeKind.USER, NodeKind.ROLE} | ({NodeKind.GROUP} if include_groups else set())
        return tuple(
            self.nodes_list[i] for i in sorted(self.admin) if self.nodes_list[i].kind in kinds
        )

    def is_admin(self, node: str | Node) -> bool:
        """True when the node is an admin-equivalent principal."""
        i = self._index_of(node)
        return i in self.admin

    def starts(self) -> tuple[Node, ...]:
        """The nodes a path may start from: users, roles (not service-linked) and entry
        points, admin-equivalent ones left out."""
        out = []
        for i, n in enumerate(self.nodes_list):
            if i in self.admin or n.kind in (NodeKind.GROUP, NodeKind.ADMIN):
                continue
            p = self._principal.get(i)
            if isinstance(p, Role) and p.service_linked:
                continue
            out.append(n)
        return tuple(out)

    def paths_to_admin(self) -> tuple[AttackPath, ...]:
        """One path per start (``starts()``) that can end up admin: its shortest, most
        certain one; users and roles first by ARN, then entry points by id."""
        with self._lock:
            if self._paths is None:
                out = []
                for n in self.starts():
                    path = self._admin_path(self.index[n.id])
                    if path is not None:
                        out.append(path)
                self._paths = tuple(out)
            return self._paths

    def path(self, from_node: str | Node, to_node: str | Node = ADMIN_NODE) -> AttackPath | None:
        """The path from one node to another (default: to ``admin``), or None.

        To ``admin`` it is the path ``paths_to_admin`` reports (rewrites included; an
        admin-equivalent start gives the one hop that says so). To any other node it is the
        lightest chain of "can act as" steps; admin-equivalent nodes have no outgoing steps
        (they can do anything), and rewrites, which lead only to admin, are not followed.
        """
        s, t = self._index_of(from_node), self._index_of(to_node)
        if s is None or t is None:
            return None
        if t == self.admin_index:
            if s in self.admin:
                return AttackPath(self.nodes_list[s], (self._hop(s, t),))
            return self._admin_path(s)
        return self._forward_path(s, t)

    def can_reach_admin(self, node: str | Node) -> bool:
        """True when the node is admin-equivalent or some path leads it to admin."""
        i = self._index_of(node)
        return i is not None and self.dist[i] != _INF

    def hops_from(self, node: str | Node) -> tuple[Hop, ...]:
        """Every one-step move from a node (to ``admin`` too when it is admin-equivalent or
        rewrites its own permissions), each with its evidence."""
        i = self._index_of(node)
        if i is None:
            return ()
        hops = [self._hop(i, v) for v in self._successors(i)]
        if i in self.admin:
            hops.append(self._hop(i, self.admin_index))
        elif i in self._self_rewrite:
            hops.append(self._hop(i, self.admin_index, subject=i))
        return tuple(hops)

    def _index_of(self, node: str | Node) -> int | None:
        return self._lookup(node.id if isinstance(node, Node) else node)


# --- helpers -----------------------------------------------------------------------------

_REWRITE_ACTIONS = (
    ATTACH_USER_POLICY,
    PUT_USER_POLICY,
    ATTACH_ROLE_POLICY,
    PUT_ROLE_POLICY,
    ATTACH_GROUP_POLICY,
    PUT_GROUP_POLICY,
    CREATE_POLICY_VERSION,
    SET_DEFAULT_POLICY_VERSION,
    ADD_USER_TO_GROUP,
    DELETE_USER_BOUNDARY,
    PUT_USER_BOUNDARY,
    DELETE_ROLE_BOUNDARY,
    PUT_ROLE_BOUNDARY,
)
_REWRITE_BITS = sum(action_bit(a) for a in _REWRITE_ACTIONS)
_ADMIN_STATEMENT = Statement(effect=Effect.ALLOW, actions=("*",), resources=("*",))


@cache
def _methods_with_bits() -> tuple[tuple[ComputeMethod, int], ...]:
    return tuple((m, sum(action_bit(a) for a in m.actions)) for m in compute_methods())


def _admin_statement(s: Statement) -> bool:
    """An unconditional Allow on ``*`` of one of the admin forms (``*``, ``iam:*``,
    ``NotAction``): the statements an admin-equivalent principal's grant rests on."""
    if s.effect is not Effect.ALLOW or s.conditions or not s.covers_resource("*"):
        return False
    if s.not_actions:
        return not any(a.strip() in ("*", "*:*") for a in s.not_actions)
    return s.covers_action("*:*") or s.covers_action("iam:*")


def _admin_grant(source: Source, s: Statement, need: str) -> Grant:
    return Grant(
        kind=source.kind,
        policy=source.label,
        policy_ref=source.ref,
        statement_index=s.index,
        sid=s.sid,
        need=need,
        actions=s.actions or tuple(f"not {a}" for a in s.not_actions),
        resources=s.resources or tuple(f"not {r}" for r in s.not_resources) or ("*",),
        aws_managed=source.aws_managed,
    )


def _everyone(details: AuthorizationDetails) -> list[IamPrincipal]:
    return [*details.users, *details.roles, *details.groups]


def _principal_node(p: IamPrincipal) -> Node:
    kind = (
        NodeKind.USER
        if isinstance(p, User)
        else NodeKind.ROLE
        if isinstance(p, Role)
        else NodeKind.GROUP
    )
    account = p.arn.split(":")[4] if p.arn.count(":") >= 5 else None
    return Node(id=p.arn, kind=kind, name=p.name, arn=p.arn, account_id=account)


def _principal_arn(
    principal: str, details: AuthorizationDetails, known: frozenset[str]
) -> str | None:
    """The ARN of this account's user or role a trust principal names, if it exists (a role
    session's ARN names its role)."""
    if ":assumed-role/" in principal:
        name = principal.split(":assumed-role/", 1)[1].split("/", 1)[0]
        return next((r.arn for r in details.roles if r.name == name), None)
    return principal if principal in known else None


def _service_names(principal: str) -> list[str]:
    lower = principal.lower()
    return [lower[: -len(".cn")] if lower.endswith(".amazonaws.com.cn") else lower]


def _federated_id(g: TrustGrant, federation: Federation) -> str:
    saml = federation.provider.name == "SAML"
    prefixes = _claim_prefixes(federation.host, saml)
    claims = sorted(
        f"{c.operator} {c.key} {','.join(c.values)}"
        for c in g.conditions
        if any(c.key.startswith(p) for p in prefixes)
    )
    return f"{'saml' if saml else 'oidc'}:{g.principal}|{';'.join(claims)}"


def _claim_prefixes(host: str, saml: bool) -> tuple[str, ...]:
    if saml:
        return ("saml:",)
    return (f"{host.lower()}:",)


def _reads_caller_keys(g: TrustGrant) -> bool:
    return any(
        c.key in ("aws:principalarn", "aws:username", "aws:userid", "aws:principaltype")
        for c in g.conditions
    )


def _wildcard_only(s: Statement) -> bool:
    return bool(s.principals) and all(p.is_wildcard for p in s.principals)


def _deny_names(s: Statement, caller: Caller, account_id: str) -> bool:
    """True when a trust Deny's principals include ``caller``.

    An account (its bare id or root ARN) names every principal of it: this account's for
    our users, roles and groups, the other one's for an account entry point; anyone and
    federated callers belong to no account a Deny could name.
    """
    account = None
    if caller.kind in (CallerKind.USER, CallerKind.ROLE, CallerKind.GROUP):
        account = account_id
    elif caller.kind is CallerKind.ACCOUNT:
        account = caller.account_id

    def names(p_kind: str, value: str) -> bool:
        if value == "*" and p_kind in ("*", "AWS"):
            return True
        if p_kind == "Federated":
            return caller.kind is CallerKind.FEDERATED and value == caller.arn
        if p_kind != "AWS":
            return False
        if account is not None and (value == account or value.endswith(f":{account}:root")):
            return True
        return caller.arn is not None and value == caller.arn

    if s.not_principals:
        return not any(names(p.kind, p.value) for p in s.not_principals)
    return any(names(p.kind, p.value) for p in s.principals)


# --- one graph per snapshot --------------------------------------------------------------

_CACHE: dict[int, tuple[AuthorizationDetails, tuple[object, ...], AttackGraph]] = {}
_CACHE_LIMIT = 4
_CACHE_LOCK = threading.Lock()


def build_graph(
    source: Snapshot | AuthorizationDetails,
    *,
    account_id: str | None = None,
    partition: str | None = None,
) -> AttackGraph:
    """The attack graph of a snapshot (or bare authorization details), cached per details."""
    if isinstance(source, Snapshot):
        details = source.authorization
        if details is None:
            raise ValueError("the snapshot has no authorization details")
        account = account_id or source.account_id
        part = partition or source.partition
        oidc, saml = source.oidc_providers, source.saml_providers
    else:
        details = source
        account = account_id or _infer_account(details)
        part = partition or _infer_partition(details)
        oidc = saml = None
    inputs: tuple[object, ...] = (
        account,
        part,
        None if oidc is None else tuple(p.arn for p in oidc),
        None if saml is None else tuple(p.arn for p in saml),
    )
    with _CACHE_LOCK:
        hit = _CACHE.get(id(details))
        if hit is not None and hit[0] is details and hit[1] == inputs:
            return hit[2]
    graph = AttackGraph(
        details, account_id=account, partition=part, oidc_providers=oidc, saml_providers=saml
    )
    with _CACHE_LOCK:
        if len(_CACHE) >= _CACHE_LIMIT:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[id(details)] = (details, inputs, graph)
    return graph


def has_graph(details: AuthorizationDetails) -> bool:
    """Whether a graph of ``details`` is cached (for any account id, partition, providers)."""
    return is_cached(_CACHE, _CACHE_LOCK, details)


def forget_graph(details: AuthorizationDetails) -> bool:
    """Drop the cached graph of ``details``, if any; True when there was one."""
    return forget(_CACHE, _CACHE_LOCK, details)


def _infer_account(details: AuthorizationDetails) -> str:
    for p in _everyone(details):
        fields = p.arn.split(":")
        if len(fields) > 4 and fields[4]:
            return fields[4]
    return "000000000000"


def _infer_partition(details: AuthorizationDetails) -> str:
    for p in _everyone(details):
        fields = p.arn.split(":")
        if len(fields) > 1 and fields[1]:
            return fields[1]
    return "aws"


def _needs(
    action: str,
    allows: Sequence[tuple[SRef, Applies]],
    limit: Sequence[tuple[SRef, Applies]] | None,
) -> list[tuple[str, list[tuple[Grant, Applies]]]]:
    """What one action needs: its allowing grants, and the boundary's when one applies."""
    name = spelled(action)
    needs = [(name, [(r.grant(name, (action,)), a) for r, a in allows])]
    if limit is not None:
        boundary = f"boundary:{name}"
        needs.append((boundary, [(r.grant(boundary, (action,)), a) for r, a in limit]))
    return needs
