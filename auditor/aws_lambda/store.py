"""The report bucket: where the Lambda writes reports and the one place it reads objects.

Each account's (and the org summary's) files go to ``PREFIX/FOLDER/YYYY/MM/DD/HHMMSSZ/``,
written once and never overwritten, then to ``PREFIX/FOLDER/latest/``, replaced each run.
The ``latest/report.json`` a run replaces is its baseline: the stored report says what
changed since. Every object the function reads (its config, a baseline, a member's
report, a Distributed Map's results) goes through ``ReportStore.read``, which turns S3's
refusal into a ``HandlerError`` saying what was being done.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, overload

from botocore.exceptions import BotoCoreError, ClientError

from auditor.aws_lambda.settings import (
    ENV_BUCKET,
    ENV_CONFIG_S3_URI,
    LOGGER,
    HandlerError,
    LambdaSettings,
    parse_s3_uri,
)
from auditor.collect.common import error_code
from auditor.model import Report
from auditor.report import Format, render
from auditor.sink import Content, S3Sink, describe_s3_error, write_each

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

log = logging.getLogger(LOGGER)

ORG_FOLDER = "organization"
LATEST = "latest"
FORMATS = (Format.JSON, Format.CSV, Format.HTML)
REPORT_JSON = "report.json"
# What S3 answers for an object that is not there (404 when the caller may not list).
_MISSING = frozenset({"NoSuchKey", "404"})


@dataclass(frozen=True)
class Stored:
    """Where one account's (or the org summary's) files went: dated keys, then latest."""

    keys: tuple[str, ...]
    latest_keys: tuple[str, ...]

    def key_of(self, name: str) -> str | None:
        """The dated key of file ``name``, if it was stored."""
        return next((k for k in self.keys if k.rsplit("/", 1)[-1] == name), None)


def dated_folder(moment: datetime) -> str:
    """``YYYY/MM/DD/HHMMSSZ`` of ``moment``, a report's or an org run's UTC time."""
    return moment.strftime("%Y/%m/%d/%H%M%SZ")


class ReportStore:
    """The report bucket of one invocation: ``settings.bucket`` under ``settings.prefix``."""

    def __init__(self, s3: S3Client, settings: LambdaSettings) -> None:
        self.s3 = s3
        self.bucket = settings.bucket
        self.prefix = settings.prefix
        self.kms_key_id = settings.kms_key_id

    def preflight(self) -> None:
        """``HeadBucket`` on the report bucket, so a missing bucket fails in seconds."""
        try:
            self.s3.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            code = error_code(exc)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                reason = "does not exist"
            elif code in {"403", "AccessDenied", "Forbidden"}:
                reason = "is not accessible: the function needs s3:ListBucket on it"
            else:
                reason = f"cannot be checked ({type(exc).__name__}: {exc})"
            raise HandlerError(
                f"report bucket {self.bucket!r} ({ENV_BUCKET}) {reason} [HeadBucket: {code}]; "
                "nothing was audited"
            ) from exc

    @overload
    def read(self, bucket: str, key: str, doing: str) -> bytes: ...
    @overload
    def read(self, bucket: str, key: str, doing: str, *, missing_ok: bool) -> bytes | None: ...

    def read(self, bucket: str, key: str, doing: str, *, missing_ok: bool = False) -> bytes | None:
        """An object's bytes; S3's refusal is a ``HandlerError`` saying what was being done.

        With ``missing_ok`` an object that does not exist is ``None`` instead.
        """
        try:
            return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except (ClientError, BotoCoreError) as exc:
            if missing_ok and error_code(exc) in _MISSING:
                return None
            raise HandlerError(describe_s3_error(exc, bucket, key, doing)) from exc

    def read_config(self, uri: str) -> str:
        """The TOML text of the config object ``uri`` (``AUDITOR_CONFIG_S3_URI``)."""
        bucket, key = parse_s3_uri(uri, name=ENV_CONFIG_S3_URI)
        body = self.read(bucket, key, f"reading the config ({ENV_CONFIG_S3_URI})")
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HandlerError(f"{uri}: config is not UTF-8 text (byte {exc.start})") from None

    def uris(self, keys: Sequence[str]) -> list[str]:
        """``s3://`` locations of ``keys`` in the report bucket."""
        return [f"s3://{self.bucket}/{key}" for key in keys]

    def _sink(self, prefix: str, *, overwrite: bool) -> S3Sink:
        return S3Sink(self.s3, self.bucket, prefix, kms_key_id=self.kms_key_id, overwrite=overwrite)

    def store(self, folder: str, moment: datetime, files: Mapping[str, Content]) -> Stored:
        """Write ``files`` under ``PREFIX/folder/<dated>/`` (never overwritten), then latest/.

        Each file is rendered once, spooled, and put to both places (``write_each``).
        """
        base = f"{self.prefix}/{folder}"
        dated = self._sink(f"{base}/{dated_folder(moment)}", overwrite=False)
        latest = self._sink(f"{base}/{LATEST}", overwrite=True)
        write_each([dated, latest], files)
        return Stored(
            keys=tuple(dated.key(name) for name in files),
            latest_keys=tuple(latest.key(name) for name in files),
        )

    def store_report(self, account_id: str, report: Report) -> Stored:
        """Render ``report`` (json, csv, html) and store it under the account's folder.

        The account's previous ``latest/report.json``, when there is one, is the baseline:
        the stored report carries what changed since (``with_baseline``).
        """
        report = self.with_baseline(account_id, report)
        stored = self.store(account_id, report.generated_at, render(report, FORMATS))
        log.info(
            "reports written",
            extra={"account_id": account_id, "bucket": self.bucket, "keys": stored.keys},
        )
        return stored

    def with_baseline(self, account_id: str, report: Report) -> Report:
        """``report`` with ``changes`` since the account's previous ``latest/report.json``.

        The first run finds no object (``NoSuchKey``): no baseline, said at info level. Any
        other problem (the object unreadable, not a report, of another account) is logged
        as a warning and the report goes out without ``changes``: a broken baseline must
        not cost the audit. The previous report may be of schema_version 1 (written before
        an upgrade) or 2: ``parse_report`` reads both.
        """
        # Lazy: auditor.diff loads pandas (~150 ms), which listing or aggregating never needs.
        from auditor.diff import DiffError, diff_against, parse_report  # noqa: PLC0415

        key = f"{self.prefix}/{account_id}/{LATEST}/{REPORT_JSON}"
        where = f"s3://{self.bucket}/{key}"
        extra = {"account_id": account_id, "baseline": where}
        try:
            data = self.read(self.bucket, key, "reading the baseline", missing_ok=True)
        except HandlerError as exc:
            log.warning("no baseline: %s", exc, extra=extra)
            return report
        if data is None:
            log.info("no previous report: no baseline", extra=extra)
            return report
        try:
            changes = diff_against(parse_report(data, where), report, label=where)
        except DiffError as exc:  # not UTF-8 JSON, not a report, of another account
            log.warning("no baseline: %s", exc, extra=extra)
            return report
        log.info(
            "compared with the previous report",
            extra={**extra, "changes": changes.counts(), "score_change": changes.score_change},
        )
        return replace(report, changes=changes)
