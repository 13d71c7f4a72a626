"""Helpers every collector shares: turning a failed AWS call into a ``SourceError``.

Whatever fails inside ``guarded("iam:GetAccountSummary")`` (an AWS error, no endpoint, a
timeout, no credentials) leaves as one ``SourceError`` naming the action and AWS's error
code, with its message squeezed onto one short line for reports and terminals.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

_MAX_MESSAGE = 300


class SourceError(Exception):
    """A source could not be collected: which operation failed, AWS's error code, why.

    ``region`` is set for regional calls. ``str()`` is a single line.
    """

    def __init__(self, operation: str, error: str, message: str, region: str | None = None) -> None:
        super().__init__(f"{operation}: {error}: {message}")
        self.operation = operation
        self.error = error
        self.message = message
        self.region = region


def one_line(text: str, limit: int = _MAX_MESSAGE) -> str:
    """Collapse whitespace (newlines included) and cut ``text`` to ``limit`` characters."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def error_code(exc: BaseException) -> str:
    """AWS's error code for a ``ClientError``, else the exception's class name."""
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code else "Unknown"
    return type(exc).__name__


def error_message(exc: BaseException) -> str:
    """AWS's error message for a ``ClientError``, else the exception's text, on one line."""
    if isinstance(exc, ClientError):
        message = exc.response.get("Error", {}).get("Message")
        if message:
            return one_line(str(message))
    return one_line(str(exc) or type(exc).__name__)


def as_source_error(operation: str, exc: BaseException, region: str | None = None) -> SourceError:
    """Describe a failed botocore call as a ``SourceError`` for ``operation``."""
    return SourceError(operation, error_code(exc), error_message(exc), region)


@contextmanager
def guarded(operation: str, region: str | None = None) -> Iterator[None]:
    """Turn any botocore failure inside the block into a ``SourceError`` for ``operation``.

    ``BotoCoreError`` covers connection failures, timeouts, missing credentials and
    exhausted retries; ``ClientError`` covers every error answer from AWS.
    """
    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise as_source_error(operation, exc, region) from exc


def as_utc(value: object) -> datetime | None:
    """A timezone-aware UTC datetime from botocore's value (naive is taken to be UTC).

    botocore already parses timestamps; an ISO 8601 string (a hand-built response) is
    accepted too, and anything else is None.
    """
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return None
    if not isinstance(value, datetime):
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)
