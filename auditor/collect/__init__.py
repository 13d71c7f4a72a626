"""Collect one AWS account into a ``Snapshot``: read-only, few calls, failures as gaps.

Only the requested sources are read; each that fails becomes a ``Gap`` naming its operation
and AWS's error code while the others go on, so a missing permission never reads as a clean
account. The credential report is requested first and fetched last so AWS builds it
meanwhile. The whole collection runs against a deadline: sources not read by then become
``DeadlineExceeded`` gaps, so a stalled endpoint makes an incomplete audit, never a hang.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect import (
    access_analyzer,
    account,
    authorization,
    credential_report,
    organization,
)
from auditor.collect import session as session_module
from auditor.collect.common import SourceError, as_source_error, one_line
from auditor.collect.session import (
    DEADLINE_EXCEEDED,
    DEFAULT_DEADLINE,
    CallRecorder,
    CredentialsError,
    Deadline,
    DeadlineExceeded,
    describe_credentials_failure,
    forget_service_models,
    make_session,
    read_timestamps_fast,
)
from auditor.model import Gap, Source
from auditor.snapshot import Snapshot
from auditor.sources import SOURCES

__all__ = [
    "DEFAULT_DEADLINE",
    "CallRecorder",
    "CredentialsError",
    "Deadline",
    "DeadlineExceeded",
    "collect",
    "forget_service_models",
    "identify",
    "make_session",
]


def identify(session: boto3.Session) -> tuple[str, str]:
    """``(account_id, partition)`` of the session's credentials via ``sts:GetCallerIdentity``.

    Raises ``CredentialsError`` (one line) when there are no credentials, they are expired
    or rejected, or AWS cannot be reached: nothing can be audited then.
    """
    try:
        sts = session.client("sts", config=session_module.IDENTITY_CONFIG)
        answer = sts.get_caller_identity()
    except (ClientError, BotoCoreError) as exc:
        reason = describe_credentials_failure(exc, "identifying the account")
        raise CredentialsError(reason) from None
    arn = str(answer.get("Arn", ""))
    parts = arn.split(":")
    partition = parts[1] if len(parts) > 1 and parts[0] == "arn" and parts[1] else "aws"
    return str(answer["Account"]), partition


# An answer of an unexpected shape must not end the audit, nor be read as "nothing there":
# the source becomes a gap like any failed call.
_FAILURES = (
    SourceError,
    ClientError,
    BotoCoreError,
    KeyError,
    TypeError,
    ValueError,
    AttributeError,
)


class _Collection:
    """The parts and gaps gathered so far, and the bookkeeping of running one source."""

    def __init__(self, deadline: Deadline) -> None:
        self.parts: dict[str, Any] = {}
        self.sources: set[Source] = set()
        self.gaps: list[Gap] = []
        self.deadline = deadline

    def late(self, source: Source) -> bool:
        """Record ``source`` as a ``DeadlineExceeded`` gap if the deadline has passed."""
        if not self.deadline.passed:
            return False
        operation = SOURCES[source].operation
        exc = self.deadline.error(operation)
        self.gaps.append(Gap(source, operation, DEADLINE_EXCEEDED, str(exc)))
        return True

    def run(self, source: Source, fetch: Callable[[], Any]) -> None:
        """Fetch one source, storing its value or recording why it failed."""
        if self.late(source):
            return
        try:
            value = fetch()
        except _FAILURES as exc:
            self.fail(source, exc)
            return
        self.store(source, value)

    def store(self, source: Source, value: Any) -> None:
        """Keep a collected source's value in its snapshot field."""
        self.parts[SOURCES[source].snapshot_field] = value
        self.sources.add(source)

    def fail(self, source: Source, exc: BaseException) -> None:
        """Record a failed source as a gap."""
        if isinstance(exc, ClientError | BotoCoreError):
            exc = as_source_error(SOURCES[source].operation, exc)
        if isinstance(exc, SourceError):
            self.gaps.append(Gap(source, exc.operation, exc.error, exc.message, exc.region))
            return
        message = one_line(f"{type(exc).__name__}: {exc}")
        self.gaps.append(Gap(source, SOURCES[source].operation, "MalformedResponse", message))


def collect(
    session: boto3.Session,
    sources: Iterable[Source],
    *,
    progress: Callable[[str], None] | None = None,
    credential_report_wait: float = 120.0,
    deadline: float = DEFAULT_DEADLINE,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    drop_service_models: bool = False,
) -> Snapshot:
    """Collect ``sources`` of the session's account into a ``Snapshot``.

    ``progress`` receives short lines about long steps. ``credential_report_wait`` bounds
    the wait for the credential report and ``deadline`` (seconds, > 0) the whole
    collection: sources not read by then are ``DeadlineExceeded`` gaps. ``sleep`` and
    ``clock`` are injectable for tests. ``drop_service_models`` frees the botocore service
    models read for the collection once it is done (``forget_service_models``), for a
    session that no other thread is using. Raises ``CredentialsError`` when the account
    cannot be identified; every other failure becomes a ``Gap`` in the snapshot.
    """
    wanted = frozenset(sources)
    limit = Deadline(deadline, clock)
    recorder = CallRecorder()
    read_timestamps_fast(session)
    recorder.attach(session)
    limit.attach(session)

    def wait(seconds: float) -> None:
        # The credential report's polling never sleeps past the deadline.
        sleep(min(seconds, max(0.0, limit.remaining())))

    try:
        account_id, partition = identify(session)
        collected_at = datetime.now(UTC)
        region = session.region_name or access_analyzer.home_region(partition)
        iam = session.client("iam", region_name=region, config=limit.config())
        out = _Collection(limit)

        job: credential_report.CredentialReportJob | None = None
        if Source.CREDENTIAL_REPORT in wanted:
            job = credential_report.CredentialReportJob(
                iam, max_wait=credential_report_wait, sleep=wait, clock=clock, progress=progress
            )
            job.start()

        if Source.AUTHORIZATION_DETAILS in wanted:
            if progress is not None:
                progress("reading users, groups, roles and policies…")
            out.run(
                Source.AUTHORIZATION_DETAILS,
                lambda: authorization.fetch_authorization_details(iam, progress=progress),
            )
        simple: tuple[tuple[Source, Callable[[], Any]], ...] = (
            (Source.ACCOUNT_SUMMARY, lambda: account.fetch_account_summary(iam)),
            (Source.PASSWORD_POLICY, lambda: account.fetch_password_policy(iam)),
            (Source.VIRTUAL_MFA, lambda: account.fetch_virtual_mfa_devices(iam)),
            (Source.SERVER_CERTIFICATES, lambda: account.fetch_server_certificates(iam)),
            (Source.SAML_PROVIDERS, lambda: account.fetch_saml_providers(iam)),
            (Source.OIDC_PROVIDERS, lambda: account.fetch_oidc_providers(iam)),
        )
        for source, fetch in simple:
            if source in wanted:
                out.run(source, fetch)

        if Source.ORGANIZATION in wanted:
            out.run(
                Source.ORGANIZATION,
                lambda: organization.fetch_organization_account_ids(
                    session.client("organizations", region_name=region, config=limit.config())
                ),
            )

        if Source.ACCESS_ANALYZER in wanted:
            _collect_access_analyzer(session, partition, region, out, progress)

        if job is not None:
            out.run(Source.CREDENTIAL_REPORT, job.result)
    finally:
        limit.detach(session)
        recorder.detach(session)
        if drop_service_models:
            forget_service_models(session)

    return Snapshot(
        account_id=account_id,
        partition=partition,
        collected_at=collected_at,
        sources=frozenset(out.sources),
        gaps=tuple(out.gaps),
        api_calls=recorder.calls,
        **out.parts,
    )


def _collect_access_analyzer(
    session: boto3.Session,
    partition: str,
    region: str,
    out: _Collection,
    progress: Callable[[str], None] | None,
) -> None:
    """Analyzers per region; regional failures are regional gaps.

    The source counts as collected once the regions are known, even if every region's
    call then failed: AA-001 turns each regional gap into an ERROR naming that region's
    operation and error, which says more than one account-wide "not collected". Its
    clients use ``FAIL_FAST_CONFIG`` (see ``Deadline.fail_fast_config``), not the large
    IAM reads' adaptive retries.
    """
    if out.late(Source.ACCESS_ANALYZER):
        return
    # Fail fast (3 attempts, short timeouts), DescribeRegions included: only AA-001 needs
    # this source, and an unanswering region must not stall the audit for a minute.
    config = out.deadline.fail_fast_config()
    try:
        ec2 = session.client("ec2", region_name=region, config=config)
        state, regional_gaps = access_analyzer.fetch_access_analyzer(
            ec2,
            lambda r: session.client("accessanalyzer", region_name=r, config=config),
            partition=partition,
            progress=progress,
        )
    except _FAILURES as exc:
        out.fail(Source.ACCESS_ANALYZER, exc)
        return
    out.gaps.extend(regional_gaps)
    out.store(Source.ACCESS_ANALYZER, state)
