"""Hostile input, from snapshot to every output: nothing crashes and nothing comes alive.

IAM restricts names, but tags, descriptions, paths, policy condition values and provider
URLs take almost anything, and a saved snapshot or an account name in an Organization can
hold any string at all. Each string of ``HOSTILE`` is put everywhere a snapshot carries
text (user, group, role and policy names, tags, role description, paths, trust and
permission policy principals and condition values, SAML and OIDC providers, credential
report rows, server certificates, MFA devices), in mute reasons from the configuration and
in an Organization's account names and errors. The snapshot is analyzed with every check
and rendered in every format, and the outputs are held to architecture.md's hard rule 4:

- HTML: parsed with ``html.parser``, the page has no element and no attribute the template
  did not write for a benign account of the same shape, exactly the template's scripts,
  no ``on*`` attribute, no ``javascript:`` URL, and the same Content-Security-Policy;
- CSV: read back with the ``csv`` module and with pandas, no cell starts with a formula
  sign (``= + - @``), a tab or a carriage return, even after leading blanks;
- JSON (report, OCSF, ASFF, org summary): parses, and gives the exact string back;
- terminal text (the end-of-run summary, the org summary, org progress lines): no raw
  control character (ESC, NUL, CR, bidi overrides) but the line breaks it writes itself.

Policy documents of every odd shape are then fuzzed with hypothesis: no check may crash on
them (a crash would turn into an ERROR finding saying "the check failed with").
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import unicodedata
from collections.abc import Iterator
from datetime import date
from html.parser import HTMLParser
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from auditor import console
from auditor.analyze import analyze, selected_checks
from auditor.audit import TOOL
from auditor.config import Mute, Settings
from auditor.model import AccountOutcome, CheckTally, Gap, OrgReport, Report, Severity, Source
from auditor.report import Format, as_bytes, render
from auditor.report.html_report import decode_data
from auditor.report.json_read import read_report
from auditor.report.org_summary import render_org
from auditor.snapshot import OidcProvider, Snapshot, dumps, loads
from tests.factories import (
    ACCOUNT,
    NOW,
    access_analyzer,
    analyzer,
    arn,
    cred_row,
    document,
    group,
    inline,
    key,
    policy,
    role,
    root_row,
    saml,
    server_cert,
    snapshot,
    statement,
    summary,
    user,
    vmfa,
)

LONG = "A" * 50_000 + "<script>alert(1)</script>" + "=" * 50_000
HOSTILE: dict[str, str] = {
    "html-script": "<script>alert(1)</script>",
    "html-attr": '"><img src=x onerror=alert(1)>',
    "html-svg": "<svg/onload=alert(1)>",
    "js-url": "javascript:alert(document.cookie)",
    "close-script": "</script><script>alert(1)</script>",
    "html-comment": "<!-- --><a href=javascript:alert(1)>x</a>",
    "jinja": "{{7*7}}{% raw %}",
    "formula-hyperlink": '=HYPERLINK("http://x","y")',
    "formula-at": "@SUM(A1)",
    "formula-plus": "+1",
    "formula-minus": "-1",
    "formula-tab": "\t=1+1",
    "formula-cr": "\r=1+1",
    "formula-spaced": "  =cmd|' /C calc'!A0",
    "long-100k": LONG,
    "rtl-override": "admin\u202egnp.exe",
    "zero-width": "ad\u200bmin\u200d\ufeff",
    "emoji": "🔥💀👩‍💻",
    "combining": "Z̴̡̛a̸l̷g̶o̵" + "\u0301" * 50,
    "nul": "nul\x00byte",
    "escape": "\x1b[2J\x1b[31mred\x1b]0;title\x07",
    "crlf": "line1\r\nSet-Cookie: x=1\r\n\r\n<b>",
    "c1-controls": "\x85\x9b31m\x9c",
}

# A benign string of the same shape: the page written for it is the template's own.
BENIGN = "benign"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
TERMINAL_OK = {"\n"}


def hostile_snapshot(s: str) -> Snapshot:
    """An account in which ``s`` is every name, tag, description, path and condition value."""
    cond = {
        "StringEquals": {"aws:PrincipalTag/team": s, s: [s, s]},
        "StringLike": {"sts:ExternalId": s},
        s: {s: s},
    }
    doc = document(
        statement(["s3:GetObject", s], [f"arn:aws:s3:::{s}/*", s], condition=cond),
        statement("iam:*", "*", effect="Allow"),
    )
    trust = document(
        {
            "Sid": s,
            "Effect": "Allow",
            "Principal": {"AWS": [f"arn:aws:iam::210987654321:role/{s}", s], "Federated": s},
            "Action": "sts:AssumeRole",
            "Condition": cond,
        }
    )
    managed = policy(s, doc)
    u = user(s, policies=[managed], inline_policies=[inline(s, doc)], groups=[s])
    u = _with(u, tags={s: s, "k": s}, path=f"/{s}/")
    r = role(s, trust=trust, policies=[managed], inline_policies=[inline(s, doc)], path=f"/{s}/")
    r = _with(r, description=s, tags={s: s})
    return snapshot(
        credential_report=[
            root_row(keys=[key(1, age_days=400)]),
            cred_row(s, password=True, keys=[key(1, age_days=400), key(2, age_days=5)]),
        ],
        users=[u],
        groups=[group(s, policies=[managed], inline_policies=[inline(s, doc)])],
        roles=[r],
        policies=[managed],
        account_summary=summary(keys=1, mfa=0),
        virtual_mfa_devices=(vmfa(s, user_arn=arn("user", s), user_name=s),),
        server_certificates=(server_cert(s, expires_in_days=-3),),
        saml_providers=(saml(s),),
        oidc_providers=(_oidc(f"https://{s}/"),),
        access_analyzer=access_analyzer(["us-east-1"], analyzer("us-east-1", name=s, kind=s)),
        # The password policy could not be read, with an error and message of ``s``.
        gaps=[
            Gap(
                source=Source.PASSWORD_POLICY,
                operation="iam:GetAccountPasswordPolicy",
                error=s,
                message=s,
                region=s,
            )
        ],
    )


def _with(entity: Any, **changes: Any) -> Any:
    return dataclasses.replace(entity, **changes)


def _oidc(url: str) -> OidcProvider:
    return OidcProvider(arn=arn("oidc-provider", url))


def audit_settings(s: str) -> Settings:
    """Every check muted on every resource with ``s`` as the reason; a past mute noted."""
    ids = [c.meta.id for c in selected_checks(Settings())]
    mutes = [Mute(check=i, resource="*", reason=s) for i in ids[::2]]
    mutes.append(Mute(check=ids[1], resource=s, reason=s, expires=date(2020, 1, 1)))
    return Settings(mutes=tuple(mutes))


def audited(s: str) -> Report:
    settings = audit_settings(s)
    return analyze(hostile_snapshot(s), settings, selected_checks(settings), tool=TOOL)


def org_report(s: str, report: Report) -> OrgReport:
    tally = CheckTally(check_id="KEY-002", title=s, severity=Severity.HIGH, failed=2)
    return OrgReport(
        tool=TOOL,
        runner_account_id=ACCOUNT,
        generated_at=NOW,
        accounts=(
            AccountOutcome(
                account_id=ACCOUNT,
                name=s,
                score=report.score,
                complete=report.complete,
                summary=report.summary(),
                gaps=report.gaps,
                failing=(tally,),
                reports=(f"out/{ACCOUNT}/report.html", f"s3://bucket/{s}"),
            ),
            AccountOutcome(account_id="210987654321", name=s, error=s),
        ),
    )


# --- HTML ------------------------------------------------------------------------------------


class Shape(HTMLParser):
    """Every element and attribute of a page, the text of its scripts, its CSP."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: set[tuple[str, frozenset[str]]] = set()
        self.scripts: list[dict[str, str | None]] = []
        self.bad: list[str] = []
        self.csp: list[str | None] = []
        self.data_blocks: list[str] = []
        self._in_data = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add((tag, frozenset(name for name, _ in attrs)))
        values = dict(attrs)
        if tag == "script":
            self.scripts.append(values)
            self._in_data = values.get("type") == "application/octet-stream"
        if tag == "meta" and values.get("http-equiv") == "Content-Security-Policy":
            self.csp.append(values.get("content"))
        for name, value in attrs:
            if name.startswith("on"):
                self.bad.append(f"<{tag} {name}>")
            if value and value.strip().lower().startswith(("javascript:", "data:", "vbscript:")):
                self.bad.append(f"<{tag} {name}={value[:30]}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        self._in_data = False

    def handle_data(self, data: str) -> None:
        if self._in_data:
            self.data_blocks.append(data)


def shape(page: bytes) -> Shape:
    parser = Shape()
    parser.feed(page.decode("utf-8"))
    parser.close()
    return parser


@pytest.fixture(scope="module")
def benign_pages() -> dict[str, Shape]:
    report = audited(BENIGN)
    files = as_bytes(render(report, list(Format)))
    files.update(render_org(org_report(BENIGN, report)))
    return {name: shape(body) for name, body in files.items() if name.endswith(".html")}


def assert_inert(name: str, page: Shape, benign: Shape) -> None:
    assert page.bad == [], name
    assert page.tags <= benign.tags, (name, sorted(page.tags - benign.tags, key=str)[:5])
    assert page.scripts == benign.scripts, name
    assert page.csp == benign.csp and len(page.csp) == 1, name


# --- the outputs -------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=sorted(HOSTILE), ids=sorted(HOSTILE))
def outputs(request: pytest.FixtureRequest) -> tuple[str, Report, dict[str, bytes]]:
    s = HOSTILE[request.param]
    report = audited(s)
    files = as_bytes(render(report, list(Format)))
    files.update(render_org(org_report(s, report)))
    return s, report, files


def test_every_output_is_written_and_names_the_hostile_resource(
    outputs: tuple[str, Report, dict[str, bytes]],
) -> None:
    s, report, files = outputs
    assert {"report.json", "report.csv", "report.html", "report.ocsf.json"} <= set(files)
    assert {"report.asff.json", "cis-7.0.csv", "cis-7.0.html", "org-summary.html"} <= set(files)
    # The checks judged the hostile entities rather than erring on them.
    named = [f for f in report.findings if f.resource_name == s]
    assert len(named) >= 5
    crashed = [f.detail for f in report.findings if "the check failed with" in f.detail]
    assert crashed == []
    assert any(f.muted and f.mute_reason == s for f in report.findings)


def test_html_pages_are_inert(
    outputs: tuple[str, Report, dict[str, bytes]], benign_pages: dict[str, Shape]
) -> None:
    s, _, files = outputs
    pages = {name: shape(body) for name, body in files.items() if name.endswith(".html")}
    assert set(pages) == set(benign_pages)
    for name, page in pages.items():
        assert_inert(name, page, benign_pages[name])
    # The string is shown, not lost: the report page's data block holds it exactly.
    (block,) = pages["report.html"].data_blocks
    data = decode_data(block.strip())
    assert any(row[3] == s for row in data["rows"])


def csv_cells(body: bytes) -> Iterator[str]:
    csv.field_size_limit(1 << 24)  # a 100k-character name is one cell
    text = body.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text, newline="")):
        yield from row
    frame = pd.read_csv(io.BytesIO(body), dtype=str, keep_default_na=False, encoding="utf-8-sig")
    for column in frame.columns:
        yield column
        yield from frame[column].tolist()


def test_csv_cells_are_neutralised(outputs: tuple[str, Report, dict[str, bytes]]) -> None:
    s, _, files = outputs
    sheets = [name for name in files if name.endswith(".csv")]
    assert sorted(sheets) == ["cis-7.0.csv", "org-summary.csv", "report.csv"]
    for name in sheets:
        cells = list(csv_cells(files[name]))
        live = [c for c in cells if c.startswith(FORMULA_START) or c.lstrip()[:1] in set("=+-@")]
        assert live == [], (name, [c[:40] for c in live[:3]])
    # The exact string survives inside its (prefixed) cell of report.csv.
    names = {c.removeprefix("'") for c in csv_cells(files["report.csv"])}
    assert s in names


def strings_in(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def test_json_outputs_parse_and_round_trip_the_exact_string(
    outputs: tuple[str, Report, dict[str, bytes]],
) -> None:
    s, _, files = outputs
    for name in ("report.json", "report.ocsf.json", "report.asff.json", "org-summary.json"):
        data = json.loads(files[name].decode("utf-8"))
        assert s in set(strings_in(data)) or name == "report.asff.json", name
    report = read_report(json.loads(files["report.json"]))
    assert s in {f["resource_name"] for f in report["findings"]}
    assert s in {f["mute_reason"] for f in report["findings"]}
    org = json.loads(files["org-summary.json"])
    assert [a["name"] for a in org["accounts"]] == [s, s]


def test_snapshot_round_trips_the_exact_strings() -> None:
    for s in HOSTILE.values():
        snap = hostile_snapshot(s)
        again = loads(dumps(snap))
        assert again == snap


def raw_controls(text: str) -> list[str]:
    """Control and format characters a terminal would act on (bar ``\\n``)."""
    return sorted(
        {
            repr(ch)
            for ch in text
            if ch not in TERMINAL_OK and unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp"}
        }
    )


def test_terminal_text_has_no_raw_control_characters(
    outputs: tuple[str, Report, dict[str, bytes]],
) -> None:
    s, report, _ = outputs
    assert raw_controls(console.summary(report, ["out/report.json"])) == []
    org = org_report(s, report)
    assert raw_controls(console.org_summary(org, ["out/org-summary.json"])) == []


def test_org_progress_lines_have_no_raw_control_characters() -> None:
    from auditor.org import MemberAccount

    for s in HOSTILE.values():
        for tty in (False, True):
            stream = io.StringIO()
            display = console.OrgConsole(stream, tty=tty, clock=lambda: 0.0, width=120)
            account = MemberAccount(account_id=ACCOUNT, name=s)
            display.planned([account])
            display.started(account)
            display.step(account, f"reading users {s}")
            display.done(account, AccountOutcome(account_id=ACCOUNT, name=s, error=s))
            display.close()
            text = stream.getvalue()
            if tty:  # the console's own cursor moves, and nothing else
                text = text.replace("\x1b[2K", "").replace("\x1b[J", "")
                text = "".join(part.split("F", 1)[-1] for part in text.split("\x1b["))
            assert raw_controls(text) == [], (s[:30], tty)


# --- policy documents of every odd shape -------------------------------------------------------

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["*", "s3:*", "iam:*", "sts:AssumeRole", "arn:aws:iam::*:role/*", "Allow"]),
)
GARBAGE = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=12,
)
STRINGS = st.one_of(
    st.sampled_from(["*", "iam:PassRole", "s3:Get*", "sts:AssumeRole", "arn:aws:s3:::b/*", ""]),
    st.text(max_size=20),
)
STRING_OR_LIST = st.one_of(STRINGS, st.lists(STRINGS, max_size=3), GARBAGE)
PRINCIPALS = st.one_of(
    st.just("*"),
    st.just({"AWS": "*"}),
    st.just({"AWS": ["*"]}),
    st.just(["*"]),
    st.just({"*": "*"}),
    st.dictionaries(
        st.sampled_from(["AWS", "Service", "Federated", "CanonicalUser", "Bogus"]),
        STRING_OR_LIST,
        max_size=3,
    ),
    GARBAGE,
)
OPERATORS = st.sampled_from(
    [
        "StringEquals",
        "StringLike",
        "ForAnyValue:StringLike",
        "ForAllValues:StringEquals",
        "StringEqualsIfExists",
        "ArnLike",
        "Bool",
        "Null",
        "NumericLessThan",
        "IpAddress",
        "DateGreaterThan",
        "Bogus",
        "",
        "ForAnyValue:",
    ]
)
CONDITIONS = st.one_of(
    st.dictionaries(
        OPERATORS,
        st.one_of(
            st.dictionaries(
                st.sampled_from(["aws:PrincipalOrgID", "sts:ExternalId", "aws:SourceIp", "x"]),
                STRING_OR_LIST,
                max_size=2,
            ),
            GARBAGE,
        ),
        max_size=3,
    ),
    GARBAGE,
)
STATEMENT_PARTS = {
    "Sid": STRINGS | GARBAGE,
    "Effect": st.sampled_from(["Allow", "Deny", "allow", "", "Maybe"]) | GARBAGE,
    "Action": STRING_OR_LIST,
    "NotAction": STRING_OR_LIST,
    "Resource": STRING_OR_LIST,
    "NotResource": STRING_OR_LIST,
    "Principal": PRINCIPALS,
    "NotPrincipal": PRINCIPALS,
    "Condition": CONDITIONS,
}
STATEMENTS = st.one_of(
    st.fixed_dictionaries({}, optional=STATEMENT_PARTS),
    GARBAGE,
)
DOCUMENTS = st.one_of(
    st.fixed_dictionaries(
        {},
        optional={
            "Version": st.sampled_from(["2012-10-17", "2008-10-17", ""]) | GARBAGE,
            "Statement": st.one_of(STATEMENTS, st.lists(STATEMENTS, max_size=4)),
            "Id": GARBAGE,
        },
    ),
    GARBAGE,
)


def fuzzed_snapshot(trust: Any, permissions: Any, managed_doc: Any) -> Snapshot:
    managed = policy("fuzzed", managed_doc)
    return snapshot(
        users=[user("fuzz-user", policies=[managed], inline_policies=[inline("p", permissions)])],
        groups=[group("fuzz-group", inline_policies=[inline("g", permissions)])],
        roles=[role("fuzz-role", trust=trust, inline_policies=[inline("r", permissions)])],
        policies=[managed],
        credential_report=[cred_row("fuzz-user", keys=[key(1)])],
    )


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(trust=DOCUMENTS, permissions=DOCUMENTS, managed_doc=DOCUMENTS)
def test_no_check_crashes_on_a_policy_document_of_any_shape(
    trust: Any, permissions: Any, managed_doc: Any
) -> None:
    snap = fuzzed_snapshot(trust, permissions, managed_doc)
    checks = selected_checks(Settings())
    report = analyze(snap, Settings(), checks, tool=TOOL)

    crashed = [f.detail for f in report.findings if "the check failed with" in f.detail]
    assert crashed == []
    # The role is judged (or erred with a reason), never dropped.
    assert any(f.resource_name == "fuzz-role" for f in report.findings)
    files = as_bytes(render(report, list(Format)))
    json.loads(files["report.json"])
    json.loads(files["report.ocsf.json"])
    json.loads(files["report.asff.json"])
    assert shape(files["report.html"]).bad == []
    # The snapshot codec carries any JSON object unchanged (AWS documents are objects).
    if all(isinstance(d, dict) for d in (trust, permissions, managed_doc)):
        assert loads(dumps(snap)) == snap


def test_huge_policy_documents_are_judged() -> None:
    size = 1500
    statements = [
        statement([f"svc{i}:Action{i}", "iam:PassRole"], [f"arn:aws:s3:::b{i}/*", "*"])
        for i in range(size)
    ]
    doc = document(*statements)
    snap = fuzzed_snapshot(doc, doc, doc)
    report = analyze(snap, Settings(), selected_checks(Settings()), tool=TOOL)
    assert [f for f in report.findings if "the check failed with" in f.detail] == []
    assert any(f.resource_name == "fuzz-user" for f in report.findings)
