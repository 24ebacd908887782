"""A moto server process with cspm-ai's extensions, per-request latency, throttling and AccessDenied injection.

With `read_cache` on, a read repeated while nothing was written is answered from memory instead of
by moto again, so a benchmark measures the scanner's CPU and not the mock's.
"""

from __future__ import annotations

import argparse
import contextlib
import fnmatch
import functools
import io
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import IO, Any
from urllib.parse import parse_qs

__all__ = [
    "CACHE_PATH",
    "FAULTS_PATH",
    "STATS_PATH",
    "FaultInjector",
    "ReadCache",
    "is_read",
    "main",
    "running_server",
    "serve",
]

STATS_PATH = "/_cspm/stats"
FAULTS_PATH = "/_cspm/faults"
CACHE_PATH = "/_cspm/cache"
_READY_TIMEOUT_S = 60.0
_STOP_TIMEOUT_S = 10.0
_DEFAULT_ACCOUNT = "123456789012"

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# Credential-scope signing names whose botocore service name differs.
_SIGNING_TO_BOTOCORE = {
    "monitoring": "cloudwatch",
    "email": "ses",
    "states": "stepfunctions",
    "execute-api": "apigateway",
}
# Signing names shared by several botocore services (Bedrock's control plane and Agents for Bedrock sign
# as "bedrock"): a REST request is matched against each one's routes in turn.
_SHARED_SIGNING = {
    "bedrock": ("bedrock", "bedrock-agent"),
    "bedrock-agentcore": ("bedrock-agentcore-control", "bedrock-agentcore"),
}
_REASONS = {200: "OK", 400: "Bad Request", 403: "Forbidden", 404: "Not Found", 503: "Service Unavailable"}


class _Operation:
    """The service (IAM action prefix), operation name and wire protocol of one request."""

    __slots__ = ("service", "name", "protocol")

    def __init__(self, service: str, name: str, protocol: str) -> None:
        self.service = service
        self.name = name
        self.protocol = protocol

    @property
    def key(self) -> str:
        return f"{self.service}:{self.name}"


# Calls that hand out credentials change nothing a read answers (reads are keyed by account, not key): they
# neither empty the read cache nor are cached.
_SIGN_INS = frozenset({"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"})
# Operations that only read; a few real ones outside these prefixes (ReceiveMessage) are simply not cached.
_READ_PREFIXES = ("Describe", "Get", "List", "Search", "BatchGet", "Lookup", "Head")
# Query-string parameters of a presigned request that change with every signing.
_SIGNING_QUERY = frozenset(
    {"X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date", "X-Amz-Expires", "X-Amz-Security-Token",
     "X-Amz-Signature", "X-Amz-SignedHeaders"}
)  # fmt: skip
# Request headers that change with every send of the same call: signing, time, SDK bookkeeping.
_VOLATILE_HEADERS = frozenset(
    {"HTTP_AUTHORIZATION", "HTTP_X_AMZ_DATE", "HTTP_X_AMZ_SECURITY_TOKEN", "HTTP_X_AMZ_CONTENT_SHA256",
     "HTTP_USER_AGENT", "HTTP_X_AMZ_USER_AGENT", "HTTP_AMZ_SDK_INVOCATION_ID", "HTTP_AMZ_SDK_REQUEST",
     "HTTP_X_AMZN_TRACE_ID", "HTTP_CONNECTION", "HTTP_ACCEPT_ENCODING", "HTTP_CONTENT_LENGTH"}
)  # fmt: skip


def is_read(operation_name: str) -> bool:
    """Whether an operation only reads (Describe*, Get*, List*, Search*, ...), by AWS's naming."""
    return operation_name.startswith(_READ_PREFIXES)


def _body(environ: dict[str, Any]) -> bytes:
    """The request body, put back so moto can read it again."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length <= 0:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _scope_key(environ: dict[str, Any]) -> str:
    """Who asks, region and service of the signature, without its date or signature. Who asks is the account the
    access key belongs to (a role assumed again has a new key, and reads the same), except for STS, whose
    GetCallerIdentity answers which key it is."""
    from moto.iam.models import get_account_id_from

    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
    else:
        scope = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential", [""])[0]
    parts = scope.split("/")
    if len(parts) != 5:
        return scope
    who = parts[0] if parts[3] == "sts" else get_account_id_from(parts[0])
    return "/".join([who, *parts[2:4]])


class ReadCache:
    """Answers of read operations, keyed by what the request asks (operation, parameters, account,
    region), not by its signature or time: the same call signed again is the same read.

    Any other operation empties it, so an answer is never older than the last write.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._answers: dict[tuple[Any, ...], tuple[str, list[tuple[str, str]], bytes]] = {}
        self._generation = 0
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(operation: _Operation, environ: dict[str, Any]) -> tuple[Any, ...]:
        query = sorted(
            (name, value)
            for name, values in parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True).items()
            if name not in _SIGNING_QUERY
            for value in values
        )
        headers = sorted(
            (name, str(value))
            for name, value in environ.items()
            if name.startswith("HTTP_") and name not in _VOLATILE_HEADERS
        )
        return (
            operation.key,
            _scope_key(environ),
            environ.get("REQUEST_METHOD", "GET"),
            environ.get("PATH_INFO", ""),
            tuple(query),
            environ.get("CONTENT_TYPE", ""),
            tuple(headers),
            _body(environ),
        )

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._generation += 1

    def stats(self) -> dict[str, int]:
        with self._lock:
            return {"entries": len(self._answers), "hits": self.hits, "misses": self.misses}

    def reset_stats(self) -> None:
        with self._lock:
            self.hits = self.misses = 0

    def serve(
        self, app: WsgiApp, operation: _Operation, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        """Answer a read from memory, or from `app` and remember it; anything else but a sign-in empties the cache
        first."""
        if operation.key in _SIGN_INS:
            return app(environ, start_response)
        if not is_read(operation.name):
            self.clear()
            return app(environ, start_response)
        key = self.key(operation, environ)
        with self._lock:
            answer = self._answers.get(key)
            generation = self._generation
            if answer is not None:
                self.hits += 1
            else:
                self.misses += 1
        if answer is None:
            answer = _capture(app, environ)
            status = int(answer[0].split(" ", 1)[0])
            with self._lock:
                # A write that landed while moto answered may have changed what it would answer now.
                if status < 500 and generation == self._generation:
                    self._answers[key] = answer
        status_line, headers, body = answer
        start_response(status_line, list(headers))
        return [body]


def _capture(app: WsgiApp, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
    """Run a WSGI app to the end and keep its status, headers and whole body."""
    chunks: list[bytes] = []
    started: dict[str, Any] = {}

    def recording(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
        started["status"], started["headers"] = status, list(headers)
        return chunks.append

    result = app(environ, recording)
    try:
        for chunk in result:
            chunks.append(chunk)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return started["status"], started["headers"], b"".join(chunks)


class FaultInjector:
    """WSGI middleware: delay, count, deny and throttle AWS requests before moto sees them."""

    def __init__(
        self,
        app: WsgiApp,
        latency_ms: float = 0.0,
        throttle_rate: float = 0.0,
        deny: Sequence[str] = (),
        seed: int = 0,
        read_cache: bool = False,
    ) -> None:
        if not 0.0 <= throttle_rate <= 1.0:
            raise ValueError("throttle_rate must be within [0, 1]")
        self.app = app
        self.cache = ReadCache() if read_cache else None
        self.latency_s = max(latency_ms, 0.0) / 1000.0
        self.throttle_rate = throttle_rate
        # IAM action names are case-insensitive; patterns may use * and ? like IAM.
        self.deny = tuple(pattern.strip().lower() for pattern in deny if pattern.strip())
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()
        self.throttled: Counter[str] = Counter()
        self.denied: Counter[str] = Counter()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith("/_cspm/"):
            return self._control(environ, start_response, path)
        if path.startswith("/moto-api"):
            if self.cache is not None:
                self.cache.clear()  # a reset or a state change behind the API's back
            return self.app(environ, start_response)
        if self.latency_s:
            # Sleeping in the handler thread lets concurrent requests overlap, as on a network.
            time.sleep(self.latency_s)
        operation = identify(environ)
        if operation is None:
            if self.cache is not None and environ.get("REQUEST_METHOD", "GET") not in ("GET", "HEAD"):
                self.cache.clear()
            return self.app(environ, start_response)
        with self._lock:
            self.calls[operation.key] += 1
            denied = self._is_denied(operation)
            throttled = not denied and self.throttle_rate > 0.0 and self._random.random() < self.throttle_rate
            if denied:
                self.denied[operation.key] += 1
            elif throttled:
                self.throttled[operation.key] += 1
        if denied:
            return _respond(start_response, *_access_denied(operation, environ))
        if throttled:
            return _respond(start_response, *_throttling(operation))
        if self.cache is not None:
            return self.cache.serve(self.app, operation, environ, start_response)
        return self.app(environ, start_response)

    def _is_denied(self, operation: _Operation) -> bool:
        key = operation.key.lower()
        return any(fnmatch.fnmatchcase(key, pattern) for pattern in self.deny)

    def _control(self, environ: dict[str, Any], start_response: StartResponse, path: str) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        json_type = {"Content-Type": "application/json"}
        if path not in (STATS_PATH, FAULTS_PATH, CACHE_PATH):
            return _respond(start_response, 404, json_type, b'{"error": "not found"}')
        if path == CACHE_PATH:
            return _respond(start_response, 200, json_type, json.dumps(self._cache_control(method)).encode())
        with self._lock:
            if method == "DELETE":
                self.calls.clear()
                self.throttled.clear()
                self.denied.clear()
                body: dict[str, Any] = {}
            elif path == STATS_PATH:
                body = dict(sorted(self.calls.items()))
            else:
                body = {
                    "throttled": dict(sorted(self.throttled.items())),
                    "denied": dict(sorted(self.denied.items())),
                }
        return _respond(start_response, 200, json_type, json.dumps(body).encode())

    def _cache_control(self, method: str) -> dict[str, Any]:
        """GET: the read cache's counts; DELETE: empty it and zero them."""
        if self.cache is None:
            return {"enabled": False}
        if method == "DELETE":
            self.cache.clear()
            self.cache.reset_stats()
        return {"enabled": True, **self.cache.stats()}


def _respond(start_response: StartResponse, status: int, headers: dict[str, str], body: bytes) -> list[bytes]:
    header_list = [*headers.items(), ("Content-Length", str(len(body)))]
    start_response(f"{status} {_REASONS.get(status, 'Error')}", header_list)
    return [body]


# ------------------------------------------------------------------ identifying the operation


@functools.cache
def _protocol(botocore_service: str) -> str:
    import botocore.session

    try:
        model = botocore.session.get_session().get_service_model(botocore_service)
    except Exception:  # an unknown signing name: answer in the most common protocol
        return "json"
    return str(model.metadata.get("protocol", "json"))


def _credential_scope(environ: dict[str, Any]) -> str | None:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = ""
    if "Credential=" in auth:
        scope = auth.split("Credential=", 1)[1].split(",", 1)[0]
    else:
        credential = parse_qs(environ.get("QUERY_STRING", "")).get("X-Amz-Credential")
        if credential:
            scope = credential[0]
    parts = scope.split("/")
    return parts[3].lower() if len(parts) == 5 else None


def _access_key(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    if "Credential=" in auth:
        return auth.split("Credential=", 1)[1].split("/", 1)[0]
    return ""


def _form_action(environ: dict[str, Any]) -> str | None:
    action = parse_qs(environ.get("QUERY_STRING", "")).get("Action")
    if action:
        return action[0]
    if "x-www-form-urlencoded" not in environ.get("CONTENT_TYPE", ""):
        return None
    body = _body(environ)
    if not body:
        return None
    form_action = parse_qs(body.decode("utf-8", "replace")).get("Action")
    return form_action[0] if form_action else None


def _rest_operation(botocore_service: str, environ: dict[str, Any]) -> str | None:
    from moto.core.request import Request
    from moto.core.routing import get_service_router

    headers_only = dict(environ)
    headers_only["wsgi.input"] = io.BytesIO(b"")
    headers_only["CONTENT_LENGTH"] = "0"
    try:
        operation, _ = get_service_router(botocore_service).match(Request(headers_only))
    except Exception:  # no route: count it under the HTTP method instead
        return None
    return str(operation.name)


def identify(environ: dict[str, Any]) -> _Operation | None:
    """Name the AWS operation a WSGI request targets, the way moto itself routes it."""
    signing = _credential_scope(environ)
    if signing is None:
        return None
    botocore_service = _SIGNING_TO_BOTOCORE.get(signing, signing)
    protocol = _protocol(botocore_service)
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return _Operation(signing, target.rsplit(".", 1)[-1], protocol)
    if protocol in ("query", "ec2"):
        action = _form_action(environ)
        if action:
            return _Operation(signing, action, protocol)
    candidates = _SHARED_SIGNING.get(signing, (botocore_service,))
    name = next(
        (found for candidate in candidates if (found := _rest_operation(candidate, environ))),
        environ.get("REQUEST_METHOD", "GET"),
    )
    return _Operation(signing, name, protocol)


# ------------------------------------------------------------------ error bodies


def _request_id() -> str:
    return str(uuid.uuid4())


def _json_error(status: int, code: str, message: str, protocol: str) -> tuple[int, dict[str, str], bytes]:
    request_id = _request_id()
    content_type = "application/x-amz-json-1.1" if protocol == "json" else "application/json"
    headers = {"Content-Type": content_type, "x-amzn-RequestId": request_id, "x-amzn-ErrorType": code}
    return status, headers, json.dumps({"__type": code, "message": message, "Message": message}).encode()


def _query_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    request_id = _request_id()
    body = (
        "<ErrorResponse><Error><Type>Sender</Type>"
        f"<Code>{code}</Code><Message>{message}</Message></Error>"
        f"<RequestId>{request_id}</RequestId></ErrorResponse>"
    )
    return status, {"Content-Type": "text/xml", "x-amzn-RequestId": request_id}, body.encode()


def _ec2_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    request_id = _request_id()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Response><Errors><Error><Code>{code}</Code><Message>{message}</Message></Error></Errors>"
        f"<RequestID>{request_id}</RequestID></Response>"
    )
    return status, {"Content-Type": "text/xml;charset=UTF-8"}, body.encode()


def _s3_error(status: int, code: str, message: str) -> tuple[int, dict[str, str], bytes]:
    request_id = uuid.uuid4().hex[:16].upper()
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{code}</Code><Message>{message}</Message>"
        f"<RequestId>{request_id}</RequestId><HostId>{uuid.uuid4().hex}</HostId></Error>"
    )
    return status, {"Content-Type": "application/xml", "x-amz-request-id": request_id}, body.encode()


def _throttling(operation: _Operation) -> tuple[int, dict[str, str], bytes]:
    """The throttling error each protocol's real services send."""
    if operation.protocol == "ec2":
        return _ec2_error(503, "RequestLimitExceeded", "Request limit exceeded.")
    if operation.protocol == "rest-xml":
        return _s3_error(503, "SlowDown", "Please reduce your request rate.")
    if operation.protocol == "query":
        return _query_error(400, "Throttling", "Rate exceeded")
    return _json_error(400, "ThrottlingException", "Rate exceeded", operation.protocol)


def _access_denied(operation: _Operation, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
    access_key = _access_key(environ)
    account = access_key if access_key.isdigit() and len(access_key) == 12 else _DEFAULT_ACCOUNT
    action = f"{operation.service}:{operation.name}"
    message = (
        f"User: arn:aws:iam::{account}:user/cspm-scanner is not authorized to perform: {action} "
        f"because no identity-based policy allows the {action} action"
    )
    if operation.protocol == "ec2":
        return _ec2_error(403, "UnauthorizedOperation", "You are not authorized to perform this operation.")
    if operation.protocol == "rest-xml":
        return _s3_error(403, "AccessDenied", "Access Denied")
    if operation.protocol == "query":
        return _query_error(403, "AccessDenied", message)
    status = 403 if operation.protocol == "rest-json" else 400
    return _json_error(status, "AccessDeniedException", message, operation.protocol)


# ------------------------------------------------------------------ serving


def serve(
    port: int,
    host: str = "127.0.0.1",
    latency_ms: float = 0.0,
    throttle_rate: float = 0.0,
    deny: Sequence[str] = (),
    seed: int = 0,
    ready: IO[str] | None = None,
    read_cache: bool = False,
) -> None:
    """Run the server in this thread until SIGTERM/SIGINT; print "ready <port>" once listening."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from moto_fixtures.extensions import install

    install()
    app = FaultInjector(
        DomainDispatcherApplication(create_backend_app),
        latency_ms=latency_ms,
        throttle_rate=throttle_rate,
        deny=deny,
        seed=seed,
        read_cache=read_cache,
    )

    class QuietHandler(MotoRequestHandler):
        # One log line per request on a pipe nobody drains would eventually block the server.
        def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
            return None

    server = make_server(host, port, app, threaded=True, request_handler=QuietHandler)

    def stop(_signum: int, _frame: Any) -> None:
        # shutdown() waits for serve_forever() to return, so it cannot run in this thread.
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    out = ready or sys.stdout
    out.write(f"ready {server.server_port}\n")
    out.flush()
    try:
        server.serve_forever()
    finally:
        server.server_close()


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m moto_fixtures.server", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port to listen on (0 = any free port)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--latency-ms", type=float, default=0.0, help="delay added to every AWS request")
    parser.add_argument("--throttle-rate", type=float, default=0.0, help="share of requests throttled, 0..1")
    parser.add_argument(
        "--deny",
        action="append",
        default=[],
        help="service:Operation to answer with AccessDenied (comma separated or repeated; * and ? allowed)",
    )
    parser.add_argument("--seed", type=int, default=0, help="seed for choosing throttled requests")
    parser.add_argument(
        "--read-cache",
        action="store_true",
        help="answer a repeated read from memory until the next write (keeps moto's CPU out of benchmarks)",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> None:
    """Command-line entry point."""
    args = _parse_args(argv)
    deny = [item for value in args.deny for item in value.split(",") if item.strip()]
    serve(
        port=args.port,
        host=args.host,
        latency_ms=args.latency_ms,
        throttle_rate=args.throttle_rate,
        deny=deny,
        seed=args.seed,
        read_cache=args.read_cache,
    )


def _drain(stream: IO[str]) -> None:
    for _line in stream:
        pass


@contextlib.contextmanager
def running_server(
    latency_ms: float = 0,
    throttle_rate: float = 0.0,
    deny: Sequence[str] = (),
    port: int | None = None,
    seed: int = 0,
    read_cache: bool = False,
) -> Iterator[str]:
    """Start `python -m moto_fixtures.server` in a subprocess; yield its endpoint URL; stop it."""
    command = [
        sys.executable,
        "-m",
        "moto_fixtures.server",
        "--port",
        str(port or 0),
        "--latency-ms",
        str(latency_ms),
        "--throttle-rate",
        str(throttle_rate),
        "--seed",
        str(seed),
    ]
    for pattern in deny:
        command += ["--deny", pattern]
    if read_cache:
        command.append("--read-cache")
    env = dict(os.environ)
    # The child must import this package from the same tree, installed or not.
    package_root = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    with tempfile.TemporaryFile(mode="w+") as stderr:
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=stderr,
            stdin=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        try:
            bound_port = _await_ready(process, stderr)
            assert process.stdout is not None
            threading.Thread(target=_drain, args=(process.stdout,), daemon=True).start()
            yield f"http://127.0.0.1:{bound_port}"
        finally:
            _stop(process)


def _await_ready(process: subprocess.Popen[str], stderr: IO[str]) -> int:
    assert process.stdout is not None
    result: dict[str, str] = {}

    def read_line() -> None:
        assert process.stdout is not None
        result["line"] = process.stdout.readline()

    reader = threading.Thread(target=read_line, daemon=True)
    reader.start()
    reader.join(_READY_TIMEOUT_S)
    line = result.get("line", "")
    if not line.startswith("ready "):
        _stop(process)
        stderr.seek(0)
        raise RuntimeError(f"moto server did not start (got {line!r}):\n{stderr.read()[-4000:]}")
    return int(line.split()[1])


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=_STOP_TIMEOUT_S)


if __name__ == "__main__":
    main()
