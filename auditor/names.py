r"""The names and identifiers the auditor takes from its users, each checked by one shared rule.

Every entry point asks here, so none accepts what another rejects. Each ``is_*`` is True only
for a ``str`` that matches whole: ``fullmatch`` with ``\A`` / ``\Z`` anchors (``$`` also
matches before a final newline), and AWS identifiers spelled in ASCII (``\d`` and ``\w``
match every script). Imports nothing but ``re``, so arguments are checked before boto3 loads.
"""

from __future__ import annotations

import re
from typing import TypeGuard

__all__ = [
    "ACCOUNT_ID",
    "BUCKET_NAME",
    "EXTERNAL_ID",
    "EXTERNAL_ID_RULE",
    "KEY_SEGMENT",
    "ROLE_NAME",
    "ROLE_NAME_RULE",
    "ROLE_PATH_MAX",
    "SESSION_NAME",
    "SESSION_NAME_RULE",
    "UNIQUE_ID",
    "is_account_id",
    "is_bucket_name",
    "is_external_id",
    "is_key_segment",
    "is_role_name",
    "is_session_name",
    "is_unique_id",
]

# IAM's [\w+=,.@-] for role and session names, meaning ASCII word characters.
_NAME_CHAR = r"[A-Za-z0-9_+=,.@-]"

ACCOUNT_ID = re.compile(r"\A[0-9]{12}\Z")
# A role as sts:AssumeRole reaches it, ``arn:…:role/`` + this: its name (1-64 characters),
# after its path without the leading slash (``audit/IamAuditor`` for the role at ``/audit/``).
# IAM allows any printable ASCII in a path; the segments here take the name's characters
# only, so a role name can never put a wildcard (* ?) into the IAM policy that grants
# sts:AssumeRole on it (deploy/template.yaml builds ``…:role/${MemberRoleName}``).
ROLE_NAME = re.compile(rf"\A(?P<path>(?:{_NAME_CHAR}+/)*)(?P<name>{_NAME_CHAR}{{1,64}})\Z")
# IAM's limit on a path, counted with its leading and trailing slashes.
ROLE_PATH_MAX = 512
SESSION_NAME = re.compile(rf"\A{_NAME_CHAR}{{2,64}}\Z")
EXTERNAL_ID = re.compile(r"\A[A-Za-z0-9_+=,.@:/-]{2,1224}\Z")
# S3's bucket naming rules (lowercase letters, digits, dots, hyphens; 3-63 characters).
BUCKET_NAME = re.compile(r"\A[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
# One segment of a report key prefix: S3's safe characters and a few that need no escaping
# in the console or the CLI. Keys are UTF-8, so letters of any script are fine here.
KEY_SEGMENT = re.compile(r"\A[\w!\-.*'()=+@,;:&$ ]+\Z")
# The unique id IAM writes in a policy in place of a deleted role's or user's ARN.
UNIQUE_ID = re.compile(r"\AA(?:ROA|IDA)[0-9A-Z]{8,}\Z")

# What the rules say, for error messages: every entry point explains a rule the same way.
ROLE_NAME_RULE = (
    "1 to 64 of A-Z a-z 0-9 _+=,.@- as the name, optionally after a path without its leading "
    "slash (audit/IamAuditor)"
)
SESSION_NAME_RULE = "2 to 64 of A-Z a-z 0-9 _+=,.@-"
EXTERNAL_ID_RULE = "2 to 1224 of A-Z a-z 0-9 _+=,.@:/-"


def is_account_id(value: object) -> TypeGuard[str]:
    """A 12-digit AWS account id (ASCII digits, nothing before or after)."""
    return isinstance(value, str) and ACCOUNT_ID.fullmatch(value) is not None


def is_role_name(value: object) -> TypeGuard[str]:
    """A role to assume: ``NAME`` or ``PATH/NAME``, the part of its ARN after ``:role/``."""
    match = ROLE_NAME.fullmatch(value) if isinstance(value, str) else None
    # The path IAM stores is "/" + the segments matched here (which end in "/").
    return match is not None and 1 + len(match["path"]) <= ROLE_PATH_MAX


def is_session_name(value: object) -> TypeGuard[str]:
    """An STS role session name."""
    return isinstance(value, str) and SESSION_NAME.fullmatch(value) is not None


def is_external_id(value: object) -> TypeGuard[str]:
    """An STS external id."""
    return isinstance(value, str) and EXTERNAL_ID.fullmatch(value) is not None


def is_bucket_name(value: object) -> TypeGuard[str]:
    """An S3 bucket name."""
    return isinstance(value, str) and BUCKET_NAME.fullmatch(value) is not None


def is_key_segment(value: object) -> TypeGuard[str]:
    """One segment of a report key prefix; never ``.`` or ``..``.

    Both are legal in S3 keys, but every tool that syncs the reports to disk reads them as
    paths.
    """
    return (
        isinstance(value, str)
        and value not in {".", ".."}
        and KEY_SEGMENT.fullmatch(value) is not None
    )


def is_unique_id(value: object) -> TypeGuard[str]:
    """A role's or user's unique id (``AROA…``, ``AIDA…``), as IAM writes a deleted one."""
    return isinstance(value, str) and UNIQUE_ID.fullmatch(value) is not None
