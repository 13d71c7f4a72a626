"""One invocation's audits: this account, one member account, or the whole Organization.

Every entry point audits through ``auditor.audit.run_audit`` (and ``auditor.org`` for an
Organization); this module only says where the credentials come from, stores the reports
with ``ReportStore`` and turns each into the invocation's result. A member event never
publishes to SNS: the state machine's aggregation notifies once for the Organization.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from auditor.audit import AuditResult, run_audit
from auditor.aws_lambda.notify import publish
from auditor.aws_lambda.results import (
    AccountResult,
    AccountsListing,
    AuditedResult,
    OrgResult,
    accounts_listing,
    fail_count,
    not_audited_result,
    org_result,
    report_result,
)
from auditor.aws_lambda.settings import (
    ENV_CONFIG,
    LOGGER,
    HandlerError,
    LambdaSettings,
)
from auditor.aws_lambda.store import ORG_FOLDER, ReportStore, Stored
from auditor.checks import all_checks
from auditor.collect import identify
from auditor.collect.session import CredentialsError
from auditor.config import Settings, parse_config
from auditor.model import AccountOutcome, OrgReport, Severity
from auditor.org import MemberAccount, list_member_accounts, member_session, run_org_audit
from auditor.report.org_summary import render_org

if TYPE_CHECKING:
    import boto3

log = logging.getLogger(LOGGER)


class Runner:
    """One invocation's work, against one session, bucket and configuration."""

    def __init__(self, settings: LambdaSettings, session: boto3.Session) -> None:
        self.settings = settings
        self.session = session
        self.store = ReportStore(session.client("s3"), settings)
        self._identity: tuple[str, str] | None = None

    def audit_settings(self) -> Settings:
        """The audit's ``Settings``: from ``AUDITOR_CONFIG``, the config object, or defaults."""
        known = {c.meta.id for c in all_checks()}
        if self.settings.config_text is not None:
            return parse_config(self.settings.config_text, known, name=ENV_CONFIG)
        if self.settings.config_s3_uri is not None:
            uri = self.settings.config_s3_uri
            return parse_config(self.store.read_config(uri), known, name=uri)
        return Settings()

    def identity(self) -> tuple[str, str]:
        """This function's own account id and partition (``sts:GetCallerIdentity``)."""
        if self._identity is None:
            try:
                self._identity = identify(self.session)
            except CredentialsError as exc:
                raise HandlerError(str(exc)) from exc
        return self._identity

    def publish(self, subject: str, result: AuditedResult | OrgResult, stored: Stored) -> None:
        """Publish ``result`` and the locations of ``stored`` to the SNS topic, if any."""
        locations = self.store.uris(stored.keys + stored.latest_keys)
        publish(self.session, self.settings.sns_topic_arn, subject, result, locations)

    # -- what an event asks --

    def list_accounts(self) -> AccountsListing:
        """``{"accounts": [{"account_id", "name"}]}``: the Organization's ACTIVE members."""
        members = list_member_accounts(self.session)
        log.info("organization listed", extra={"accounts": len(members)})
        return accounts_listing(members)

    def audit_own_account(self, settings: Settings) -> AuditedResult:
        """Audit the function's own account, store the reports, publish, return the result."""
        try:
            result = run_audit(settings, session=self.session, progress=_progress(None))
        except CredentialsError as exc:
            raise HandlerError(str(exc)) from exc
        report = result.report
        stored = self.store.store_report(report.account_id, report)
        summary = report_result(report, stored)
        _log_result(summary)
        critical_high = fail_count(report, Severity.CRITICAL, Severity.HIGH)
        subject = (
            f"iam-auditor {report.account_id}: {report.score.grade} {report.score.value:.1f}, "
            f"{critical_high} critical/high FAIL"
        )
        if not report.complete:
            subject += ", incomplete"
        self.publish(subject, summary, stored)
        return summary

    def audit_member(
        self,
        settings: Settings,
        account_id: str,
        *,
        name: str,
        role_name: str,
        external_id: str | None,
    ) -> AccountResult:
        """Audit one member account (a Step Functions item); never publishes to SNS.

        A role that cannot be assumed, or credentials that cannot read the account, give a
        not-audited result (the state machine goes on with the other accounts); a report
        bucket problem still fails the invocation.
        """
        own_account, partition = self.identity()
        try:
            if account_id == own_account:
                # The runner's own account has no role to assume: audit it directly.
                member = self.session
            else:
                member = member_session(
                    self.session,
                    account_id,
                    role_name=role_name,
                    external_id=external_id,
                    partition=partition,
                )
            result = run_audit(settings, session=member, progress=_progress(account_id))
        except CredentialsError as exc:
            log.warning("account not audited: %s", exc, extra={"account_id": account_id})
            return not_audited_result(account_id, name, str(exc))
        report = result.report
        if report.account_id != account_id:
            error = (
                f"role {role_name} assumed for account {account_id} belongs to account "
                f"{report.account_id}; not audited"
            )
            log.warning(error, extra={"account_id": account_id})
            return not_audited_result(account_id, name, error)
        stored = self.store.store_report(account_id, report)
        summary = report_result(report, stored, name=name)
        _log_result(summary)
        return summary

    def audit_org(self, settings: Settings) -> OrgResult:
        """Audit every ACTIVE member in this invocation, then write the org summary."""
        stored: dict[str, Stored] = {}
        lock = threading.Lock()

        def write(member: MemberAccount, result: AuditResult) -> Sequence[str]:
            where = self.store.store_report(member.account_id, result.report)
            with lock:
                stored[member.account_id] = where
            return self.store.uris(where.keys)

        org = run_org_audit(
            settings,
            self.session,
            write=write,
            role_name=self.settings.role_name,
            external_id=self.settings.external_id,
            max_workers=self.settings.max_workers,
            progress=LogProgress(),
        )
        return self.finish_org(org, stored)

    def finish_org(self, org: OrgReport, stored: Mapping[str, Stored]) -> OrgResult:
        """Write the org summary, publish it, and return the run's bounded result.

        The result carries counts and the ``WORST_ACCOUNTS_MAX`` worst accounts only (in
        org-summary.json's order), so its size does not grow with the Organization: it is a
        Step Functions state's data and an SNS message, both capped at 256 KB.
        """
        files = self.store.store(ORG_FOLDER, org.generated_at, render_org(org))
        result = org_result(org, stored, files)
        counts = result["counts"]
        log.info(
            "organization summary written",
            extra={"complete": org.complete, "counts": counts, "keys": files.keys},
        )
        subject = (
            f"iam-auditor org {org.runner_account_id}: {counts['accounts']} accounts, "
            f"{counts['not_audited']} not audited, {counts['incomplete']} incomplete"
        )
        scores = [a.score for a in org.accounts if a.audited and a.score is not None]
        worst = min(scores, key=lambda s: s.value, default=None)
        if worst is not None:
            subject += f", worst {worst.grade} {worst.value:.1f}"
        self.publish(subject, result, files)
        return result


class LogProgress:
    """An ``auditor.org.OrgProgress`` that logs each account's progress as JSON lines."""

    def planned(self, accounts: Sequence[MemberAccount]) -> None:
        """Log how many accounts the run will audit."""
        log.info("organization run planned", extra={"accounts": len(accounts)})

    def started(self, account: MemberAccount) -> None:
        """Log that a worker picked up ``account``."""
        log.info("account started", extra={"account_id": account.account_id})

    def step(self, account: MemberAccount, message: str) -> None:
        """Log what ``account``'s audit is doing."""
        log.info(message, extra={"account_id": account.account_id})

    def done(self, account: MemberAccount, outcome: AccountOutcome) -> None:
        """Log the account's result: its score, or why it was not audited."""
        if outcome.audited and outcome.score is not None:
            log.info(
                "account audited",
                extra={
                    "account_id": account.account_id,
                    "score": {"value": outcome.score.value, "grade": outcome.score.grade},
                    "complete": outcome.complete,
                },
            )
        else:
            log.warning(
                "account not audited: %s", outcome.error, extra={"account_id": account.account_id}
            )


def _progress(account_id: str | None) -> Callable[[str], None]:
    def progress(message: str) -> None:
        log.info(message, extra={"account_id": account_id} if account_id else None)

    return progress


def _log_result(result: AuditedResult) -> None:
    log.info(
        "account audited",
        extra={
            "account_id": result["account_id"],
            "score": result["score"],
            "complete": result["complete"],
            "summary": result["summary"],
            "exit_code": result["exit_code"],
        },
    )
