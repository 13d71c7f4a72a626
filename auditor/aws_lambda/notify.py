"""The SNS notification: one message per run, the result and where its reports went.

Sent only when ``AUDITOR_SNS_TOPIC_ARN`` is set, and never for a member event (the state
machine's aggregation notifies once for the whole Organization). A topic that refuses it
fails the invocation, after the reports were written.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws_lambda.results import AuditedResult, OrgResult
from auditor.aws_lambda.settings import LOGGER, HandlerError
from auditor.collect.common import error_code

log = logging.getLogger(LOGGER)

# SNS wants a subject shorter than 100 characters, without line breaks.
SUBJECT_MAX = 99


def publish(
    session: boto3.Session,
    topic: str | None,
    subject: str,
    result: AuditedResult | OrgResult,
    locations: Sequence[str],
) -> None:
    """Publish one SNS message to ``topic`` (when there is one): the result and the reports.

    A topic that refuses it fails the invocation: the reports are already written, but
    whoever subscribed would otherwise never learn of this run.
    """
    if topic is None:
        return
    try:
        session.client("sns", region_name=_topic_region(topic)).publish(
            TopicArn=topic, Subject=_subject(subject), Message=_message(result, locations)
        )
    except (ClientError, BotoCoreError) as exc:
        raise HandlerError(
            f"publishing the summary to {topic} failed: {error_code(exc)} "
            "(the reports were written)"
        ) from exc
    log.info("summary published", extra={"topic_arn": topic})


def _subject(text: str) -> str:
    # SNS: printable, no line breaks, under 100 characters. Ours are ASCII already, but an
    # account alias or a future field must not make the publish fail.
    clean = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return clean[:SUBJECT_MAX]


def _message(result: AuditedResult | OrgResult, locations: Sequence[str]) -> str:
    # An org result names at most WORST_ACCOUNTS_MAX accounts, so this stays far below
    # SNS's 256 KiB whatever the Organization's size.
    return json.dumps({"summary": dict(result), "reports": list(locations)}, indent=2)


def _topic_region(topic_arn: str) -> str | None:
    parts = topic_arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None
