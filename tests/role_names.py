"""Role names for every entry point's tests: the CLI and the Lambda accept and refuse the same.

A role is named as ``arn:…:role/`` continues: ``NAME`` or ``PATH/NAME``, the path without
its leading slash. IAM caps the name at 64 characters and the path (slashes included) at
512. Whitespace at either end is left out here: the Lambda strips its environment
variables, the CLI takes an argument as given, and each has its own test for that.
"""

from __future__ import annotations

ACCEPTED = [
    "OrganizationAccountAccessRole",
    "audit/IamAuditor",
    "security/audit/IamAuditor",
    "R",
    "a" * 64,
    "team+=,.@_-x/Role_+=,.@-",
    # The path /ppp…/ is 512 characters, IAM's longest.
    "p" * 510 + "/Role",
]

REJECTED = {
    "leading slash": "/audit/IamAuditor",
    "no name after the path": "audit/",
    "empty path segment": "audit//IamAuditor",
    "name over 64": "a" * 65,
    "path over 512": "p" * 511 + "/Role",
    "wildcard in the path": "audit*/IamAuditor",
    "wildcard in the name": "IamAuditor?",
    "space": "Iam Auditor",
    "non-ASCII letter": "Rôle",
    "non-ASCII digit": "Role٣",
    "an ARN": "arn:aws:iam::111122223333:role/IamAuditor",
    "newline inside": "audit\n/IamAuditor",
}
