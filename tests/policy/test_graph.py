"""auditor.policy.graph: attack paths to administrator, their evidence, and the cheapest cut."""

from __future__ import annotations

import json

import pytest
from factories import (
    ROOT_ARN,
    arn,
    document,
    group,
    policy,
    role,
    statement,
    user,
)
from graph_cases import (
    ADMIN,
    CASES,
    LAMBDA_TRUST,
    SOURCE_IP,
    VENDOR,
    Case,
    admin_role,
    admits,
    assumes,
    p,
    passes,
    snap,
    trust,
)

from auditor.policy.graph import (
    ADMIN_NODE,
    AttackGraph,
    AttackPath,
    GrantKind,
    NodeKind,
    Reason,
    attack_graph,
    cheapest_cut,
    render_path,
)
from auditor.policy.graph.engine import _CACHE


def spell(path: AttackPath) -> tuple[str, ...]:
    """A path as the table writes it: ``reason>target[@subject]``, ``source:`` on a fork."""
    out = []
    current = path.start
    for hop in path.hops:
        text = f"{hop.reason.value}>{hop.target.name}"
        if hop.subject is not None and hop.subject != hop.source:
            text += f"@{hop.subject.name}"
        if hop.source != current:
            text = f"{hop.source.name}:{text}"
        out.append(text)
        current = hop.target
    return tuple(out)


def graph_of(case: Case) -> AttackGraph:
    return attack_graph(case.build())


# --- the table ---------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_path_table(case: Case) -> None:
    graph = graph_of(case)
    start = graph.node(case.start)
    path = graph.path(start) if start is not None else None
    if case.expect is None:
        assert path is None, render_path(path) if path else ""
        assert start is None or start.id not in {p.start.id for p in graph.paths_to_admin()}
        return
    assert start is not None, f"no node {case.start!r}: {[n.name for n in graph.nodes()]}"
    assert path is not None, f"no path from {case.start}"
    assert spell(path) == case.expect, render_path(path)
    assert path.end == ADMIN_NODE
    assert path.certain is case.certain, render_path(path)
    assert path in graph.paths_to_admin()
    for hop in path.hops:
        assert hop.evidence, f"a hop without evidence: {render_path(path)}"
        assert not any("internal error" in n for n in hop.notes)
    if case.undecided is not None:
        assert any(case.undecided in u for u in path.undecided), path.undecided
    if case.note is not None:
        assert any(case.note in n for h in path.hops for n in h.notes), [h.notes for h in path.hops]


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


# --- the cheapest cut --------------------------------------------------------------------


def _cut_fixture(fn_trust: dict[str, object] = LAMBDA_TRUST) -> AttackGraph:
    """Four users pass an admin role to Lambda (three through one managed policy, one
    through its own), one more assumes another admin role."""
    deployer = policy("deployer", document(*passes("fn-admin")))
    users = [user(n, policies=[deployer]) for n in ("alice", "bob", "carol")]
    users.append(user("dave", inline_policies=[p("own", *passes("fn-*"))]))
    users.append(user("erin", inline_policies=[p("a", assumes("ops"))]))
    return attack_graph(
        snap(*users, admin_role("fn-admin", fn_trust), admin_role("ops"), policies=[deployer])
    )


def test_cheapest_cut_names_the_statement_shared_by_most_paths() -> None:
    graph = _cut_fixture()
    paths = graph.paths_to_admin()
    assert [p.start.name for p in paths] == ["alice", "bob", "carol", "dave", "erin"]
    cut = cheapest_cut(paths)
    assert cut is not None
    # The role's trust of Lambda is on all four pass-role paths; the shared managed policy
    # on three; the admin grant itself is what the paths lead to and is not offered.
    assert cut.statement.policy_ref == arn("role", "fn-admin") + "#trust"
    assert cut.statement.index == 0
    assert cut.paths_broken == 4
    assert [s.rsplit("/", 1)[-1] for s in cut.starts] == ["alice", "bob", "carol", "dave"]
    with_admin = cheapest_cut(paths, include_admin_grants=True)
    assert with_admin is not None
    assert with_admin.statement.policy_ref == ADMIN.arn
    assert with_admin.paths_broken == 5
    # Applying the cut does break those four paths.
    fixed = _cut_fixture(trust(admits({"Service": "ec2.amazonaws.com"})))
    assert [p.start.name for p in fixed.paths_to_admin()] == ["erin"]


def test_a_statement_with_an_alternative_is_not_critical() -> None:
    graph = _cut_fixture()
    alice = graph.path("alice")
    assert alice is not None
    first = alice.hops[0]
    assert first.reason is Reason.PASS_ROLE_TO_SERVICE
    assert first.service == "lambda.amazonaws.com"
    assert first.method == "Lambda+Invoke"
    refs = {(s.policy_ref.rsplit("/", 1)[-1], s.index) for s in first.critical}
    assert refs == {("deployer", 0), ("deployer", 1), ("fn-admin#trust", 0)}
    # Two policies grant the same step: neither alone breaks it.
    twice = attack_graph(
        snap(
            user("alice", inline_policies=[p("a", assumes("ops")), p("b", assumes("*"))]),
            admin_role("ops"),
        )
    )
    hop = twice.path("alice").hops[0]  # type: ignore[union-attr]
    assert {g.policy for g in hop.evidence if g.kind is GrantKind.IDENTITY} == {
        "a (inline)",
        "b (inline)",
    }
    assert [s.policy_ref for s in hop.critical] == [arn("role", "ops") + "#trust"]


def test_no_cut_without_paths() -> None:
    assert cheapest_cut(()) is None


# --- evidence ----------------------------------------------------------------------------


def test_evidence_names_identity_trust_and_boundary_statements() -> None:
    sts = policy("sts", document(statement("sts:*")))
    graph = attack_graph(
        snap(
            user("alice", inline_policies=[p("a", {**assumes("ops"), "Sid": "Hop"})], boundary=sts),
            admin_role("ops"),
            policies=[sts],
        )
    )
    hop = graph.path("alice").hops[0]  # type: ignore[union-attr]
    by_kind = {g.kind: g for g in hop.evidence}
    identity = by_kind[GrantKind.IDENTITY]
    assert (identity.policy, identity.policy_ref) == ("a (inline)", arn("user", "alice") + "#a")
    assert (identity.statement_index, identity.sid) == (0, "Hop")
    assert identity.actions == ("sts:AssumeRole",)
    assert identity.resources == (arn("role", "ops"),)
    assert by_kind[GrantKind.TRUST].principal == ROOT_ARN
    assert by_kind[GrantKind.BOUNDARY].policy == "sts (permissions boundary)"
    assert by_kind[GrantKind.BOUNDARY].need == "boundary:sts:AssumeRole"


def test_group_inline_policies_are_named_by_their_group() -> None:
    graph = attack_graph(
        snap(
            user("alice", groups=["ops-team"]),
            group("ops-team", inline_policies=[p("hop", assumes("ops"))]),
            admin_role("ops"),
        )
    )
    grant = graph.path("alice").hops[0].evidence[0]  # type: ignore[union-attr]
    assert grant.policy == "hop (inline, via group ops-team)"
    assert grant.policy_ref == arn("group", "ops-team") + "#hop"


def test_undecided_conditions_are_named_with_their_statement() -> None:
    graph = attack_graph(
        snap(
            user("alice", inline_policies=[p("a", assumes("ops", condition=SOURCE_IP))]),
            admin_role("ops"),
        )
    )
    path = graph.path("alice")
    assert path is not None and not path.certain
    assert path.undecided == ('a (inline) stmt 0: IpAddress aws:sourceip "10.0.0.0/8"',)
    assert "undecided: a (inline) stmt 0" in render_path(path)


def test_path_to_dict_is_json() -> None:
    graph = _cut_fixture()
    data = json.loads(json.dumps([p.to_dict() for p in graph.paths_to_admin()]))
    first = data[0]
    assert first["start"]["name"] == "alice"
    assert first["end"] == "admin"
    # Whole nodes, so a renderer can label them without the snapshot.
    assert first["nodes"][0]["name"] == "alice"
    assert all({"id", "kind", "name"} <= set(n) for n in first["nodes"])
    assert first["nodes"][0] == graph.paths_to_admin()[0].start.to_dict()
    assert first["nodes"][-1] == {"id": "admin", "kind": "admin", "name": "admin"}
    assert first["hops"][0]["source"] == first["nodes"][0]["id"]
    assert [h["reason"] for h in first["hops"]] == ["pass-role", "admin-equivalent"]
    assert first["hops"][0]["service"] == "lambda.amazonaws.com"
    assert first["text"].startswith("alice -(pass-role to lambda.amazonaws.com")
    assert json.loads(json.dumps(cheapest_cut(graph.paths_to_admin()).to_dict()))  # type: ignore[union-attr]


# --- rendering ---------------------------------------------------------------------------


def test_render_is_one_inert_line_whatever_the_names() -> None:
    hostile = "evil\x1b[2J\u202erole\nname"
    sid = "S\x07id"
    graph = attack_graph(
        snap(
            user("alice", inline_policies=[p("pol\x1b]0;x", {**assumes("*"), "Sid": sid})]),
            admin_role(hostile),
        )
    )
    text = render_path(graph.path("alice"))  # type: ignore[arg-type]
    assert "\x1b" not in text and "\u202e" not in text and "\n" not in text and "\x07" not in text
    assert "evil?[2J?role?name" in text
    assert text.endswith("-> admin")


def test_render_marks_a_second_foothold() -> None:
    graph = graph_of(next(c for c in CASES if c.id == "two-footholds-from-one-start"))
    text = render_path(graph.path("carol"))  # type: ignore[arg-type]
    assert "; carol -(create-access-key" in text
    assert "; dave -(attach-policy on erin" in text


# --- the graph's questions ---------------------------------------------------------------


def test_nodes_are_found_by_arn_name_kind_and_id() -> None:
    graph = attack_graph(
        snap(
            user("ops"),
            admin_role("ops", trust(admits({"AWS": VENDOR}))),
            group("devs"),
        )
    )
    assert graph.node(arn("role", "ops")).kind is NodeKind.ROLE  # type: ignore[union-attr]
    assert graph.node("ops").kind is NodeKind.USER  # type: ignore[union-attr]
    assert graph.node("role/ops").kind is NodeKind.ROLE  # type: ignore[union-attr]
    assert graph.node("group/devs").kind is NodeKind.GROUP  # type: ignore[union-attr]
    account = graph.node(f"account:{VENDOR}")
    assert account is not None and account.starts_outside and account.account_id == VENDOR
    assert graph.node("admin") == ADMIN_NODE
    assert graph.node("nobody") is None
    assert graph.path("nobody") is None


def test_admin_principals_and_starts() -> None:
    graph = attack_graph(
        snap(
            user("root-ish", policies=[ADMIN]),
            user("member", groups=["admins"]),
            group("admins", policies=[ADMIN]),
            admin_role("ops"),
            user("plain"),
            role("svc", path="/aws-service-role/x.amazonaws.com/"),
        )
    )
    assert [n.name for n in graph.admin_principals()] == ["ops", "member", "root-ish"]
    assert [n.name for n in graph.admin_principals(include_groups=True)] == [
        "admins",
        "ops",
        "member",
        "root-ish",
    ]
    assert [n.name for n in graph.starts()] == ["plain"]
    assert graph.is_admin("member") and not graph.is_admin("plain")
    # An administrator's own path is the one hop that says so.
    own = graph.path("member")
    assert own is not None and spell(own) == ("admin-equivalent>admin",)
    assert own.hops[0].evidence[0].policy == "AdministratorAccess (managed, via group admins)"
    assert graph.paths_to_admin() == ()


def test_path_between_two_principals_and_hops_from() -> None:
    graph = graph_of(next(c for c in CASES if c.id == "four-hops-through-three-roles"))
    path = graph.path("alice", "r2")
    assert path is not None and spell(path) == ("assume-role>r1", "assume-role>r2")
    assert graph.path("r2", "alice") is None
    assert graph.path("alice", "alice") == AttackPath(graph.node("alice"), ())  # type: ignore[arg-type]
    assert [h.target.name for h in graph.hops_from("r2")] == ["r3"]
    assert [h.reason for h in graph.hops_from("r3")] == [Reason.ADMIN_EQUIVALENT]
    assert graph.can_reach_admin("alice") and not graph.can_reach_admin("nobody")


def test_outside_paths_say_so() -> None:
    graph = attack_graph(
        snap(
            user("alice", inline_policies=[p("a", assumes("vendor"))]),
            admin_role("vendor", trust(admits({"AWS": [ROOT_ARN, VENDOR]}))),
        )
    )
    paths = {p.start.name: p for p in graph.paths_to_admin()}
    assert set(paths) == {"alice", f"account {VENDOR}"}
    assert paths[f"account {VENDOR}"].starts_outside
    assert not paths["alice"].starts_outside


def test_graph_is_cached_per_details_and_built_from_details_alone() -> None:
    s = snap(user("alice", inline_policies=[p("a", assumes("ops"))]), admin_role("ops"))
    assert attack_graph(s) is attack_graph(s)
    assert s.authorization is not None
    bare = attack_graph(s.authorization)
    assert bare.account_id == "123456789012" and bare.partition == "aws"
    assert spell(bare.path("alice")) == ("assume-role>ops", "admin-equivalent>admin")  # type: ignore[arg-type]
    assert len(_CACHE) <= 4
    with pytest.raises(ValueError, match="no authorization details"):
        attack_graph(snap().__class__(**{**snap().__dict__, "authorization": None}))


def test_paths_are_deterministic() -> None:
    case = next(c for c in CASES if c.id == "the-shortest-of-two-routes")
    first = [p.to_dict() for p in attack_graph(case.build()).paths_to_admin()]
    second = [p.to_dict() for p in attack_graph(case.build()).paths_to_admin()]
    assert first == second


def test_wildcard_grants_share_a_hub_instead_of_pairwise_edges() -> None:
    users = [user(f"u{i:03d}", inline_policies=[p("d", *passes("*"))]) for i in range(300)]
    roles = [admin_role(f"fn{i:02d}", LAMBDA_TRUST) for i in range(30)]
    graph = attack_graph(snap(*users, *roles))
    edges = sum(len(out) for out in graph._out)
    assert edges < len(users) + len(roles) * 3  # not 300 x 30
    assert len(graph.paths_to_admin()) == 300


def test_every_hop_of_a_varied_account_has_evidence() -> None:
    from benchmarks.analysis import Shape, build_snapshot

    snapshot = build_snapshot(Shape(roles=120, customer_policies=150, users=60, groups=6))
    graph = attack_graph(snapshot)
    paths = graph.paths_to_admin()
    assert paths
    assert any(p.starts_outside for p in paths)
    for path in paths:
        assert path.end == ADMIN_NODE
        for hop in path.hops:
            assert hop.evidence, render_path(path)
            assert not any("internal error" in n for n in hop.notes), render_path(path)
    assert cheapest_cut(paths) is not None


# --- conditions --------------------------------------------------------------------------

PASS_CTX = {"action": "iam:passrole", "service": "lambda.amazonaws.com"}


@pytest.mark.parametrize(
    ("operator", "key", "values", "ctx", "can_hold", "can_fail"),
    [
        ("StringEquals", "iam:PassedToService", ["lambda.amazonaws.com"], PASS_CTX, True, False),
        ("StringLike", "iam:PassedToService", ["ec2.*"], PASS_CTX, False, True),
        ("StringNotEquals", "iam:PassedToService", ["ec2.amazonaws.com"], PASS_CTX, True, False),
        (
            "StringEqualsIfExists",
            "iam:PassedToService",
            ["ec2.amazonaws.com"],
            PASS_CTX,
            False,
            True,
        ),  # the key is present on PassRole: IfExists changes nothing
        (
            "StringEquals",
            "iam:PassedToService",
            ["ec2.amazonaws.com"],
            {"action": "lambda:createfunction"},
            False,
            True,
        ),  # absent key
        (
            "StringNotEquals",
            "iam:PassedToService",
            ["x"],
            {"action": "lambda:createfunction"},
            True,
            False,
        ),  # negated operators pass on an absent key
        (
            "ForAnyValue:StringEquals",
            "aws:TagKeys",
            ["a"],
            {"action": "iam:putuserpolicy"},
            False,
            True,
        ),
        (
            "ForAllValues:StringEquals",
            "aws:TagKeys",
            ["a"],
            {"action": "iam:putuserpolicy"},
            True,
            False,
        ),
        ("Null", "aws:RequestTag/x", ["false"], {"action": "lambda:createfunction"}, True, True),
        (
            "StringEquals",
            "sts:RoleSessionName",
            ["alice"],
            {"action": "sts:assumerole"},
            True,
            True,
        ),
        ("IpAddress", "aws:SourceIp", ["10.0.0.0/8"], {"action": "sts:assumerole"}, None, None),
        (
            "StringEquals",
            "aws:ResourceAccount",
            ["123456789012"],
            {"action": "sts:assumerole"},
            True,
            False,
        ),
        ("StringEquals", "aws:PrincipalTag/team", ["x"], {"action": "sts:assumerole"}, None, None),
    ],
)
def test_condition_outcomes(  # noqa: PLR0917 (one parameter a column of the table)
    operator: str,
    key: str,
    values: list[str],
    ctx: dict[str, str],
    can_hold: bool | None,
    can_fail: bool | None,
) -> None:
    from auditor.policy.document import Condition
    from auditor.policy.graph.conditions import Caller, CallerKind, Context, outcome

    condition = Condition(operator, key.lower(), tuple(values))
    context = Context(account_id="123456789012", caller=Caller(CallerKind.USER), **ctx)
    result = outcome(condition, context)
    assert (result.can_hold, result.can_fail) == (can_hold, can_fail)
