"""Sending findings to AWS Security Hub (``iam-auditor audit --send-to-security-hub``).

The one write besides asking for the credential report, only when asked, and not in the
audit policy. Findings go ``BATCH_SIZE`` a call with adaptive retries; a call that fails as a
whole fails its batch and the rest are still tried. ``SendResult`` names every failure; a
failed import never makes the audit incomplete.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from botocore.exceptions import BotoCoreError, ClientError

from auditor.collect.common import error_code, error_message
from auditor.collect.session import CLIENT_CONFIG
from auditor.report.common import batched

if TYPE_CHECKING:
    import boto3

BATCH_SIZE = 100
ACTION = "securityhub:BatchImportFindings"


@dataclass(frozen=True)
class FailedImport:
    """One finding Security Hub did not import, and why."""

    id: str
    code: str
    message: str


@dataclass
class SendResult:
    """What an import achieved: how many findings arrived, which did not, in how many calls."""

    imported: int = 0
    failed: list[FailedImport] = field(default_factory=list)
    calls: int = 0

    @property
    def ok(self) -> bool:
        """True when every finding was imported."""
        return not self.failed


def batches(items: Iterable[Mapping[str, Any]], size: int = BATCH_SIZE) -> Iterator[list[Any]]:
    """``items`` in consecutive lists of at most ``size``, in order, taken as needed.

    A generator of findings is read one batch ahead only, so its findings are never all
    held at once.
    """
    return batched(items, size)


def send_findings(client: Any, findings: Iterable[Mapping[str, Any]]) -> SendResult:
    """Import ``findings`` (ASFF dicts) with ``client`` (a boto3 securityhub client).

    Never raises for an AWS error: a failed call counts every finding of its batch as
    failed with the call's error code, and the next batch is still tried.
    """
    result = SendResult()
    for batch in batches(findings):
        result.calls += 1
        try:
            answer = client.batch_import_findings(Findings=batch)
        except (ClientError, BotoCoreError) as exc:
            code, message = error_code(exc), error_message(exc)
            result.failed.extend(FailedImport(str(f.get("Id", "")), code, message) for f in batch)
            continue
        failed = answer.get("FailedFindings") or []
        result.failed.extend(
            FailedImport(
                str(item.get("Id", "")),
                str(item.get("ErrorCode", "")),
                str(item.get("ErrorMessage", "")),
            )
            for item in failed
        )
        result.imported += int(answer.get("SuccessCount", len(batch) - len(failed)))
    return result


def send_to_security_hub(
    session: boto3.Session, findings: Iterable[Mapping[str, Any]], *, region: str
) -> SendResult:
    """Import ``findings`` into Security Hub in ``region`` with ``session``'s credentials."""
    client = session.client("securityhub", region_name=region, config=CLIENT_CONFIG)
    return send_findings(client, findings)


def describe(result: SendResult, *, region: str, limit: int = 10) -> list[str]:
    """Lines for stderr: the outcome, then up to ``limit`` failures, then how many more."""
    total = result.imported + len(result.failed)
    lines = [
        f"Security Hub ({region}): imported {result.imported} of {total} finding(s) "
        f"in {result.calls} call(s)"
    ]
    for failure in result.failed[:limit]:
        lines.append(f"  not imported: {failure.id}: {failure.code}: {failure.message}")
    if len(result.failed) > limit:
        lines.append(f"  ... and {len(result.failed) - limit} more not imported")
    return lines
