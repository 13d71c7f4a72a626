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
"""

from __future__ import annotations

import logging
import re

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
