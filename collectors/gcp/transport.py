"""HTTP for the Google reads: each attempt bounded as a whole, and a retry policy with two budgets.

requests (under google-auth's sessions and the generated REST clients) takes a
timeout that bounds each socket operation, not the attempt: a server that sends
a few bytes every second held one read 28.6 s under a 3 s timeout.
`BoundedAdapter` bounds the whole attempt (connecting, the answer's headers and
its body) with a watchdog that shuts the connection's socket down when the
attempt's time is up.

`ReadRetry` gives a read that got no answer at all (refused, reset,
unresolvable, a failed TLS handshake, timed out) a few attempts, as botocore's
standard retries and azure-core do, and a read answered "try later" (429, 500,
503) the long deadline a throttled scan needs to finish with the same results.
"""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import requests
from requests.adapters import HTTPAdapter
from urllib3 import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.connection import HTTPConnection, HTTPSConnection

CONNECT_TIMEOUT = 10.0  # seconds to open a connection (TCP and TLS); a DNS lookup is bounded by the resolver
ATTEMPT_TIMEOUT = 60.0  # seconds one HTTP attempt may take in all: connecting, the headers and the body
NETWORK_ATTEMPTS = 3  # attempts of a read that gets no answer (botocore's standard mode makes 3, azure-core 4)
RETRY_DEADLINE = 600.0  # seconds a read answered 429, 500 or 503 keeps being retried

T = TypeVar("T")


class AttemptTimeout(requests.exceptions.ReadTimeout):
    """An HTTP attempt ran past its time: no complete answer came within it."""


# -- one attempt, bounded as a whole -------------------------------------------------------


def _shut(conn: Any) -> None:
    """Wake whatever is blocked on the connection's socket: reads then see the end of the stream."""
    sock = getattr(conn, "sock", None)
    if sock is not None:
        try:
            # socket.socket's own shutdown, under SSLSocket's, which would unwrap TLS under a blocked reader.
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass


class _Watch:
    """The deadline of the attempt the current thread is making: when it passes, the socket of the connection
    the attempt uses is shut down. A connection belongs to one attempt at a time (`owner`, under one lock), so
    a late watchdog never touches a connection back in the pool or taken by another attempt."""

    _lock = threading.Lock()
    _local = threading.local()

    def __init__(self, seconds: float) -> None:
        self.expired = False
        self.cut = False  # a connection of this attempt was shut down: what it read may be a truncated answer
        self._conn: Any = None
        self._outer: _Watch | None = None
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Watch:
        self._outer = getattr(_Watch._local, "current", None)
        _Watch._local.current = self
        self._timer.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._timer.cancel()
        with _Watch._lock:
            if self._conn is not None and getattr(self._conn, "owner", None) is self:
                self._conn.owner = None
            self._conn = None
        _Watch._local.current = self._outer

    def _expire(self) -> None:
        with _Watch._lock:
            self.expired = True
            if self._conn is not None and getattr(self._conn, "owner", None) is self:
                self.cut = True
                _shut(self._conn)

    @staticmethod
    def adopt(conn: Any) -> None:
        """The current thread's attempt (if any) uses `conn`; one already over is cut at once."""
        watch = getattr(_Watch._local, "current", None)
        with _Watch._lock:
            conn.owner = watch
            if watch is not None:
                watch._conn = conn
                if watch.expired:
                    watch.cut = True
                    _shut(conn)

    @staticmethod
    def release(conn: Any) -> None:
        """`conn` is back in its pool: no attempt's watchdog may touch it any more."""
        with _Watch._lock:
            conn.owner = None


class _WatchedHTTPConnection(HTTPConnection):
    def connect(self) -> None:
        _Watch.adopt(self)
        super().connect()
        _Watch.adopt(self)  # an attempt that ran out while connecting

    def request(self, *args: Any, **kwargs: Any) -> None:  # every request, on a new or a reused connection
        _Watch.adopt(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def connect(self) -> None:
        _Watch.adopt(self)
        super().connect()
        _Watch.adopt(self)

    def request(self, *args: Any, **kwargs: Any) -> None:
        _Watch.adopt(self)
        super().request(*args, **kwargs)


class BoundedHTTPConnectionPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            _Watch.release(conn)
        super()._put_conn(conn)


class BoundedHTTPSConnectionPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection

    def _put_conn(self, conn: Any) -> None:
        if conn is not None:
            _Watch.release(conn)
        super()._put_conn(conn)


_POOLS = {"http": BoundedHTTPConnectionPool, "https": BoundedHTTPSConnectionPool}


def _seconds(timeout: Any, default: float) -> float:
    """The time an attempt is given: requests' timeout (seconds, or a (connect, read) pair), else `default`."""
    if isinstance(timeout, tuple):
        timeout = timeout[1]
    return float(timeout) if isinstance(timeout, (int, float)) else default


class BoundedAdapter(HTTPAdapter):
    """A requests adapter whose every attempt ends within its timeout (at most `attempt_timeout`), connecting
    within `connect_timeout`: the body is read inside the attempt, and a watchdog cuts the connection when the
    time is up, whatever the server is doing. A response asked for with `stream=True` is bounded up to its
    headers only; nothing here streams."""

    def __init__(
        self,
        *,
        attempt_timeout: float = ATTEMPT_TIMEOUT,
        connect_timeout: float = CONNECT_TIMEOUT,
        pool_maxsize: int = 10,
    ) -> None:
        self.attempt_timeout = attempt_timeout
        self.connect_timeout = connect_timeout
        super().__init__(pool_maxsize=pool_maxsize)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        if not proxy.lower().startswith("socks"):  # a SOCKS proxy brings its own connections
            manager.pool_classes_by_scheme = _POOLS
        return manager

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        limit = min(_seconds(timeout, self.attempt_timeout), self.attempt_timeout)
        bounds = (min(self.connect_timeout, limit), limit)
        late = f"no complete answer within {limit:g} s"
        with _Watch(limit) as watch:
            try:
                response = super().send(request, stream=True, timeout=bounds, verify=verify, cert=cert, proxies=proxies)
                if not stream:
                    response.content  # noqa: B018 -- the body is read inside the attempt, not after it
            except requests.exceptions.RequestException as exc:
                if watch.expired:
                    raise AttemptTimeout(late, request=request) from exc
                raise
            if watch.cut:
                # Cut mid-answer, the stream simply ended: what was read need not be the whole answer.
                response.close()
                raise AttemptTimeout(late, request=request)
        return response


# -- retries ---------------------------------------------------------------------------------


def no_answer(exc: BaseException) -> bool:
    """The read got no answer: refused, reset, unresolvable, TLS failed, timed out, or cut off mid-answer."""
    from google.auth import exceptions as auth_exceptions

    return isinstance(
        exc,
        (
            requests.exceptions.ConnectionError,
            requests.exceptions.Timeout,
            requests.exceptions.ChunkedEncodingError,
            auth_exceptions.TransportError,
        ),
    )


def try_later(exc: BaseException) -> bool:
    """Google answered that the read may succeed later: 429, 500 or 503."""
    from google.api_core import exceptions

    return isinstance(exc, (exceptions.TooManyRequests, exceptions.InternalServerError, exceptions.ServiceUnavailable))


class ReadRetry:
    """Retries a read (every call here is a read, safe to repeat) with jittered exponential back-off: one that
    got no answer until it has had `network_attempts` attempts, one answered "try later" until `deadline`
    seconds have passed; anything else is raised at once. When it gives up it raises google.api_core's
    `RetryError` with the last failure as its cause. A google.api_core retry decorator: the generated clients
    take it as their `retry`."""

    def __init__(
        self,
        *,
        initial: float = 1.0,
        maximum: float = 32.0,
        multiplier: float = 2.0,
        deadline: float = RETRY_DEADLINE,
        network_attempts: int = NETWORK_ATTEMPTS,
    ) -> None:
        self.initial, self.maximum, self.multiplier = initial, maximum, multiplier
        self.deadline = deadline
        self.network_attempts = network_attempts

    def __call__(self, func: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(func)
        def retried(*args: Any, **kwargs: Any) -> T:
            return self.run(functools.partial(func, *args, **kwargs))

        return retried

    def run(self, attempt: Callable[[], T]) -> T:
        from google.api_core import exceptions
        from google.api_core.retry import exponential_sleep_generator

        give_up_at = time.monotonic() + self.deadline
        delays = exponential_sleep_generator(self.initial, self.maximum, self.multiplier)
        unanswered = 0
        while True:
            try:
                return attempt()
            except Exception as exc:
                if no_answer(exc):
                    unanswered += 1
                    if unanswered >= self.network_attempts:
                        raise exceptions.RetryError(f"no answer in {unanswered} attempts", exc) from exc
                elif not try_later(exc):
                    raise
                delay = next(delays)
                if time.monotonic() + delay > give_up_at:
                    raise exceptions.RetryError(f"Timeout of {self.deadline:.1f}s exceeded", exc) from exc
                time.sleep(delay)
