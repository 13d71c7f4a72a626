"""The HTML report's "Attack paths" section: PERM-010's paths to administrator, laid out.

Everything is computed here from the findings' evidence, so one report always draws the same
bytes and the template only writes numbers and escaped text into SVG. Past
``MAX_PER_COLUMN`` principals a column groups those sharing kind and next hops, and at most
``MAX_EDGES`` edges are drawn; evidence of an older, newer or broken PERM-010 degrades to a
simpler drawing instead of failing the report.
"""

from __future__ import annotations

import unicodedata
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from auditor.model import Finding, Report, Status

CHECK_ID = "PERM-010"
ADMIN_ID = "admin"

# Principals drawn one by one in a column before similar ones are grouped into one node.
MAX_PER_COLUMN = 12
# Of those, how many of a crowded column's busiest principals keep a box of their own.
KEPT_PER_COLUMN = 5
# Edges drawn at most; with MAX_PER_COLUMN this only bites on unusually tangled accounts.
MAX_EDGES = 120
# Rows of the table of paths written as HTML (the rest are failing findings of PERM-010).
TABLE_ROWS = 100
# Member names a grouped node lists under the drawing before "and N more".
MAX_MEMBERS = 300
# Characters of a name shown inside a node (the whole name is in its tooltip).
LABEL_CHARS = 28

# Geometry, in px of the SVG's own coordinates (it scales down on narrow screens).
NODE_WIDTH = 200
NODE_HEIGHT = 36
ROW_GAP = 16
COLUMN_GAP = 150  # room between columns for the edges' reason labels
MARGIN = 10

_OUTSIDE_KINDS = frozenset({"account", "oidc", "saml", "anyone"})
_KIND_WORDS: Mapping[str, tuple[str, str]] = {
    "user": ("user", "users"),
    "role": ("role", "roles"),
    "group": ("group", "groups"),
    "account": ("other account", "other accounts"),
    "oidc": ("OIDC identity", "OIDC identities"),
    "saml": ("SAML identity", "SAML identities"),
    "anyone": ("anyone", "anyone"),
    "admin": ("administrator", "administrator"),
    "principal": ("principal", "principals"),
}


def shown(text: object, limit: int | None = None) -> str:
    """``text`` as a string with control and format characters as ``?``, cut to ``limit``.

    HTML escaping already keeps markup inert; this keeps a bidi override or a newline in a
    name from making it read as another name.
    """
    clean = "".join("?" if unicodedata.category(ch).startswith("C") else ch for ch in str(text))
    if limit is not None and len(clean) > limit:
        return clean[: limit - 1] + "…"
    return clean


def kind_of(node_id: str) -> str:
    """The kind of a bare node id, as the attack-path engine spells ids."""
    if node_id == ADMIN_ID:
        return "admin"
    if node_id == "*":
        return "anyone"
    for prefix in ("account", "oidc", "saml"):
        if node_id.startswith(prefix + ":"):
            return prefix
    for kind in ("user", "role", "group"):
        if f":{kind}/" in node_id:
            return kind
    return "principal"


def _name_of(node_id: str) -> str:
    """A readable name for a bare id: an ARN's last path segment, else the id."""
    if node_id.startswith("arn:") and "/" in node_id:
        return node_id.rsplit("/", 1)[-1]
    return node_id


# --- reading the evidence -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PathNode:
    """One node as the evidence names it."""

    id: str
    kind: str
    name: str

    @property
    def outside(self) -> bool:
        """True for an entry point outside the account's own users and roles."""
        return self.kind in _OUTSIDE_KINDS


@dataclass(frozen=True, slots=True)
class PathHop:
    """One hop as the evidence gives it; ``cut`` when the account's cut breaks it."""

    source: str
    target: str
    reason: str
    certain: bool
    cut: bool = False


@dataclass(frozen=True, slots=True)
class PathRow:
    """One path, as the table of paths shows it."""

    start: PathNode
    text: str
    certain: bool | None  # None: the evidence does not say
    undecided: tuple[str, ...]
    severity: str
    outside: bool
    length: int


@dataclass(frozen=True, slots=True)
class _Parsed:
    row: PathRow
    order: tuple[str, ...]  # node ids, start first, as the path reaches them
    hops: tuple[PathHop, ...]


def _node(value: object) -> PathNode | None:
    """A node from a node dict or a bare id; None when neither."""
    if isinstance(value, str) and value:
        return PathNode(value, kind_of(value), _name_of(value))
    if isinstance(value, Mapping):
        node_id = value.get("id")
        if not isinstance(node_id, str) or not node_id:
            return None
        kind = value.get("kind")
        name = value.get("name")
        return PathNode(
            node_id,
            kind if isinstance(kind, str) and kind else kind_of(node_id),
            name if isinstance(name, str) and name else _name_of(node_id),
        )
    return None


def _statement_key(value: object) -> tuple[str, int] | None:
    if not isinstance(value, Mapping):
        return None
    ref, index = value.get("policy_ref"), value.get("statement_index")
    if isinstance(ref, str) and isinstance(index, int) and not isinstance(index, bool):
        return ref, index
    return None


def _hops(raw: object, cut: tuple[str, int] | None) -> list[PathHop]:
    hops = []
    for hop in raw if isinstance(raw, list) else ():
        if not isinstance(hop, Mapping):
            continue
        source, target = _node(hop.get("source")), _node(hop.get("target"))
        if source is None or target is None:
            continue
        reason = hop.get("reason")
        critical = hop.get("critical")
        breaks = cut is not None and any(
            _statement_key(s) == cut for s in (critical if isinstance(critical, list) else ())
        )
        hops.append(
            PathHop(
                source.id,
                target.id,
                shown(reason) if isinstance(reason, str) and reason else "unknown",
                hop.get("certain") is not False,
                breaks,
            )
        )
    return hops


def _text(path: Mapping[str, Any], names: Mapping[str, str], hops: Sequence[PathHop]) -> str:
    """The evidence's own one-line rendering, else one spelled from the hops."""
    text = path.get("text")
    if isinstance(text, str) and text:
        return shown(text)
    if not hops:
        return ""
    parts = [names.get(hops[0].source, hops[0].source)]
    current = hops[0].source
    for hop in hops:
        if hop.source != current:
            parts.append("; " + names.get(hop.source, hop.source))
        parts.append(f" -({hop.reason})-> {names.get(hop.target, hop.target)}")
        current = hop.target
    return shown("".join(parts))


def parse_path(
    finding: Finding, cut: tuple[str, int] | None = None
) -> tuple[_Parsed, dict[str, PathNode]]:
    """One PERM-010 finding's path, whatever shape its evidence is in, and its nodes."""
    evidence = finding.evidence if isinstance(finding.evidence, Mapping) else {}
    raw_path = evidence.get("path")
    path: Mapping[str, Any] = raw_path if isinstance(raw_path, Mapping) else {}
    fallback = PathNode(
        finding.resource_arn or finding.resource_name,
        kind_of(finding.resource_arn),
        finding.resource_name or _name_of(finding.resource_arn),
    )
    start = _node(path.get("start")) or fallback
    nodes = {start.id: start}
    raw_nodes = path.get("nodes")
    for value in raw_nodes if isinstance(raw_nodes, list) else ():
        node = _node(value)
        if node is not None:
            nodes.setdefault(node.id, node)
    hops = _hops(path.get("hops"), cut)
    if not hops:
        # Nothing to follow: the check still says this start reaches admin, so draw that.
        hops = [PathHop(start.id, ADMIN_ID, "unknown", path.get("certain") is True)]
    order = [start.id]
    for hop in hops:
        for end in (hop.source, hop.target):
            if end not in nodes:
                nodes[end] = PathNode(end, kind_of(end), _name_of(end))
            if end not in order:
                order.append(end)
    names = {node_id: shown(node.name) for node_id, node in nodes.items()}
    certain = path.get("certain")
    undecided = path.get("undecided")
    length = path.get("length")
    row = PathRow(
        start=PathNode(start.id, start.kind, shown(start.name)),
        text=_text(path, names, hops) if path else shown(finding.detail),
        certain=certain if isinstance(certain, bool) else None,
        undecided=tuple(shown(u) for u in undecided if isinstance(u, str))
        if isinstance(undecided, list)
        else (),
        severity=finding.severity.value,
        outside=path.get("starts_outside") is True or start.outside,
        length=length if isinstance(length, int) and not isinstance(length, bool) else len(hops),
    )
    return _Parsed(row, tuple(order), tuple(hops)), nodes


# --- the drawing --------------------------------------------------------------------------


@dataclass(slots=True)
class DrawnNode:
    """A box of the drawing: one principal, or a group of similar ones (``members``)."""

    id: str
    kind: str
    label: str
    caption: str
    tooltip: str
    outside: bool
    column: int
    members: list[str] = field(default_factory=list)
    x: float = 0.0
    y: float = 0.0

    @property
    def grouped(self) -> bool:
        """True when the box stands for more than one principal."""
        return len(self.members) > 1


@dataclass(frozen=True, slots=True)
class DrawnEdge:
    """An arrow from one box to another, labelled with the hops' reasons."""

    source: str
    target: str
    label: str
    tooltip: str
    certain: bool
    cut: bool
    d: str  # the SVG path
    label_x: float
    label_y: float


@dataclass(frozen=True, slots=True)
class CutView:
    """The account's cheapest cut, as one sentence's parts."""

    policy: str
    policy_ref: str
    statement_index: int | None
    sid: str
    paths_broken: int
    paths: int


@dataclass(slots=True)
class AttackPathsView:
    """Everything the "Attack paths" section shows.

    ``cut_known`` is False when the findings carry no ``cut`` key at all (the section then
    says nothing about a cut); ``cut`` None with ``cut_known`` means no single statement
    breaks any path. ``errors`` counts PERM-010 ERROR findings (the answer is incomplete).
    """

    paths: int = 0
    starts_outside: int = 0
    uncertain: int = 0
    muted: int = 0
    errors: int = 0
    rows: list[PathRow] = field(default_factory=list)
    nodes: list[DrawnNode] = field(default_factory=list)
    edges: list[DrawnEdge] = field(default_factory=list)
    width: int = 0
    height: int = 0
    edges_left_out: int = 0
    cut: CutView | None = None
    cut_known: bool = False
    description: str = ""

    @property
    def groups(self) -> list[DrawnNode]:
        """The boxes that stand for several principals, for the table under the drawing."""
        return [n for n in self.nodes if n.grouped]

    @property
    def table_rows(self) -> list[PathRow]:
        """The rows of the table of paths written as HTML."""
        return self.rows[:TABLE_ROWS]


def _columns(parsed: Sequence[_Parsed]) -> dict[str, int]:
    """Each node's column, counted back from ``admin`` (last): its steps still to go.

    Counting from the right puts every principal one column before what it steps to, so
    the arrows of shortest paths join neighbouring columns and never run through boxes;
    outside entry points, which take the most steps, end up leftmost. A node with
    different distances on different paths takes the longest, to stay left of its steps.
    """
    to_go: dict[str, int] = {}
    for p in parsed:
        for position, node_id in enumerate(p.order):
            if node_id != ADMIN_ID:
                to_go[node_id] = max(to_go.get(node_id, 1), len(p.order) - 1 - position)
    used = sorted(set(to_go.values()), reverse=True)
    compact = {steps: i for i, steps in enumerate(used)}  # no empty columns
    out = {node_id: compact[steps] for node_id, steps in to_go.items()}
    out[ADMIN_ID] = len(used)
    return out


def _plural(kind: str, count: int) -> str:
    singular, plural = _KIND_WORDS.get(kind, _KIND_WORDS["principal"])
    return f"{count} {singular if count == 1 else plural}"


def _single(node: PathNode, column: int) -> DrawnNode:
    words = _KIND_WORDS.get(node.kind, _KIND_WORDS["principal"])[0]
    caption = f"{words}, outside the account" if node.outside else words
    return DrawnNode(
        id=node.id,
        kind=node.kind,
        label=shown(node.name, LABEL_CHARS),
        caption=caption,
        tooltip=f"{words}: {shown(node.id)}",
        outside=node.outside,
        column=column,
        members=[shown(node.name)],
    )


def _grouped(key: str, members: Sequence[PathNode], column: int, *, rest: bool) -> DrawnNode:
    kinds = {m.kind for m in members}
    kind = kinds.pop() if len(kinds) == 1 else "principal"
    outside = any(m.outside for m in members)
    label = _plural(kind, len(members))
    caption = "not drawn one by one" if rest else "grouped: same next hops"
    return DrawnNode(
        id=key,
        kind=kind,
        label=("more: " if rest else "") + label,
        caption=caption,
        tooltip=f"{label}: "
        + ", ".join(shown(m.name) for m in members[:20])
        + (f" and {len(members) - 20} more" if len(members) > 20 else ""),
        outside=outside,
        column=column,
        members=[shown(m.name) for m in members],
    )


def _group_columns(
    by_column: Mapping[int, list[PathNode]],
    out_edges: Mapping[str, set[tuple[str, str]]],
    traffic: Mapping[str, int],
    last: int,
) -> dict[str, DrawnNode]:
    """Each node id's box, grouping a crowded column's similar principals, right to left.

    In a column of more than ``MAX_PER_COLUMN``, the principals most paths go through (a
    few, and only those on more than one path) keep their own box: they are where a fix
    helps most. The others are grouped by kind and next hops. Right to left because a
    principal's next hops are compared by their boxes: two users who assume two different
    roles that were themselves grouped have the same next hop.
    """
    box_of: dict[str, DrawnNode] = {}
    for column in range(last - 1, -1, -1):
        nodes = sorted(by_column.get(column, []), key=lambda n: (n.name, n.id))
        if len(nodes) <= MAX_PER_COLUMN:
            for node in nodes:
                box_of[node.id] = _single(node, column)
            continue
        busiest = sorted(
            (n for n in nodes if traffic.get(n.id, 0) > 1),
            key=lambda n: (-traffic.get(n.id, 0), n.name, n.id),
        )[:KEPT_PER_COLUMN]
        for node in busiest:
            box_of[node.id] = _single(node, column)
        kept = {n.id for n in busiest}
        nodes = [n for n in nodes if n.id not in kept]
        buckets: dict[tuple[Any, ...], list[PathNode]] = defaultdict(list)
        for node in nodes:
            nexts = frozenset(
                (box_of[t].id if t in box_of else t, reason) for t, reason in out_edges[node.id]
            )
            buckets[(node.kind, node.outside, nexts)].append(node)
        # Outside entry points first, so the cap never folds them into "more".
        ordered = sorted(
            buckets.values(), key=lambda ms: (not ms[0].outside, -len(ms), ms[0].name, ms[0].id)
        )
        placed = [(members, False) for members in ordered]
        room = MAX_PER_COLUMN - len(kept)
        if len(placed) > room:
            rest = [n for ms in ordered[room - 1 :] for n in ms]
            placed = [*placed[: room - 1], (rest, True)]
        for index, (members, is_rest) in enumerate(placed):
            if len(members) == 1:
                box = _single(members[0], column)
            else:
                box = _grouped(f"group:{column}:{index}", members, column, rest=is_rest)
            for member in members:
                box_of[member.id] = box
    return box_of


def _place(boxes: Sequence[DrawnNode], edges: Mapping[tuple[str, str], Any], last: int) -> int:
    """Set every box's x and y; return the drawing's height.

    Columns are centred on the tallest one; within a column, right to left, boxes sit in
    the order of the mean height of what they lead to (then outside first, then by name),
    which keeps most arrows from crossing and is the same on every run.
    """
    by_column: dict[int, list[DrawnNode]] = defaultdict(list)
    for box in boxes:
        by_column[box.column].append(box)
    tallest = max(len(column) for column in by_column.values())
    height = 2 * MARGIN + tallest * (NODE_HEIGHT + ROW_GAP) - ROW_GAP
    targets: dict[str, list[str]] = defaultdict(list)
    for source, target in edges:
        targets[source].append(target)
    y_of: dict[str, float] = {}
    for column in range(last, -1, -1):
        members = by_column.get(column, [])

        def key(box: DrawnNode) -> tuple[float, bool, str, str]:
            ys = [y_of[t] for t in targets[box.id] if t in y_of]
            return (sum(ys) / len(ys) if ys else float(height), not box.outside, box.label, box.id)

        members.sort(key=key)
        top = (
            MARGIN + (height - 2 * MARGIN - (len(members) * (NODE_HEIGHT + ROW_GAP) - ROW_GAP)) / 2
        )
        for index, box in enumerate(members):
            box.x = float(MARGIN + column * (NODE_WIDTH + COLUMN_GAP))
            box.y = round(top + index * (NODE_HEIGHT + ROW_GAP), 1)
            y_of[box.id] = box.y
    return height


def _reasons_label(reasons: Sequence[str]) -> str:
    label = ", ".join(reasons[:2])
    return f"{label} +{len(reasons) - 2}" if len(reasons) > 2 else label


@dataclass(slots=True)
class _EdgeFacts:
    reasons: dict[str, None] = field(default_factory=dict)
    certain: bool = False
    cut: bool = False
    hops: int = 0


# Where along an arrow its label sits: nearer the source, because many arrows converge on
# one role (every user who can assume it) and labels at the middle would pile up there.
LABEL_AT = 0.32


def _bezier(p0: float, p1: float, p2: float, p3: float, t: float = LABEL_AT) -> float:
    """One coordinate of the cubic Bézier curve through these control values at ``t``."""
    u = 1 - t
    return u**3 * p0 + 3 * u * u * t * p1 + 3 * u * t * t * p2 + t**3 * p3


def _full(box: DrawnNode) -> str:
    """A box's whole name (its label may be cut short), or its count for a group."""
    return box.members[0] if len(box.members) == 1 else box.label


def _edge(source: DrawnNode, target: DrawnNode, facts: _EdgeFacts) -> DrawnEdge:
    x1, y1 = source.x + NODE_WIDTH, source.y + NODE_HEIGHT / 2
    x2, y2 = target.x - 3, target.y + NODE_HEIGHT / 2  # the arrowhead ends at the box
    bend = max(40.0, abs(x2 - x1) / 2)  # a backward edge still leaves and enters sideways
    reasons = list(facts.reasons)
    tooltip = f"{_full(source)} → {_full(target)}: {', '.join(reasons)}"
    if facts.hops > 1:
        tooltip += f" ({facts.hops} hops)"
    if not facts.certain:
        tooltip += "; depends on a condition or resource the snapshot cannot decide"
    if facts.cut:
        tooltip += "; broken by the cheapest cut"
    return DrawnEdge(
        source=source.id,
        target=target.id,
        label=_reasons_label(reasons),
        tooltip=tooltip,
        certain=facts.certain,
        cut=facts.cut,
        d=(f"M{x1:g} {y1:g}C{x1 + bend:g} {y1:g} {x2 - bend:g} {y2:g} {x2:g} {y2:g}"),
        label_x=round(_bezier(x1, x1 + bend, x2 - bend, x2), 1),
        label_y=round(_bezier(y1, y1, y2, y2) - 4, 1),
    )


def _cut_view(raw: object, paths: int) -> CutView | None:
    if not isinstance(raw, Mapping):
        return None
    index = raw.get("statement_index")
    broken = raw.get("paths_broken")
    sid = raw.get("sid")
    policy = raw.get("policy") or raw.get("policy_ref") or "an unnamed policy"
    return CutView(
        policy=shown(policy),
        policy_ref=shown(raw.get("policy_ref") or ""),
        statement_index=index if isinstance(index, int) and not isinstance(index, bool) else None,
        sid=shown(sid) if isinstance(sid, str) else "",
        paths_broken=broken if isinstance(broken, int) and not isinstance(broken, bool) else 0,
        paths=paths,
    )


def _drawing(
    view: AttackPathsView, parsed: Sequence[_Parsed], nodes: Mapping[str, PathNode]
) -> None:
    """Lay out the union of the paths' hops into ``view`` (boxes, arrows, size)."""
    column = _columns(parsed)
    last = column[ADMIN_ID]
    out_edges: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for p in parsed:
        for hop in p.hops:
            out_edges[hop.source].add((hop.target, hop.reason))
    by_column: dict[int, list[PathNode]] = defaultdict(list)
    for node_id, c in column.items():
        if node_id != ADMIN_ID:
            by_column[c].append(nodes[node_id])
    traffic: dict[str, int] = defaultdict(int)
    for p in parsed:
        for node_id in p.order:
            traffic[node_id] += 1
    box_of = _group_columns(by_column, out_edges, traffic, last)
    admin = DrawnNode(
        id=ADMIN_ID,
        kind="admin",
        label="admin",
        caption="administrator of the account",
        tooltip="administrator rights in this account",
        outside=False,
        column=last,
    )
    box_of[ADMIN_ID] = admin
    boxes = list({id(b): b for b in box_of.values()}.values())
    facts: dict[tuple[str, str], _EdgeFacts] = defaultdict(_EdgeFacts)
    for p in parsed:
        for hop in p.hops:
            source, target = box_of[hop.source], box_of[hop.target]
            if source is target:
                continue  # two members of one group: inside the box
            f = facts[(source.id, target.id)]
            f.reasons.setdefault(hop.reason)
            f.certain |= hop.certain  # one certain way of taking the step is enough
            f.cut |= hop.cut
            f.hops += 1
    view.height = _place(boxes, facts, last)
    view.width = 2 * MARGIN + last * (NODE_WIDTH + COLUMN_GAP) + NODE_WIDTH
    by_id = {b.id: b for b in boxes}
    ordered = sorted(
        facts.items(),
        key=lambda kv: (by_id[kv[0][0]].column, by_id[kv[0][0]].y, by_id[kv[0][1]].y, kv[0]),
    )
    view.edges_left_out = max(0, len(ordered) - MAX_EDGES)
    view.edges = [_edge(by_id[s], by_id[t], f) for (s, t), f in ordered[:MAX_EDGES]]
    view.nodes = sorted(boxes, key=lambda b: (b.column, b.y))


def attack_paths_view(report: Report) -> AttackPathsView | None:
    """The section's content, or None when PERM-010 did not run (the section is left out).

    Only unmuted FAIL findings are drawn: a muted path was accepted by someone, and is
    counted, not drawn. An ERROR of PERM-010 is counted so the section can say its answer
    is incomplete.
    """
    ran = any(m.id == CHECK_ID for m in report.checks) or any(
        f.check_id == CHECK_ID for f in report.findings
    )
    if not ran:
        return None
    view = AttackPathsView()
    failing: list[Finding] = []
    for finding in report.findings:
        if finding.check_id != CHECK_ID:
            continue
        if finding.muted:
            view.muted += 1
        elif finding.status is Status.FAIL:
            failing.append(finding)
        elif finding.status is Status.ERROR:
            view.errors += 1
    if not failing:
        return view
    # Critical (outside) first, then as the check listed them: the report's own order.
    failing.sort(key=lambda f: -f.severity.rank)
    evidences = [f.evidence if isinstance(f.evidence, Mapping) else {} for f in failing]
    view.cut_known = any("cut" in e for e in evidences)
    raw_cut = next((e["cut"] for e in evidences if isinstance(e.get("cut"), Mapping)), None)
    cut_key = _statement_key(raw_cut)
    parsed: list[_Parsed] = []
    nodes: dict[str, PathNode] = {}
    for finding in failing:
        one, its_nodes = parse_path(finding, cut_key)
        parsed.append(one)
        for node_id, node in its_nodes.items():
            nodes.setdefault(node_id, node)
    view.rows = [p.row for p in parsed]
    view.paths = len(parsed)
    view.starts_outside = sum(p.row.outside for p in parsed)
    view.uncertain = sum(p.row.certain is False for p in parsed)
    view.cut = _cut_view(raw_cut, view.paths)
    _drawing(view, parsed, nodes)
    grouped = sum(len(b.members) for b in view.groups)
    view.description = (
        f"Attack paths to administrator: {view.paths} path(s), {view.starts_outside} from "
        f"outside the account, through {len(view.nodes) - 1} drawn box(es)"
        + (f", {grouped} principals in grouped boxes" if grouped else "")
        + f", {len(view.edges)} arrow(s)"
        + (f", {view.edges_left_out} arrow(s) not drawn" if view.edges_left_out else "")
        + "."
    )
    return view


def row_evidence(finding: Finding) -> str | None:
    """A PERM-010 finding's evidence as its row shows it, or None for other findings.

    The whole evidence (every hop's statements, and the cut with the ids of every path it
    breaks, repeated on each finding) is 40 KB a finding in a large account: 55 MB of JSON
    for the page's data block, which then takes minutes to open. The row shows the path's
    one line and the cut's statement; the drawing above has the rest, report.json all of it.
    """
    if finding.check_id != CHECK_ID or not isinstance(finding.evidence, Mapping):
        return None
    parsed, _ = parse_path(finding)
    parts = [f"path: {parsed.row.text}"] if parsed.row.text else []
    cut = _cut_view(finding.evidence.get("cut"), 0)
    if cut is not None:
        sid = f" ({cut.sid})" if cut.sid else ""
        parts.append(
            f"cheapest cut: statement {cut.statement_index}{sid} of {cut.policy}, "
            f"breaks {cut.paths_broken} path(s)"
        )
    return "; ".join(parts)


def members_shown(box: DrawnNode) -> tuple[list[str], int]:
    """The member names a grouped box lists, and how many more there are."""
    return box.members[:MAX_MEMBERS], max(0, len(box.members) - MAX_MEMBERS)


__all__ = [
    "CHECK_ID",
    "MAX_EDGES",
    "MAX_PER_COLUMN",
    "TABLE_ROWS",
    "AttackPathsView",
    "CutView",
    "DrawnEdge",
    "DrawnNode",
    "PathRow",
    "attack_paths_view",
    "kind_of",
    "members_shown",
    "parse_path",
    "row_evidence",
    "shown",
]
