"""The Lambda function's configuration: its ``AUDITOR_*`` environment variables, validated.

Every variable the function reads is an ``ENV_*`` constant here (the deploy tests hold the
SAM template to exactly these), read once per invocation into a frozen ``LambdaSettings``;
a wrong value is a ``HandlerError`` naming the variable, raised before anything is audited.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from auditor.defaults import ORG_MAX_WORKERS, ORG_MAX_WORKERS_LIMIT, ORG_ROLE_NAME
from auditor.errors import AuditorError
from auditor.names import (
    EXTERNAL_ID_RULE,
    ROLE_NAME_RULE,
    is_bucket_name,
    is_external_id,
    is_key_segment,
    is_role_name,
)

ENV_BUCKET = "AUDITOR_REPORT_BUCKET"
ENV_PREFIX = "AUDITOR_REPORT_PREFIX"
ENV_CONFIG = "AUDITOR_CONFIG"
ENV_CONFIG_S3_URI = "AUDITOR_CONFIG_S3_URI"
ENV_KMS_KEY_ID = "AUDITOR_KMS_KEY_ID"
ENV_SNS_TOPIC_ARN = "AUDITOR_SNS_TOPIC_ARN"
ENV_MODE = "AUDITOR_MODE"
ENV_ROLE_NAME = "AUDITOR_ROLE_NAME"
ENV_EXTERNAL_ID = "AUDITOR_EXTERNAL_ID"
ENV_MAX_WORKERS = "AUDITOR_MAX_WORKERS"

DEFAULT_PREFIX = "iam-auditor"
# The logger of every line the function writes: the name its log lines have always carried,
# which CloudWatch filters and alarms may match on, whichever module writes the line.
LOGGER = "auditor.lambda_handler"

# Read with fullmatch: the key may not hold a line break, nor the bucket name end in one.
_S3_URI = re.compile(r"s3://([^/]+)/(.+)")


class Mode(enum.Enum):
    """``AUDITOR_MODE``: what a scheduled invocation audits."""

    ACCOUNT = "account"
    ORG = "org"


class HandlerError(AuditorError):
    """The invocation cannot do what was asked; ``str()`` is one line, logged, then raised.

    Raised for a bad environment or event, a report bucket that is missing or unreadable,
    a config object that cannot be read and an SNS topic that refuses the summary.
    """


@dataclass(frozen=True)
class LambdaSettings:
    """The function's configuration, read from its environment variables."""

    bucket: str
    prefix: str = DEFAULT_PREFIX
    config_text: str | None = None
    config_s3_uri: str | None = None
    kms_key_id: str | None = None
    sns_topic_arn: str | None = None
    mode: Mode = Mode.ACCOUNT
    role_name: str = ORG_ROLE_NAME
    external_id: str | None = field(default=None, repr=False)
    max_workers: int = ORG_MAX_WORKERS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LambdaSettings:
        """Validate the ``AUDITOR_*`` variables; ``HandlerError`` names the one that is wrong.

        An empty variable counts as unset (templates often pass ``""`` for an optional
        parameter). ``AUDITOR_REPORT_BUCKET`` is required; ``AUDITOR_CONFIG`` and
        ``AUDITOR_CONFIG_S3_URI`` exclude each other.
        """

        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        bucket = get(ENV_BUCKET)
        if bucket is None:
            raise HandlerError(f"{ENV_BUCKET} is not set: name the S3 bucket reports go to")
        if not is_bucket_name(bucket):
            raise HandlerError(f"{ENV_BUCKET}={bucket!r} is not an S3 bucket name")
        config_text = environ.get(ENV_CONFIG) or None
        config_s3_uri = get(ENV_CONFIG_S3_URI)
        if config_text is not None and config_s3_uri is not None:
            raise HandlerError(f"set {ENV_CONFIG} or {ENV_CONFIG_S3_URI}, not both")
        if config_s3_uri is not None:
            parse_s3_uri(config_s3_uri, name=ENV_CONFIG_S3_URI)
        mode_text = (get(ENV_MODE) or Mode.ACCOUNT.value).lower()
        try:
            mode = Mode(mode_text)
        except ValueError:
            valid = " or ".join(repr(m.value) for m in Mode)
            raise HandlerError(f"{ENV_MODE}={mode_text!r} is not valid; use {valid}") from None
        role_name = get(ENV_ROLE_NAME) or ORG_ROLE_NAME
        if not is_role_name(role_name):
            raise HandlerError(
                f"{ENV_ROLE_NAME}={role_name!r} is not an IAM role name: {ROLE_NAME_RULE}"
            )
        external_id = get(ENV_EXTERNAL_ID)
        if external_id is not None and not is_external_id(external_id):
            # Not echoed: an external id is not a secret, but it is not ours to print either.
            raise HandlerError(f"{ENV_EXTERNAL_ID} is not a valid external id ({EXTERNAL_ID_RULE})")
        return cls(
            bucket=bucket,
            prefix=_prefix(get(ENV_PREFIX)),
            config_text=config_text,
            config_s3_uri=config_s3_uri,
            kms_key_id=get(ENV_KMS_KEY_ID),
            sns_topic_arn=get(ENV_SNS_TOPIC_ARN),
            mode=mode,
            role_name=role_name,
            external_id=external_id,
            max_workers=_max_workers(get(ENV_MAX_WORKERS)),
        )


def _prefix(text: str | None) -> str:
    if text is None:
        return DEFAULT_PREFIX
    parts = [part for part in text.split("/") if part]
    if not parts:
        return DEFAULT_PREFIX
    for part in parts:
        if not is_key_segment(part):
            raise HandlerError(f"{ENV_PREFIX}={text!r}: {part!r} is not a usable key segment")
    return "/".join(parts)


def _max_workers(text: str | None) -> int:
    if text is None:
        return ORG_MAX_WORKERS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= ORG_MAX_WORKERS_LIMIT:
        raise HandlerError(
            f"{ENV_MAX_WORKERS}={text!r} must be a whole number from 1 to {ORG_MAX_WORKERS_LIMIT}"
        )
    return value


def parse_s3_uri(uri: str, *, name: str = "S3 URI") -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; ``HandlerError`` for anything else."""
    match = _S3_URI.fullmatch(uri)
    if match is None or not is_bucket_name(match.group(1)):
        raise HandlerError(f"{name}={uri!r} is not an s3://bucket/key URI")
    return match.group(1), match.group(2)
