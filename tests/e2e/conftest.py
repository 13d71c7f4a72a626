"""End-to-end harness: the installed ``iam-auditor`` against a local moto server.

One moto server and one Access Analyzer stub run per test session (per xdist worker), in
this process, on free ports; each test starts from an empty account (``server`` resets
both). Because the server lives in this process, a test shapes the account through the
``backend`` fixture (moto's objects: dates, root state) and the CLI, a real subprocess of
the installed console script, sees the result over HTTP. Every test here is marked
``e2e``, so ``pytest -m "not e2e"`` skips them.

Every test here is also held to architecture.md's hard rule 1 (read-only): ``run_cli`` notes each
AWS operation the server and the Access Analyzer stub receive while the CLI runs, and the
test fails if one is not a read (``check_read_only``). The test's own setup calls
(``CreateUser``…) are made outside those windows and are not judged.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Collection, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditor.demo import moto_account
from testkit.server import (
    AccessAnalyzerStub,
    MotoServer,
    access_analyzer_stub,
    cli_env,
    moto_server,
)

CLI = Path(sys.executable).parent / "iam-auditor"
RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
AwsClient = Callable[..., Any]


# architecture.md's hard rule 1: an audit reads. The only write it may make is asking AWS to build
# the credential report; AssumeRole (``--role-arn``) and GetCallerIdentity change nothing.
READ_ONLY_PREFIX = re.compile(r"^(Get|List|Describe)[A-Z]")
READ_ONLY_EXACT = frozenset({"GenerateCredentialReport", "AssumeRole", "GetCallerIdentity"})


class ReadOnlyViolation(AssertionError):
    """The CLI made an AWS call outside the read-only allow-list."""


def is_read_only(operation: str) -> bool:
    """Whether ``service:Operation`` is on the allow-list (``Get*``, ``List*``, …)."""
    name = operation.partition(":")[2]
    return bool(READ_ONLY_PREFIX.match(name)) or name in READ_ONLY_EXACT


def check_read_only(calls: Mapping[str, int], allow: Collection[str] = ()) -> None:
    """Raise ``ReadOnlyViolation`` naming every operation in ``calls`` that is not a read.

    ``allow`` names writes one test makes on purpose (``audit --send-to-security-hub``
    imports findings into the caller's own Security Hub); nothing else is excused.
    """
    bad = sorted(
        op for op, count in calls.items() if count > 0 and not is_read_only(op) and op not in allow
    )
    if bad:
        raise ReadOnlyViolation(
            "the CLI made AWS calls outside the read-only allow-list: "
            + ", ".join(f"{op} x{calls[op]}" for op in bad)
        )


class OperationLog:
    """The AWS operations received while the CLI ran, one ``{operation: count}`` per run.

    Counted where the requests arrive - the moto server and the Access Analyzer stub - so
    retries count and the CLI's own bookkeeping is not trusted. ``iam-auditor demo`` runs
    its own in-process moto, whose calls never reach the server and are not seen here.
    """

    def __init__(self) -> None:
        self.runs: list[dict[str, int]] = []
        self.allowed: set[str] = set()

    @contextmanager
    def watch(
        self, server: MotoServer, aa_stub: AccessAnalyzerStub, allow: Collection[str] = ()
    ) -> Iterator[None]:
        """Record the operations both endpoints receive inside the block, then judge them.

        Raises ``ReadOnlyViolation`` on leaving the block if any was not a read, apart from
        the writes in ``allow`` (remembered in ``allowed`` for the teardown check).
        """
        self.allowed.update(allow)
        before = Counter(server.calls())
        seen_by_stub = len(aa_stub.world.requests)
        try:
            yield
        finally:
            calls = Counter(server.calls())
            calls.subtract(before)
            for request in list(aa_stub.world.requests)[seen_by_stub:]:
                # Anything but ListAnalyzers is named by method and path, so a write would
                # show up as such rather than be hidden behind the stub's "?".
                name = request.operation
                if name == "?":
                    name = f"{request.method} {request.path}"
                calls[f"access-analyzer:{name}"] += 1
            run = {op: n for op, n in sorted(calls.items()) if n > 0}
            self.runs.append(run)
        check_read_only(run, allow)

    def total(self) -> dict[str, int]:
        """Every run's operations added up."""
        out: Counter[str] = Counter()
        for run in self.runs:
            out.update(run)
        return dict(sorted(out.items()))


_CALL_PASSED = pytest.StashKey[bool]()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Note whether the test body passed, for ``cli_operations``' teardown."""
    report = yield
    if report.when == "call":
        item.stash[_CALL_PASSED] = report.passed
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test under tests/e2e as ``e2e``."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def _moto_server() -> Iterator[MotoServer]:
    with moto_server() as srv:
        yield srv


@pytest.fixture(scope="session")
def _aa_stub() -> Iterator[AccessAnalyzerStub]:
    with access_analyzer_stub() as stub:
        yield stub


@pytest.fixture
def server(_moto_server: MotoServer) -> Iterator[MotoServer]:
    """The moto server, emptied for this test (accounts, auth enforcement, call counts)."""
    _moto_server.reset()
    yield _moto_server
    _moto_server.stop_enforcing_auth()


@pytest.fixture
def aa_stub(_aa_stub: AccessAnalyzerStub) -> AccessAnalyzerStub:
    """The Access Analyzer stub with no analyzers, no failures and no recorded calls."""
    _aa_stub.reset()
    return _aa_stub


@pytest.fixture
def backend(server: MotoServer) -> Any:
    """moto's IAM backend object the server answers from (account 123456789012).

    Taken after this test's reset; the reset replaces it, so never cache it across tests.
    Pair it with ``auditor.demo.moto_account`` to backdate and to set root state.
    """
    return moto_account.iam_backend()


@pytest.fixture
def aws_client(server: MotoServer, aa_stub: AccessAnalyzerStub) -> AwsClient:
    """``aws_client("iam")``: a boto3 client of this test on the server (or the stub)."""

    def make(service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        endpoint = aa_stub.endpoint if service == "accessanalyzer" else server.endpoint
        return boto3.client(service, region_name=region, endpoint_url=endpoint, **kwargs)

    return make


@pytest.fixture(autouse=True)
def cli_operations(request: pytest.FixtureRequest) -> Iterator[OperationLog]:
    """The AWS operations each ``run_cli`` call caused; every test is held read-only.

    ``run_cli`` fails the test at once when a run made a call outside the allow-list; the
    teardown check catches a test that swallowed that failure and then passed.
    """
    log = OperationLog()
    yield log
    if request.node.stash.get(_CALL_PASSED, False):
        check_read_only(log.total(), log.allowed)


@pytest.fixture
def run_cli(
    server: MotoServer,
    aa_stub: AccessAnalyzerStub,
    tmp_path: Path,
    cli_operations: OperationLog,
) -> RunCli:
    """``run_cli("audit", "--output-dir", d, env={...})``: run the installed CLI.

    The subprocess sees only the server and the stub (``cli_env``), runs in ``tmp_path``
    and is captured as text; ``env`` adds or overrides variables (another user's keys).
    The operations the run caused are appended to ``cli_operations.runs`` and must all
    be reads (``check_read_only``), except the writes a test names in ``allow_writes``.
    """
    if not CLI.exists():
        pytest.fail(f"the iam-auditor console script is not installed next to {sys.executable}")

    def run(
        *args: str | Path,
        env: dict[str, str] | None = None,
        timeout: float = 300,
        allow_writes: Collection[str] = (),
    ) -> subprocess.CompletedProcess[str]:
        with cli_operations.watch(server, aa_stub, allow_writes):
            return subprocess.run(  # noqa: S603 - our own console script, fixed arguments
                [str(CLI), *map(str, args)],
                env=cli_env(server.endpoint, aa_stub.endpoint, **(env or {})),
                cwd=tmp_path,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )

    return run
