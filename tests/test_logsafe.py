"""Keeping secrets out of logs: the JSON line formatter and its installation."""

from __future__ import annotations

import json
import logging

import pytest

from auditor.logsafe import JsonFormatter, install_json_logging, log_fields

ACCOUNT = "123456789012"
SECRET_KEY = "wJalrXUtnFEMIK7MDENGbPxRfiCYzEXAMPLEKEYq1"
SESSION_TOKEN = "FwoGZXIvYXdzEXAMPLEsessionTOKENzz9"

# install_json_logging changes the root logger's handlers and level.
pytestmark = pytest.mark.usefixtures("restore_root_logger")


def test_formatter_redacts_credential_fields_and_keeps_one_line() -> None:
    record = logging.LogRecord("auditor.x", logging.WARNING, __file__, 1, "a\nb %s", ("c",), None)
    record.aws_secret_access_key = SECRET_KEY
    record.SessionToken = SESSION_TOKEN
    record.account_id = ACCOUNT
    line = JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "a\nb c"
    assert data["level"] == "WARNING"
    assert data["logger"] == "auditor.x"
    assert data["account_id"] == ACCOUNT
    assert data["aws_secret_access_key"] == data["SessionToken"] == "[redacted]"
    assert SECRET_KEY not in line
    assert SESSION_TOKEN not in line
    assert data["time"].endswith("Z")


def test_formatter_includes_the_exception() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    data = json.loads(JsonFormatter().format(record))
    assert "RuntimeError: boom" in data["exception"]


def test_installing_twice_keeps_one_handler(monkeypatch: pytest.MonkeyPatch) -> None:
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    install_json_logging()
    install_json_logging()
    assert len(root.handlers) == 1
    assert isinstance(root.handlers[0].formatter, JsonFormatter)
    assert root.level == logging.INFO


def test_log_fields_are_on_every_line_until_the_block_ends() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "hello", (), None)
    with log_fields({"aws_request_id": "r-1"}):
        inside = json.loads(JsonFormatter().format(record))
    outside = json.loads(JsonFormatter().format(record))
    assert inside["aws_request_id"] == "r-1"
    assert "aws_request_id" not in outside
