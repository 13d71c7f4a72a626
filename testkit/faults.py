"""A fault-injecting HTTP proxy in front of the local moto server and Access Analyzer stub.

A ``FaultPlan`` fails a share of requests with throttling (in each service's own error
shape), 5xx answers, dropped connections or delays, plus ``FaultRule`` s that always fail
matching operations. Each decision hashes the seed, the request and its retry attempt, so
thread interleaving does not change which requests fail.
"""

from __future__ import annotations

import hashlib
import http.client
import io
import json
import re
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from fnmatch import fnmatchcase
from http.server import BaseHTTPRequestHandler
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from auditor.demo.access_analyzer import region_from_authorization
from testkit.server import operation_of, send_reply, serve_locally

_ATTEMPT = re.compile(r"attempt=(\d+)")
# Operations of REST services, which name them by method and path only.
_REST_OPERATIONS = {("access-analyzer", "GET", "/analyzer"): "ListAnalyzers"}
_HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}
)


class FaultKind(StrEnum):
    """What the proxy does instead of (or before) forwarding a request."""

    THROTTLE = "throttle"
    """HTTP 400 with the service's throttling code (``Throttling``, ``ThrottlingException``…)."""
    THROTTLE_429 = "throttle-429"
    """The same throttling error with HTTP 429."""
    ERROR_500 = "http-500"
    """HTTP 500 ``InternalFailure``."""
    ERROR_503 = "http-503"
    """HTTP 503 ``ServiceUnavailable``."""
    DROP = "drop"
    """The request is read, then the connection is closed without an answer."""
    SLOW = "slow"
    """The request is answered normally after ``FaultPlan.delay`` seconds."""
    ERROR = "error"
    """A ``FaultRule``'s fixed error answer (its ``code`` and ``status``)."""


MIXED: Mapping[FaultKind, float] = MappingProxyType(
    {
        FaultKind.THROTTLE: 3,
        FaultKind.THROTTLE_429: 1,
        FaultKind.ERROR_500: 1,
        FaultKind.ERROR_503: 1,
        FaultKind.DROP: 1,
        FaultKind.SLOW: 1,
    }
)
"""Every kind of random fault, throttling the most common as it is against real AWS."""


@dataclass(frozen=True)
class FaultRule:
    """Fail every request whose ``service:Operation`` matches ``operation`` (a glob).

    ``kind`` ``ERROR`` answers ``code`` with HTTP ``status`` (``AccessDenied``, 403 by
    default); any other kind is injected as the random faults are.
    """

    operation: str
    kind: FaultKind = FaultKind.ERROR
    code: str = "AccessDenied"
    status: int = 403
    message: str = "injected by the fault proxy"

    def matches(self, operation: str) -> bool:
        """Whether this rule applies to ``operation`` (``iam:GetAccountPasswordPolicy``)."""
        return fnmatchcase(operation, self.operation)


@dataclass(frozen=True)
class FaultPlan:
    """What goes wrong: ``rate`` of requests get a fault drawn from ``kinds``; ``rules`` always.

    ``seed`` fixes which requests; ``delay`` is the ``SLOW`` fault's wait in seconds.
    Operations matching a glob in ``spare`` never get a random fault (rules still apply).
    """

    rate: float = 0.0
    seed: int = 0
    kinds: Mapping[FaultKind, float] = field(default_factory=lambda: dict(MIXED))
    rules: tuple[FaultRule, ...] = ()
    delay: float = 0.2
    spare: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"rate must be between 0 and 1, not {self.rate!r}")
        if self.rate > 0 and not any(w > 0 for w in self.kinds.values()):
            raise ValueError("a positive rate needs at least one fault kind with a weight")

    def rule_for(self, operation: str) -> FaultRule | None:
        """The first rule matching ``operation``, if any."""
        return next((r for r in self.rules if r.matches(operation)), None)

    def decide(self, key: str, operation: str) -> tuple[FaultKind, FaultRule | None] | None:
        """The fault for the request identified by ``key`` (see ``request_key``), or None."""
        rule = self.rule_for(operation)
        if rule is not None:
            return rule.kind, rule
        if self.rate <= 0 or any(fnmatchcase(operation, g) for g in self.spare):
            return None
        draw, pick = _uniforms(f"{self.seed}\0{key}")
        if draw >= self.rate:
            return None
        weighted = [(kind, w) for kind, w in self.kinds.items() if w > 0]
        total = sum(w for _, w in weighted)
        point = pick * total
        for kind, weight in weighted:
            point -= weight
            if point < 0:
                return kind, None
        return weighted[-1][0], None


def _uniforms(text: str) -> tuple[float, float]:
    """Two numbers in [0, 1) derived from ``text``: stable across runs and processes."""
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).digest()
    scale = float(1 << 64)
    return (
        int.from_bytes(digest[:8], "big") / scale,
        int.from_bytes(digest[8:16], "big") / scale,
    )


def request_key(
    operation: str, region: str | None, method: str, path: str, body: bytes, *, attempt: int
) -> str:
    """What makes one request distinct for fault decisions (without its occurrence count)."""
    body_hash = hashlib.sha256(body).hexdigest()[:16]
    return f"{operation}\0{region or '-'}\0{method} {path}\0{body_hash}\0{attempt}"


def attempt_of(header: str | None) -> int:
    """botocore's attempt number from ``amz-sdk-request: attempt=2; max=11`` (1 if absent)."""
    match = _ATTEMPT.search(header or "")
    return int(match.group(1)) if match else 1


class FaultStats:
    """Thread-safe counts: requests seen (by operation, and region), faults (by kind), retries.

    A retry is a request whose ``amz-sdk-request`` header says it is attempt 2 or later
    of one API call, so the count is what the client did, not what the proxy guessed.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()
        self.requests_by_region: Counter[tuple[str, str]] = Counter()
        self.faults: Counter[FaultKind] = Counter()
        self.faults_by_operation: Counter[str] = Counter()
        self.retries_by_operation: Counter[str] = Counter()
        self._seen: Counter[str] = Counter()

    def record(self, operation: str, key: str, attempt: int, region: str | None = None) -> int:
        """Count one request; returns how many times this exact ``key`` was seen before."""
        with self._lock:
            self.requests[operation] += 1
            self.requests_by_region[(operation, region or "-")] += 1
            if attempt > 1:
                self.retries_by_operation[operation] += 1
            occurrence = self._seen[key]
            self._seen[key] += 1
            return occurrence

    def record_fault(self, operation: str, kind: FaultKind) -> None:
        """Count one injected fault."""
        with self._lock:
            self.faults[kind] += 1
            self.faults_by_operation[operation] += 1

    def in_regions(self, operation: str) -> dict[str, int]:
        """Requests for ``operation`` per region of their signature (``-``: none), sorted."""
        with self._lock:
            found = {r: n for (op, r), n in self.requests_by_region.items() if op == operation}
        return dict(sorted(found.items()))

    def reset(self) -> None:
        """Forget everything counted (and every request seen, so decisions start over)."""
        with self._lock:
            self.requests.clear()
            self.requests_by_region.clear()
            self.faults.clear()
            self.faults_by_operation.clear()
            self.retries_by_operation.clear()
            self._seen.clear()

    def summary(self) -> dict[str, Any]:
        """``{"requests": N, "faulted": N, "faults": {kind: N}, "retries": N}``, a copy."""
        with self._lock:
            faults = {str(k): n for k, n in sorted(self.faults.items())}
            return {
                "requests": sum(self.requests.values()),
                "faulted": sum(self.faults.values()),
                "faults": faults,
                "retries": sum(self.retries_by_operation.values()),
            }


# --- error answers in each protocol's shape -------------------------------------------------

_QUERY_XMLNS = {
    "iam": "https://iam.amazonaws.com/doc/2010-05-08/",
    "sts": "https://sts.amazonaws.com/doc/2011-06-15/",
}


@dataclass(frozen=True)
class Answer:
    """An HTTP answer the proxy makes up."""

    status: int
    headers: Mapping[str, str]
    body: bytes


def protocol_of(service: str, headers: Mapping[str, str]) -> str:
    """``query``, ``ec2``, ``json`` or ``rest-json``: how ``service`` shapes its errors."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if service == "ec2":
        return "ec2"
    if "x-amz-target" in lowered:
        return "json"
    if lowered.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return "query"
    return "rest-json"


def _throttle_code(service: str, protocol: str) -> str:
    if protocol == "query":
        return "Throttling"
    if protocol == "ec2":
        return "RequestLimitExceeded"
    if service == "organizations":
        return "TooManyRequestsException"
    return "ThrottlingException"


def error_answer(
    service: str, protocol: str, *, status: int, code: str, message: str, request_id: str
) -> Answer:
    """An error answer as ``service`` would send it, parseable by botocore."""
    if protocol in ("query", "ec2"):
        safe = _xml_escape(message)
        if protocol == "ec2":
            body = (
                "<?xml version='1.0' encoding='UTF-8'?>\n<Response><Errors><Error>"
                f"<Code>{code}</Code><Message>{safe}</Message></Error></Errors>"
                f"<RequestID>{request_id}</RequestID></Response>"
            )
        else:
            kind = "Receiver" if status >= 500 else "Sender"
            xmlns = _QUERY_XMLNS.get(service, f"https://{service}.amazonaws.com/doc/")
            body = (
                f'<ErrorResponse xmlns="{xmlns}"><Error><Type>{kind}</Type>'
                f"<Code>{code}</Code><Message>{safe}</Message></Error>"
                f"<RequestId>{request_id}</RequestId></ErrorResponse>"
            )
        headers = {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}
        return Answer(status, headers, body.encode("utf-8"))
    if protocol == "json":
        payload = f'{{"__type": "{code}", "message": {_json_string(message)}}}'
        headers = {
            "Content-Type": "application/x-amz-json-1.1",
            "x-amzn-RequestId": request_id,
            "x-amzn-ErrorType": code,
        }
        return Answer(status, headers, payload.encode("utf-8"))
    payload = f'{{"message": {_json_string(message)}}}'
    headers = {
        "Content-Type": "application/json",
        "x-amzn-RequestId": request_id,
        "x-amzn-ErrorType": f"{code}:http://internal.amazon.com/coral/com.amazon.coral.service/",
    }
    return Answer(status, headers, payload.encode("utf-8"))


def fault_answer(service: str, protocol: str, kind: FaultKind, request_id: str) -> Answer:
    """The made-up answer of an error ``kind`` (not ``DROP``, ``SLOW`` or ``ERROR``)."""
    if kind in (FaultKind.THROTTLE, FaultKind.THROTTLE_429):
        status = 429 if kind is FaultKind.THROTTLE_429 else 400
        code = _throttle_code(service, protocol)
        return error_answer(
            service,
            protocol,
            status=status,
            code=code,
            message="Rate exceeded",
            request_id=request_id,
        )
    if kind is FaultKind.ERROR_500:
        code = "InternalError" if protocol == "ec2" else "InternalFailure"
        message = "An internal error occurred"
        return error_answer(
            service, protocol, status=500, code=code, message=message, request_id=request_id
        )
    if kind is FaultKind.ERROR_503:
        code = "Unavailable" if protocol == "ec2" else "ServiceUnavailable"
        message = "Service is unavailable"
        return error_answer(
            service, protocol, status=503, code=code, message=message, request_id=request_id
        )
    raise ValueError(f"{kind} has no made-up answer")


def _xml_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _json_string(text: str) -> str:
    return json.dumps(text)


# --- the proxy ------------------------------------------------------------------------------


@dataclass
class FaultProxy:
    """A running fault proxy: its endpoint, its plan (replaceable) and its counts."""

    endpoint: str
    plan: FaultPlan
    stats: FaultStats = field(default_factory=FaultStats)

    def set_plan(self, plan: FaultPlan) -> None:
        """Use ``plan`` from the next request on and start counting afresh."""
        self.plan = plan
        self.stats.reset()


def describe_request(
    method: str, path: str, headers: Mapping[str, str], body: bytes
) -> tuple[str, str]:
    """``(service, "service:Operation")`` of a signed AWS request, like the moto server counts.

    REST operations the proxy knows by path (Access Analyzer's ``ListAnalyzers``) get their
    names; any other REST request is named by method and path.
    """
    lowered = {k.lower(): v for k, v in headers.items()}
    split = urlsplit(path)
    environ: dict[str, Any] = {
        "HTTP_AUTHORIZATION": lowered.get("authorization", ""),
        "HTTP_X_AMZ_TARGET": lowered.get("x-amz-target", ""),
        "PATH_INFO": split.path,
        "QUERY_STRING": split.query,
        "CONTENT_TYPE": lowered.get("content-type", ""),
        "CONTENT_LENGTH": str(len(body)),
        "REQUEST_METHOD": method,
        "wsgi.input": io.BytesIO(body),
    }
    operation, _ = operation_of(environ)
    service, _, rest = operation.partition(":")
    named = _REST_OPERATIONS.get((service, method, split.path.rstrip("/")))
    if named is not None and rest == f"{method} {split.path}":
        operation = f"{service}:{named}"
    return service, operation


@contextmanager
def fault_proxy(
    upstream: str,
    plan: FaultPlan | None = None,
    *,
    routes: Mapping[str, str] | None = None,
) -> Iterator[FaultProxy]:
    """Run a fault proxy forwarding to ``upstream`` on a free port of 127.0.0.1.

    ``routes`` sends requests signed for a service (``access-analyzer``) to another
    endpoint. The plan can be swapped while the proxy runs (``set_plan``).
    """
    routing = {name: urlsplit(url) for name, url in (routes or {}).items()}
    default = urlsplit(upstream)
    proxy = FaultProxy(endpoint="", plan=plan or FaultPlan())
    ids = iter(range(1, 1 << 62))
    id_lock = threading.Lock()

    def next_request_id() -> str:
        with id_lock:
            return f"00000000-fa17-0000-0000-{next(ids):012d}"

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = dict(self.headers.items())
            service, operation = describe_request(self.command, self.path, headers, body)
            attempt = attempt_of(self.headers.get("amz-sdk-request"))
            region = region_from_authorization(self.headers.get("Authorization"))
            key = request_key(operation, region, self.command, self.path, body, attempt=attempt)
            current = proxy.plan
            occurrence = proxy.stats.record(operation, key, attempt, region)
            decision = current.decide(f"{key}\0{occurrence}", operation)
            if decision is not None:
                kind, rule = decision
                proxy.stats.record_fault(operation, kind)
                if kind is FaultKind.DROP:
                    self.close_connection = True
                    return
                if kind is FaultKind.SLOW:
                    time.sleep(current.delay)
                else:
                    protocol = protocol_of(service, headers)
                    if rule is not None and kind is FaultKind.ERROR:
                        answer = error_answer(
                            service,
                            protocol,
                            status=rule.status,
                            code=rule.code,
                            message=rule.message,
                            request_id=next_request_id(),
                        )
                    else:
                        answer = fault_answer(service, protocol, kind, next_request_id())
                    send_reply(self, answer.status, answer.headers, answer.body)
                    return
            self._forward(routing.get(service, default), headers, body)

        def _forward(self, target: Any, headers: Mapping[str, str], body: bytes) -> None:
            connection = http.client.HTTPConnection(target.hostname, target.port, timeout=120)
            try:
                # The Host header stays as signed: moto checks signatures when enforcing IAM.
                connection.request(self.command, self.path, body=body, headers=dict(headers))
                response = connection.getresponse()
                payload = response.read()
                answer = Answer(
                    response.status,
                    {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP},
                    payload,
                )
            finally:
                connection.close()
            send_reply(self, answer.status, answer.headers, answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    with serve_locally(Handler) as endpoint:
        proxy.endpoint = endpoint
        yield proxy


__all__ = [
    "MIXED",
    "Answer",
    "FaultKind",
    "FaultPlan",
    "FaultProxy",
    "FaultRule",
    "FaultStats",
    "attempt_of",
    "describe_request",
    "error_answer",
    "fault_answer",
    "fault_proxy",
    "protocol_of",
    "request_key",
]
