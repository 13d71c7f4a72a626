"""The AWS Lambda entry point: ``handler(event, context)`` audits and writes reports to S3.

A thin adapter over the same core as the CLI (``auditor.audit.run_audit``, and
``auditor.org`` for an Organization): configuration comes from the environment
(``LambdaSettings.from_env``), the audit's TOML config from ``AUDITOR_CONFIG`` or an S3
object, and the reports go to the report bucket, encrypted, under
``PREFIX/ACCOUNT/YYYY/MM/DD/HHMMSSZ/`` (written once, never overwritten) and then
``PREFIX/ACCOUNT/latest/`` (replaced each run); the ``latest/report.json`` a run replaces
is its baseline, so each report says what changed since the previous run (its
``changes``, the HTML's "Since last run"). The event says what to do: a scheduled
(EventBridge) event or ``{}`` audits this account, or the whole Organization when
``AUDITOR_MODE=org``; ``{"account_id": ...}`` audits one member (a Step Functions
Distributed Map item); ``{"action": "list_accounts"}`` lists the members to fan out over;
``{"action": "aggregate", "results": [...]}`` builds the org summary from the members'
results, or ``{"action": "aggregate", "result_writer": {"Bucket", "Key"}}`` from the
Distributed Map's results that Step Functions wrote to the report bucket (its
``manifest.json``), so an Organization of any size fits. An org run returns its counts and
at most ``WORST_ACCOUNTS_MAX`` accounts, never a per-account list. A missing bucket, a
missing permission or a bad config fails the invocation at once with one clear logged
message, before anything is audited. Logs are one JSON object per line; credentials are
never logged.
"""

from __future__ import annotations

import dataclasses
import enum
import json
import logging
import os
import re
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, overload

from auditor.analyze import EXIT_FAIL, EXIT_INCOMPLETE, EXIT_OK, exit_code
from auditor.audit import TOOL, run_audit
from auditor.config import Settings, parse_config
from auditor.logsafe import limit_wire_loggers, protect_handlers
from auditor.model import AccountOutcome, Report, Severity, Status
from auditor.names import (
    EXTERNAL_ID_RULE,
    ROLE_NAME_RULE,
    is_account_id,
    is_bucket_name,
    is_external_id,
    is_key_segment,
    is_role_name,
)
from auditor.report import Format, render
from auditor.sink import Content, S3Sink, SinkError, describe_s3_error, write_each

if TYPE_CHECKING:
    import boto3

    from auditor.audit import AuditResult
    from auditor.model import OrgReport
    from auditor.org import MemberAccount

log = logging.getLogger(__name__)

ENV_BUCKET = "AUDITOR_REPORT_BUCKET"
ENV_PREFIX = "AUDITOR_REPORT_PREFIX"
ENV_CONFIG = "AUDITOR_CONFIG"
ENV_CONFIG_S3_URI = "AUDITOR_CONFIG_S3_URI"
ENV_KMS_KEY_ID = "AUDITOR_KMS_KEY_ID"
ENV_SNS_TOPIC_ARN = "AUDITOR_SNS_TOPIC_ARN"
ENV_MODE = "AUDITOR_MODE"
ENV_ROLE_NAME = "AUDITOR_ROLE_NAME"
ENV_EXTERNAL_ID = "AUDITOR_EXTERNAL_ID"
ENV_MAX_WORKERS = "AUDITOR_MAX_WORKERS"

DEFAULT_PREFIX = "iam-auditor"
DEFAULT_ROLE_NAME = "OrganizationAccountAccessRole"  # the same as auditor.org's default
DEFAULT_MAX_WORKERS = 8
MAX_WORKERS_LIMIT = 64
ORG_FOLDER = "organization"
LATEST = "latest"
FORMATS = (Format.JSON, Format.CSV, Format.HTML)
REPORT_JSON = "report.json"
# The CLI's default --fail-on: what the result's exit_code is judged against.
FAIL_ON = Severity.LOW
# SNS wants a subject shorter than 100 characters, without line breaks.
SUBJECT_MAX = 99
# Where the state machine's Distributed Map writes its child results (its ResultWriter):
# PREFIX/organization/step-functions/<map run id>/manifest.json and the result files. The
# aggregation reads nothing else the event names.
MAP_RESULTS_FOLDER = "step-functions"
MAP_STATUSES = ("SUCCEEDED", "FAILED", "PENDING")
# An org run's result names at most this many accounts, worst first. Step Functions caps a
# state's data at 256 KB and SNS a message at 256 KiB: the full list is org-summary.json.
WORST_ACCOUNTS_MAX = 20
# A failed child's Cause can be a whole stack trace: the summary keeps its start.
ERROR_MAX = 1000
# ...and the result's short list less than that.
WORST_ERROR_MAX = 300
NAME_MAX = 100

# Read with fullmatch: the key may not hold a line break, nor the bucket name end in one.
_S3_URI = re.compile(r"s3://([^/]+)/(.+)")


class Mode(enum.Enum):
    """``AUDITOR_MODE``: what a scheduled invocation audits."""

    ACCOUNT = "account"
    ORG = "org"


class HandlerError(Exception):
    """The invocation cannot do what was asked; ``str()`` is one line, logged, then raised.

    Raised for a bad environment or event, a report bucket that is missing or unreadable,
    a config object that cannot be read and an SNS topic that refuses the summary.
    """


@dataclass(frozen=True)
class LambdaSettings:
    """The function's configuration, read from its environment variables."""

    bucket: str
    prefix: str = DEFAULT_PREFIX
    config_text: str | None = None
    config_s3_uri: str | None = None
    kms_key_id: str | None = None
    sns_topic_arn: str | None = None
    mode: Mode = Mode.ACCOUNT
    role_name: str = DEFAULT_ROLE_NAME
    external_id: str | None = field(default=None, repr=False)
    max_workers: int = DEFAULT_MAX_WORKERS

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> LambdaSettings:
        """Validate the ``AUDITOR_*`` variables; ``HandlerError`` names the one that is wrong.

        An empty variable counts as unset (templates often pass ``""`` for an optional
        parameter). ``AUDITOR_REPORT_BUCKET`` is required; ``AUDITOR_CONFIG`` and
        ``AUDITOR_CONFIG_S3_URI`` exclude each other.
        """

        def get(name: str) -> str | None:
            value = environ.get(name, "").strip()
            return value or None

        bucket = get(ENV_BUCKET)
        if bucket is None:
            raise HandlerError(f"{ENV_BUCKET} is not set: name the S3 bucket reports go to")
        if not is_bucket_name(bucket):
            raise HandlerError(f"{ENV_BUCKET}={bucket!r} is not an S3 bucket name")
        config_text = environ.get(ENV_CONFIG) or None
        config_s3_uri = get(ENV_CONFIG_S3_URI)
        if config_text is not None and config_s3_uri is not None:
            raise HandlerError(f"set {ENV_CONFIG} or {ENV_CONFIG_S3_URI}, not both")
        if config_s3_uri is not None:
            parse_s3_uri(config_s3_uri, name=ENV_CONFIG_S3_URI)
        mode_text = (get(ENV_MODE) or Mode.ACCOUNT.value).lower()
        try:
            mode = Mode(mode_text)
        except ValueError:
            valid = " or ".join(repr(m.value) for m in Mode)
            raise HandlerError(f"{ENV_MODE}={mode_text!r} is not valid; use {valid}") from None
        role_name = get(ENV_ROLE_NAME) or DEFAULT_ROLE_NAME
        if not is_role_name(role_name):
            raise HandlerError(
                f"{ENV_ROLE_NAME}={role_name!r} is not an IAM role name: {ROLE_NAME_RULE}"
            )
        external_id = get(ENV_EXTERNAL_ID)
        if external_id is not None and not is_external_id(external_id):
            # Not echoed: an external id is not a secret, but it is not ours to print either.
            raise HandlerError(f"{ENV_EXTERNAL_ID} is not a valid external id ({EXTERNAL_ID_RULE})")
        return cls(
            bucket=bucket,
            prefix=_prefix(get(ENV_PREFIX)),
            config_text=config_text,
            config_s3_uri=config_s3_uri,
            kms_key_id=get(ENV_KMS_KEY_ID),
            sns_topic_arn=get(ENV_SNS_TOPIC_ARN),
            mode=mode,
            role_name=role_name,
            external_id=external_id,
            max_workers=_max_workers(get(ENV_MAX_WORKERS)),
        )


def _prefix(text: str | None) -> str:
    if text is None:
        return DEFAULT_PREFIX
    parts = [part for part in text.split("/") if part]
    if not parts:
        return DEFAULT_PREFIX
    for part in parts:
        if not is_key_segment(part):
            raise HandlerError(f"{ENV_PREFIX}={text!r}: {part!r} is not a usable key segment")
    return "/".join(parts)


def _max_workers(text: str | None) -> int:
    if text is None:
        return DEFAULT_MAX_WORKERS
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= MAX_WORKERS_LIMIT:
        raise HandlerError(
            f"{ENV_MAX_WORKERS}={text!r} must be a whole number from 1 to {MAX_WORKERS_LIMIT}"
        )
    return value


def parse_s3_uri(uri: str, *, name: str = "S3 URI") -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; ``HandlerError`` for anything else."""
    match = _S3_URI.fullmatch(uri)
    if match is None or not is_bucket_name(match.group(1)):
        raise HandlerError(f"{name}={uri!r} is not an s3://bucket/key URI")
    return match.group(1), match.group(2)


# --- logging -------------------------------------------------------------------------------

# Attributes every LogRecord has; anything else on a record came in through ``extra``.
_RECORD_ATTRS = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys() | {"message", "asctime"}
)
# Field names that could carry a credential; their values never reach a log line.
_SECRET_FIELD = re.compile(r"secret|token|password|passwd|credential|session_key", re.IGNORECASE)
REDACTED = "[redacted]"

# The current invocation's request id and function name, added to every line. A global
# rather than a context variable: Lambda runs one invocation at a time per process, and the
# organization runner's worker threads must log the same request id.
_INVOCATION: dict[str, str] = {}
_INSTALL_LOCK = threading.Lock()
_STDOUT_HANDLER: logging.Handler | None = None


class JsonFormatter(logging.Formatter):
    """Formats each record as one JSON object on one line.

    Fields: ``time`` (UTC, ISO 8601 with milliseconds), ``level``, ``logger``,
    ``message``, the invocation's ``aws_request_id`` and ``function_name``, every ``extra``
    field (``account_id``…), and ``exception`` when there is one. Fields whose names look
    like credentials (secret, token, password…) are replaced by ``[redacted]``.
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON (non-ASCII escaped, so no line can be split)."""
        moment = datetime.fromtimestamp(record.created, UTC)
        out: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        out.update(_INVOCATION)
        for key, value in record.__dict__.items():
            if key not in _RECORD_ATTRS and not key.startswith("_") and key not in out:
                out[key] = value
        if record.exc_info:
            out["exception"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        for key in out:
            if _SECRET_FIELD.search(key):
                out[key] = REDACTED
        return json.dumps(out, default=str)


def install_json_logging(level: int | str | None = None) -> None:
    """Make every root handler write JSON lines; add a stdout handler if there is none.

    The Lambda runtime installs its own handler on the root logger before the function is
    imported; its formatter is replaced, so the runtime's plain-text lines become JSON.
    Safe to call on every invocation: handlers already formatting JSON are left alone.
    ``level`` defaults to ``AWS_LAMBDA_LOG_LEVEL`` (Lambda's logging control) or INFO.
    """
    global _STDOUT_HANDLER  # noqa: PLW0603 - one handler per process, created once
    root = logging.getLogger()
    with _INSTALL_LOCK:
        if not root.handlers:
            if _STDOUT_HANDLER is None:
                _STDOUT_HANDLER = logging.StreamHandler(sys.stdout)
            root.addHandler(_STDOUT_HANDLER)
        for handler in root.handlers:
            if not isinstance(handler.formatter, JsonFormatter):
                handler.setFormatter(JsonFormatter())
        wanted = level or os.environ.get("AWS_LAMBDA_LOG_LEVEL") or logging.INFO
        try:
            root.setLevel(wanted.upper() if isinstance(wanted, str) else wanted)
        except ValueError:
            root.setLevel(logging.INFO)
        # Even at DEBUG, no botocore wire dump (tokens, AssumeRole secrets) reaches a line.
        limit_wire_loggers(root.level)
        protect_handlers(root)


# --- the handler ---------------------------------------------------------------------------


def handler(event: Any, context: Any) -> dict[str, Any]:
    """Lambda entry point: do what ``event`` asks; return a JSON-serialisable summary.

    Raises (so the invocation fails and Lambda's retries and alarms see it) on a bad
    environment, config or event, an unusable report bucket, KMS key or SNS topic, or an
    Organization that cannot be listed; the reason is logged first, on one line.
    """
    install_json_logging()
    _INVOCATION.clear()
    for attr in ("aws_request_id", "function_name"):
        value = getattr(context, attr, None)
        if value is not None:
            _INVOCATION[attr] = str(value)
    try:
        return _handle(event, context)
    except Exception as exc:
        extra = {"error_type": type(exc).__name__}
        if _explained(exc):
            log.error("invocation failed: %s", exc, extra=extra)
        else:
            log.exception("invocation failed: %s", exc, extra=extra)
        raise
    finally:
        _INVOCATION.clear()


def _explained(exc: BaseException) -> bool:
    """Whether ``exc`` is one of ours, whose one line says it all (no traceback needed)."""
    from auditor.collect.session import CredentialsError  # noqa: PLC0415
    from auditor.org import OrgError  # noqa: PLC0415

    # ConfigError is a ValueError, as are run_audit's unknown check ids.
    return isinstance(exc, HandlerError | SinkError | ValueError | OrgError | CredentialsError)


def _handle(event: Any, context: Any) -> dict[str, Any]:
    settings = LambdaSettings.from_env(os.environ)
    request = parse_event(event)
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    log.info(
        "invocation started",
        extra={
            "event_kind": request.kind.value,
            "mode": settings.mode.value,
            "remaining_ms": remaining() if callable(remaining) else None,
        },
    )
    runner = Runner(settings, _default_session())
    if request.kind is EventKind.LIST_ACCOUNTS:
        return runner.list_accounts()
    runner.preflight()
    if request.kind is EventKind.AGGREGATE:
        if request.result_writer is not None:
            return runner.aggregate_map_results(*request.result_writer)
        return runner.aggregate(request.results)
    audit_settings = collection_deadline(runner.audit_settings(), remaining)
    if request.kind is EventKind.MEMBER:
        assert request.account_id is not None  # noqa: S101 - parse_event guarantees it
        return runner.audit_member(
            audit_settings,
            request.account_id,
            name=request.name,
            role_name=request.role_name or settings.role_name,
            external_id=request.external_id or settings.external_id,
        )
    if settings.mode is Mode.ORG:
        return runner.audit_org(audit_settings)
    return runner.audit_own_account(audit_settings)


# What an invocation keeps for analysing, rendering and writing once collection stops.
FINISH_RESERVE_S = 90.0
MIN_COLLECTION_S = 30.0


def collection_deadline(settings: Settings, remaining_ms: Any) -> Settings:
    """``settings`` with a collection deadline that leaves the invocation time to finish.

    Lambda stops a function at its timeout without a word; an audit whose collection runs
    into it writes nothing. So collection ends ``FINISH_RESERVE_S`` before the invocation
    would (never below ``MIN_COLLECTION_S``), and what was not read by then is reported as
    ERROR in a report that still gets written.
    """
    if not callable(remaining_ms):
        return settings
    left = float(remaining_ms()) / 1000.0 - FINISH_RESERVE_S
    deadline = min(settings.collection_deadline, max(left, MIN_COLLECTION_S))
    return dataclasses.replace(settings, collection_deadline=deadline)


def _default_session() -> boto3.Session:
    import boto3  # noqa: PLC0415 - the Lambda runtime has it; the CLI need not load it here

    # Lambda provides the credentials and AWS_REGION in the environment.
    return boto3.Session()


class EventKind(enum.Enum):
    """What an invocation was asked to do."""

    SCHEDULED = "scheduled"
    MEMBER = "member"
    LIST_ACCOUNTS = "list_accounts"
    AGGREGATE = "aggregate"


@dataclass(frozen=True)
class Request:
    """A validated event."""

    kind: EventKind
    account_id: str | None = None
    name: str = ""
    role_name: str | None = None
    external_id: str | None = field(default=None, repr=False)
    results: tuple[Mapping[str, Any], ...] = ()
    # (Bucket, Key) of a Distributed Map's manifest.json; None: aggregate ``results``.
    result_writer: tuple[str, str] | None = None


def parse_event(event: Any) -> Request:
    """Validate ``event``; ``HandlerError`` says what is wrong with it.

    Anything without ``action`` or ``account_id`` (an EventBridge scheduled event, ``{}``,
    ``null``) is a scheduled run.
    """
    if event is None:
        return Request(EventKind.SCHEDULED)
    if not isinstance(event, Mapping):
        raise HandlerError(f"the event must be a JSON object, not {type(event).__name__}")
    action = event.get("action")
    if action is not None:
        if action == EventKind.LIST_ACCOUNTS.value:
            return Request(EventKind.LIST_ACCOUNTS)
        if action == EventKind.AGGREGATE.value:
            return _aggregate_request(event)
        raise HandlerError(f"unknown action {action!r}; expected 'list_accounts' or 'aggregate'")
    if "account_id" not in event:
        return Request(EventKind.SCHEDULED)
    account_id = event["account_id"]
    if not is_account_id(account_id):
        raise HandlerError(f"event account_id {account_id!r} is not a 12-digit account id")
    role_name = event.get("role_name") or None
    if role_name is not None and not is_role_name(role_name):
        raise HandlerError(
            f"event role_name {role_name!r} is not an IAM role name: {ROLE_NAME_RULE}"
        )
    external_id = event.get("external_id") or None
    if external_id is not None and not is_external_id(external_id):
        raise HandlerError(f"event external_id is not a valid external id ({EXTERNAL_ID_RULE})")
    name = event.get("name")
    return Request(
        EventKind.MEMBER,
        account_id=account_id,
        name=name if isinstance(name, str) else "",
        role_name=role_name,
        external_id=external_id,
    )


def _aggregate_request(event: Mapping[str, Any]) -> Request:
    needs = (
        "an aggregate event needs 'results' (a list of account results) or 'result_writer' "
        "(the Distributed Map's ResultWriterDetails), not both"
    )
    if ("results" in event) == ("result_writer" in event):
        raise HandlerError(needs)
    if "result_writer" in event:
        writer = event["result_writer"]
        bucket = writer.get("Bucket") if isinstance(writer, Mapping) else None
        key = writer.get("Key") if isinstance(writer, Mapping) else None
        if not isinstance(bucket, str) or not isinstance(key, str) or not key:
            raise HandlerError(
                'aggregate: \'result_writer\' must be {"Bucket": ..., "Key": ...}, the '
                "Distributed Map's ResultWriterDetails (where its manifest.json is)"
            )
        return Request(EventKind.AGGREGATE, result_writer=(bucket, key))
    results = event["results"]
    if not isinstance(results, list) or not all(isinstance(r, Mapping) for r in results):
        raise HandlerError(needs)
    return Request(EventKind.AGGREGATE, results=tuple(results))


@dataclass(frozen=True)
class Stored:
    """Where one account's (or the org summary's) files went: dated keys, then latest."""

    keys: tuple[str, ...]
    latest_keys: tuple[str, ...]

    def key_of(self, name: str) -> str | None:
        """The dated key of file ``name``, if it was stored."""
        return next((k for k in self.keys if k.rsplit("/", 1)[-1] == name), None)


def dated_folder(moment: datetime) -> str:
    """``YYYY/MM/DD/HHMMSSZ`` of ``moment`` in UTC (a naive moment is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y/%m/%d/%H%M%SZ")


def fail_count(report: Report, *severities: Severity) -> int:
    """Unmuted FAIL findings of ``report`` at the given severities."""
    wanted = set(severities)
    return sum(
        1
        for f in report.findings
        if f.status is Status.FAIL and not f.muted and f.severity in wanted
    )


def outcome_exit_code(outcome: AccountOutcome) -> int:
    """``analyze.exit_code`` at ``FAIL_ON`` from an account's numbers (3, 1 or 0)."""
    if not outcome.complete:
        return EXIT_INCOMPLETE
    if any(t.severity.rank >= FAIL_ON.rank and t.failed > 0 for t in outcome.failing):
        return EXIT_FAIL
    return EXIT_OK


def not_audited_result(account_id: str, name: str, error: str) -> dict[str, Any]:
    """The result of a member account that could not be assumed or read."""
    return {"account_id": account_id, "name": name, "audited": False, "error": error}


class Runner:
    """One invocation's work, against one session, bucket and configuration."""

    def __init__(self, settings: LambdaSettings, session: boto3.Session) -> None:
        self.settings = settings
        self.session = session
        self.s3 = session.client("s3")
        self._identity: tuple[str, str] | None = None

    # -- plumbing --

    def preflight(self) -> None:
        """``HeadBucket`` on the report bucket, so a missing bucket fails in seconds."""
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        bucket = self.settings.bucket
        try:
            self.s3.head_bucket(Bucket=bucket)
        except (ClientError, BotoCoreError) as exc:
            code = _error_code(exc)
            if code in {"404", "NoSuchBucket", "NotFound"}:
                reason = "does not exist"
            elif code in {"403", "AccessDenied", "Forbidden"}:
                reason = "is not accessible: the function needs s3:ListBucket on it"
            else:
                reason = f"cannot be checked ({type(exc).__name__}: {exc})"
            raise HandlerError(
                f"report bucket {bucket!r} ({ENV_BUCKET}) {reason} [HeadBucket: {code}]; "
                "nothing was audited"
            ) from exc

    def audit_settings(self) -> Settings:
        """The audit's ``Settings``: from ``AUDITOR_CONFIG``, the config object, or defaults."""
        from auditor.checks import all_checks  # noqa: PLC0415

        known = {c.meta.id for c in all_checks()}
        if self.settings.config_text is not None:
            return parse_config(self.settings.config_text, known, name=ENV_CONFIG)
        if self.settings.config_s3_uri is not None:
            uri = self.settings.config_s3_uri
            return parse_config(self._read_config(uri), known, name=uri)
        return Settings()

    @overload
    def _read(self, bucket: str, key: str, doing: str) -> bytes: ...
    @overload
    def _read(self, bucket: str, key: str, doing: str, *, missing_ok: bool) -> bytes | None: ...

    def _read(self, bucket: str, key: str, doing: str, *, missing_ok: bool = False) -> bytes | None:
        """An object's bytes; S3's refusal is a ``HandlerError`` saying what was being done.

        With ``missing_ok`` an object that does not exist is ``None`` instead.
        """
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        try:
            return bytes(self.s3.get_object(Bucket=bucket, Key=key)["Body"].read())
        except (ClientError, BotoCoreError) as exc:
            if missing_ok and _error_code(exc) in {"NoSuchKey", "404"}:
                return None
            raise HandlerError(describe_s3_error(exc, bucket, key, doing)) from exc

    def _read_config(self, uri: str) -> str:

        bucket, key = parse_s3_uri(uri, name=ENV_CONFIG_S3_URI)
        body = self._read(bucket, key, f"reading the config ({ENV_CONFIG_S3_URI})")
        try:
            return bytes(body).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise HandlerError(f"{uri}: config is not UTF-8 text (byte {exc.start})") from None

    def identity(self) -> tuple[str, str]:
        """This function's own account id and partition (``sts:GetCallerIdentity``)."""
        if self._identity is None:
            from auditor.collect import identify  # noqa: PLC0415
            from auditor.collect.session import CredentialsError  # noqa: PLC0415

            try:
                self._identity = identify(self.session)
            except CredentialsError as exc:
                raise HandlerError(str(exc)) from exc
        return self._identity

    def _sink(self, prefix: str, *, overwrite: bool) -> S3Sink:
        return S3Sink(
            self.s3,
            self.settings.bucket,
            prefix,
            kms_key_id=self.settings.kms_key_id,
            overwrite=overwrite,
        )

    def store(self, folder: str, moment: datetime, files: Mapping[str, Content]) -> Stored:
        """Write ``files`` under ``PREFIX/folder/<dated>/`` (never overwritten), then latest/.

        Each file is rendered once, spooled, and put to both places (``write_each``).
        """
        base = f"{self.settings.prefix}/{folder}"
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
            extra={"account_id": account_id, "bucket": self.settings.bucket, "keys": stored.keys},
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
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        from auditor.diff import DiffError, diff_against, parse_report  # noqa: PLC0415

        bucket = self.settings.bucket
        key = f"{self.settings.prefix}/{account_id}/{LATEST}/{REPORT_JSON}"
        where = f"s3://{bucket}/{key}"
        extra = {"account_id": account_id, "baseline": where}
        try:
            data = self.s3.get_object(Bucket=bucket, Key=key)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            if _error_code(exc) in {"NoSuchKey", "404"}:
                log.info("no previous report: no baseline", extra=extra)
            else:
                problem = describe_s3_error(exc, bucket, key, "reading the baseline")
                log.warning("no baseline: %s", problem, extra=extra)
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

    def uris(self, keys: Sequence[str]) -> list[str]:
        """``s3://`` locations of ``keys`` in the report bucket."""
        return [f"s3://{self.settings.bucket}/{key}" for key in keys]

    @staticmethod
    def _progress(account_id: str | None) -> Any:
        def progress(message: str) -> None:
            log.info(message, extra={"account_id": account_id} if account_id else None)

        return progress

    # -- results --

    def report_result(self, report: Report, stored: Stored, *, name: str = "") -> dict[str, Any]:
        """An audited account's result, from its report."""
        return {
            "account_id": report.account_id,
            "name": name,
            "audited": True,
            "score": {"value": report.score.value, "grade": report.score.grade},
            "complete": report.complete,
            "summary": dict(report.summary()),
            "exit_code": exit_code(report, FAIL_ON),
            "keys": list(stored.keys),
            "latest_keys": list(stored.latest_keys),
            "report_json_key": stored.key_of(REPORT_JSON),
        }

    @staticmethod
    def worst_entry(outcome: AccountOutcome, stored: Stored | None) -> dict[str, Any]:
        """One account of an org run's short list: its numbers, or why it was not audited.

        Its size is bounded whatever the account's data: the name and the error are clipped.
        """
        name = _clip(outcome.name, NAME_MAX)
        if not outcome.audited or outcome.score is None:
            error = _clip(outcome.error or "not audited", WORST_ERROR_MAX)
            return not_audited_result(outcome.account_id, name, error)
        return {
            "account_id": outcome.account_id,
            "name": name,
            "audited": True,
            "score": {"value": outcome.score.value, "grade": outcome.score.grade},
            "complete": outcome.complete,
            "summary": dict(outcome.summary),
            "exit_code": outcome_exit_code(outcome),
            "report_json_key": stored.key_of(REPORT_JSON) if stored else None,
        }

    # -- what an event asks --

    def list_accounts(self) -> dict[str, Any]:
        """``{"accounts": [{"account_id", "name"}]}``: the Organization's ACTIVE members."""
        from auditor.org import list_member_accounts  # noqa: PLC0415

        members = list_member_accounts(self.session)
        log.info("organization listed", extra={"accounts": len(members)})
        return {"accounts": [{"account_id": m.account_id, "name": m.name} for m in members]}

    def audit_own_account(self, settings: Settings) -> dict[str, Any]:
        """Audit the function's own account, store the reports, publish, return the result."""
        from auditor.collect.session import CredentialsError  # noqa: PLC0415

        try:
            result = run_audit(settings, session=self.session, progress=self._progress(None))
        except CredentialsError as exc:
            raise HandlerError(str(exc)) from exc
        report = result.report
        stored = self.store_report(report.account_id, report)
        summary = self.report_result(report, stored)
        self._log_result(summary)
        critical_high = fail_count(report, Severity.CRITICAL, Severity.HIGH)
        subject = (
            f"iam-auditor {report.account_id}: {report.score.grade} {report.score.value:.1f}, "
            f"{critical_high} critical/high FAIL"
        )
        if not report.complete:
            subject += ", incomplete"
        self.publish(subject, summary, self.uris(stored.keys + stored.latest_keys))
        return summary

    def audit_member(
        self,
        settings: Settings,
        account_id: str,
        *,
        name: str,
        role_name: str,
        external_id: str | None,
    ) -> dict[str, Any]:
        """Audit one member account (a Step Functions item); never publishes to SNS.

        A role that cannot be assumed, or credentials that cannot read the account, give a
        not-audited result (the state machine goes on with the other accounts); a report
        bucket problem still fails the invocation.
        """
        from auditor.collect.session import CredentialsError  # noqa: PLC0415
        from auditor.org import member_session  # noqa: PLC0415

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
            result = run_audit(settings, session=member, progress=self._progress(account_id))
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
        stored = self.store_report(account_id, report)
        summary = self.report_result(report, stored, name=name)
        self._log_result(summary)
        return summary

    def audit_org(self, settings: Settings) -> dict[str, Any]:
        """Audit every ACTIVE member in this invocation, then write the org summary."""
        from auditor.org import run_org_audit  # noqa: PLC0415

        stored: dict[str, Stored] = {}
        lock = threading.Lock()

        def write(member: MemberAccount, result: AuditResult) -> Sequence[str]:
            where = self.store_report(member.account_id, result.report)
            with lock:
                stored[member.account_id] = where
            return self.uris(where.keys)

        org = run_org_audit(
            settings,
            self.session,
            write=write,
            role_name=self.settings.role_name,
            external_id=self.settings.external_id,
            max_workers=self.settings.max_workers,
            progress=LogProgress(),
        )
        return self._finish_org(org, stored)

    def aggregate(self, results: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
        """Build and store the org summary from member results passed in the event.

        For small Organizations, tests and manual runs; the state machine passes its
        Distributed Map's results in S3 instead (``aggregate_map_results``). Each audited
        member's ``report.json`` is read back from the bucket; one that is gone makes that
        account not audited (said why) rather than failing the whole summary. An account
        listed twice is an error.
        """
        items = [(f"results[{index}]", item) for index, item in enumerate(results)]
        return self._aggregate(items, duplicates_allowed=False)

    @property
    def map_results_prefix(self) -> str:
        """``PREFIX/organization/step-functions/``: where the Distributed Map's results go."""
        return f"{self.settings.prefix}/{ORG_FOLDER}/{MAP_RESULTS_FOLDER}/"

    def aggregate_map_results(self, bucket: str, key: str) -> dict[str, Any]:
        """Build and store the org summary from a Distributed Map's results in the bucket.

        ``bucket`` and ``key`` locate the ``manifest.json`` Step Functions wrote (the Map
        state's ``ResultWriterDetails``); it lists the result files by child status, each a
        JSON array of child executions. A SUCCEEDED child's ``Output`` is its account's
        result; a FAILED or PENDING child makes the account of its ``Input`` not audited,
        with the error. Only objects of the report bucket under ``map_results_prefix`` are
        read: a manifest, or a result file it names, anywhere else is refused. An account
        found twice (a redriven child) counts once, audited if either result was.
        """
        manifest = self._read_map_json(bucket, key, "manifest")
        where = f"s3://{bucket}/{key}"
        files = manifest.get("ResultFiles") if isinstance(manifest, Mapping) else None
        if not isinstance(manifest, Mapping) or not isinstance(files, Mapping):
            raise HandlerError(
                f"aggregate: {where} is not a Distributed Map manifest.json (no ResultFiles)"
            )
        destination = manifest.get("DestinationBucket", bucket)
        if destination != bucket:
            raise HandlerError(
                f"aggregate: {where} lists results in bucket {destination!r}, not {bucket!r}"
            )
        items: list[tuple[str, Mapping[str, Any]]] = []
        for status in MAP_STATUSES:
            entries = files.get(status) or []
            if not isinstance(entries, list):
                raise HandlerError(f"aggregate: {where}: ResultFiles.{status} is not a list")
            for entry in entries:
                file_key = entry.get("Key") if isinstance(entry, Mapping) else None
                if not isinstance(file_key, str):
                    raise HandlerError(
                        f"aggregate: {where}: a ResultFiles.{status} entry has no Key"
                    )
                executions = self._read_map_json(bucket, file_key, f"{status} result file")
                if not isinstance(executions, list):
                    raise HandlerError(
                        f"aggregate: s3://{bucket}/{file_key} is not a JSON array of child "
                        "executions"
                    )
                for index, execution in enumerate(executions):
                    label = f"s3://{bucket}/{file_key}[{index}]"
                    items.append((label, child_result(execution, status, label)))
        log.info(
            "distributed map results read",
            extra={
                "manifest": where,
                "map_run_arn": str(manifest.get("MapRunArn") or ""),
                "results": len(items),
            },
        )
        return self._aggregate(items, duplicates_allowed=True)

    def _read_map_json(self, bucket: str, key: str, what: str) -> Any:
        """A Distributed Map result object, parsed; refused outside ``map_results_prefix``."""

        allowed = self.map_results_prefix
        if bucket != self.settings.bucket or not key.startswith(allowed):
            raise HandlerError(
                f"aggregate: refusing to read the Distributed Map {what} s3://{bucket}/{key}: "
                f"only objects under s3://{self.settings.bucket}/{allowed} are read"
            )
        body = self._read(bucket, key, f"aggregate: reading the map {what}")
        try:
            return json.loads(body)
        except ValueError:
            raise HandlerError(
                f"aggregate: the Distributed Map {what} s3://{bucket}/{key} is not valid JSON"
            ) from None

    def _aggregate(
        self, items: Sequence[tuple[str, Mapping[str, Any]]], *, duplicates_allowed: bool
    ) -> dict[str, Any]:
        from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

        from auditor.model import OrgReport  # noqa: PLC0415
        from auditor.org import outcome_not_audited  # noqa: PLC0415

        chosen: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
        for where, item in items:
            account_id, name = _result_identity(item, where)
            if account_id in chosen:
                first, _, kept = chosen[account_id]
                if not duplicates_allowed:
                    raise HandlerError(
                        f"aggregate: account {account_id} appears twice ({first} and {where})"
                    )
                log.warning(
                    "account listed twice in the map results; counted once",
                    extra={"account_id": account_id, "first": first, "again": where},
                )
                if kept.get("audited") is True or item.get("audited") is not True:
                    continue
            chosen[account_id] = (where, name, item)

        def outcome(account_id: str) -> tuple[AccountOutcome, Stored | None]:
            _, name, item = chosen[account_id]
            if item.get("audited") is True:
                return self._outcome_from_stored(account_id, name, item)
            error = _clip(str(item.get("error") or "not audited (no reason given)"), ERROR_MAX)
            return outcome_not_audited(account_id, name, error), None

        # Reading hundreds of report.json objects one by one would dominate the run.
        with ThreadPoolExecutor(max_workers=self.settings.max_workers) as pool:
            done = list(pool.map(outcome, chosen))
        org = OrgReport(
            tool=TOOL,
            runner_account_id=self.identity()[0],
            generated_at=datetime.now(UTC).replace(microsecond=0),
            accounts=tuple(o for o, _ in done),
        )
        stored = {o.account_id: s for o, s in done if s is not None}
        return self._finish_org(org, stored)

    def _outcome_from_stored(
        self, account_id: str, name: str, item: Mapping[str, Any]
    ) -> tuple[AccountOutcome, Stored | None]:

        from auditor.org import outcome_from_report_json, outcome_not_audited  # noqa: PLC0415

        key = item.get("report_json_key")
        prefix = f"{self.settings.prefix}/{account_id}/"
        if not isinstance(key, str) or not key.startswith(prefix):
            raise HandlerError(
                f"aggregate: account {account_id}'s report_json_key {key!r} is not under {prefix}"
            )
        stored = Stored(
            keys=tuple(str(k) for k in item.get("keys") or ()),
            latest_keys=tuple(str(k) for k in item.get("latest_keys") or ()),
        )
        bucket = self.settings.bucket
        body = self._read(bucket, key, "reading", missing_ok=True)
        if body is None:
            error = f"report s3://{bucket}/{key} not found"
            log.warning(error, extra={"account_id": account_id})
            return outcome_not_audited(account_id, name, error), None
        try:
            data = json.loads(body)
        except ValueError:
            error = f"report s3://{bucket}/{key} is not valid JSON"
            log.warning(error, extra={"account_id": account_id})
            return outcome_not_audited(account_id, name, error), None
        if not isinstance(data, Mapping) or data.get("account_id") != account_id:
            error = f"report s3://{bucket}/{key} is not account {account_id}'s report"
            log.warning(error, extra={"account_id": account_id})
            return outcome_not_audited(account_id, name, error), None
        try:
            # Any report.json version this build reads: members may run an older release.
            outcome = outcome_from_report_json(
                data,
                name=name,
                reports=self.uris(stored.keys),
                source=f"report s3://{bucket}/{key}",
            )
        except ValueError as exc:  # the message starts with the report's location
            error = str(exc)
            log.warning(error, extra={"account_id": account_id})
            return outcome_not_audited(account_id, name, error), None
        return outcome, stored

    def _finish_org(self, org: OrgReport, stored: Mapping[str, Stored]) -> dict[str, Any]:
        """Write the org summary, publish it, and return the run's bounded result.

        The result carries counts and the ``WORST_ACCOUNTS_MAX`` worst accounts only (in
        org-summary.json's order), so its size does not grow with the Organization: it is a
        Step Functions state's data and an SNS message, both capped at 256 KB.
        """
        from auditor.org import org_exit_code  # noqa: PLC0415
        from auditor.report.org_summary import ordered_accounts, render_org  # noqa: PLC0415

        files = self.store(ORG_FOLDER, org.generated_at, render_org(org))
        audited = [a for a in org.accounts if a.audited]
        scores = [a.score for a in audited if a.score is not None]
        worst = min(scores, key=lambda s: s.value, default=None)
        worst_accounts = [
            self.worst_entry(outcome, stored.get(outcome.account_id))
            for outcome in ordered_accounts(org.accounts)[:WORST_ACCOUNTS_MAX]
        ]
        result: dict[str, Any] = {
            "mode": "org",
            "runner_account_id": org.runner_account_id,
            "generated_at": org.generated_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "complete": org.complete,
            "exit_code": org_exit_code(org, FAIL_ON),
            "counts": {
                "accounts": len(org.accounts),
                "audited": len(audited),
                "not_audited": len(org.accounts) - len(audited),
                "incomplete": sum(1 for a in audited if not a.complete),
            },
            "worst_accounts": worst_accounts,
            "summary_keys": list(files.keys),
            "summary_latest_keys": list(files.latest_keys),
        }
        counts = result["counts"]
        log.info(
            "organization summary written",
            extra={"complete": org.complete, "counts": counts, "keys": files.keys},
        )
        subject = (
            f"iam-auditor org {org.runner_account_id}: {counts['accounts']} accounts, "
            f"{counts['not_audited']} not audited, {counts['incomplete']} incomplete"
        )
        if worst is not None:
            subject += f", worst {worst.grade} {worst.value:.1f}"
        self.publish(subject, result, self.uris(files.keys + files.latest_keys))
        return result

    def _log_result(self, result: Mapping[str, Any]) -> None:
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

    def publish(self, subject: str, result: Mapping[str, Any], locations: Sequence[str]) -> None:
        """Publish one SNS message (when a topic is configured): the result and the reports.

        A topic that refuses it fails the invocation: the reports are already written, but
        whoever subscribed would otherwise never learn of this run.
        """
        topic = self.settings.sns_topic_arn
        if topic is None:
            return
        from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

        message = _message(result, locations)
        try:
            self.session.client("sns", region_name=_topic_region(topic)).publish(
                TopicArn=topic, Subject=_subject(subject), Message=message
            )
        except (ClientError, BotoCoreError) as exc:
            code = _error_code(exc)
            raise HandlerError(
                f"publishing the summary to {topic} failed: {code} (the reports were written)"
            ) from exc
        log.info("summary published", extra={"topic_arn": topic})


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


def _result_identity(item: Mapping[str, Any], where: str) -> tuple[str, str]:
    account_id = item.get("account_id")
    if not is_account_id(account_id):
        raise HandlerError(
            f"aggregate: {where} has no 12-digit account_id "
            f"(keys: {', '.join(sorted(map(str, item))) or 'none'})"
        )
    name = item.get("name")
    return account_id, name if isinstance(name, str) else ""


def child_result(execution: Any, status: str, where: str) -> dict[str, Any]:
    """The account result one child execution of a Distributed Map's result file stands for.

    ``status`` is the manifest's group the file is in. A SUCCEEDED child's ``Output`` (a
    JSON string) is the result the state machine's item processor returned for the account
    of its ``Input``. A FAILED child (failed, timed out or aborted: a fault of the workflow,
    since the item processor catches the function's own errors) or a PENDING one (never
    finished) makes the account of its ``Input`` not audited, with Step Functions' error.
    ``HandlerError`` names ``where`` when the child's account cannot be told.
    """
    if not isinstance(execution, Mapping):
        raise HandlerError(f"aggregate: {where} is not a child execution object")
    given = _json_object(execution.get("Input")) or {}
    account_id = given.get("account_id")
    if not is_account_id(account_id):
        account_id = None
    name = given.get("name")
    name = name if isinstance(name, str) else ""
    if status == "SUCCEEDED":
        output = _json_object(execution.get("Output"))
        if output is not None and (account_id is None or output.get("account_id") == account_id):
            return dict(output)
        if account_id is None:
            raise HandlerError(f"aggregate: {where}: the child execution's Output is no result")
        if output is None:
            error = "its Step Functions child execution succeeded without an account result"
        else:
            error = (
                f"its Step Functions child execution returned the result of account "
                f"{output.get('account_id')!r}"
            )
        return not_audited_result(account_id, name, error)
    if account_id is None:
        raise HandlerError(
            f"aggregate: {where}: a {status} child execution's Input has no 12-digit account_id"
        )
    if status == "PENDING":
        error = "its Step Functions child execution never finished (the map run stopped first)"
    else:
        state = str(execution.get("Status") or status).lower().replace("_", " ")
        error = f"its Step Functions child execution {state}"
        code = execution.get("Error")
        if code:
            error += f" ({code})"
        cause = _cause_text(execution.get("Cause"))
        if cause:
            error += f": {cause}"
    return not_audited_result(account_id, name, _clip(error, ERROR_MAX))


def _json_object(value: Any) -> Mapping[str, Any] | None:
    """``value`` as a JSON object: already one, or a string holding one (Step Functions'
    ``Input`` and ``Output`` are strings)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return value if isinstance(value, Mapping) else None


def _cause_text(cause: Any) -> str:
    # A Lambda error's Cause is JSON with the message first and a stack trace after it.
    parsed = _json_object(cause)
    if parsed is not None and isinstance(parsed.get("errorMessage"), str):
        return " ".join(str(parsed["errorMessage"]).split())
    return " ".join(str(cause).split()) if cause else ""


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _error_code(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        code = (response.get("Error") or {}).get("Code")
        if code:
            return str(code)
    return type(exc).__name__


def _subject(text: str) -> str:
    # SNS: printable, no line breaks, under 100 characters. Ours are ASCII already, but an
    # account alias or a future field must not make the publish fail.
    clean = "".join(ch if " " <= ch <= "~" else "?" for ch in text)
    return clean[:SUBJECT_MAX]


def _message(result: Mapping[str, Any], locations: Sequence[str]) -> str:
    # An org result names at most WORST_ACCOUNTS_MAX accounts, so this stays far below
    # SNS's 256 KiB whatever the Organization's size.
    return json.dumps({"summary": dict(result), "reports": list(locations)}, indent=2)


def _topic_region(topic_arn: str) -> str | None:
    parts = topic_arn.split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None
