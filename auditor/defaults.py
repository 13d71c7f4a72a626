"""Defaults and limits the CLI, the org runner, the Lambda handler and collectors share.

Spelled once here, without importing boto3, so that parsing arguments and reading the
Lambda's environment stay fast and cannot drift apart.
"""

from __future__ import annotations

__all__ = [
    "ACCESS_ANALYZER_MAX_WORKERS",
    "DEADLINE_LIMIT",
    "DEADLINE_SECONDS",
    "ORG_MAX_WORKERS",
    "ORG_MAX_WORKERS_LIMIT",
    "ORG_ROLE_NAME",
]

# The collection deadline: AWS Lambda's longest run, so one account fits one invocation.
DEADLINE_SECONDS = 900
# A ceiling that still catches a typo of a few extra digits (one day).
DEADLINE_LIMIT = 86400
# The role an org run assumes in each member account: what AWS Organizations creates.
ORG_ROLE_NAME = "OrganizationAccountAccessRole"
# Member accounts audited at once, and the most a caller may ask for.
ORG_MAX_WORKERS = 8
ORG_MAX_WORKERS_LIMIT = 64
# Regions Access Analyzer is asked at once (one thread each).
ACCESS_ANALYZER_MAX_WORKERS = 32
