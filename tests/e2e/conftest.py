"""End-to-end harness: the installed ``iam-auditor`` against a local moto server.

One moto server and one Access Analyzer stub run per test session (per xdist worker), in
this process, on free ports; each test starts from an empty account (``server`` resets
both). Because the server lives in this process, a test shapes the account through the
``backend`` fixture (moto's objects: dates, root state) and the CLI, a real subprocess of
the installed console script, sees the result over HTTP. Every test here is marked
``e2e``, so ``pytest -m "not e2e"`` skips them.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from auditor.testing import moto_account
from auditor.testing.server import (
    AccessAnalyzerStub,
    MotoServer,
    access_analyzer_stub,
    cli_env,
    moto_server,
)

CLI = Path(sys.executable).parent / "iam-auditor"
RunCli = Callable[..., "subprocess.CompletedProcess[str]"]
AwsClient = Callable[..., Any]


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
    Pair it with ``auditor.testing.moto_account`` to backdate and to set root state.
    """
    return moto_account.iam_backend()


@pytest.fixture
def aws_client(server: MotoServer, aa_stub: AccessAnalyzerStub) -> AwsClient:
    """``aws_client("iam")``: a boto3 client of this test on the server (or the stub)."""

    def make(service: str, region: str = "us-east-1", **kwargs: Any) -> Any:
        endpoint = aa_stub.endpoint if service == "accessanalyzer" else server.endpoint
        return boto3.client(service, region_name=region, endpoint_url=endpoint, **kwargs)

    return make


@pytest.fixture
def run_cli(server: MotoServer, aa_stub: AccessAnalyzerStub, tmp_path: Path) -> RunCli:
    """``run_cli("audit", "--output-dir", d, env={...})``: run the installed CLI.

    The subprocess sees only the server and the stub (``cli_env``), runs in ``tmp_path``
    and is captured as text; ``env`` adds or overrides variables (another user's keys).
    """
    if not CLI.exists():
        pytest.fail(f"the iam-auditor console script is not installed next to {sys.executable}")

    def run(
        *args: str | Path, env: dict[str, str] | None = None, timeout: float = 300
    ) -> subprocess.CompletedProcess[str]:
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
