"""The pretend Access Analyzer: answers per region, errors, request records, SigV4 regions."""

from __future__ import annotations

import json
from typing import Any

from auditor.demo.access_analyzer import (
    ANY_REGION,
    AnalyzerWorld,
    analyzer,
    region_from_authorization,
)

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20261123/{region}/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def signed(region: str) -> dict[str, str]:
    return {"Authorization": AUTH.format(region=region, service="access-analyzer")}


def answer(world: AnalyzerWorld, region: str, url: str = "/analyzer") -> tuple[int, Any]:
    response = world.handle("GET", url, signed(region))
    return response.status, json.loads(response.body)


def test_analyzer_world_answers_per_region() -> None:
    world = AnalyzerWorld()
    world.set_analyzers("us-east-1", [analyzer("acct"), analyzer("org", type="ORGANIZATION")])
    world.set_analyzers(ANY_REGION, [analyzer("fallback")])
    world.fail("eu-west-3", code="ThrottlingException", status=429)

    assert answer(world, "us-east-1")[1]["analyzers"][0]["name"] == "acct"
    status, body = answer(world, "us-east-1", "/analyzer?type=ORGANIZATION&maxResults=10")
    assert (status, [a["name"] for a in body["analyzers"]]) == (200, ["org"])
    assert [a["name"] for a in answer(world, "ap-east-1")[1]["analyzers"]] == ["fallback"]
    throttled = world.handle("GET", "/analyzer", signed("eu-west-3"))
    assert throttled.status == 429
    assert throttled.headers["x-amzn-ErrorType"] == "ThrottlingException"
    assert answer(world, "us-east-1", "/policy/generation")[0] == 404
    assert world.handle("GET", "https://x/analyzer", {}).status == 403
    assert world.calls() == 5  # every GET /analyzer, signed or not
    assert [r.region for r in world.requests] == [
        "us-east-1",
        "us-east-1",
        "ap-east-1",
        "eu-west-3",
        "us-east-1",
        None,
    ]
    world.reset()
    assert (world.analyzers, world.failures, world.requests) == ({}, {}, [])


def test_region_from_authorization() -> None:
    assert region_from_authorization(AUTH.format(region="me-south-1", service="x")) == "me-south-1"
    assert region_from_authorization(AUTH.format(region="eu-west-1", service="x").encode()) == (
        "eu-west-1"
    )
    assert region_from_authorization("Bearer token") is None
    assert region_from_authorization(None) is None
