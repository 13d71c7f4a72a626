"""Local HTTP endpoints for end-to-end runs: moto, an Access Analyzer stub, the CLI's env.

``moto_server()`` runs moto in this process, so a test shapes the backend objects that the
CLI, a subprocess, reads over HTTP, and counts every AWS request it serves by operation.
``cli_env()`` gives a subprocess environment that reaches only these endpoints.
"""

# moto is an optional extra: import it where used.
# ruff: noqa: PLC0415
from __future__ import annotations

import io
import logging
import os
import re
import threading
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from auditor.demo.access_analyzer import (
    ACCESS_ANALYZER_ENDPOINT_ENV,
    AnalyzerWorld,
    region_from_authorization,
)

_SERVICE = re.compile(r"Credential=[^/,\s]+/\d{8}/[a-z0-9-]+/([a-z0-9-]+)/aws4_request")
_RPC_V2_PATH = re.compile(r"^/service/[^/]+/operation/([^/]+)$")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class CallRecorder:
    """Thread-safe counts of AWS operations, keyed ``service:Operation``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def record(self, operation: str) -> None:
        """Count one request."""
        with self._lock:
            self._counts[operation] += 1

    def counts(self) -> dict[str, int]:
        """A copy of the counts so far."""
        with self._lock:
            return dict(self._counts)

    def total(self) -> int:
        """Every request so far."""
        with self._lock:
            return sum(self._counts.values())

    def clear(self) -> None:
        """Forget every request."""
        with self._lock:
            self._counts.clear()


def operation_of(environ: Mapping[str, Any]) -> tuple[str, bytes | None]:
    """``service:Operation`` of a WSGI request, and its body if it had to be read.

    The service is the SigV4 signing name; the operation comes from ``X-Amz-Target``
    (JSON protocols), an RPC v2 path, or the ``Action`` of a query-protocol request (in
    the query string or the form body).
    """
    match = _SERVICE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    service = match.group(1) if match else "unsigned"
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}", None
    path = str(environ.get("PATH_INFO", ""))
    rpc = _RPC_V2_PATH.match(path)
    if rpc:
        return f"{service}:{rpc.group(1)}", None
    action = parse_qs(str(environ.get("QUERY_STRING", ""))).get("Action")
    if action:
        return f"{service}:{action[0]}", None
    body = None
    content_type = str(environ.get("CONTENT_TYPE", ""))
    length = str(environ.get("CONTENT_LENGTH") or "0")
    if content_type.startswith("application/x-www-form-urlencoded") and length.isdigit():
        body = environ["wsgi.input"].read(int(length))
        action = parse_qs(body.decode("utf-8", "replace")).get("Action")
        if action:
            return f"{service}:{action[0]}", body
    return f"{service}:{environ.get('REQUEST_METHOD', '?')} {path}", body


class CountingApp:
    """WSGI middleware: record each AWS request's operation, then let moto answer it."""

    def __init__(self, app: WsgiApp, recorder: CallRecorder) -> None:
        self.app = app
        self.recorder = recorder

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        """Count, put back any body read to find the operation, and delegate."""
        if not str(environ.get("PATH_INFO", "")).startswith("/moto-api"):
            operation, body = operation_of(environ)
            if body is not None:
                environ["wsgi.input"] = io.BytesIO(body)
            self.recorder.record(operation)
        return self.app(environ, start_response)


class MotoServer:
    """A running moto server: its endpoint, its request counts, and its control API."""

    def __init__(self, endpoint: str, recorder: CallRecorder) -> None:
        self.endpoint = endpoint
        self.recorder = recorder

    def _post(self, path: str, body: bytes = b"", content_type: str | None = None) -> None:
        request = urllib.request.Request(self.endpoint + path, data=body, method="POST")  # noqa: S310
        if content_type:
            request.add_header("Content-Type", content_type)
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - local http
            response.read()

    def reset(self) -> None:
        """Empty every backend (``POST /moto-api/reset``), stop enforcing IAM, zero counts.

        The reset replaces moto's backend objects: look ``iam_backend()`` up again after.
        """
        self._post("/moto-api/reset")
        self.stop_enforcing_auth()
        self.recorder.clear()

    def enforce_auth(self, after_requests: int = 0) -> None:
        """Make moto evaluate IAM policies for requests after the first ``after_requests``.

        Process-wide in moto (it also affects ``mock_aws`` in this process) until
        ``stop_enforcing_auth()`` or ``reset()``.
        """
        self._post("/moto-api/reset-auth", str(after_requests).encode(), "text/plain")

    def stop_enforcing_auth(self) -> None:
        """Back to moto's default: every request is allowed."""
        self._post("/moto-api/reset-auth", b"inf", "text/plain")

    def calls(self) -> dict[str, int]:
        """Requests served so far by ``service:Operation`` (moto's own API excluded)."""
        return self.recorder.counts()


@contextmanager
def moto_server(*, quiet: bool = True) -> Iterator[MotoServer]:
    """Run moto on a free port of 127.0.0.1 in a thread of this process; stop it on exit.

    moto keeps its accounts per process, not per server: a new server serves whatever
    this process already holds until ``reset()``. ``quiet`` silences werkzeug's line per
    request while the server runs.
    """
    from moto.server import ThreadedMotoServer

    access_log = logging.getLogger("werkzeug")
    level = access_log.level
    if quiet:
        access_log.setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        # Wrap the WSGI app before anyone knows the port, so every request is counted.
        recorder = CallRecorder()
        wsgi_server: Any = server._server
        wsgi_server.app = CountingApp(wsgi_server.app, recorder)
        host, port = server.get_host_and_port()
        yield MotoServer(f"http://{host}:{port}", recorder)
    finally:
        server.stop()
        access_log.setLevel(level)


class AccessAnalyzerStub:
    """A running Access Analyzer stub: its endpoint and the world it serves."""

    def __init__(self, endpoint: str, world: AnalyzerWorld) -> None:
        self.endpoint = endpoint
        self.world = world

    def set_analyzers(self, region: str, analyzers: list[dict[str, Any]]) -> None:
        """Replace ``region``'s analyzers (``ANY_REGION`` for every unlisted region)."""
        self.world.set_analyzers(region, analyzers)

    def fail(self, region: str, *, status: int = 403, code: str = "AccessDeniedException") -> None:
        """Make ``region`` answer ``ListAnalyzers`` with an error."""
        self.world.fail(region, status=status, code=code)

    def reset(self) -> None:
        """No analyzers anywhere, no failures, no recorded requests."""
        self.world.reset()

    def calls(self) -> int:
        """``ListAnalyzers`` requests received so far."""
        return self.world.calls()

    def regions_asked(self) -> list[str]:
        """The regions of the requests received so far, in order."""
        return [r.region or "" for r in list(self.world.requests)]


@contextmanager
def access_analyzer_stub(
    analyzers: Mapping[str, list[dict[str, Any]]] | None = None,
) -> Iterator[AccessAnalyzerStub]:
    """Serve ``ListAnalyzers`` on a free port of 127.0.0.1; stop on exit."""
    world = AnalyzerWorld()
    for region, listed in (analyzers or {}).items():
        world.set_analyzers(region, listed)

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            response = world.handle(self.command, self.path, dict(self.headers.items()))
            send_reply(self, response.status, response.headers, response.body)

        do_GET = do_POST = do_PUT = do_DELETE = _answer

        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

    with serve_locally(Handler) as endpoint:
        yield AccessAnalyzerStub(endpoint, world)


def send_reply(
    handler: BaseHTTPRequestHandler, status: int, headers: Mapping[str, str], body: bytes
) -> None:
    """Answer ``handler``'s request whole: status, ``headers``, a Content-Length, ``body``."""
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


@contextmanager
def serve_locally(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    """Serve ``handler`` from a thread on a free port of 127.0.0.1; yield its endpoint URL."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = httpd.server_address[:2]
        yield f"http://{host!s}:{port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join()


_ENV_PREFIXES_DROPPED = ("AWS_", "BOTO_", "BOTOCORE_")


def cli_env(endpoint: str, aa_endpoint: str | None = None, **extra: str) -> dict[str, str]:
    """A subprocess environment that reaches ``endpoint`` (and the stub) with fake keys.

    Starts from this process's environment without any ``AWS_*`` / ``BOTO*`` variable
    (no profile, no real keys, no other endpoint), then sets fake credentials,
    ``us-east-1``, ``AWS_ENDPOINT_URL`` and, given ``aa_endpoint``,
    ``AWS_ENDPOINT_URL_ACCESSANALYZER``. The config and credentials files point at the
    null device and instance metadata is off, so ``~/.aws`` and IMDS are never read.
    ``extra`` is applied last (e.g. another user's ``AWS_ACCESS_KEY_ID``).
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(_ENV_PREFIXES_DROPPED)}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's conventional fake key
        AWS_DEFAULT_REGION="us-east-1",
        AWS_ENDPOINT_URL=endpoint,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
        AWS_EC2_METADATA_DISABLED="true",
    )
    if aa_endpoint is not None:
        env[ACCESS_ANALYZER_ENDPOINT_ENV] = aa_endpoint
    env.update(extra)
    return env


__all__ = [
    "ACCESS_ANALYZER_ENDPOINT_ENV",
    "AccessAnalyzerStub",
    "CallRecorder",
    "CountingApp",
    "MotoServer",
    "access_analyzer_stub",
    "cli_env",
    "moto_server",
    "operation_of",
    "region_from_authorization",
]
