"""What an invocation is asked to do: the Lambda event, validated into a frozen ``Request``.

A scheduled (EventBridge) event, ``{}`` or ``null`` is a scheduled run; ``{"account_id"}``
one member (a Step Functions Distributed Map item); ``{"action": "list_accounts"}`` and
``{"action": "aggregate", ...}`` the state machine's first and last steps. Anything else is
a ``HandlerError`` saying what is wrong with the event.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from auditor.aws_lambda.settings import HandlerError
from auditor.names import (
    EXTERNAL_ID_RULE,
    ROLE_NAME_RULE,
    is_account_id,
    is_external_id,
    is_role_name,
)


class EventKind(enum.Enum):
    """What an invocation was asked to do."""

    SCHEDULED = "scheduled"
    MEMBER = "member"
    LIST_ACCOUNTS = "list_accounts"
    AGGREGATE = "aggregate"


@dataclass(frozen=True)
class Request:
    """A validated event."""

    kind: EventKind
    account_id: str | None = None
    name: str = ""
    role_name: str | None = None
    external_id: str | None = field(default=None, repr=False)
    results: tuple[Mapping[str, Any], ...] = ()
    # (Bucket, Key) of a Distributed Map's manifest.json; None: aggregate ``results``.
    result_writer: tuple[str, str] | None = None


def parse_event(event: Any) -> Request:
    """Validate ``event``; ``HandlerError`` says what is wrong with it.

    Anything without ``action`` or ``account_id`` (an EventBridge scheduled event, ``{}``,
    ``null``) is a scheduled run.
    """
    if event is None:
        return Request(EventKind.SCHEDULED)
    if not isinstance(event, Mapping):
        raise HandlerError(f"the event must be a JSON object, not {type(event).__name__}")
    action = event.get("action")
    if action is not None:
        if action == EventKind.LIST_ACCOUNTS.value:
            return Request(EventKind.LIST_ACCOUNTS)
        if action == EventKind.AGGREGATE.value:
            return _aggregate_request(event)
        raise HandlerError(f"unknown action {action!r}; expected 'list_accounts' or 'aggregate'")
    if "account_id" not in event:
        return Request(EventKind.SCHEDULED)
    account_id = event["account_id"]
    if not is_account_id(account_id):
        raise HandlerError(f"event account_id {account_id!r} is not a 12-digit account id")
    role_name = event.get("role_name") or None
    if role_name is not None and not is_role_name(role_name):
        raise HandlerError(
            f"event role_name {role_name!r} is not an IAM role name: {ROLE_NAME_RULE}"
        )
    external_id = event.get("external_id") or None
    if external_id is not None and not is_external_id(external_id):
        raise HandlerError(f"event external_id is not a valid external id ({EXTERNAL_ID_RULE})")
    name = event.get("name")
    return Request(
        EventKind.MEMBER,
        account_id=account_id,
        name=name if isinstance(name, str) else "",
        role_name=role_name,
        external_id=external_id,
    )


def _aggregate_request(event: Mapping[str, Any]) -> Request:
    needs = (
        "an aggregate event needs 'results' (a list of account results) or 'result_writer' "
        "(the Distributed Map's ResultWriterDetails), not both"
    )
    if ("results" in event) == ("result_writer" in event):
        raise HandlerError(needs)
    if "result_writer" in event:
        writer = event["result_writer"]
        bucket = writer.get("Bucket") if isinstance(writer, Mapping) else None
        key = writer.get("Key") if isinstance(writer, Mapping) else None
        if not isinstance(bucket, str) or not isinstance(key, str) or not key:
            raise HandlerError(
                'aggregate: \'result_writer\' must be {"Bucket": ..., "Key": ...}, the '
                "Distributed Map's ResultWriterDetails (where its manifest.json is)"
            )
        return Request(EventKind.AGGREGATE, result_writer=(bucket, key))
    results = event["results"]
    if not isinstance(results, list) or not all(isinstance(r, Mapping) for r in results):
        raise HandlerError(needs)
    return Request(EventKind.AGGREGATE, results=tuple(results))
