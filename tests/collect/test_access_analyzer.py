"""Access Analyzer: enabled regions, per-region analyzers, regional gaps, failing fast."""

from __future__ import annotations

import contextlib
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.retries.standard import ExponentialBackoff
from botocore.stub import Stubber

from auditor.checks import get_check
from auditor.checks.registry import CheckContext
from auditor.collect import collect
from auditor.collect.access_analyzer import MAX_WORKERS, fetch_access_analyzer, region_partition
from auditor.collect.common import SourceError
from auditor.collect.session import FAIL_FAST_ATTEMPTS, CallRecorder
from auditor.demo.access_analyzer import ANY_REGION, AnalyzerWorld
from auditor.demo.account import install_demo_access_analyzer
from auditor.model import Source, Status

ACCOUNT = "123456789012"
REGIONS = [
    {"RegionName": "us-east-1", "OptInStatus": "opt-in-not-required"},
    {"RegionName": "eu-west-1", "OptInStatus": "opt-in-not-required"},
    {"RegionName": "ap-east-1", "OptInStatus": "opted-in"},
    {"RegionName": "me-south-1", "OptInStatus": "not-opted-in"},  # listed by emulators only
    {"RegionName": "cn-north-1", "OptInStatus": "opt-in-not-required"},  # another partition
]


def client(service: str, region: str) -> Any:
    return boto3.client(
        service, region_name=region, aws_access_key_id="x", aws_secret_access_key="x"
    )


def analyzer(name: str, kind: str, region: str, status: str = "ACTIVE") -> dict[str, Any]:
    return {
        "arn": f"arn:aws:access-analyzer:{region}:{ACCOUNT}:analyzer/{name}",
        "name": name,
        "type": kind,
        "createdAt": datetime(2025, 1, 1, tzinfo=UTC),
        "status": status,
    }


class Regional:
    """One stubbed Access Analyzer client per region, checked for leftovers at the end."""

    def __init__(self) -> None:
        self.stubbers: dict[str, Stubber] = {}
        self.made: list[str] = []

    def stub(self, region: str) -> Stubber:
        aa = client("accessanalyzer", region)
        stubber = Stubber(aa)
        stubber.activate()
        self.stubbers[region] = stubber
        return stubber

    def __call__(self, region: str) -> Any:
        self.made.append(region)
        return self.stubbers[region].client


@pytest.fixture
def ec2() -> Iterator[tuple[Any, Stubber]]:
    c = client("ec2", "us-east-1")
    with Stubber(c) as stubber:
        yield c, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def regional() -> Iterator[Regional]:
    r = Regional()
    yield r
    for stubber in r.stubbers.values():
        stubber.assert_no_pending_responses()
        stubber.deactivate()


def test_failing_region_is_a_regional_gap_and_others_are_kept(ec2, regional):
    ec2_client, ec2_stub = ec2
    ec2_stub.add_response("describe_regions", {"Regions": REGIONS}, {})
    regional.stub("us-east-1").add_response(
        "list_analyzers",
        {
            "analyzers": [
                analyzer("external", "ACCOUNT", "us-east-1"),
                analyzer("unused", "ACCOUNT_UNUSED_ACCESS", "us-east-1"),
            ],
            "nextToken": "more",
        },
        {},
    )
    regional.stubbers["us-east-1"].add_response(
        "list_analyzers",
        {"analyzers": [analyzer("org", "ORGANIZATION", "us-east-1", "CREATING")]},
        {"nextToken": "more"},
    )
    regional.stub("eu-west-1").add_client_error(
        "list_analyzers", "AccessDeniedException", "no", http_status_code=403
    )
    regional.stub("ap-east-1").add_response("list_analyzers", {"analyzers": []}, {})

    state, gaps = fetch_access_analyzer(ec2_client, regional, partition="aws", max_workers=3)

    assert state.regions == ("ap-east-1", "eu-west-1", "us-east-1")
    assert sorted(regional.made) == list(state.regions)
    assert [(a.name, a.type, a.status, a.region) for a in state.analyzers] == [
        ("external", "ACCOUNT", "ACTIVE", "us-east-1"),
        ("org", "ORGANIZATION", "CREATING", "us-east-1"),
    ]
    (gap,) = gaps
    assert (gap.source, gap.operation, gap.error, gap.region) == (
        Source.ACCESS_ANALYZER,
        "access-analyzer:ListAnalyzers",
        "AccessDeniedException",
        "eu-west-1",
    )


def test_describe_regions_failure_is_a_source_error(ec2, regional):
    ec2_client, ec2_stub = ec2
    ec2_stub.add_client_error("describe_regions", "UnauthorizedOperation", http_status_code=403)

    with pytest.raises(SourceError) as info:
        fetch_access_analyzer(ec2_client, regional)

    assert (info.value.operation, info.value.error) == (
        "ec2:DescribeRegions",
        "UnauthorizedOperation",
    )
    assert regional.made == []


def test_not_implemented_everywhere_gives_one_gap_per_region(ec2, regional):
    ec2_client, ec2_stub = ec2
    ec2_stub.add_response("describe_regions", {"Regions": REGIONS[:2]}, {})
    for region in ("us-east-1", "eu-west-1"):
        regional.stub(region).add_client_error(
            "list_analyzers", "404", "Not yet implemented", http_status_code=404
        )

    state, gaps = fetch_access_analyzer(ec2_client, regional)

    assert state.analyzers == ()
    assert [(g.region, g.error) for g in gaps] == [("eu-west-1", "404"), ("us-east-1", "404")]


def test_other_partitions_regions_are_kept_for_that_partition(ec2, regional):
    ec2_client, ec2_stub = ec2
    ec2_stub.add_response("describe_regions", {"Regions": REGIONS}, {})
    regional.stub("cn-north-1").add_response("list_analyzers", {"analyzers": []}, {})

    state, gaps = fetch_access_analyzer(ec2_client, regional, partition="aws-cn")

    assert (state.regions, gaps) == (("cn-north-1",), ())


@pytest.mark.parametrize(
    ("region", "partition"),
    [
        ("us-east-1", "aws"),
        ("il-central-1", "aws"),
        ("cn-northwest-1", "aws-cn"),
        ("us-gov-west-1", "aws-us-gov"),
        ("us-iso-east-1", "aws-iso"),
        ("us-isob-east-1", "aws-iso-b"),
    ],
)
def test_region_partition(region, partition):
    assert region_partition(region) == partition


# --- every region at once, failing fast ------------------------------------------------------

SEVENTEEN = [f"xx-test-{n}" for n in range(1, 18)]  # an account's default-enabled regions


class _Pages:
    def __init__(self, wait: Callable[[], None]) -> None:
        self._wait = wait

    def paginate(self, **_: Any) -> Iterator[dict[str, Any]]:
        self._wait()
        yield {"analyzers": []}


class _GatedClient:
    """An Access Analyzer client whose ListAnalyzers waits for every region's to start."""

    def __init__(self, gate: threading.Barrier, threads: set[int]) -> None:
        self._gate = gate
        self._threads = threads

    def get_paginator(self, operation: str) -> _Pages:
        assert operation == "list_analyzers"
        return _Pages(self._wait)

    def _wait(self) -> None:
        self._threads.add(threading.get_ident())
        with contextlib.suppress(threading.BrokenBarrierError):
            self._gate.wait()


def test_every_region_is_listed_at_once(ec2):
    ec2_client, ec2_stub = ec2
    ec2_stub.add_response(
        "describe_regions", {"Regions": [{"RegionName": r} for r in SEVENTEEN]}, {}
    )
    # Each listing waits until all seventeen are in flight: a pool smaller than the region
    # count can never fill the barrier, which breaks when the timeout ends the wait. Only
    # that failure waits it out, so it is long enough for a loaded machine to start 17 threads.
    gate = threading.Barrier(len(SEVENTEEN), timeout=60)
    threads: set[int] = set()

    state, gaps = fetch_access_analyzer(ec2_client, lambda _r: _GatedClient(gate, threads))

    assert not gate.broken, "the regions were listed in waves, not all at once"
    assert (len(state.regions), gaps) == (17, ())
    assert len(threads) == 17


def test_region_threads_are_bounded(ec2):
    ec2_client, ec2_stub = ec2
    many = [f"xx-many-{n}" for n in range(1, 61)]
    ec2_stub.add_response("describe_regions", {"Regions": [{"RegionName": r} for r in many]}, {})
    gate = threading.Barrier(1)  # never waits
    threads: set[int] = set()

    state, _gaps = fetch_access_analyzer(ec2_client, lambda _r: _GatedClient(gate, threads))

    assert len(state.regions) == 60
    assert len(threads) <= MAX_WORKERS == 32


@pytest.fixture
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore retries at once: attempts are counted, no test waits for back-offs."""
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def failing_everywhere(session: boto3.Session) -> AnalyzerWorld:
    """Access Analyzer answering 500 InternalFailure in every region of ``session``."""
    world = AnalyzerWorld()
    world.fail(ANY_REGION, status=500, code="InternalFailure", message="We encountered an error")
    install_demo_access_analyzer(session, world)
    return world


def attempts_by_region(world: AnalyzerWorld) -> dict[str, int]:
    return dict(Counter(r.region or "?" for r in world.requests if r.operation == "ListAnalyzers"))


def test_5xx_in_every_region_fails_fast_into_regional_errors(mocked, no_backoff):
    world = failing_everywhere(mocked)
    recorder = CallRecorder()
    recorder.attach(mocked)

    snap = collect(mocked, [Source.ACCESS_ANALYZER])

    assert snap.access_analyzer is not None
    regions = snap.access_analyzer.regions
    assert len(regions) >= 10
    # Three attempts in each region (the first and two retries), not adaptive mode's 11.
    assert attempts_by_region(world) == dict.fromkeys(regions, FAIL_FAST_ATTEMPTS)
    assert recorder.calls["access-analyzer:ListAnalyzers"] == len(regions)
    assert recorder.attempts["access-analyzer:ListAnalyzers"] == 3 * len(regions)
    assert recorder.retries["access-analyzer:ListAnalyzers"] == 2 * len(regions)
    assert recorder.attempts["ec2:DescribeRegions"] == 1
    assert snap.gap(Source.ACCESS_ANALYZER) is None  # the regions were known: regional gaps
    assert sorted((g.region, g.operation, g.error) for g in snap.gaps) == [
        (r, "access-analyzer:ListAnalyzers", "InternalFailure") for r in regions
    ]

    check = get_check("AA-001")
    assert check is not None
    results = {r.resource_name: r for r in check.run(snap, CheckContext())}
    assert set(results) == set(regions)
    for region, result in results.items():
        assert result.status is Status.ERROR
        assert result.detail == f"Analyzers in {region} could not be listed: InternalFailure."


@pytest.mark.parametrize(("env", "attempts"), [("1", 1), ("2", 2), ("20", 3)])
def test_aws_max_attempts_lowers_the_regional_listing_but_never_raises_it(
    mocked, no_backoff, monkeypatch: pytest.MonkeyPatch, env: str, attempts: int
):
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", env)
    world = failing_everywhere(mocked)

    snap = collect(mocked, [Source.ACCESS_ANALYZER])

    assert snap.access_analyzer is not None
    assert attempts_by_region(world) == dict.fromkeys(snap.access_analyzer.regions, attempts)
