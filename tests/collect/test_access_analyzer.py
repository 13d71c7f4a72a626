"""Access Analyzer: enabled regions, per-region analyzers, regional and account-wide gaps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from auditor.collect.access_analyzer import fetch_access_analyzer, region_partition
from auditor.collect.common import SourceError
from auditor.model import Source

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
