"""The scale benchmark's machinery, up to (and with a stand-in for) the CLI it measures."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import pytest

from auditor.report import Format, parse_formats
from benchmarks import scale
from benchmarks.scale import (
    AUDIT_DONE,
    DEFAULT_FORMAT_SETS,
    DEFAULT_SIZES,
    MIB,
    Measurement,
    Slope,
    calls_differ,
    client_counted_calls,
    count_findings,
    markdown_table,
    measure,
    output_sizes,
    pages,
    parse_format_sets,
    parse_sizes,
    problems,
    results_json,
    run_measured,
    slope,
    slopes,
    unexplained_growth,
)

# Stands in for `iam-auditor audit`: the same environment, arguments and output files. It
# writes report.json for `json` and a `report.<name>` of len(name) * 1000 bytes for each
# other format (`cis` also a file in a subdirectory), and exits 1 when the account had no
# credential report yet (the state every run must start from), 3 when one was there.
FAKE_CLI = """
import json, sys
from pathlib import Path
import boto3
args = sys.argv[1:]
assert args[0] == "audit" and "-q" in args, args
out = Path(args[args.index("--output-dir") + 1])
formats = args[args.index("--format") + 1].split(",")
iam = boto3.client("iam")
state = iam.generate_credential_report()["State"]
users = iam.list_users()["Users"]
summary = iam.get_account_summary()["SummaryMap"]
for region in ("us-east-1", "eu-west-1"):
    boto3.client("accessanalyzer", region_name=region).list_analyzers()
out.mkdir(parents=True)
report = {
    "findings": [{"resource_name": u["UserName"]} for u in users],
    "api_calls": {"iam:ListUsers": 1, "iam:GetAccountSummary": 1, "aa": 2},
}
for name in formats:
    if name == "json":
        (out / "report.json").write_text(json.dumps(report))
    else:
        (out / f"report.{name}").write_text(name * 1000)
    if name == "cis":
        (out / "cis").mkdir()
        (out / "cis" / "controls.csv").write_text("control\\n1.1\\n")
sys.exit(1 if state == "STARTED" else 3)
"""


def _run(
    users: int,
    formats: str = "json,csv,html",
    *,
    findings: int | None = None,
    rss_mib: float | None = 100,
    output_bytes: Mapping[str, int] | None = None,
    calls: Mapping[str, int] | None = None,
) -> Measurement:
    by_operation = dict(calls or {"iam:GetCredentialReport": 1, "sts:GetCallerIdentity": 2})
    return Measurement(
        users=users,
        roles=users // 5,
        api_calls=sum(by_operation.values()),
        calls_by_operation=by_operation,
        client_counted_calls=None,
        wall_seconds=1.25,
        peak_rss_bytes=None if rss_mib is None else int(rss_mib * MIB),
        exit_code=1,
        findings=findings,
        formats=formats,
        output_bytes=dict(output_bytes or {}),
    )


def _files_under(directory: Path) -> dict[str, int]:
    """Each file's length, read back: a count independent of ``output_sizes``."""
    return {
        path.relative_to(directory).as_posix(): len(path.read_bytes())
        for path in directory.rglob("*")
        if path.is_file()
    }


# --- options -------------------------------------------------------------------------------


def test_parse_sizes() -> None:
    assert parse_sizes("100, 1k,5000") == [100, 1000, 5000]
    for bad in ("0", "", "ten", "-5"):
        with pytest.raises(ValueError):
            parse_sizes(bad)


def test_parse_format_sets_reads_each_set_as_the_cli_does() -> None:
    assert parse_format_sets("JSON, csv ;json,json,html;;") == ["json,csv", "json,html"]
    assert parse_format_sets(";".join(DEFAULT_FORMAT_SETS)) == list(DEFAULT_FORMAT_SETS)
    for bad, message in (
        ("json;xml", "unknown report format 'xml'"),
        (" ; ", "no format sets"),
        ("json,csv;csv,json,csv", None),  # the same set in another order is still new
        ("json;JSON", "given twice: 'json'"),
        ("json,,csv", "empty report format"),
    ):
        if message is None:
            assert parse_format_sets(bad) == ["json,csv", "csv,json"]
            continue
        with pytest.raises(ValueError, match=message):
            parse_format_sets(bad)


def test_the_default_format_sets_are_the_default_three_and_every_format() -> None:
    assert [set(parse_formats(s)) for s in DEFAULT_FORMAT_SETS] == [
        {Format.JSON, Format.CSV, Format.HTML},
        set(Format),
    ]


FakeMeasure = Callable[..., list[Measurement]]


def _fake_measure(
    asked: list[tuple[int, int | None, tuple[str, ...], bool, Path | None]],
    *,
    grow_at: int | None = None,
) -> FakeMeasure:
    def fake(
        users: int,
        *,
        roles: int | None = None,
        format_sets: Sequence[str] = DEFAULT_FORMAT_SETS,
        snapshot: bool = False,
        log: Callable[[str], None] | None = None,
        keep: Path | None = None,
    ) -> list[Measurement]:
        asked.append((users, roles, tuple(format_sets), snapshot, keep))
        summary = users if users == grow_at else 1
        return [
            _run(
                users,
                formats,
                findings=20 * users,
                rss_mib=100 + users / 1000,
                output_bytes={"report.json": 300 * users},
                calls={"iam:GetAccountSummary": summary},
            )
            for formats in format_sets
        ]

    return fake


def test_main_measures_every_size_with_every_format_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[tuple[int, int | None, tuple[str, ...], bool, Path | None]] = []
    monkeypatch.setattr(scale, "measure", _fake_measure(asked))
    monkeypatch.setattr(scale, "CLI", (sys.executable,))
    out = tmp_path / "bench.json"
    argv = ["--sizes", "1k,2000", "--format-sets", "JSON, csv;json,ocsf", "--json", str(out)]
    argv += ["--roles-per-user", "0.5", "--snapshot", "--keep", str(tmp_path / "kept")]

    assert scale.main(argv) == 0

    sets = ("json,csv", "json,ocsf")
    assert asked == [
        (1000, 500, sets, True, tmp_path / "kept"),
        (2000, 1000, sets, True, tmp_path / "kept"),
    ]
    data = json.loads(out.read_text(encoding="utf-8"))
    assert [(r["users"], r["formats"]) for r in data["runs"]] == [
        (1000, "json,csv"),
        (1000, "json,ocsf"),
        (2000, "json,csv"),
        (2000, "json,ocsf"),
    ]
    assert [s["formats"] for s in data["slopes"]] == list(sets)
    assert data["problems"] == []
    assert capsys.readouterr().out.startswith("| users | roles | formats |")


def test_main_defaults_to_the_issue_sizes_and_both_format_sets(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[tuple[int, int | None, tuple[str, ...], bool, Path | None]] = []
    monkeypatch.setattr(scale, "measure", _fake_measure(asked))
    monkeypatch.setattr(scale, "CLI", (sys.executable,))
    assert scale.main([]) == 0
    assert [a[0] for a in asked] == list(DEFAULT_SIZES)
    assert {a[2] for a in asked} == {DEFAULT_FORMAT_SETS}
    assert [a[1] for a in asked] == [n // 5 for n in DEFAULT_SIZES]
    capsys.readouterr()


def test_main_exits_1_when_iam_calls_grow(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    asked: list[tuple[int, int | None, tuple[str, ...], bool, Path | None]] = []
    monkeypatch.setattr(scale, "measure", _fake_measure(asked, grow_at=3000))
    monkeypatch.setattr(scale, "CLI", (sys.executable,))
    assert scale.main(["--sizes", "1000,3000"]) == 1
    errors = capsys.readouterr().err.splitlines()
    # Both format sets grew the same way: said once.
    grown = [line for line in errors if line.startswith("IAM calls grow")]
    assert grown == [
        "IAM calls grow with the account: "
        "iam:GetAccountSummary: 3000 calls at 3000 users, 1 expected (0 virtual MFA devices)"
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--format-sets", "json;xml"], "unknown report format 'xml'"),
        (["--format-sets", ";"], "no format sets"),
        (["--sizes", "0"], "size must be positive"),
        (["--json", "/nonexistent-dir/bench.json"], "no directory /nonexistent-dir"),
    ],
)
def test_main_refuses_bad_options(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        scale.main(argv)
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_main_refuses_a_keep_directory_in_use(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "old-report.json").write_text("{}")
    with pytest.raises(SystemExit):
        scale.main(["--keep", str(tmp_path)])
    assert "is not empty" in capsys.readouterr().err


# --- measuring one child ---------------------------------------------------------------------


def test_run_measured_reports_the_childs_own_peak_memory(tmp_path: Path) -> None:
    code = "import sys; block = bytearray(96 * 2**20); print(len(block)); sys.exit(3)"
    stats = run_measured([sys.executable, "-c", code], env=dict(os.environ), cwd=tmp_path)
    assert stats.returncode == 3
    assert stats.stdout.strip() == str(96 * 2**20)
    assert stats.peak_rss_bytes is not None
    assert stats.peak_rss_bytes >= 96 * 2**20
    # Its own figure: neither a running maximum over children nor this (large) process's.
    ballast = bytearray(128 * 2**20)
    small = run_measured([sys.executable, "-c", "pass"], env=dict(os.environ), cwd=tmp_path)
    assert small.peak_rss_bytes is not None
    assert small.peak_rss_bytes < 64 * 2**20 < len(ballast)


def test_run_measured_stops_a_command_that_runs_too_long(tmp_path: Path) -> None:
    with pytest.raises(TimeoutError, match=r"longer than 0\.5 s"):
        run_measured(
            [sys.executable, "-c", "import time; time.sleep(30)"],
            env=dict(os.environ),
            cwd=tmp_path,
            timeout=0.5,
        )


def test_client_counted_calls_reads_report_or_snapshot() -> None:
    assert client_counted_calls({"api_calls": {"a": 2, "b": 3}}, None) == 5
    assert client_counted_calls({"api_calls": 7}, None) == 7
    assert client_counted_calls({}, {"snapshot": {"api_calls": {"iam:X": 4}}}) == 4
    assert client_counted_calls({"findings": []}, None) is None
    assert client_counted_calls(None, None) is None


# --- what a run counts -----------------------------------------------------------------------


def test_count_findings_reads_schema_1_and_schema_2() -> None:
    v1 = {"schema_version": 1, "findings": [{"check_id": "A"}, {"check_id": "B"}] * 3}
    assert count_findings(v1) == 6
    v2 = {
        "schema_version": 2,
        "findings": {"KEY-002": [{"id": "1"}, {"id": "2"}], "ROOT-001": [], "PWD-001": [{}]},
    }
    assert count_findings(v2) == 3
    assert count_findings({"schema_version": 2, "findings": {}}) == 0
    assert count_findings({"findings": {"KEY-002": "not a list"}}) is None
    assert count_findings({"summary": {"PASS": 4}}) is None
    assert count_findings(None) is None


def test_output_sizes_counts_every_file_below_the_directory(tmp_path: Path) -> None:
    (tmp_path / "report.json").write_bytes(b"x" * 1234)
    (tmp_path / "cis").mkdir()
    (tmp_path / "cis" / "cis-7.0.csv").write_bytes(b"y" * 56)
    (tmp_path / "empty.csv").write_bytes(b"")
    assert output_sizes(tmp_path) == {"cis/cis-7.0.csv": 56, "empty.csv": 0, "report.json": 1234}
    assert output_sizes(tmp_path / "missing") == {}


def test_bytes_per_finding() -> None:
    m = _run(10, findings=400, output_bytes={"report.json": 100_000, "report.csv": 60_000})
    assert m.total_output_bytes == 160_000
    assert m.report_json_bytes == 100_000
    assert m.per_finding(m.report_json_bytes) == 250
    assert m.per_finding(m.total_output_bytes) == 400
    no_json = _run(10, "csv", findings=None, output_bytes={"report.csv": 60_000})
    assert no_json.report_json_bytes is None
    assert no_json.per_finding(no_json.total_output_bytes) is None
    assert _run(10, findings=0).per_finding(5) is None


# --- slopes ----------------------------------------------------------------------------------


def test_slope_between_the_smallest_and_the_largest_size() -> None:
    # Listed out of order, with a middle size that must not matter.
    found = slope(
        [
            _run(5000, findings=100_000, rss_mib=120),
            _run(1000, findings=20_000, rss_mib=100),
            _run(3000, findings=61_000, rss_mib=500),
        ]
    )
    assert found == Slope(
        formats="json,csv,html",
        users=(1000, 5000),
        findings=(20_000, 100_000),
        peak_rss_mib=(100.0, 120.0),
    )
    # 80,000 findings over 4,000 users; 20 MiB over 80,000 findings.
    assert found.findings_per_1000_users == 20_000
    assert found.mib_per_1000_findings == pytest.approx(0.25)
    assert (found.findings_ratio, found.rss_ratio) == (5.0, 1.2)


def test_no_slope_without_two_sizes_or_the_numbers_to_take_it() -> None:
    assert slope([]) is None
    assert slope([_run(1000, findings=10), _run(1000, "json", findings=10)]) is None
    assert slope([_run(1000, findings=None), _run(5000, findings=90)]) is None
    assert slope([_run(1000, findings=10), _run(5000, findings=10)]) is None
    assert slope([_run(1000, findings=10, rss_mib=None), _run(5000, findings=90)]) is None


def test_slopes_are_per_format_set() -> None:
    results = [
        _run(n, formats, findings=20 * n, rss_mib=rss)
        for n, formats, rss in (
            (1000, "json", 100),
            (1000, "json,ocsf", 150),
            (3000, "json", 110),
            (3000, "json,ocsf", 190),
        )
    ]
    found = slopes(results)
    assert [(s.formats, s.peak_rss_mib) for s in found] == [
        ("json", (100.0, 110.0)),
        ("json,ocsf", (150.0, 190.0)),
    ]
    assert [s.mib_per_1000_findings for s in found] == [0.25, 1.0]


# --- problems --------------------------------------------------------------------------------


def _sized(users: int, devices: int, virtual_mfa_calls: int, summary: int = 1) -> Measurement:
    return Measurement(
        users=users,
        roles=0,
        api_calls=0,
        calls_by_operation={
            "access-analyzer:ListAnalyzers": 17,
            "iam:GetAccountSummary": summary,
            "iam:ListVirtualMFADevices": virtual_mfa_calls,
        },
        client_counted_calls=None,
        wall_seconds=1.0,
        peak_rss_bytes=None,
        exit_code=1,
        virtual_mfa_devices=devices,
    )


def test_pages_are_those_moto_answers_at_the_largest_page() -> None:
    assert [pages(n) for n in (0, 17, 999, 1000, 1500)] == [1, 1, 1, 2, 2]


def test_unexplained_growth_names_iam_calls_that_grow_with_the_account() -> None:
    # A second page for 1,700 devices is the size, not a regression.
    assert unexplained_growth([_sized(100, 17, 1), _sized(10000, 1700, 2)]) == []
    # Devices listed 100 a page: 855 of them cost 9 calls.
    assert unexplained_growth([_sized(100, 17, 1), _sized(5000, 855, 9)]) == [
        "iam:ListVirtualMFADevices: 9 calls at 5000 users, 1 expected (855 virtual MFA devices)"
    ]
    grown = unexplained_growth([_sized(5000, 855, 1, summary=5000), _sized(100, 17, 1)])
    assert grown == [
        "iam:GetAccountSummary: 5000 calls at 5000 users, 1 expected (855 virtual MFA devices)"
    ]
    assert unexplained_growth([]) == []


def test_calls_that_differ_between_format_sets_are_problems() -> None:
    same = [_run(20, "json"), _run(20, "json,ocsf"), _run(40, "json"), _run(40, "json,ocsf")]
    assert calls_differ(same) == []
    assert problems(same) == []
    # The second run found the credential report the first one generated.
    first = {"iam:GenerateCredentialReport": 2, "iam:GetCredentialReport": 1}
    second = {"iam:GenerateCredentialReport": 1, "iam:GetCredentialReport": 1}
    leaked = [_run(20, "json", calls=first), _run(20, "json,ocsf", calls=second)]
    assert calls_differ(leaked) == [
        "iam:GenerateCredentialReport at 20 users: 2 (json), 1 (json,ocsf)"
    ]
    assert problems(leaked) == [
        "calls differ between format sets: "
        "iam:GenerateCredentialReport at 20 users: 2 (json), 1 (json,ocsf)"
    ]


# --- tables and JSON -------------------------------------------------------------------------


def test_markdown_table() -> None:
    files_a = {"report.json": 200_000, "report.csv": 160_000}
    files_b = files_a | {"report.ocsf.json": 650_000}
    results = [
        _run(1000, "json,csv", findings=1000, rss_mib=150, output_bytes=files_a),
        _run(1000, "json,csv,ocsf", findings=1000, rss_mib=160, output_bytes=files_b),
        _run(
            2000,
            "json,csv",
            findings=3000,
            rss_mib=153,
            output_bytes={k: 3 * v for k, v in files_a.items()},
            calls={"iam:GetCredentialReport": 1, "sts:GetCallerIdentity": 2},
        ),
        _run(
            2000,
            "json,csv,ocsf",
            findings=3000,
            rss_mib=170,
            output_bytes={k: 3 * v for k, v in files_b.items()},
            calls={"iam:GetCredentialReport": 1, "sts:GetCallerIdentity": 3},
        ),
    ]
    lines = markdown_table(results).splitlines()
    # 200,000 bytes of report.json for 1,000 findings: 200 B each; 1.01 MB in all: 1,010 B each.
    assert (
        "| 1000 | 200 | json,csv,ocsf | 3 | 1 | – | 1000 | 1.2 | 160 | 0.2 | 1.0 | 200 | 1010 | 1 |"
        in lines
    )
    assert (
        "| 2000 | 400 | json,csv | 3 | 1 | – | 3000 | 1.2 | 153 | 0.6 | 1.1 | 200 | 360 | 1 |"
        in lines
    )
    # 3 MiB over 2,000 findings; 10 MiB over 2,000 findings.
    assert "| json,csv | 1000 → 2000 | 1000 → 3000 | 2000 | 150 → 153 | 1.50 | 3.00 | 1.02 |" in (
        lines
    )
    assert (
        "| json,csv,ocsf | 1000 → 2000 | 1000 → 3000 | 2000 | 160 → 170 | 5.00 | 3.00 | 1.06 |"
        in lines
    )
    at = lines.index("Bytes written, `json,csv,ocsf`:")
    assert lines[at + 2 : at + 8] == [
        "| file | 1000 | 2000 |",
        "|---|---:|---:|",
        "| `report.csv` | 160,000 | 480,000 |",
        "| `report.json` | 200,000 | 600,000 |",
        "| `report.ocsf.json` | 650,000 | 1,950,000 |",
        "| total | 1,010,000 | 3,030,000 |",
    ]
    assert "| `iam:GetCredentialReport` | 1 | 1 |" in lines
    # Where the format sets of a size disagree, each set's count, in order.
    assert "| `sts:GetCallerIdentity` | 2 | 2 / 3 |" in lines


def test_results_json_holds_runs_slopes_and_problems() -> None:
    results = [
        _run(1000, findings=1000, rss_mib=100, output_bytes={"report.json": 250_000}),
        _run(3000, findings=4000, rss_mib=103, output_bytes={"report.json": 900_000}),
    ]
    data = json.loads(json.dumps(results_json(results)))
    assert [r["users"] for r in data["runs"]] == [1000, 3000]
    second = data["runs"][1]
    assert second["output_bytes"] == {"report.json": 900_000}
    assert (second["total_output_bytes"], second["report_json_bytes_per_finding"]) == (
        900_000,
        225,
    )
    assert second["total_bytes_per_finding"] == 225
    assert second["iam_calls"] == 1
    (only,) = data["slopes"]
    assert only["findings"] == [1000, 4000]
    assert only["mib_per_1000_findings"] == pytest.approx(1.0)
    assert only["findings_per_1000_users"] == 1500
    assert data["problems"] == []


# --- measuring an account ----------------------------------------------------------------------


def test_measure_audits_one_account_once_per_format_set(tmp_path: Path) -> None:
    fake = tmp_path / "fake_cli.py"
    fake.write_text(FAKE_CLI)
    kept = tmp_path / "kept"
    results = measure(
        50, roles=5, cli=[sys.executable, str(fake)], format_sets=["json,csv", "csv,cis"], keep=kept
    )
    assert [m.formats for m in results] == ["json,csv", "csv,cis"]
    for m in results:
        assert m.calls_by_operation == {
            "access-analyzer:ListAnalyzers": 2,
            "iam:GenerateCredentialReport": 1,
            "iam:GetAccountSummary": 1,
            "iam:ListUsers": 1,
        }
        assert (m.api_calls, m.iam_calls) == (5, 3)
        # Exit 1: this run, too, found no credential report, as the first one did.
        assert (m.users, m.roles, m.exit_code) == (50, 5, 1)
        assert 0 < m.virtual_mfa_devices < 50  # its MFA users' devices, really there
        assert m.peak_rss_bytes is not None and m.peak_rss_bytes > 0
        written = kept / f"50-users-{m.formats.replace(',', '-')}" / "reports"
        assert m.output_bytes == _files_under(written)
    with_json, without = results
    assert (with_json.findings, with_json.client_counted_calls) == (50, 4)  # the bulk account
    assert (without.findings, without.client_counted_calls) == (None, None)
    assert set(with_json.output_bytes) == {"report.json", "report.csv"}
    assert without.output_bytes == {
        "report.csv": 3000,
        "report.cis": 3000,
        "cis/controls.csv": 12,
    }


def test_measure_fails_loudly_when_the_audit_did_not_run(tmp_path: Path) -> None:
    fake = tmp_path / "broken_cli.py"
    fake.write_text("import sys; print('no credentials', file=sys.stderr); sys.exit(2)")
    with pytest.raises(RuntimeError, match=r"\(json,csv,html\) exited 2:\nno credentials"):
        measure(3, cli=[sys.executable, str(fake)])


@pytest.mark.e2e
def test_a_real_audit_of_a_small_account_in_both_format_sets(tmp_path: Path) -> None:
    if not Path(scale.CLI[0]).exists():
        pytest.skip("the iam-auditor console script is not installed")
    kept = tmp_path / "kept"
    results = measure(20, format_sets=DEFAULT_FORMAT_SETS, keep=kept)

    assert [m.formats for m in results] == list(DEFAULT_FORMAT_SETS)
    three, six = results
    # One account, the same state each time: the same calls and the same findings.
    assert three.calls_by_operation == six.calls_by_operation
    assert three.calls_by_operation["iam:GenerateCredentialReport"] >= 1
    assert problems(results) == []
    assert three.findings == six.findings
    for m in results:
        assert m.exit_code in AUDIT_DONE
        assert m.peak_rss_bytes is not None and m.peak_rss_bytes > 0
        written = kept / f"20-users-{m.formats.replace(',', '-')}" / "reports"
        # Every file written is counted, at its size on disk, and none is empty.
        assert m.output_bytes == _files_under(written)
        assert all(size > 0 for size in m.output_bytes.values())
        assert m.total_output_bytes == sum(_files_under(written).values())
        report = json.loads((written / "report.json").read_text(encoding="utf-8"))
        assert m.findings == sum(report["summary"].values()) > 0
    assert set(three.output_bytes) == {"report.json", "report.csv", "report.html"}
    extra = set(six.output_bytes) - set(three.output_bytes)
    assert {"report.ocsf.json", "report.asff.json"} < extra
    cis = extra - {"report.ocsf.json", "report.asff.json"}
    assert cis and {Path(name).suffix for name in cis} == {".csv", ".html"}
