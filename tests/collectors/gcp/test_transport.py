"""HTTP attempts bounded as a whole (a local server that drips bytes, real sockets) and the two retry budgets."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from google.api_core import exceptions
from google.auth import exceptions as auth_exceptions

from collectors.gcp import transport
from collectors.gcp.transport import NETWORK_ATTEMPTS, RETRY_DEADLINE, AttemptTimeout, BoundedAdapter, ReadRetry
from tests.collectors.gcp.local_server import local_server


def bounded_session(attempt_timeout: float) -> requests.Session:
    session = requests.Session()
    session.mount("http://", BoundedAdapter(attempt_timeout=attempt_timeout))
    return session


@pytest.mark.parametrize("drip", ["headers", "body"])
def test_a_server_that_drips_bytes_cannot_hold_an_attempt_past_its_timeout(drip: str) -> None:
    """A byte every 0.2 s resets requests' per-read timeout (28.6 s held under a 3 s timeout was observed; this
    server would drip for 20 s); the attempt as a whole ends at its timeout, whether the headers or the body drip."""
    with local_server(drip, interval=0.2) as server:  # type: ignore[arg-type]
        session = bounded_session(attempt_timeout=60.0)
        started = time.monotonic()
        with pytest.raises(AttemptTimeout, match="no complete answer within 1 s"):
            session.get(server.url, timeout=1.0)
        elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 4, elapsed  # the deadline, and some slack for a loaded machine
    assert server.accepted == 1


def test_the_adapters_own_bound_holds_when_a_caller_asks_for_more() -> None:
    with local_server("body", interval=0.2) as server:
        started = time.monotonic()
        with pytest.raises(AttemptTimeout):
            bounded_session(attempt_timeout=0.8).get(server.url, timeout=30)
        assert time.monotonic() - started < 4


def test_a_prompt_answer_is_read_whole_and_its_connection_reused_after_the_deadline() -> None:
    """The watchdog of a finished attempt never touches its connection, back in the pool or reused."""
    with local_server(None) as server:
        session = bounded_session(attempt_timeout=1.0)
        first = session.get(server.url)
        time.sleep(1.5)  # past the first attempt's deadline
        second = session.get(server.url)
    assert first.json() == second.json() == {"name": "projects/123456789012", "projectId": "ml-prod-4521"}
    assert (server.accepted, server.answered) == (1, 2)


# -- retries ---------------------------------------------------------------------------------


class FakeClock:
    """time for ReadRetry: sleeping advances the clock at once."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    fake = FakeClock()
    monkeypatch.setattr(transport, "time", fake)
    yield fake


def failing(make: Callable[[], Exception], then: Any = None, times: int | None = None) -> Callable[[], Any]:
    """A read that raises `make()` (`times` times, else always), then returns `then`."""
    calls: list[None] = []

    def read() -> Any:
        calls.append(None)
        if times is None or len(calls) <= times:
            raise make()
        return then

    read.calls = calls  # type: ignore[attr-defined]
    return read


def status(cls: type[exceptions.GoogleAPICallError]) -> Callable[[], Exception]:
    return lambda: cls("try later")


NO_ANSWER = {
    "refused": lambda: requests.exceptions.ConnectionError("[Errno 111] Connection refused"),
    "unresolvable": lambda: requests.exceptions.ConnectionError("Failed to resolve 'x.googleapis.com'"),
    "reset": lambda: requests.exceptions.ConnectionError("Connection reset by peer"),
    "tls": lambda: requests.exceptions.SSLError("certificate verify failed"),
    "connect timeout": lambda: requests.exceptions.ConnectTimeout("timed out (connect timeout=10.0)"),
    "read timeout": lambda: requests.exceptions.ReadTimeout("Read timed out. (read timeout=60.0)"),
    "slow answer": lambda: AttemptTimeout("no complete answer within 60 s"),
    "broken body": lambda: requests.exceptions.ChunkedEncodingError("IncompleteRead(512 bytes read)"),
    "token endpoint": lambda: auth_exceptions.TransportError("oauth2.googleapis.com unreachable"),
}


@pytest.mark.parametrize("make", NO_ANSWER.values(), ids=NO_ANSWER.keys())
def test_a_read_that_gets_no_answer_has_a_bounded_number_of_attempts(
    clock: FakeClock, make: Callable[[], Exception]
) -> None:
    read = failing(make)
    with pytest.raises(exceptions.RetryError) as gave_up:
        ReadRetry()(read)()
    assert len(read.calls) == NETWORK_ATTEMPTS  # type: ignore[attr-defined]
    assert type(gave_up.value.cause) is type(make())
    # Production back-offs: at most 1 s, then 2 s.
    assert len(clock.slept) == NETWORK_ATTEMPTS - 1 and clock.now <= 1.0 + 2.0


@pytest.mark.parametrize(
    "make",
    [status(exceptions.TooManyRequests), status(exceptions.ServiceUnavailable), status(exceptions.InternalServerError)],
)
def test_a_read_answered_try_later_keeps_the_long_deadline(clock: FakeClock, make: Callable[[], Exception]) -> None:
    read = failing(make)
    with pytest.raises(exceptions.RetryError, match="Timeout of 600.0s exceeded"):
        ReadRetry()(read)()
    assert len(read.calls) > NETWORK_ATTEMPTS  # type: ignore[attr-defined]
    assert RETRY_DEADLINE - 32.0 < clock.now <= RETRY_DEADLINE


@pytest.mark.parametrize(
    "make",
    [status(exceptions.Forbidden), status(exceptions.NotFound), status(exceptions.BadRequest), lambda: ValueError("x")],
)
def test_any_other_failure_is_raised_at_once(clock: FakeClock, make: Callable[[], Exception]) -> None:
    read = failing(make)
    with pytest.raises(type(make())):
        ReadRetry()(read)()
    assert len(read.calls) == 1 and clock.slept == []  # type: ignore[attr-defined]


def test_a_read_that_answers_in_time_returns_its_answer(clock: FakeClock) -> None:
    read = failing(NO_ANSWER["reset"], then={"name": "p"}, times=NETWORK_ATTEMPTS - 1)
    assert ReadRetry()(read)() == {"name": "p"}
    throttled = failing(status(exceptions.TooManyRequests), then="ok", times=20)
    assert ReadRetry()(throttled)() == "ok"
    assert len(throttled.calls) == 21  # type: ignore[attr-defined]
