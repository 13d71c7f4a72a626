"""A pretend IAM Access Analyzer: just ``ListAnalyzers``, per region, told what to answer.

moto has none (every call is a 404), yet AA-001 needs one answer per enabled region.
``AnalyzerWorld`` turns one signed REST-JSON request into AWS's response, the region taken
from the SigV4 credential scope; ``testkit.server`` serves it over HTTP and
``account.install_demo_access_analyzer`` as a botocore hook.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

ACCESS_ANALYZER_ENDPOINT_ENV = "AWS_ENDPOINT_URL_ACCESSANALYZER"
"""boto3's service-specific endpoint variable for Access Analyzer (service id
``AccessAnalyzer``, so no hyphen or underscore); ``AWS_ENDPOINT_URL`` covers the rest."""

ANY_REGION = "*"
"""Key of ``AnalyzerWorld.analyzers`` answering for every region not listed itself."""

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


def region_from_authorization(header: str | bytes | None) -> str | None:
    """The region of a SigV4 ``Authorization`` header's credential scope, if any."""
    if header is None:
        return None
    text = header.decode("latin-1") if isinstance(header, bytes) else header
    match = _SCOPE.search(text)
    return match.group(1) if match else None


def analyzer(
    name: str = "ExternalAccess",
    *,
    region: str = "us-east-1",
    account_id: str = "123456789012",
    type: str = "ACCOUNT",
    status: str = "ACTIVE",
) -> dict[str, Any]:
    """One ``AnalyzerSummary`` as ``ListAnalyzers`` returns it."""
    return {
        "arn": f"arn:aws:access-analyzer:{region}:{account_id}:analyzer/{name}",
        "name": name,
        "type": type,
        "createdAt": "2024-01-15T09:30:00Z",
        "status": status,
    }


@dataclass(frozen=True)
class AnalyzerFailure:
    """An error a region answers with instead of its analyzers."""

    status: int = 403
    code: str = "AccessDeniedException"
    message: str = "User is not authorized to perform: access-analyzer:ListAnalyzers"


@dataclass(frozen=True)
class AnalyzerRequest:
    """One request the pretend service received (for call-count assertions)."""

    region: str | None
    method: str
    path: str
    operation: str


@dataclass(frozen=True)
class AnalyzerResponse:
    """What to send back: status, headers and a JSON body."""

    status: int
    headers: dict[str, str]
    body: bytes


@dataclass
class AnalyzerWorld:
    """What every region's Access Analyzer says; safe to change while serving.

    ``analyzers`` maps a region (or ``ANY_REGION``) to its analyzers; a region missing
    from both has none. ``failures`` maps a region (or ``ANY_REGION``) to an error.
    """

    analyzers: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: dict[str, AnalyzerFailure] = field(default_factory=dict)
    requests: list[AnalyzerRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def set_analyzers(self, region: str, analyzers: list[dict[str, Any]]) -> None:
        """Replace ``region``'s analyzers."""
        with self._lock:
            self.analyzers[region] = list(analyzers)

    def fail(
        self,
        region: str,
        *,
        status: int = 403,
        code: str = "AccessDeniedException",
        message: str = "User is not authorized to perform: access-analyzer:ListAnalyzers",
    ) -> None:
        """Make ``region`` (or ``ANY_REGION``) answer with an error."""
        with self._lock:
            self.failures[region] = AnalyzerFailure(status, code, message)

    def reset(self) -> None:
        """No analyzers, no failures, no recorded requests."""
        with self._lock:
            self.analyzers.clear()
            self.failures.clear()
            self.requests.clear()

    def calls(self, operation: str = "ListAnalyzers") -> int:
        """How many ``operation`` requests arrived, across regions."""
        with self._lock:
            return sum(1 for r in self.requests if r.operation == operation)

    def handle(self, method: str, url: str, headers: Mapping[str, str | bytes]) -> AnalyzerResponse:
        """Answer one request; ``url`` may be a full URL or a path with a query."""
        parts = urlsplit(url)
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        region = region_from_authorization(auth)
        operation = "ListAnalyzers" if (method, parts.path) == ("GET", "/analyzer") else "?"
        with self._lock:
            self.requests.append(AnalyzerRequest(region, method, parts.path, operation))
            if region is None:
                return _error(403, "MissingAuthenticationTokenException", "Missing SigV4 auth")
            if operation != "ListAnalyzers":
                return _error(404, "UnknownOperationException", f"{method} {parts.path}")
            failure = self.failures.get(region) or self.failures.get(ANY_REGION)
            if failure is not None:
                return _error(failure.status, failure.code, failure.message)
            found = self.analyzers.get(region, self.analyzers.get(ANY_REGION, []))
            wanted = parse_qs(parts.query).get("type")
            listed = [a for a in found if not wanted or a.get("type") in wanted]
        body = json.dumps({"analyzers": listed}).encode("utf-8")
        return AnalyzerResponse(200, {"Content-Type": "application/json"}, body)


def _error(status: int, code: str, message: str) -> AnalyzerResponse:
    body = json.dumps({"message": message}).encode("utf-8")
    headers = {"Content-Type": "application/json", "x-amzn-ErrorType": code}
    return AnalyzerResponse(status, headers, body)
