"""The Organization's member accounts: collected when allowed, optional when not.

In process against moto's Organizations (a real organization with member accounts, a
closed one, no organization at all), with botocore's ``Stubber`` for what moto does not do
(pages, AWS's own ``AWSOrganizationsNotInUseException``), and a whole audit that proves a
failed ``ListAccounts`` leaves the audit complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from moto.organizations.exceptions import AWSOrganizationsNotInUseException
from moto.organizations.models import OrganizationsBackend

from auditor.analyze import analyze, needed_sources
from auditor.audit import TOOL
from auditor.checks import all_checks
from auditor.collect import collect
from auditor.collect.common import SourceError
from auditor.collect.organization import OPERATION, fetch_organization_account_ids, is_active
from auditor.config import Settings
from auditor.demo import moto_account
from auditor.errors import ExitCode
from auditor.model import Source, Status
from auditor.snapshot import dumps, loads

from .conftest import ACCOUNT_ID, stubbed_client


def make_organization(session: boto3.Session, *names: str) -> dict[str, str]:
    """This account as the management account of a new Organization; member ids by name."""
    org = session.client("organizations")
    org.create_organization(FeatureSet="ALL")
    return {
        name: str(
            org.create_account(AccountName=name, Email=f"{name}@example.com")[
                "CreateAccountStatus"
            ]["AccountId"]
        )
        for name in names
    }


def refuse_list_accounts(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make moto answer ``ListAccounts`` as AWS does outside an Organization.

    moto lists no accounts there instead.
    """

    def not_in_use(self: OrganizationsBackend, **kwargs: Any) -> Any:
        raise AWSOrganizationsNotInUseException

    monkeypatch.setattr(OrganizationsBackend, "list_accounts", not_in_use)


# --- in process, through moto ------------------------------------------------------------


def test_active_member_accounts_and_the_management_account(mocked: boto3.Session) -> None:
    members = make_organization(mocked, "prod", "staging", "old")
    mocked.client("organizations").close_account(AccountId=members["old"])

    snap = collect(mocked, [Source.ORGANIZATION])

    assert snap.sources == {Source.ORGANIZATION}
    assert snap.gaps == ()
    assert snap.organization_account_ids == {ACCOUNT_ID, members["prod"], members["staging"]}
    assert snap.api_calls == {"organizations:ListAccounts": 1, "sts:GetCallerIdentity": 1}
    assert loads(dumps(snap)) == snap


def test_not_collected_unless_asked(mocked: boto3.Session) -> None:
    make_organization(mocked, "prod")
    snap = collect(mocked, [Source.PASSWORD_POLICY])
    assert snap.organization_account_ids is None
    assert "organizations:ListAccounts" not in snap.api_calls
    assert loads(dumps(snap)).organization_account_ids is None


def test_outside_an_organization_is_a_gap_of_the_optional_source(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    refuse_list_accounts(monkeypatch)

    snap = collect(mocked, [Source.ORGANIZATION, Source.PASSWORD_POLICY])

    assert snap.sources == {Source.PASSWORD_POLICY}
    gap = snap.gap(Source.ORGANIZATION)
    assert gap is not None
    assert (gap.operation, gap.error) == (OPERATION, "AWSOrganizationsNotInUseException")
    assert snap.organization_account_ids is None


def test_a_failed_list_accounts_leaves_the_audit_complete(
    mocked: boto3.Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every check but AA-001, collection included: no ERROR, complete, exit code as usual.

    Access Analyzer is not implemented in moto; everything else can be read.
    """
    refuse_list_accounts(monkeypatch)
    moto_account.set_root_state(access_keys_present=False, mfa_enabled=True)
    checks = [c for c in all_checks() if Source.ACCESS_ANALYZER not in c.meta.needs]

    snap = collect(mocked, needed_sources(checks) | {Source.ORGANIZATION})
    report = analyze(snap, Settings(), checks, tool=TOOL)

    assert snap.gap(Source.ORGANIZATION) is not None
    assert [f.check_id for f in report.findings if f.status is Status.ERROR] == []
    assert report.complete
    assert report.gaps == ()
    assert ExitCode.judge(report, None) is ExitCode.OK


# --- what moto does not do: pages, AWS's own errors ------------------------------------


@pytest.fixture
def stubbed() -> Iterator[tuple[Any, Stubber]]:
    with stubbed_client("organizations") as pair:
        yield pair


def account(account_id: str, status: str | None = "ACTIVE", **extra: str) -> dict[str, Any]:
    item: dict[str, Any] = {
        "Id": account_id,
        "Arn": f"arn:aws:organizations::{ACCOUNT_ID}:account/o-example/{account_id}",
        "Email": f"{account_id}@example.com",
        "Name": f"account {account_id}",
        **extra,
    }
    if status is not None:
        item["Status"] = status
    return item


def test_every_page_is_read(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_response(
        "list_accounts",
        {"Accounts": [account("111111111111"), account("222222222222")], "NextToken": "p2"},
        {},
    )
    stubber.add_response(
        "list_accounts",
        {"Accounts": [account("333333333333"), account("444444444444", "SUSPENDED")]},
        {"NextToken": "p2"},
    )

    assert fetch_organization_account_ids(client) == {
        "111111111111",
        "222222222222",
        "333333333333",
    }


def test_access_denied_is_a_source_error(stubbed: tuple[Any, Stubber]) -> None:
    client, stubber = stubbed
    stubber.add_client_error(
        "list_accounts",
        service_error_code="AccessDeniedException",
        service_message="You don't have permissions to access this resource.",
        http_status_code=400,
    )
    with pytest.raises(SourceError) as raised:
        fetch_organization_account_ids(client)
    assert (raised.value.operation, raised.value.error) == (OPERATION, "AccessDeniedException")


@pytest.mark.parametrize(
    ("fields", "active"),
    [
        ({"Status": "ACTIVE"}, True),
        ({"Status": "ACTIVE", "State": "ACTIVE"}, True),
        ({"State": "ACTIVE"}, True),
        ({"Status": "active"}, True),
        ({}, True),  # neither field: ListAccounts lists members
        ({"Status": "SUSPENDED"}, False),
        ({"Status": "PENDING_CLOSURE"}, False),
        ({"Status": "ACTIVE", "State": "PENDING_ACTIVATION"}, False),
        ({"State": "CLOSED"}, False),
        ({"Status": "SUSPENDED", "State": "ACTIVE"}, False),
    ],
)
def test_only_active_accounts_count(fields: dict[str, str], active: bool) -> None:
    assert is_active(account("111111111111", None, **fields)) is active
