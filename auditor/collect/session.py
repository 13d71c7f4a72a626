"""Credentials, client configuration and API-call accounting for the collectors.

Clients get ``CLIENT_CONFIG`` (or ``FAIL_FAST_CONFIG`` for the per-region Access Analyzer
calls) and never an explicit endpoint, so boto3's ``AWS_ENDPOINT_URL*`` settings keep working.
``CallRecorder`` counts calls per operation so tests and benchmarks can prove how few an audit
makes; once a ``Deadline`` passes, every further call and retry fails at once.
"""

from __future__ import annotations

import math
import os
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    ParamValidationError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)
from botocore.utils import parse_timestamp as botocore_parse_timestamp

from auditor.collect.common import error_code, error_message
from auditor.defaults import DEADLINE_SECONDS
from auditor.errors import AuditorError

if TYPE_CHECKING:
    from botocore.model import OperationModel

# Adaptive mode adds client-side rate limiting on top of standard retries, which is what
# keeps a large account's paginated reads from being throttled into failure. botocore reads
# a Config's max_attempts as retries: 10 means 11 attempts a call.
CLIENT_CONFIG = Config(
    retries={"mode": "adaptive", "max_attempts": 10},
    connect_timeout=10,
    read_timeout=60,
    user_agent_extra="iam-auditor",
)

# Access Analyzer is listed in every enabled region (~17) for one check. A region that
# answers 5xx or nothing must become that region's ERROR in seconds: ten back-offs per
# region held whole audits for over a minute. A blip still gets two more tries.
FAIL_FAST_ATTEMPTS = 3
FAIL_FAST_CONFIG = CLIENT_CONFIG.merge(
    Config(
        retries={"mode": "standard", "total_max_attempts": FAIL_FAST_ATTEMPTS},
        connect_timeout=5,
        read_timeout=10,
    )
)

# How long one collection may take by default: an audit either finishes or says what it
# could not read well before anyone wonders if it hangs.
DEFAULT_DEADLINE = float(DEADLINE_SECONDS)
DEADLINE_EXCEEDED = "DeadlineExceeded"

# The first call of an audit (and assuming a role) says whether the credentials work at
# all; when AWS is unreachable or they are wrong, saying so promptly beats ten retries.
IDENTITY_CONFIG = CLIENT_CONFIG.merge(
    Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=5)
)

# Error codes that mean "these credentials are not usable", as opposed to "not allowed".
_REJECTED_CODES = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "InvalidAccessKeyId",
        "AuthFailure",
        "IncompleteSignature",
        "InvalidSignatureException",
    }
)
_EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})


class DeadlineExceeded(BotoCoreError):
    """The collection deadline passed before this call (or this retry) could be sent.

    A ``BotoCoreError``, so every collector already turns it into a ``SourceError`` whose
    error code is its class name: ``DeadlineExceeded``.
    """

    fmt = (
        "the collection deadline of {deadline:g} s passed before {operation} could be "
        "sent; allow more time with --deadline"
    )


class Deadline:
    """An overall time limit for one collection, enforced on every call of a session.

    ``attach`` hooks the session's event system (clients made afterwards inherit it): each
    API call and each retry attempt first checks ``remaining()`` and raises
    ``DeadlineExceeded`` once it is used up, so a throttled or unreachable endpoint can
    delay an audit by at most one call's timeout and one back-off beyond the deadline.
    """

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not seconds > 0 or not math.isfinite(seconds):
            raise ValueError(f"a deadline must be a positive number of seconds, not {seconds!r}")
        self.seconds = seconds
        self._clock = clock
        self._expires = clock() + seconds
        self._uid = f"iam-auditor-deadline-{id(self)}"

    def remaining(self) -> float:
        """Seconds left before the deadline (negative once it has passed)."""
        return self._expires - self._clock()

    @property
    def passed(self) -> bool:
        """Whether the deadline has passed."""
        return self.remaining() <= 0

    def error(self, operation: str) -> DeadlineExceeded:
        """The exception saying ``operation`` came too late."""
        return DeadlineExceeded(deadline=self.seconds, operation=operation)

    def check(self, operation: str) -> None:
        """Raise ``DeadlineExceeded`` for ``operation`` if the deadline has passed."""
        if self.passed:
            raise self.error(operation)

    def attach(self, session: boto3.Session) -> None:
        """Check the deadline before every call and every attempt of the session's clients."""
        session.events.register("before-call", self._on_call, unique_id=self._uid + "-call")
        session.events.register("before-send", self._on_send, unique_id=self._uid + "-send")

    def detach(self, session: boto3.Session) -> None:
        """Stop checking for clients created from ``session`` after this point."""
        session.events.unregister("before-call", unique_id=self._uid + "-call")
        session.events.unregister("before-send", unique_id=self._uid + "-send")

    def _on_call(self, model: OperationModel, **_: Any) -> None:
        self.check(action_name(model))

    def _on_send(self, event_name: str = "", **_: Any) -> None:
        # "before-send.iam.GetAccountSummary": the hyphenized service id and the operation.
        _event, service, operation = [*event_name.split(".", 2), "", ""][:3]
        service = _ACTION_PREFIX.get(service, service)
        self.check(f"{service}:{operation}" if operation else "the next request")

    def config(self, base: Config = CLIENT_CONFIG, *, at_most: int | None = None) -> Config:
        """``base`` with the user's retry settings and timeouts cut to the time left.

        ``at_most`` caps the attempts a call that ``AWS_MAX_ATTEMPTS`` may ask for.
        """
        return bounded_config(with_retry_environment(base, at_most=at_most), self.remaining())

    def fail_fast_config(self) -> Config:
        """``FAIL_FAST_CONFIG`` for this deadline: ``AWS_MAX_ATTEMPTS`` may only lower it.

        A user raises ``AWS_MAX_ATTEMPTS`` to ride out throttling of the large IAM reads;
        letting that also multiply the tries of every region's optional listing would
        bring back the stall this configuration exists to prevent. A lower value (``1``:
        no retries at all) is honoured.
        """
        return self.config(FAIL_FAST_CONFIG, at_most=FAIL_FAST_ATTEMPTS)


def with_retry_environment(
    base: Config, environ: Mapping[str, str] | None = None, *, at_most: int | None = None
) -> Config:
    """``base``, but with ``AWS_RETRY_MODE`` / ``AWS_MAX_ATTEMPTS`` when the user set them.

    An explicit client ``Config`` hides these standard variables from botocore; a user who
    sets them means them, so they are applied here. ``AWS_MAX_ATTEMPTS`` counts the first
    attempt too, as everywhere in the AWS SDKs; with ``at_most`` it is applied only up to
    that many attempts. Unset or unreadable values keep ``base``.
    """
    env = os.environ if environ is None else environ
    retries: dict[str, Any] = dict(getattr(base, "retries", None) or {})
    mode = env.get("AWS_RETRY_MODE", "").strip()
    if mode in ("standard", "adaptive", "legacy"):
        retries["mode"] = mode
    attempts = env.get("AWS_MAX_ATTEMPTS", "").strip()
    # isdigit() admits "²" and other digits int() refuses; only ASCII digits count.
    if attempts.isascii() and attempts.isdigit() and int(attempts) >= 1:
        retries.pop("max_attempts", None)
        retries["total_max_attempts"] = (
            int(attempts) if at_most is None else min(int(attempts), at_most)
        )
    if retries == (getattr(base, "retries", None) or {}):
        return base
    return base.merge(Config(retries=retries))  # type: ignore[arg-type]


def bounded_config(base: Config, remaining: float) -> Config:
    """``base`` whose connect and read timeouts do not exceed ``remaining`` seconds.

    Never below one second: a call made just before the deadline still gets a fair try,
    and the deadline check stops its retries.
    """
    cap = max(1.0, remaining)
    # botocore's Config sets its options as attributes at run time (unknown to the stubs).
    connect = min(float(getattr(base, "connect_timeout", 60)), cap)
    read = min(float(getattr(base, "read_timeout", 60)), cap)
    return base.merge(Config(connect_timeout=connect, read_timeout=read))


class CredentialsError(AuditorError):
    """Nothing can be audited with these credentials; ``str()`` is one line for the CLI.

    Raised for an unknown profile, missing, expired or rejected credentials, a role that
    cannot be assumed and an unreachable endpoint. The CLI prints it and exits with 2.
    """


def describe_credentials_failure(exc: BaseException, doing: str) -> str:
    """One line saying why ``doing`` (e.g. "identifying the account") failed."""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return (
            f"no usable AWS credentials while {doing}: set AWS_PROFILE or pass --profile, "
            "or provide credentials in the environment"
        )
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError | ReadTimeoutError):
        return f"cannot reach AWS while {doing}: {error_message(exc)}"
    if isinstance(exc, NoRegionError):
        return f"no AWS region configured while {doing}: pass --region or set AWS_REGION"
    code = error_code(exc)
    if code in _EXPIRED_CODES:
        return f"AWS credentials have expired ({code}) while {doing}: refresh them and retry"
    if code in _REJECTED_CODES:
        return f"AWS rejected the credentials ({code}) while {doing}: {error_message(exc)}"
    return f"{doing} failed: {code}: {error_message(exc)}"


def make_session(
    profile: str | None = None,
    region: str | None = None,
    role_arn: str | None = None,
    external_id: str | None = None,
    session_name: str = "iam-auditor",
) -> boto3.Session:
    """A boto3 session from ``profile`` (or the environment), optionally as ``role_arn``.

    With ``role_arn`` the role is assumed once through STS (with ``external_id`` when
    given) and the returned session holds its temporary credentials, valid for an hour,
    which covers an audit. Raises ``CredentialsError`` for an unknown profile or a role
    that cannot be assumed.
    """
    try:
        base = boto3.Session(profile_name=profile, region_name=region)
    except ProfileNotFound:
        config_file = os.environ.get("AWS_CONFIG_FILE", "~/.aws/config")
        raise CredentialsError(f"AWS profile {profile!r} not found in {config_file}") from None
    if role_arn is None:
        return base
    params: dict[str, Any] = {"RoleArn": role_arn, "RoleSessionName": session_name}
    if external_id:
        params["ExternalId"] = external_id
    try:
        sts = base.client("sts", config=IDENTITY_CONFIG)
        answer = sts.assume_role(**params)
    except (ClientError, BotoCoreError) as exc:
        if isinstance(exc, ParamValidationError):
            raise CredentialsError(f"cannot assume role {role_arn}: {error_message(exc)}") from None
        reason = describe_credentials_failure(exc, f"assuming role {role_arn}")
        raise CredentialsError(reason) from None
    creds = answer["Credentials"]
    return boto3.Session(
        aws_access_key_id=creds["AccessKeyId"],
        aws_secret_access_key=creds["SecretAccessKey"],
        aws_session_token=creds["SessionToken"],
        region_name=base.region_name,
    )


# The form AWS writes timestamps in (XML and JSON alike): 2026-11-23T09:58:12Z, with an
# optional fraction of up to microseconds and an optional offset instead of the Z.
_ISO_TIMESTAMP = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})?"
)


def parse_timestamp(value: Any) -> datetime:
    """What botocore's timestamp parser returns for ``value``, sooner for AWS's own form.

    botocore reads every timestamp with dateutil, some 100 µs each: on an account of
    thousands of users, half the collector's own time. A timestamp in the ISO 8601 form
    AWS writes is read by ``datetime.fromisoformat`` instead, which gives the same instant
    (only the ``tzinfo`` object differs, and ``as_utc`` normalises every timestamp);
    anything else (epoch seconds, RFC 822, an out-of-range field) goes to botocore's parser.
    """
    if isinstance(value, str) and _ISO_TIMESTAMP.fullmatch(value):
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass  # e.g. hour 24 or a leap second: botocore decides, as it always did
    parsed: datetime = botocore_parse_timestamp(value)
    return parsed


def read_timestamps_fast(session: boto3.Session) -> None:
    """Have ``session``'s clients parse response timestamps with ``parse_timestamp``.

    Set on the session's response parser factory, so it holds for its clients made before
    and after; only the collector's speed changes, not any value it reads.
    """
    factory = session._session.get_component("response_parser_factory")
    factory.set_parser_defaults(timestamp_parser=parse_timestamp)


def forget_service_models(session: boto3.Session) -> None:
    """Drop the service models that ``session``'s clients have read; later clients reread them.

    botocore's data loader keeps every JSON model it has parsed for the session's lifetime:
    EC2's alone is some 14 MB in memory, read for one ``DescribeRegions``, and with IAM's,
    STS's and Access Analyzer's it would stay beside the analysis and the report writers
    of an audit that makes no further call. Not for a loader that other threads are still
    creating clients from: the organization runner shares one between its accounts.
    """
    loader = session._session.get_component("data_loader")
    # The loader's memo of parsed files (botocore's ``instance_cache`` keeps it there).
    cache = getattr(loader, "_cache", None)
    if isinstance(cache, dict):
        cache.clear()


# IAM policy action prefixes where they differ from botocore's service name.
_ACTION_PREFIX = {"accessanalyzer": "access-analyzer"}
_CONTEXT_KEY = "iam_auditor_operation"


def action_name(model: OperationModel) -> str:
    """``access-analyzer:ListAnalyzers`` for botocore's ListAnalyzers operation model."""
    service = model.service_model.service_name
    return f"{_ACTION_PREFIX.get(service, service)}:{model.name}"


class CallRecorder:
    """Counts API calls (and HTTP attempts, retries included) per operation.

    ``attach`` it to a session before creating clients: clients copy the session's event
    handlers when they are made. A call is counted once however often it is retried;
    ``attempts`` counts each HTTP request sent (a stubbed call sends none) and ``retries``
    those of them that repeated a failed attempt. Thread-safe, so regional calls made from
    a pool are counted too.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._calls: Counter[str] = Counter()
        self._attempts: Counter[str] = Counter()
        self._retries: Counter[str] = Counter()
        self._uid = f"iam-auditor-recorder-{id(self)}"

    def attach(self, session: boto3.Session) -> None:
        """Start counting the calls of clients created from ``session`` from now on."""
        # before-parameter-build is emitted (not emitted-until-response) once per call, so
        # a Stubber or moto answering the call cannot hide it from us.
        session.events.register(
            "before-parameter-build", self._on_call, unique_id=self._uid + "-call"
        )
        session.events.register(
            "response-received", self._on_attempt, unique_id=self._uid + "-attempt"
        )

    def detach(self, session: boto3.Session) -> None:
        """Stop counting for clients created from ``session`` after this point."""
        session.events.unregister("before-parameter-build", unique_id=self._uid + "-call")
        session.events.unregister("response-received", unique_id=self._uid + "-attempt")

    def _on_call(self, model: OperationModel, context: dict[str, Any], **_: Any) -> None:
        name = action_name(model)
        context[_CONTEXT_KEY] = name
        with self._lock:
            self._calls[name] += 1

    def _on_attempt(self, context: dict[str, Any] | None = None, **_: Any) -> None:
        name = (context or {}).get(_CONTEXT_KEY)
        if name:
            # botocore numbers the attempts of one call from 1 in its retries context.
            attempt = ((context or {}).get("retries") or {}).get("attempt", 1)
            with self._lock:
                self._attempts[str(name)] += 1
                if isinstance(attempt, int) and attempt > 1:
                    self._retries[str(name)] += 1

    @property
    def calls(self) -> dict[str, int]:
        """API calls per operation, sorted by operation name."""
        with self._lock:
            return dict(sorted(self._calls.items()))

    @property
    def attempts(self) -> dict[str, int]:
        """HTTP requests sent per operation (retries included), sorted by operation name."""
        with self._lock:
            return dict(sorted(self._attempts.items()))

    @property
    def retries(self) -> dict[str, int]:
        """Retry attempts per operation (HTTP requests after a call's first), sorted."""
        with self._lock:
            return dict(sorted(self._retries.items()))

    @property
    def total(self) -> int:
        """All API calls counted so far."""
        with self._lock:
            return sum(self._calls.values())
