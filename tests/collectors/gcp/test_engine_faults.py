"""The Google Cloud collector when the network or Google's answers go wrong, under the real clients on the recorded
estate: connection resets, refusals, read timeouts and broken chunked bodies are retried a bounded number of times,
throttling that never ends until a bounded deadline, then both become ERROR; an unreachable API costs seconds, not
the retry deadline; malformed answers (wrong type, unknown enum number, missing field, not JSON) are recorded or
reported, never PASS. Passing throttling (429/503) and denials are covered in test_engine.py and
tests/test_e2e_gcp.py."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import requests
import responses
import urllib3.util.connection
from google.api_core.retry import retry_base, retry_unary
from google.auth.credentials import AnonymousCredentials

from collectors.gcp import Endpoints, GcpEngine, GoogleApis, transport
from collectors.gcp.transport import ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, NETWORK_ATTEMPTS
from collectors.kernel import MAX_PAGES
from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionError, Finding, ScanRecord, Status
from cspm_ai.scan import run_scan
from moto_fixtures.gcp_estate import register_gcp_estate

PROD, DEV, THIRD = "ml-prod-4521", "ml-dev-7781", "ml-denied-9001"
DEADLINE, MAX_BACKOFF = 600.0, 32.0  # GoogleApis' production retry deadline and back-off cap
# The longest a read that gets no answer waits between its attempts: back-offs of at most 1 s, 2 s, ...
NETWORK_BACKOFF = sum(2.0**n for n in range(NETWORK_ATTEMPTS - 1))


def reset() -> Exception:
    return requests.exceptions.ConnectionError(
        "('Connection aborted.', ConnectionResetError(104, 'Connection reset by peer'))"
    )


def read_timeout() -> Exception:
    return requests.exceptions.ReadTimeout("HTTPSConnectionPool(port=443): Read timed out. (read timeout=60.0)")


def broken_body() -> Exception:
    return requests.exceptions.ChunkedEncodingError(
        "('Connection broken: IncompleteRead(512 bytes read, 1536 more expected)', IncompleteRead(512))"
    )


class VirtualClock:
    """Per-thread time for google.api_core's retry loop, where sleeping advances the clock at once.

    The retry deadline is measured on time.monotonic, so patching only time.sleep would retry forever; with both
    on this clock the production schedule (1 s first back-off, 32 s cap, 600 s deadline) runs unchanged in
    milliseconds. Per thread, because each read retries on the pool thread that makes it."""

    def __init__(self) -> None:
        self._local = threading.local()
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return float(getattr(self._local, "now", 0.0))

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self._local.now = self.monotonic() + seconds


@dataclass
class Fault:
    """What the replayed transport does instead of the estate's answer, for requests whose URL matches `url`.

    `make` gets the recorded body and returns a new body, or an exception that `responses` raises from the
    transport (the callback form of body=Exception). `times` None means every time."""

    method: str
    url: str
    make: Callable[[str], str | Exception]
    times: int | None = None
    status: int | None = None  # the answer's status instead of the recorded one
    hit_at: list[float] = field(default_factory=list)  # the virtual time of each attempt

    def applies(self, method: str, url: str) -> bool:
        return (
            method == self.method
            and re.search(self.url, url) is not None
            and (self.times is None or len(self.hit_at) < self.times)
        )


def inject(replay: responses.RequestsMock, faults: Sequence[Fault], clock: VirtualClock | None) -> None:
    """Put the faults in front of every answer the estate registered."""
    lock = threading.Lock()
    for registered in replay.registered():
        recorded = registered.callback

        def answer(request: Any, recorded: Any = recorded) -> tuple[int, dict[str, str], Any]:
            status, headers, body = recorded(request)
            with lock:
                fault = next((f for f in faults if f.applies(request.method, request.url)), None)
                if fault is not None:
                    fault.hit_at.append(clock.monotonic() if clock else 0.0)
            return (status, headers, body) if fault is None else (fault.status or status, headers, fault.make(body))

        registered.callback = answer


@dataclass
class Scanned:
    scan: ScanRecord
    findings: dict[tuple[str, str], Finding]  # (check id, resource uid) -> finding
    errors: list[CollectionError]
    configs: dict[str, dict[str, Any]]  # uid -> stored config
    timeouts: list[Any]


def scan(
    db: Path,
    faults: Sequence[Fault] = (),
    clock: VirtualClock | None = None,
    *,
    max_pages: int = MAX_PAGES,
    projects: Sequence[str] | None = None,
    overrides: dict[str, str] | None = None,
) -> Scanned:
    """A scan of the recorded organization (or of `projects`); an API `overrides` moves is reached for real."""
    inventory = Inventory.open(f"sqlite:///{db}")
    try:
        with responses.RequestsMock(assert_all_requests_are_fired=False) as replay:
            manifest = register_gcp_estate(replay, denied_project=False)
            inject(replay, faults, clock)
            for url in (overrides or {}).values():
                replay.add_passthru(url)
            # Production retry settings: the virtual clock keeps them fast.
            engine = GcpEngine(
                GoogleApis(AnonymousCredentials(), Endpoints(overrides=overrides or {}), max_pages=max_pages),
                projects=projects,
                organization=None if projects else manifest.organization_id,
                identity="auditor@ml-prod-4521.iam.gserviceaccount.com",
            )
            record = run_scan(inventory, [engine], allowed_regions=list(manifest.allowed_regions))
            timeouts = [c.request.req_kwargs.get("timeout") for c in replay.calls]
        snapshot = inventory.snapshot(record.id)
        return Scanned(
            record,
            {(f.check_id, f.resource_uid): f for f in inventory.findings(record.id)},
            inventory.errors(record.id),
            {r.uid: r.config for r in snapshot.resources},
            timeouts,
        )
    finally:
        inventory.close()


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Scanned:
    return scan(tmp_path_factory.mktemp("gcp-clean") / "inventory.db")


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[VirtualClock]:
    virtual = VirtualClock()
    monkeypatch.setattr(retry_unary, "time", virtual)
    monkeypatch.setattr(retry_base, "time", virtual)
    monkeypatch.setattr(transport, "time", virtual)
    yield virtual


def statuses(scanned: Scanned) -> dict[tuple[str, str], Status]:
    return {key: f.status for key, f in scanned.findings.items()}


def uid_of(scanned: Scanned, resource_type_path: str, name: str) -> str:
    """The uid of the resource whose uid contains `resource_type_path` and whose finding names `name`."""
    found = {
        f.resource_uid
        for f in scanned.findings.values()
        if f.resource_name == name and resource_type_path in f.resource_uid
    }
    assert len(found) == 1, (name, found)
    return found.pop()


def test_every_request_has_a_bounded_timeout(clean: Scanned) -> None:
    # Without one, a server that accepts the connection and never answers would hold a worker forever
    # (the generated Vertex AI and Security Command Center methods default to no timeout). requests gets
    # (connect, read) bounds; the whole attempt is bounded by the adapter (tests/collectors/gcp/test_transport.py).
    # (The generated clients count an attempt's time from when the call was made: a hair under ATTEMPT_TIMEOUT.)
    assert clean.timeouts and all(
        isinstance(t, tuple) and t[0] == CONNECT_TIMEOUT and ATTEMPT_TIMEOUT - 1 < t[1] <= ATTEMPT_TIMEOUT
        for t in clean.timeouts
    )
    assert clean.scan.status == "complete" and clean.errors == []


def test_one_off_resets_timeouts_and_broken_bodies_are_retried_and_change_nothing(
    clean: Scanned, clock: VirtualClock, tmp_path: Path
) -> None:
    faults = [
        Fault("GET", rf"cloudresourcemanager\.googleapis\.com/v3/projects/{PROD}\?", lambda _: reset(), 1),
        Fault("POST", rf"/v3/projects/{DEV}:getIamPolicy", lambda _: read_timeout(), 1),
        Fault("GET", r"us-central1-aiplatform\.googleapis\.com/.*/models\?.*pageToken=", lambda _: broken_body(), 1),
        Fault("GET", rf"iam\.googleapis\.com/v1/projects/{PROD}/serviceAccounts\?", lambda _: read_timeout(), 1),
        Fault("GET", r"accesscontextmanager\.googleapis\.com/v1/accessPolicies\?", lambda _: reset(), 1),
        Fault("GET", r"cloudasset\.googleapis\.com/.*:searchAllResources", lambda _: broken_body(), 1),
        Fault("GET", r"cloudkms\.googleapis\.com/", lambda _: read_timeout(), 1),
        Fault("GET", r"securitycentermanagement\.googleapis\.com/", lambda _: reset(), 1),
    ]
    shaken = scan(tmp_path / "inventory.db", faults, clock)
    assert [len(f.hit_at) for f in faults] == [1] * len(faults)  # every fault really happened
    assert shaken.scan.status == "complete" and shaken.errors == []
    assert statuses(shaken) == statuses(clean)
    assert shaken.configs == clean.configs


def test_lasting_faults_are_retried_a_bounded_number_of_times_then_error_and_the_rest_is_scanned(
    clean: Scanned, clock: VirtualClock, tmp_path: Path
) -> None:
    endpoints = Fault("GET", rf"/v1/projects/{PROD}/locations/us-central1/endpoints\?", lambda _: reset())
    accounts = Fault("GET", rf"iam\.googleapis\.com/v1/projects/{DEV}/serviceAccounts\?", lambda _: read_timeout())
    policy = Fault("POST", rf"/v3/projects/{PROD}:getIamPolicy", lambda _: broken_body())
    hurt = scan(tmp_path / "inventory.db", [endpoints, accounts, policy], clock)

    for fault in (endpoints, accounts, policy):
        waited = fault.hit_at[-1] - fault.hit_at[0]
        # No answer at all: a few attempts with short back-offs, not the 600 s throttling deadline.
        assert len(fault.hit_at) == NETWORK_ATTEMPTS, fault.url
        assert waited <= NETWORK_BACKOFF, (fault.url, waited)

    assert hurt.scan.status == "incomplete"
    errors = {(e.account, e.resource_type, e.region, e.operation, e.code) for e in hurt.errors}
    assert errors == {
        (PROD, "gcp.vertex.endpoint", "us-central1", "aiplatform.endpoints.list", "RETRIES_EXHAUSTED"),
        (DEV, "gcp.iam.service_account", "global", "iam.serviceAccounts.list", "RETRIES_EXHAUSTED"),
        (PROD, "gcp.project", "global", "resourcemanager.projects.getIamPolicy", "RETRIES_EXHAUSTED"),
    }
    messages = " ".join(e.message for e in hurt.errors)
    assert "Connection reset by peer" in messages and "Read timed out" in messages and "IncompleteRead" in messages

    blind = [f for f in hurt.findings.values() if f.resource_uid == f"gcp:{PROD}:us-central1:gcp.vertex.endpoint"]
    assert blind and all(f.status == Status.ERROR and "aiplatform.endpoints.list" in f.message for f in blind)
    project = [f for f in hurt.findings.values() if f.resource_type == "gcp.project" and f.account == PROD]
    assert project and all(f.status == Status.ERROR for f in project)
    dev_accounts = [f for f in hurt.findings.values() if f.resource_uid == f"gcp:{DEV}:global:gcp.iam.service_account"]
    assert dev_accounts and all(f.status == Status.ERROR for f in dev_accounts)

    before, after = statuses(clean), statuses(hurt)
    changed = {k: (before[k], after[k]) for k in before.keys() & after.keys() if before[k] != after[k]}
    # What the faults hid is ERROR (or MANUAL where only a grant list was missing), never a new PASS or FAIL...
    assert changed and all(now in (Status.ERROR, Status.MANUAL) for _, now in changed.values())
    assert {hurt.findings[k].account for k in changed} <= {PROD, DEV}
    # ...and everything else, the third project whole, reads as in a clean scan.
    assert {k: s for k, s in after.items() if hurt.findings[k].account == THIRD} == {
        k: s for k, s in before.items() if clean.findings[k].account == THIRD
    }
    europe = {k for k, f in clean.findings.items() if f.region == "europe-west4"}
    # Europe's resources were all read; only what rests on the production project's unread IAM policy (which
    # identity reaches which data: the attack paths) cannot be judged there.
    assert europe and {k: after[k] for k in europe if before[k] != after[k]} == {
        k: Status.ERROR
        for k in europe
        if before[k] != after[k] and hurt.findings[k].check_id == "gcp.iam.exposed_ai_identity_sensitive_data"
    }
    assert "resourcemanager.projects.getIamPolicy" in " ".join(
        hurt.findings[k].message for k in europe if after[k] == Status.ERROR
    )
    # Only what the failed lists would have returned is gone, replaced by the ERROR findings above.
    lost = {
        (clean.findings[k].account, clean.findings[k].resource_type, clean.findings[k].region)
        for k in before.keys() - after.keys()
    }
    assert lost == {(PROD, "gcp.vertex.endpoint", "us-central1"), (DEV, "gcp.iam.service_account", "global")}


def google_error(code: int, status: str, message: str) -> Callable[[str], str]:
    return lambda _: json.dumps({"error": {"code": code, "status": status, "message": message}})


def test_throttling_that_never_ends_is_retried_until_the_deadline_then_error(
    clean: Scanned, clock: VirtualClock, tmp_path: Path
) -> None:
    """Unlike a read that gets no answer, one answered "try later" keeps the long budget: a throttled scan must
    finish with the same results."""
    unavailable = Fault(
        "GET",
        rf"/v1/projects/{PROD}/locations/us-central1/endpoints\?",
        google_error(503, "UNAVAILABLE", "The service is currently unavailable."),
        status=503,
    )
    quota = Fault(
        "GET",
        rf"iam\.googleapis\.com/v1/projects/{DEV}/serviceAccounts\?",
        google_error(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Read requests'."),
        status=429,
    )
    throttled = scan(tmp_path / "inventory.db", [unavailable, quota], clock)
    for fault in (unavailable, quota):
        waited = fault.hit_at[-1] - fault.hit_at[0]
        # Given up once the next back-off would pass the deadline.
        assert NETWORK_ATTEMPTS < len(fault.hit_at) <= 100, fault.url
        assert DEADLINE - MAX_BACKOFF < waited <= DEADLINE, (fault.url, waited)
    assert throttled.scan.status == "incomplete"
    assert {(e.account, e.resource_type, e.operation, e.code) for e in throttled.errors} == {
        (PROD, "gcp.vertex.endpoint", "aiplatform.endpoints.list", "RETRIES_EXHAUSTED"),
        (DEV, "gcp.iam.service_account", "iam.serviceAccounts.list", "RETRIES_EXHAUSTED"),
    }


@pytest.fixture
def refusing_port() -> Iterator[int]:
    """A local port that refuses every connection: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_an_unreachable_api_costs_seconds_and_its_reads_are_error(
    clock: VirtualClock, refusing_port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """With securitycentermanagement.googleapis.com unreachable (a firewall, VPC Service Controls), a two-project
    scan took 9 min 49 s, each read waiting out the 600 s retry deadline. Here its host refuses connections for
    real, with production attempt counts and back-offs (slept on the virtual clock, and added up)."""
    scc = ("127.0.0.1", refusing_port)
    connect = urllib3.util.connection.create_connection
    attempts: Counter[tuple[str, int]] = Counter()

    def counted(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        attempts[address] += 1
        return connect(address, *args, **kwargs)

    monkeypatch.setattr(urllib3.util.connection, "create_connection", counted)
    calm = scan(tmp_path / "calm.db", projects=[PROD, DEV])
    started = time.monotonic()
    cut = scan(
        tmp_path / "cut.db",
        clock=clock,
        projects=[PROD, DEV],
        overrides={"securitycentermanagement": "http://%s:%d" % scc},
    )
    elapsed = time.monotonic() - started

    # One Security Command Center read per project, each given NETWORK_ATTEMPTS attempts.
    assert attempts == {scc: 2 * NETWORK_ATTEMPTS}
    # The back-offs of both reads added up, as if slept one after the other: the scan would still take seconds.
    assert len(clock.slept) == 2 * (NETWORK_ATTEMPTS - 1) and sum(clock.slept) <= 2 * NETWORK_BACKOFF
    assert elapsed + sum(clock.slept) < 20, elapsed
    assert cut.scan.status == "incomplete"
    assert {(e.account, e.resource_type, e.operation, e.code) for e in cut.errors} == {
        (project, "gcp.scc.settings", "securitycentermanagement.securityCenterServices.list", "RETRIES_EXHAUSTED")
        for project in (PROD, DEV)
    }
    assert all("Connection refused" in e.message for e in cut.errors), [e.message for e in cut.errors]
    # The Security Command Center check of each project is ERROR, naming the read; nothing else changed.
    before, after = statuses(calm), statuses(cut)
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert sorted(check for check, _ in changed) == ["gcp.scc.enabled"] * 2
    assert all(after[k] == Status.ERROR and "securityCenterServices.list" in cut.findings[k].message for k in changed)


def edit(change: Callable[[dict[str, Any]], None]) -> Callable[[str], str]:
    """The recorded JSON answer with one thing changed."""

    def make(body: str) -> str:
        document = json.loads(body)
        change(document)
        return json.dumps(document)

    return make


def unknown_running_state(body: dict[str, Any]) -> None:
    for job in body.get("modelDeploymentMonitoringJobs", []):
        if job.get("state") == 3:  # JOB_STATE_RUNNING, sent as an integer
            job["state"] = 99  # a state added after this client was generated


def test_malformed_answers_are_recorded_or_reported_and_never_pass(clean: Scanned, tmp_path: Path) -> None:
    trainer = "vertex-trainer@ml-prod-4521.iam.gserviceaccount.com"
    faults = [
        # Wrong type: a number where the proto has a string; the whole page cannot be read.
        Fault(
            "GET",
            rf"/v1/projects/{DEV}/locations/us-central1/endpoints\?",
            edit(lambda b: b["endpoints"][0].update(network=123)),
        ),
        # Wrong type in a raw REST answer: an object where the list of keys should be. Dropping it would read
        # as "no user-managed keys" (PASS) on an account that has one.
        Fault("GET", rf"/serviceAccounts/{re.escape(trainer)}/keys", edit(lambda b: b.update(keys=b["keys"][0]))),
        # Unknown enum numbers: kept as numbers in the stored configuration.
        Fault(
            "GET",
            rf"/v1/projects/{PROD}/locations/us-central1/modelDeploymentMonitoringJobs\?",
            edit(unknown_running_state),
        ),
        Fault("GET", r"cloudkms\.googleapis\.com/.*/cryptoKeys/vertex-cmek\?", edit(lambda b: b.update(purpose=99))),
        # Missing field: an access policy without its name, so its perimeters cannot be listed.
        Fault(
            "GET",
            r"accesscontextmanager\.googleapis\.com/v1/accessPolicies\?",
            edit(lambda b: [p.pop("name") for p in b["accessPolicies"]]),
        ),
        # Not JSON at all: a proxy's error page with status 200.
        Fault(
            "GET",
            rf"cloudbilling\.googleapis\.com/v1/projects/{DEV}/billingInfo",
            lambda _: "<html><body>502 Bad Gateway</body></html>",
        ),
    ]
    odd = scan(tmp_path / "inventory.db", faults)
    assert all(f.hit_at for f in faults)
    assert odd.scan.status == "incomplete"
    errors = {(e.account, e.resource_type, e.operation, e.code) for e in odd.errors}
    assert errors == {
        (DEV, "gcp.vertex.endpoint", "aiplatform.endpoints.list", "MalformedResponse"),
        (PROD, "gcp.iam.service_account", "iam.serviceAccountKeys.list", "MalformedResponse"),
        (
            "organizations/222233334444",
            "gcp.accesscontext.perimeter",
            "accesscontextmanager.policies.list",
            "MalformedResponse",
        ),
        (DEV, "gcp.billing.budget", "resourcemanager.projects.get", "MalformedResponse"),
    }

    before, after = statuses(clean), statuses(odd)
    made_pass = [k for k, s in after.items() if s == Status.PASS and before.get(k) != Status.PASS]
    assert made_pass == []

    # The monitoring job with an unknown state is recorded as it came; the endpoint it watches is not judged.
    jobs = [c for c in odd.configs.values() if c.get("state") == 99]
    assert len(jobs) == 1 and jobs[0]["displayName"] == "fraud-drift"
    endpoint = uid_of(odd, "/endpoints/", "fraud-ep-private")
    monitored = odd.findings[("gcp.vertex.endpoint_monitored", endpoint)]
    assert before[("gcp.vertex.endpoint_monitored", endpoint)] == Status.PASS
    assert monitored.status == Status.ERROR and "fraud-drift" in monitored.message and "99" in monitored.message

    key = uid_of(odd, "/cryptoKeys/", "vertex-cmek")
    assert odd.configs[key]["purpose"] == 99
    assert odd.findings[("gcp.kms.key_rotation", key)].status == Status.MANUAL
    assert "99" in odd.findings[("gcp.kms.key_rotation", key)].message

    account = uid_of(odd, "/serviceAccounts/", trainer)
    assert before[("gcp.iam.no_user_managed_keys", account)] == Status.FAIL
    assert after[("gcp.iam.no_user_managed_keys", account)] == Status.ERROR

    dev_blind = [f for f in odd.findings.values() if f.resource_uid == f"gcp:{DEV}:us-central1:gcp.vertex.endpoint"]
    assert dev_blind and all(f.status == Status.ERROR and "MalformedResponse" in f.message for f in dev_blind)
    for project in (PROD, DEV, THIRD):  # the perimeters of the whole organization are unseen
        uid = uid_of(odd, "cloudresourcemanager", project)
        assert after[("gcp.accesscontext.vertex_in_perimeter", uid)] == Status.ERROR
    dev_project = uid_of(odd, "cloudresourcemanager", DEV)
    assert after[("gcp.billing.budget_alerts", dev_project)] == Status.ERROR

    # What no fault touched reads as in a clean scan: the third project and the production models.
    untouched = {
        k
        for k, f in clean.findings.items()
        if k[0] != "gcp.accesscontext.vertex_in_perimeter"
        and (f.account == THIRD or (f.resource_type == "gcp.vertex.model" and f.account == PROD))
    }
    assert untouched and {k: after[k] for k in untouched} == {k: before[k] for k in untouched}


def test_a_list_longer_than_max_pages_is_error_not_cut_short(clean: Scanned, tmp_path: Path) -> None:
    """The recorded estate pages two items at a time: with three pages allowed, each project's Cloud Asset
    Inventory search and the production project's service accounts fail whole, never read as their first pages."""
    capped = scan(tmp_path / "inventory.db", max_pages=3)
    assert capped.scan.status == "incomplete"
    assert {(e.account, e.operation, e.code) for e in capped.errors} == {
        *((project, "cloudasset.assets.searchAllResources", "TooManyPages") for project in (PROD, DEV, THIRD)),
        (PROD, "iam.serviceAccounts.list", "TooManyPages"),
    }
    assert all("3 pages" in e.message for e in capped.errors)
    blind = [f for f in capped.findings.values() if f.resource_uid.startswith("gcp:")]
    assert {(f.account, f.resource_type) for f in blind} >= {
        (PROD, "gcp.vertex.endpoint"),
        (PROD, "gcp.iam.service_account"),
    }
    assert {f.status for f in blind} == {Status.ERROR}
    # A verdict that depended on a failed list is ERROR, never another one. A resource no longer seen is of a kind
    # reported blind in its project, or a service account, key, bucket, dataset or network read only because an
    # unseen AI resource named it.
    before, after = statuses(clean), statuses(capped)
    assert {after[k] for k in before.keys() & after.keys() if before[k] != after[k]} == {Status.ERROR}
    lost = {(clean.findings[k].account, clean.findings[k].resource_type) for k in before.keys() - after.keys()}
    named = {
        "gcp.iam.service_account",
        "gcp.kms.crypto_key",
        "gcp.storage.bucket",
        "gcp.bigquery.dataset",
        "gcp.compute.network",
    }
    assert lost and {(a, t) for a, t in lost if t not in named} <= {(f.account, f.resource_type) for f in blind}


def test_iam_policies_that_cannot_be_read_are_error_and_never_pass(clean: Scanned, tmp_path: Path) -> None:
    """A folder's, a bucket's and a service account's IAM policy denied: each read once, each an error on what it
    leaves unknown (every project below the folder, the bucket, the account), and no clean verdict over them."""
    denied = google_error(403, "PERMISSION_DENIED", "The caller does not have permission")
    trainer = "vertex-trainer@ml-prod-4521.iam.gserviceaccount.com"
    folder = Fault("POST", r"/v3/folders/111122223333:getIamPolicy", denied, status=403)
    bucket = Fault("GET", r"/storage/v1/b/ml-prod-4521-agents/iam\?", denied, status=403)
    account = Fault("POST", rf"/serviceAccounts/{re.escape(quote(trainer))}:getIamPolicy", denied, status=403)
    hurt = scan(tmp_path / "inventory.db", [folder, bucket, account])

    # Once each: the folder above two of the projects is read once, and a denial is not retried.
    assert [len(f.hit_at) for f in (folder, bucket, account)] == [1, 1, 1]
    assert hurt.scan.status == "incomplete"
    prod, third = uid_of(hurt, "cloudresourcemanager", PROD), uid_of(hurt, "cloudresourcemanager", THIRD)
    bucket_uid = "//storage.googleapis.com/projects/_/buckets/ml-prod-4521-agents"
    trainer_uid = f"//iam.googleapis.com/projects/{PROD}/serviceAccounts/{trainer}"
    assert {(e.account, e.resource_type, e.operation, e.resource_uid, e.code) for e in hurt.errors} == {
        (PROD, "gcp.project", "resourcemanager.folders.getIamPolicy", prod, "PERMISSION_DENIED"),
        (THIRD, "gcp.project", "resourcemanager.folders.getIamPolicy", third, "PERMISSION_DENIED"),
        (PROD, "gcp.storage.bucket", "storage.buckets.getIamPolicy", bucket_uid, "PERMISSION_DENIED"),
        (PROD, "gcp.iam.service_account", "iam.serviceAccounts.getIamPolicy", trainer_uid, "PERMISSION_DENIED"),
    }
    # The project under the organization alone still has what it inherits; the others' inherited policies are
    # not half-stored.
    assert [a["resource"] for a in hurt.configs[uid_of(hurt, "cloudresourcemanager", DEV)]["ancestorIamPolicies"]] == [
        "organizations/222233334444"
    ]

    before, after = statuses(clean), statuses(hurt)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert changed and all(now == Status.ERROR for _, now in changed.values())
    # The development account's clean blast radius waits on the policies that could not be read.
    dev_default = uid_of(hurt, "/serviceAccounts/", "210987654321-compute@developer.gserviceaccount.com")
    verdict = hurt.findings[("gcp.iam.ai_identity_blast_radius", dev_default)]
    assert before[("gcp.iam.ai_identity_blast_radius", dev_default)] == Status.PASS
    assert verdict.status == Status.ERROR and "getIamPolicy" in verdict.message
