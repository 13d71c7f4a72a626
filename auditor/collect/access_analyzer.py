"""IAM Access Analyzer: which enabled regions have an external-access analyzer.

Every region is read at once (a thread each, at most ``MAX_WORKERS``) with fail-fast
clients, all created up front on the calling thread because sessions are not thread-safe; a
failed region is a regional ``Gap``. Only ``ACCOUNT`` and ``ORGANIZATION`` analyzers count:
unused- and internal-access ones do not cover CIS 2.18 / IAM.28.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect.common import SourceError, as_source_error, guarded
from auditor.defaults import ACCESS_ANALYZER_MAX_WORKERS
from auditor.model import Gap, Source
from auditor.snapshot import AccessAnalyzerState, Analyzer

if TYPE_CHECKING:
    from mypy_boto3_accessanalyzer import AccessAnalyzerClient
    from mypy_boto3_ec2 import EC2Client

DESCRIBE_REGIONS = "ec2:DescribeRegions"
LIST_ANALYZERS = "access-analyzer:ListAnalyzers"
EXTERNAL_ACCESS_TYPES = frozenset({"ACCOUNT", "ORGANIZATION"})
# Every region at once for the usual ~17 enabled regions (34 exist in botocore 1.44's
# "aws" partition: with all opted in, two wait for a free thread). Bounded because an org
# audit runs up to 64 accounts at once, each with its own pool.
MAX_WORKERS = ACCESS_ANALYZER_MAX_WORKERS

# Where to ask for the region list when the session names no region.
_PARTITION_HOME = {
    "aws": "us-east-1",
    "aws-cn": "cn-north-1",
    "aws-us-gov": "us-gov-west-1",
    "aws-iso": "us-iso-east-1",
    "aws-iso-b": "us-isob-east-1",
}


def home_region(partition: str) -> str:
    """A region that exists in ``partition``, for regional calls when none is configured."""
    return _PARTITION_HOME.get(partition, "us-east-1")


# Region-name prefixes of the partitions other than "aws" (the longest prefix wins).
_PARTITION_PREFIXES = (
    ("us-isob-", "aws-iso-b"),
    ("us-isof-", "aws-iso-f"),
    ("eu-isoe-", "aws-iso-e"),
    ("us-iso-", "aws-iso"),
    ("us-gov-", "aws-us-gov"),
    ("cn-", "aws-cn"),
)


def region_partition(region: str) -> str:
    """The partition a region name belongs to (``cn-north-1`` -> ``aws-cn``)."""
    return next((p for prefix, p in _PARTITION_PREFIXES if region.startswith(prefix)), "aws")


def enabled_regions(ec2: EC2Client, partition: str | None = None) -> tuple[str, ...]:
    """The account's enabled regions (of ``partition``, if given), sorted.

    ``DescribeRegions`` without ``AllRegions`` lists only enabled regions of the caller's
    partition; the opt-in and partition filters guard against emulators that list every
    region regardless. Raises ``SourceError`` if the call fails.
    """
    with guarded(DESCRIBE_REGIONS):
        answer: Mapping[str, Any] = ec2.describe_regions()
    names = (
        str(r["RegionName"])
        for r in answer.get("Regions") or ()
        if r.get("OptInStatus") != "not-opted-in"
    )
    return tuple(sorted(n for n in names if partition is None or region_partition(n) == partition))


def list_analyzers(client: AccessAnalyzerClient, region: str) -> tuple[Analyzer, ...]:
    """The external-access analyzers of one region; ``SourceError`` (with region) on failure."""
    found: list[Analyzer] = []
    with guarded(LIST_ANALYZERS, region):
        for page in client.get_paginator("list_analyzers").paginate():
            for item in page.get("analyzers") or ():
                if item.get("type") not in EXTERNAL_ACCESS_TYPES:
                    continue
                found.append(
                    Analyzer(
                        name=str(item["name"]),
                        arn=str(item["arn"]),
                        type=str(item["type"]),
                        status=str(item.get("status", "")),
                        region=region,
                    )
                )
    return tuple(found)


def _safe_list(client: AccessAnalyzerClient, region: str) -> tuple[Analyzer, ...] | Gap:
    try:
        return list_analyzers(client, region)
    except SourceError as exc:
        return Gap(Source.ACCESS_ANALYZER, exc.operation, exc.error, exc.message, region)
    except (KeyError, TypeError, ValueError) as exc:
        return Gap(Source.ACCESS_ANALYZER, LIST_ANALYZERS, "MalformedResponse", str(exc), region)


def fetch_access_analyzer(
    ec2: EC2Client,
    client_for_region: Callable[[str], AccessAnalyzerClient],
    *,
    partition: str | None = None,
    max_workers: int = MAX_WORKERS,
    progress: Callable[[str], None] | None = None,
) -> tuple[AccessAnalyzerState, tuple[Gap, ...]]:
    """Analyzers in every enabled region, and a regional gap for each region that failed.

    ``state.regions`` lists every enabled region, failed ones included, so a check that
    looks for a region without an analyzer can never pass a region it could not see.
    Only regions of ``partition`` are kept when it is given. Raises ``SourceError`` when
    the region list itself cannot be read.
    """
    regions = enabled_regions(ec2, partition)
    if progress is not None:
        progress(f"listing Access Analyzer analyzers in {len(regions)} regions…")
    clients: dict[str, AccessAnalyzerClient] = {}
    gaps: list[Gap] = []
    for region in regions:
        try:
            clients[region] = client_for_region(region)
        except (ClientError, BotoCoreError) as exc:
            err = as_source_error(LIST_ANALYZERS, exc, region)
            gaps.append(Gap(Source.ACCESS_ANALYZER, err.operation, err.error, err.message, region))
    analyzers: list[Analyzer] = []
    with ThreadPoolExecutor(max_workers=max(1, min(max_workers, len(clients) or 1))) as pool:
        outcomes = pool.map(lambda r: _safe_list(clients[r], r), list(clients))
        for outcome in outcomes:
            if isinstance(outcome, Gap):
                gaps.append(outcome)
            else:
                analyzers.extend(outcome)
    gaps.sort(key=lambda g: g.region or "")
    return AccessAnalyzerState(regions=regions, analyzers=tuple(analyzers)), tuple(gaps)
