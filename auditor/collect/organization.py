"""The AWS Organization's member accounts, which the trust checks count as trusted.

The source is optional: outside the management or a delegated administrator account
``ListAccounts`` fails, which becomes a gap no check depends on and a note. Only ACTIVE
accounts are returned: a suspended or closing one should not make trust in it look safe.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from auditor.collect.common import guarded

OPERATION = "organizations:ListAccounts"
ACTIVE = "ACTIVE"


class OrganizationsClient(Protocol):
    """The one thing asked of the boto3 ``organizations`` client (no stubs needed)."""

    def get_paginator(self, operation_name: str) -> Any:
        """botocore's paginator for ``operation_name``."""


def is_active(account: Mapping[str, Any]) -> bool:
    """True for an ACTIVE account.

    AWS is replacing ``Status`` (ACTIVE, SUSPENDED, PENDING_CLOSURE) with ``State`` (which
    adds PENDING_ACTIVATION and CLOSED); either one saying anything but ACTIVE excludes the
    account, and an entry with neither is taken as ACTIVE, as ``ListAccounts`` lists
    members.
    """
    states = [account.get(key) for key in ("State", "Status") if account.get(key) is not None]
    return all(str(state).upper() == ACTIVE for state in states)


def fetch_organization_account_ids(organizations: OrganizationsClient) -> frozenset[str]:
    """The ids of the Organization's ACTIVE accounts, the management account included."""
    ids: set[str] = set()
    with guarded(OPERATION):
        for page in organizations.get_paginator("list_accounts").paginate():
            for account in page.get("Accounts") or ():
                if is_active(account):
                    ids.add(str(account["Id"]))
    return frozenset(ids)
