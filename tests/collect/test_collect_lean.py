"""What keeps a large account's collection lean: fast timestamps, models freed afterwards.

botocore reads every timestamp with dateutil; ``read_timestamps_fast`` reads AWS's ISO 8601
form with the standard library instead and must give the same instant for every input.
``forget_service_models`` drops the botocore models a session's collection has read,
only when the caller says the session is its own, and clients still work afterwards.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from auditor.collect import collect
from auditor.collect.common import as_utc
from auditor.collect.session import forget_service_models, parse_timestamp, read_timestamps_fast
from auditor.model import Source

TIMESTAMPS = [
    "2024-08-13T04:14:04Z",
    "2024-08-13T04:14:04.036873Z",
    "2024-08-13T04:14:04.5Z",
    "2024-08-13T04:14:04+00:00",
    "2024-08-13T04:14:04.036873+02:00",
    "2024-08-13T04:14:04-07:30",
    "2024-08-13T04:14:04",  # no offset: naive, as botocore gives it
    "2024-08-13t04:14:04z",  # not AWS's spelling: botocore's parser decides
    "Tue, 13 Aug 2024 04:14:04 GMT",
    "1723522444",
    1723522444,
    1723522444.25,
]


@pytest.mark.parametrize("value", TIMESTAMPS)
def test_timestamps_read_as_botocore_reads_them(value: Any) -> None:
    ours, theirs = parse_timestamp(value), botocore_parse_timestamp(value)

    assert ours == theirs
    assert (ours.tzinfo is None) == (theirs.tzinfo is None)
    assert as_utc(ours) == as_utc(theirs)
    assert as_utc(ours).isoformat() == as_utc(theirs).isoformat()  # type: ignore[union-attr]


@pytest.mark.parametrize("value", ["2024-08-13T24:00:00Z", "2024-08-13T23:59:60Z", "yesterday"])
def test_timestamps_botocore_refuses_are_refused(value: str) -> None:
    with pytest.raises(ValueError, match="Invalid timestamp"):
        botocore_parse_timestamp(value)
    with pytest.raises(ValueError, match="Invalid timestamp"):
        parse_timestamp(value)


GET_USER = b"""<GetUserResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/">
  <GetUserResult><User><Path>/</Path><UserName>alice</UserName><UserId>AIDAEXAMPLE</UserId>
    <Arn>arn:aws:iam::123456789012:user/alice</Arn>
    <CreateDate>2024-08-13T04:14:04Z</CreateDate></User></GetUserResult>
  <ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></GetUserResponse>"""


def parsed_create_date(session: boto3.Session) -> datetime:
    factory = session._session.get_component("response_parser_factory")
    shape = session._session.get_service_model("iam").operation_model("GetUser").output_shape
    answer = factory.create_parser("query").parse(
        {"body": GET_USER, "headers": {}, "status_code": 200}, shape
    )
    created: datetime = answer["User"]["CreateDate"]
    return created


def test_a_session_reads_timestamps_fast_once_told(aws_env: None) -> None:
    session = boto3.Session()
    before = parsed_create_date(session)

    read_timestamps_fast(session)
    after = parsed_create_date(session)

    assert after == before == datetime(2024, 8, 13, 4, 14, 4, tzinfo=UTC)
    # The standard library's UTC, not dateutil's: the fast reader did the parsing.
    assert after.tzinfo is UTC
    assert before.tzinfo is not UTC


def cached_models(session: boto3.Session) -> set[str]:
    loader = session._session.get_component("data_loader")
    return {key[1] for key in getattr(loader, "_cache", {}) if key[0] == "load_service_model"}


def test_collect_keeps_the_models_of_a_shared_session(mocked: boto3.Session) -> None:
    collect(mocked, [Source.ACCOUNT_SUMMARY])

    assert {"iam", "sts"} <= cached_models(mocked)


def test_collect_frees_the_models_of_a_private_session(mocked: boto3.Session) -> None:
    snap = collect(mocked, [Source.ACCOUNT_SUMMARY], drop_service_models=True)

    assert snap.has(Source.ACCOUNT_SUMMARY)
    assert cached_models(mocked) == set()
    # A client made afterwards reads its model again.
    assert mocked.client("iam").get_account_summary()["SummaryMap"]


def test_forgetting_models_leaves_the_session_usable(mocked: boto3.Session) -> None:
    mocked.client("iam").list_users()
    assert "iam" in cached_models(mocked)

    forget_service_models(mocked)

    assert cached_models(mocked) == set()
    assert mocked.client("iam").list_users()["Users"] == []


def test_collected_dates_are_utc_whatever_parsed_them(mocked: boto3.Session) -> None:
    mocked.client("iam").create_user(UserName="alice")

    snap = collect(mocked, [Source.AUTHORIZATION_DETAILS])

    assert snap.authorization is not None
    (alice,) = snap.authorization.users
    assert alice.create_date is not None
    assert alice.create_date.tzinfo is UTC
    assert abs(alice.create_date - datetime.now(UTC)) < timedelta(hours=1)
