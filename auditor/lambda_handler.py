"""Where the deployed function's handler is named: ``auditor.lambda_handler.handler``.

The SAM template's ``Handler`` points here, so deployed stacks keep working; the adapter
itself lives in ``auditor.aws_lambda``. This module only re-exports the entry point and the
names the deploy tests hold the template to (its environment variables and map folders).
"""

from __future__ import annotations

from auditor.aws_lambda.events import EventKind, parse_event
from auditor.aws_lambda.handler import handler
from auditor.aws_lambda.manifest import MAP_RESULTS_FOLDER
from auditor.aws_lambda.settings import (
    ENV_BUCKET,
    ENV_CONFIG,
    ENV_CONFIG_S3_URI,
    ENV_EXTERNAL_ID,
    ENV_KMS_KEY_ID,
    ENV_MAX_WORKERS,
    ENV_MODE,
    ENV_PREFIX,
    ENV_ROLE_NAME,
    ENV_SNS_TOPIC_ARN,
)
from auditor.aws_lambda.store import ORG_FOLDER

__all__ = [
    "ENV_BUCKET",
    "ENV_CONFIG",
    "ENV_CONFIG_S3_URI",
    "ENV_EXTERNAL_ID",
    "ENV_KMS_KEY_ID",
    "ENV_MAX_WORKERS",
    "ENV_MODE",
    "ENV_PREFIX",
    "ENV_ROLE_NAME",
    "ENV_SNS_TOPIC_ARN",
    "MAP_RESULTS_FOLDER",
    "ORG_FOLDER",
    "EventKind",
    "handler",
    "parse_event",
]
