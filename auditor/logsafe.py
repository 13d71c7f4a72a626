"""Keeping credentials out of log lines, however verbose the logging.

At DEBUG, botocore logs every request it sends (headers included, so the
``X-Amz-Security-Token`` of temporary credentials), the canonical request it signs (the
token again) and every response body it parses (``AssumeRole`` answers carry a
``SecretAccessKey`` and a ``SessionToken``). ``iam-auditor -v`` and a Lambda run at
``AWS_LAMBDA_LOG_LEVEL=DEBUG`` want the auditor's own debug lines, not that wire trace, so
``limit_wire_loggers`` holds the AWS SDK's loggers at INFO or above. ``RedactingFilter``
is the second line of defence on every handler: whatever reaches a log line, a session
token, a secret access key or a password spelled in one of the ways AWS and botocore spell
them is replaced by ``[redacted]``, and a full access-key id is cut to ``AKIA…WXYZ``.
``JsonFormatter`` writes each record as one JSON line (the Lambda's log format), with the
fields of the current invocation and with every field named like a credential redacted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

REDACTED = "[redacted]"

# The AWS SDK and the HTTP stack under it: their DEBUG lines are the wire trace.
WIRE_LOGGERS: tuple[str, ...] = ("botocore", "boto3", "urllib3", "s3transfer")

# name=value, name: value, 'name': b'value', "name": "value", <Name>value</Name>; names are
# matched case-insensitively in their AWS, header and boto3-argument spellings.
_SECRET_NAMES = "|".join(
    (
        "x-amz-security-token",
        "sessiontoken",
        "session_token",
        "securitytoken",
        "secretaccesskey",
        "secret_access_key",
        "aws_secret_access_key",
        "aws_session_token",
        "password",
    )
)
_XML_SECRET = re.compile(rf"<({_SECRET_NAMES})>[^<]*</", re.IGNORECASE)
_PAIR_SECRET = re.compile(
    rf"""(["']?(?:{_SECRET_NAMES})["']?\s*[:=]\s*b?["']?)[^"'\s,;}}&<]+""",
    re.IGNORECASE,
)
# Long-term (AKIA) and temporary (ASIA) access-key ids: 20 characters, shown as AKIA…WXYZ.
_KEY_ID = re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{12}([A-Z0-9]{4})\b")


def redact(text: str) -> str:
    """``text`` with credential values replaced by ``[redacted]`` and key ids truncated."""
    text = _XML_SECRET.sub(lambda m: f"<{m.group(1)}>{REDACTED}</", text)
    text = _PAIR_SECRET.sub(lambda m: m.group(1) + REDACTED, text)
    return _KEY_ID.sub(lambda m: f"{m.group(1)}…{m.group(2)}", text)


class RedactingFilter(logging.Filter):
    """A handler filter that rewrites each record's message through ``redact``.

    The message is formatted once here (``msg % args``) and the arguments dropped, so the
    formatter sees only the redacted text. Never drops a record.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact ``record``'s message in place; always keep the record."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg = cleaned
            record.args = None
        return True


def limit_wire_loggers(level: int) -> None:
    """Hold the AWS SDK's loggers at ``level`` or INFO, whichever is higher.

    Call with the root logger's level: at WARNING nothing changes; at DEBUG the auditor's
    own debug lines are kept and botocore's request, signing and response dumps are not.
    """
    for name in WIRE_LOGGERS:
        logging.getLogger(name).setLevel(max(level, logging.INFO))


def protect_handlers(logger: logging.Logger | None = None) -> None:
    """Add one ``RedactingFilter`` to each handler of ``logger`` (default: the root)."""
    target = logger if logger is not None else logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())


# --- JSON lines ----------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_RECORD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)
# Field names that could carry a credential; their values never reach a log line.
_SECRET_FIELD = re.compile(r"secret|token|password|passwd|credential|session_key", re.IGNORECASE)
# Lambda's logging control: the level the function was configured to log at.
LAMBDA_LOG_LEVEL = "AWS_LAMBDA_LOG_LEVEL"

# Fields added to every line (a Lambda invocation's request id and function name). A global
# rather than a context variable: Lambda runs one invocation at a time per process, and the
# organization runner's worker threads must log the same request id.
_FIELDS: dict[str, str] = {}
_INSTALL_LOCK = threading.Lock()
_STDOUT_HANDLER: logging.Handler | None = None


@contextmanager
def log_fields(fields: Mapping[str, str]) -> Iterator[None]:
    """Add ``fields`` to every JSON line written until the block ends."""
    _FIELDS.clear()
    _FIELDS.update(fields)
    try:
        yield
    finally:
        _FIELDS.clear()


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object on one line.

    Fields: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
    ``message``, the ``log_fields`` in force (a Lambda's ``aws_request_id`` and
    ``function_name``), every ``extra`` field (``account_id``…), and ``exception`` when
    there is one. Fields whose names look like credentials (secret, token, password…) are
    replaced by ``[redacted]``.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (non-ASCII escaped, so no line can be split)."""
        moment = datetime.fromtimestamp(record.created, UTC)
        out: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(_FIELDS)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        for key in out:
            if _SECRET_FIELD.search(key):
                out[key] = REDACTED
        return json.dumps(out, default=str)


def install_json_logging(level: int | str | None = None) -> None:
    """Make every root handler write JSON lines; add a stdout handler if there is none.

    The Lambda runtime installs its own handler on the root logger before the function is
    imported; its formatter is replaced, so the runtime's plain-text lines become JSON.
    Safe to call on every invocation: handlers already formatting JSON are left alone.
    ``level`` defaults to ``AWS_LAMBDA_LOG_LEVEL`` (Lambda's logging control) or INFO.
    """
    global _STDOUT_HANDLER  # noqa: PLW0603 - one handler per process, created once
    root = logging.getLogger()
    with _INSTALL_LOCK:
        if not root.handlers:
            if _STDOUT_HANDLER is None:
                _STDOUT_HANDLER = logging.StreamHandler(sys.stdout)
            root.addHandler(_STDOUT_HANDLER)
        for handler in root.handlers:
            if not isinstance(handler.formatter, JsonFormatter):
                handler.setFormatter(JsonFormatter())
        wanted = level or os.environ.get(LAMBDA_LOG_LEVEL) or logging.INFO
        try:
            root.setLevel(wanted.upper() if isinstance(wanted, str) else wanted)
        except ValueError:
            root.setLevel(logging.INFO)
        # Even at DEBUG, no botocore wire dump (tokens, AssumeRole secrets) reaches a line.
        limit_wire_loggers(root.level)
        protect_handlers(root)
