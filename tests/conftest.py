"""Fixtures every test shares: an AWS environment that can only ever reach moto.

``fake_aws_env`` is autouse: every test runs with fake credentials, ``us-east-1``, no
profile, no endpoint override and no config or credentials file, so nothing a developer
has in ``~/.aws`` or their shell can reach a real account or change a result. Tests that
need AWS use ``mock_aws`` (in-process moto) or the end-to-end server in ``tests/e2e``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import moto
import moto.s3.models
import pytest

from auditor.demo.moto_account import make_server_certificate

# cryptography learns which class is ``datetime`` on its first signed certificate; if that
# happens while a test has frozen the clock (freezegun swaps the class), every later
# certificate (the demo account's) fails. One certificate signed now settles it.
make_server_certificate("iam-auditor-tests", issued_days_ago=0, expires_in_days=1)

# Variables that could send boto3 somewhere else or change what it reads.
_FOREIGN = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_REGION",
)


_FAKE = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}

# Set for the whole session, so that each test's monkeypatch replaces these values instead
# of adding the variables and removing them again. Adding one reallocates the C environment,
# and under libfaketime 0.9.10 (`make test-future`) every thread waiting for the GIL calls
# getenv() meanwhile: a thread reading the old array as it is freed crashes the worker.
os.environ.update(_FAKE)


def _fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region; nothing from the developer's AWS setup leaks in."""
    for name in list(os.environ):
        if name in _FOREIGN or name.startswith("AWS_ENDPOINT_URL"):
            monkeypatch.delenv(name)
    for name, value in _FAKE.items():
        monkeypatch.setenv(name, value)


def _serialised_s3_urls() -> None:
    """Make moto's S3 backend safe to call from several threads at once.

    It reloads ``moto.s3.urls`` on every request, and ``importlib.reload`` takes the module
    out of ``sys.modules`` while it runs: a second thread's reload then fails with
    "module moto.s3.urls not in sys.modules". The Lambda reads member reports from S3 on a
    thread pool, so its tests on in-process moto meet this; the reloads only need taking in
    turn.
    """
    lock = threading.Lock()
    reload_urls = moto.s3.models.S3Backend._url_module.fget  # type: ignore[attr-defined]

    def url_module(self: Any) -> Any:
        with lock:
            return reload_urls(self)

    moto.s3.models.S3Backend._url_module = property(url_module)  # type: ignore[assignment]


_serialised_s3_urls()


@pytest.fixture(autouse=True)
def fake_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region; nothing from the developer's AWS setup leaks in."""
    _fake_aws(monkeypatch)


@pytest.fixture(scope="module")
def module_fake_aws() -> Iterator[pytest.MonkeyPatch]:
    """``fake_aws_env`` for a module-scoped fixture, which cannot use the per-test one.

    Yields the patch so the fixture can set its own variables for as long as the module runs.
    """
    with pytest.MonkeyPatch.context() as mp:
        _fake_aws(mp)
        yield mp


@pytest.fixture
def mock_aws() -> Iterator[None]:
    """An in-process moto for the test: a fresh, empty account 123456789012."""
    with moto.mock_aws():
        yield


@pytest.fixture
def aws_session(mock_aws: None) -> boto3.Session:
    """A boto3 session in ``us-east-1`` on the in-process moto account."""
    return boto3.Session(region_name="us-east-1")


@pytest.fixture
def restore_root_logger() -> Iterator[None]:
    """Put the root logger's handlers, their formatters and its level back after the test."""
    root = logging.getLogger()
    handlers = list(root.handlers)
    formatters = [h.formatter for h in handlers]
    level = root.level
    yield
    for h in list(root.handlers):
        if h not in handlers:
            root.removeHandler(h)
    for h, f in zip(handlers, formatters, strict=True):
        h.setFormatter(f)
    root.setLevel(level)
