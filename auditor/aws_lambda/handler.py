"""The AWS Lambda entry point: ``handler(event, context)`` does what the event asks.

It reads the environment (``LambdaSettings``) and the event (``parse_event``), checks the
report bucket before auditing anything, and hands the work to ``Runner`` or the
aggregation. A bad environment, config or event, an unusable bucket, KMS key or SNS topic,
or an Organization that cannot be listed fails the invocation with one logged line, so
Lambda's retries and alarms see it. Logs are one JSON object per line; credentials are
never logged.
"""

from __future__ import annotations

import dataclasses
import logging
import os
from typing import Any

import boto3

from auditor.aws_lambda.aggregate import aggregate, aggregate_map_results
from auditor.aws_lambda.events import EventKind, parse_event
from auditor.aws_lambda.results import AccountResult, AccountsListing, OrgResult
from auditor.aws_lambda.runner import Runner
from auditor.aws_lambda.settings import LOGGER, LambdaSettings, Mode
from auditor.config import Settings
from auditor.errors import AuditorError
from auditor.logsafe import install_json_logging, log_fields

log = logging.getLogger(LOGGER)

LambdaResult = AccountResult | OrgResult | AccountsListing

# What an invocation keeps for analysing, rendering and writing once collection stops.
FINISH_RESERVE_S = 90.0
MIN_COLLECTION_S = 30.0


def handler(event: Any, context: Any) -> LambdaResult:
    """Lambda entry point: do what ``event`` asks; return a JSON-serialisable summary.

    Raises (so the invocation fails and Lambda's retries and alarms see it) on a bad
    environment, config or event, an unusable report bucket, KMS key or SNS topic, or an
    Organization that cannot be listed; the reason is logged first, on one line.
    """
    install_json_logging()
    fields = {
        attr: str(value)
        for attr in ("aws_request_id", "function_name")
        if (value := getattr(context, attr, None)) is not None
    }
    with log_fields(fields):
        try:
            return _handle(event, context)
        except Exception as exc:
            extra = {"error_type": type(exc).__name__}
            # Ours, or a value refused on the way in: the one line says it all. Anything
            # else is a bug and keeps its traceback.
            if isinstance(exc, AuditorError | ValueError):
                log.error("invocation failed: %s", exc, extra=extra)
            else:
                log.exception("invocation failed: %s", exc, extra=extra)
            raise


def _handle(event: Any, context: Any) -> LambdaResult:
    settings = LambdaSettings.from_env(os.environ)
    request = parse_event(event)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    log.info(
        "invocation started",
        extra={
            "event_kind": request.kind.value,
            "mode": settings.mode.value,
            "remaining_ms": remaining() if callable(remaining) else None,
        },
    )
    runner = Runner(settings, _default_session())
    if request.kind is EventKind.LIST_ACCOUNTS:
        return runner.list_accounts()
    runner.store.preflight()
    if request.kind is EventKind.AGGREGATE:
        if request.result_writer is not None:
            return aggregate_map_results(runner, *request.result_writer)
        return aggregate(runner, request.results)
    audit_settings = collection_deadline(runner.audit_settings(), remaining)
    if request.kind is EventKind.MEMBER:
        assert request.account_id is not None  # noqa: S101 - parse_event guarantees it
        return runner.audit_member(
            audit_settings,
            request.account_id,
            name=request.name,
            role_name=request.role_name or settings.role_name,
            external_id=request.external_id or settings.external_id,
        )
    if settings.mode is Mode.ORG:
        return runner.audit_org(audit_settings)
    return runner.audit_own_account(audit_settings)


def collection_deadline(settings: Settings, remaining_ms: Any) -> Settings:
    """``settings`` with a collection deadline that leaves the invocation time to finish.

    Lambda stops a function at its timeout without a word; an audit whose collection runs
    into it writes nothing. So collection ends ``FINISH_RESERVE_S`` before the invocation
    would (never below ``MIN_COLLECTION_S``), and what was not read by then is reported as
    ERROR in a report that still gets written.
    """
    if not callable(remaining_ms):
        return settings
    left = float(remaining_ms()) / 1000.0 - FINISH_RESERVE_S
    deadline = min(settings.collection_deadline, max(left, MIN_COLLECTION_S))
    return dataclasses.replace(settings, collection_deadline=deadline)


def _default_session() -> boto3.Session:
    # Lambda provides the credentials and AWS_REGION in the environment.
    return boto3.Session()
