"""The fault proxy: reproducible decisions, error shapes botocore understands, counts."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from auditor.demo.access_analyzer import analyzer
from testkit.faults import (
    FaultKind,
    FaultPlan,
    FaultProxy,
    FaultRule,
    attempt_of,
    fault_proxy,
    request_key,
)
from testkit.server import AccessAnalyzerStub, access_analyzer_stub

NO_RETRIES = Config(retries={"mode": "standard", "total_max_attempts": 1})


@pytest.fixture(scope="module")
def stub() -> Iterator[AccessAnalyzerStub]:
    with access_analyzer_stub() as aa:
        yield aa


@pytest.fixture
def proxy(stub: AccessAnalyzerStub) -> Iterator[FaultProxy]:
    stub.reset()
    with fault_proxy(stub.endpoint) as px:
        yield px


def client(proxy: FaultProxy, service: str, config: Config = NO_RETRIES) -> Any:
    return boto3.client(
        service,
        region_name="eu-west-1",
        endpoint_url=proxy.endpoint,
        config=config,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


CALLS = {
    "iam": lambda c: c.get_account_summary(),
    "sts": lambda c: c.get_caller_identity(),
    "ec2": lambda c: c.describe_regions(),
    "organizations": lambda c: c.list_accounts(),
    "accessanalyzer": lambda c: c.list_analyzers(),
}


def error_of(proxy: FaultProxy, service: str) -> tuple[str, int]:
    with pytest.raises(ClientError) as raised:
        CALLS[service](client(proxy, service))
    response = raised.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        (
            FaultKind.THROTTLE,
            {
                "iam": ("Throttling", 400),
                "sts": ("Throttling", 400),
                "ec2": ("RequestLimitExceeded", 400),
                "organizations": ("TooManyRequestsException", 400),
                "accessanalyzer": ("ThrottlingException", 400),
            },
        ),
        (
            FaultKind.THROTTLE_429,
            {
                "iam": ("Throttling", 429),
                "ec2": ("RequestLimitExceeded", 429),
                "accessanalyzer": ("ThrottlingException", 429),
            },
        ),
        (
            FaultKind.ERROR_503,
            {"iam": ("ServiceUnavailable", 503), "organizations": ("ServiceUnavailable", 503)},
        ),
        (FaultKind.ERROR_500, {"sts": ("InternalFailure", 500), "ec2": ("InternalError", 500)}),
    ],
)
def test_error_answers_parse_as_each_services_own_errors(
    proxy: FaultProxy, kind: FaultKind, expected: dict[str, tuple[str, int]]
) -> None:
    proxy.set_plan(FaultPlan(rate=1.0, kinds={kind: 1}))
    got = {service: error_of(proxy, service) for service in expected}
    assert got == expected
    assert proxy.stats.faults == Counter({kind: len(expected)})


def test_a_rule_fails_its_operation_every_time_and_spares_the_rest(
    proxy: FaultProxy, stub: AccessAnalyzerStub
) -> None:
    stub.set_analyzers("eu-west-1", [analyzer("aa", region="eu-west-1")])
    rule = FaultRule("iam:GetAccountSummary", code="AccessDenied", status=403)
    proxy.set_plan(FaultPlan(rules=(rule,)))

    assert [error_of(proxy, "iam") for _ in range(3)] == [("AccessDenied", 403)] * 3
    listed = client(proxy, "accessanalyzer").list_analyzers()["analyzers"]
    assert [a["name"] for a in listed] == ["aa"]
    assert proxy.stats.requests == Counter(
        {"iam:GetAccountSummary": 3, "access-analyzer:ListAnalyzers": 1}
    )
    assert proxy.stats.faults == Counter({FaultKind.ERROR: 3})
    assert stub.calls() == 1


def test_a_dropped_connection_reaches_the_client_as_a_closed_connection(
    proxy: FaultProxy,
) -> None:
    proxy.set_plan(FaultPlan(rules=(FaultRule("access-analyzer:*", kind=FaultKind.DROP),)))
    with pytest.raises(ConnectionClosedError):
        client(proxy, "accessanalyzer").list_analyzers()
    assert proxy.stats.faults == Counter({FaultKind.DROP: 1})


def test_slow_answers_are_forwarded_after_the_delay(
    proxy: FaultProxy, stub: AccessAnalyzerStub
) -> None:
    stub.set_analyzers("eu-west-1", [analyzer("slowpoke", region="eu-west-1")])
    proxy.set_plan(FaultPlan(rate=1.0, kinds={FaultKind.SLOW: 1}, delay=0.01))
    listed = client(proxy, "accessanalyzer").list_analyzers()["analyzers"]
    assert [a["name"] for a in listed] == ["slowpoke"]
    assert proxy.stats.faults == Counter({FaultKind.SLOW: 1})


def test_retries_are_counted_from_botocores_attempt_header(proxy: FaultProxy) -> None:
    # Three answers of 503, then the stub's own answer: two retries after the first try.
    proxy.set_plan(FaultPlan(rules=(FaultRule("access-analyzer:*", kind=FaultKind.ERROR_503),)))
    retrying = Config(retries={"mode": "standard", "total_max_attempts": 3})
    with pytest.raises(ClientError):
        client(proxy, "accessanalyzer", retrying).list_analyzers()
    summary = proxy.stats.summary()
    assert summary == {"requests": 3, "faulted": 3, "faults": {"http-503": 3}, "retries": 2}


def test_decisions_depend_on_the_seed_and_request_only() -> None:
    keys = [
        request_key("iam:ListUsers", None, "POST", "/", f"Marker={n}".encode(), attempt=1)
        for n in range(2000)
    ]
    plan = FaultPlan(rate=0.2, seed=7)
    first = [plan.decide(k, "iam:ListUsers") for k in keys]
    again = [FaultPlan(rate=0.2, seed=7).decide(k, "iam:ListUsers") for k in keys]
    other = [FaultPlan(rate=0.2, seed=8).decide(k, "iam:ListUsers") for k in keys]

    assert first == again
    assert first != other
    faulted = [d for d in first if d is not None]
    assert 0.15 < len(faulted) / len(keys) < 0.25
    kinds = Counter(kind for kind, _ in faulted)
    # Every mixed kind occurs, throttling (weight 3 of 8) the most.
    assert set(kinds) == {
        FaultKind.THROTTLE,
        FaultKind.THROTTLE_429,
        FaultKind.ERROR_500,
        FaultKind.ERROR_503,
        FaultKind.DROP,
        FaultKind.SLOW,
    }
    assert kinds.most_common(1)[0][0] is FaultKind.THROTTLE


def test_spared_operations_get_no_random_fault_but_rules_still_apply() -> None:
    rule = FaultRule("sts:GetCallerIdentity", kind=FaultKind.THROTTLE)
    plan = FaultPlan(rate=1.0, spare=("sts:*",), rules=(rule,))
    assert plan.decide("k", "sts:AssumeRole") is None
    assert plan.decide("k", "sts:GetCallerIdentity") == (FaultKind.THROTTLE, rule)
    assert plan.decide("k", "iam:ListUsers") is not None


def test_a_bad_plan_is_refused() -> None:
    with pytest.raises(ValueError, match="rate"):
        FaultPlan(rate=1.5)
    with pytest.raises(ValueError, match="kind"):
        FaultPlan(rate=0.5, kinds={FaultKind.DROP: 0})


@pytest.mark.parametrize(
    ("header", "attempt"),
    [("attempt=1; max=11", 1), ("ttl=x; attempt=4; max=11", 4), (None, 1), ("junk", 1)],
)
def test_attempt_of_reads_botocores_request_header(header: str | None, attempt: int) -> None:
    assert attempt_of(header) == attempt
