"""The AWS collector under faults from the cloud: timeouts and resets, and malformed answers (moto in-process).

Faults go through the real botocore pipeline: a `before-send` handler raises the
exceptions botocore's HTTP layer raises for a timeout or a reset connection (so
botocore's own retry handler decides), and a `before-parse` handler rewrites an
answer's body before botocore parses it. Each faulty scan is compared with a clean
scan of the same estate. Throttling and denials are covered by
tests/test_cli_moto_server.py and tests/collectors/aws/test_engine.py.
"""

from __future__ import annotations

import json
import types
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import botocore.endpoint
import pytest
from botocore.exceptions import (
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from moto import mock_aws

from collectors.aws import AwsSession, aws_collector
from collectors.aws.session import RETRY_ATTEMPTS
from collectors.kernel import MAX_PAGES
from cspm_ai.errors import CredentialsError, CspmError
from cspm_ai.inventory import Inventory
from cspm_ai.model import (
    CollectionError,
    Finding,
    Relation,
    Resource,
    ScanRecord,
    Status,
)
from cspm_ai.registry import all_checks
from cspm_ai.scan import run_scan
from moto_fixtures.estate import EstateManifest, build_aws_estate

REGIONS = ("us-east-1", "eu-west-1")
TRANSPORT_FAULTS = (ReadTimeoutError, ConnectTimeoutError, ConnectionClosedError, EndpointConnectionError)
# Services the persistent faults below leave alone: their findings must not move.
UNTOUCHED_SERVICES = {"s3", "iam", "cloudtrail", "guardduty", "securityhub", "config", "budgets"}


@dataclass
class Scan:
    record: ScanRecord
    findings: dict[tuple[str, str], Finding]
    errors: list[CollectionError]
    resources: dict[str, Resource]
    relations: list[Relation]

    def reached_from(self, uids: set[str | None]) -> set[str]:
        """Resources these resources reference, directly or through others (subnet -> VPC)."""
        reached: set[str] = set()
        frontier = {u for u in uids if u is not None}
        while frontier:
            frontier = {r.dst for r in self.relations if r.src in frontier} - reached
            reached |= frontier
        return reached


@dataclass
class Estate:
    manifest: EstateManifest
    clean: Scan
    backoff_delays: list[float]
    db_url: str


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Estate]:
    monkeypatch = pytest.MonkeyPatch()
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    # botocore's back-off would sleep minutes across these scans; record the delays instead.
    delays: list[float] = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=delays.append))
    db_url = f"sqlite:///{tmp_path_factory.mktemp('aws-faults') / 'inventory.db'}"
    try:
        with mock_aws():
            manifest = build_aws_estate(regions=REGIONS, hostile=False)
            yield Estate(manifest, _scan(boto3.Session(), db_url), delays, db_url)
    finally:
        monkeypatch.undo()


def _scan(session: boto3.Session, db_url: str, *, max_pages: int = MAX_PAGES) -> Scan:
    inventory = Inventory.open(db_url)
    try:
        collector = aws_collector(session=AwsSession(boto_session=session), regions=list(REGIONS), max_pages=max_pages)
        record = run_scan(inventory, [collector], allowed_regions=list(REGIONS))
        # Checks that need history judge a scan against the previous one in this inventory (MANUAL in the first,
        # PASS or FAIL later); these tests compare collection, one scan against a clean one, so they leave them out.
        history = {c.id for c in all_checks("aws") if c.needs_history}
        findings = {(f.check_id, f.resource_uid): f for f in inventory.findings(record.id) if f.check_id not in history}
        snapshot = inventory.snapshot(record.id)
        return Scan(
            record, findings, inventory.errors(record.id), {r.uid: r for r in snapshot.resources}, snapshot.relations
        )
    finally:
        inventory.close()


def _stable(resource: Resource) -> Any:
    """A resource's config without what moto (like AWS) stamps with the time of the call: trail delivery times,
    an Aurora cluster's latest restorable time."""
    if resource.type == "aws.rds.cluster":
        return {k: v for k, v in resource.config.items() if k != "LatestRestorableTime"}
    if resource.type != "aws.cloudtrail.trail":
        return resource.config
    return {
        **resource.config,
        "Status": {k: v for k, v in resource.config["Status"].items() if not k.startswith("Latest")},
    }


def _verdict(finding: Finding) -> tuple[Status, str, Any]:
    return finding.status, finding.message, finding.evidence


class TransportFaults:
    """A before-send handler: `plan(operation, request)` says which exception to raise, if any."""

    def __init__(self, plan: Callable[[str, Any, int], type[Exception] | None]) -> None:
        self.plan = plan
        self.attempts: Counter[tuple[str, str, bytes]] = Counter()
        self.raised: Counter[tuple[str, str]] = Counter()
        self.failed_calls: set[tuple[str, str, bytes]] = set()

    def __call__(self, request: Any, event_name: str, **_: Any) -> None:
        _, service, operation = event_name.split(".")
        body = request.body if isinstance(request.body, bytes) else str(request.body or "").encode()
        call = (operation, request.url, body)
        self.attempts[call] += 1
        fault = self.plan(operation, request, self.attempts[call])
        if fault is not None:
            self.raised[(service, fault.__name__)] += 1
            self.failed_calls.add(call)
            raise fault(endpoint_url=request.url)

    def session(self) -> boto3.Session:
        session = boto3.Session()
        # First, so the fault is raised before moto's own before-send handler answers.
        session.events.register_first("before-send", self)
        return session


def _calls(faults: TransportFaults, operation: str) -> dict[tuple[str, bytes], int]:
    return {(url, body): n for (op, url, body), n in faults.attempts.items() if op == operation}


# ------------------------------------------------------------------------ timeouts and resets


def test_transient_timeouts_and_resets_leave_the_results_identical_to_a_clean_scan(estate: Estate) -> None:
    def plan(operation: str, request: Any, attempt: int) -> type[Exception] | None:
        # A fixed share of calls fails once or twice before answering, with a fixed kind of fault.
        digest = zlib.crc32(f"{operation} {request.url} {request.body!r}".encode())
        return TRANSPORT_FAULTS[digest % 4] if attempt <= digest % 3 else None

    faults = TransportFaults(plan)
    delays_before = len(estate.backoff_delays)
    faulty = _scan(faults.session(), estate.db_url)

    assert faulty.record.status == "complete"
    assert faulty.errors == []
    assert {k: _verdict(f) for k, f in faulty.findings.items()} == {
        k: _verdict(f) for k, f in estate.clean.findings.items()
    }
    assert {u: _stable(r) for u, r in faulty.resources.items()} == {
        u: _stable(r) for u, r in estate.clean.resources.items()
    }
    # The faults really happened, of every kind and across services, and botocore backed off.
    assert {kind for _, kind in faults.raised} == {f.__name__ for f in TRANSPORT_FAULTS}
    assert len({service for service, _ in faults.raised}) >= 6
    assert sum(faults.raised.values()) >= 50
    assert len(estate.backoff_delays) - delays_before == sum(faults.raised.values())


@pytest.fixture(scope="module")
def persistent(estate: Estate) -> tuple[TransportFaults, Scan]:
    """One notebook's describe times out, one region's training list resets, KMS is unreachable."""

    def plan(operation: str, request: Any, attempt: int) -> type[Exception] | None:
        if operation == "DescribeNotebookInstance" and b'"good-notebook"' in (request.body or b""):
            return ReadTimeoutError
        if operation == "ListTrainingJobs" and "eu-west-1" in request.url:
            return ConnectionClosedError
        if "://kms." in request.url:
            return EndpointConnectionError
        if operation == "DescribeSecurityGroups" and "eu-west-1" in request.url:
            return ConnectTimeoutError
        return None

    faults = TransportFaults(plan)
    return faults, _scan(faults.session(), estate.db_url)


def test_a_call_that_keeps_failing_is_retried_a_bounded_number_of_times(
    persistent: tuple[TransportFaults, Scan],
) -> None:
    faults, _ = persistent
    assert {op for op, _, _ in faults.failed_calls} == {
        "DescribeNotebookInstance",
        "ListTrainingJobs",
        "DescribeKey",
        "DescribeSecurityGroups",
    }
    # The first attempt and botocore's RETRY_ATTEMPTS retries, then the collector gives up on that call
    # (and, never making the same call twice, does not ask again).
    assert {faults.attempts[call] for call in faults.failed_calls} == {1 + RETRY_ATTEMPTS}
    # A call that answered was made once.
    assert {n for call, n in faults.attempts.items() if call not in faults.failed_calls} == {1}


def test_a_call_that_keeps_failing_becomes_an_error_naming_the_operation(
    estate: Estate, persistent: tuple[TransportFaults, Scan]
) -> None:
    _, faulty = persistent
    assert faulty.record.status == "incomplete"
    seen = {(e.service, e.operation, e.code, e.region, e.resource_uid is None) for e in faulty.errors}
    assert seen == {
        ("sagemaker", "DescribeNotebookInstance", "ReadTimeoutError", "us-east-1", False),
        ("sagemaker", "ListTrainingJobs", "ConnectionClosedError", "eu-west-1", True),
        ("kms", "DescribeKey", "EndpointConnectionError", "us-east-1", False),
        ("kms", "DescribeKey", "EndpointConnectionError", "eu-west-1", False),
        ("ec2", "DescribeSecurityGroups", "ConnectTimeoutError", "eu-west-1", False),
    }
    [notebook_error] = [e for e in faulty.errors if e.operation == "DescribeNotebookInstance"]
    assert notebook_error.resource_uid.endswith(":notebook-instance/good-notebook")
    keys = estate.clean.resources.keys() & {e.resource_uid for e in faulty.errors if e.service == "kms"}
    assert keys and all(estate.clean.resources[uid].type == "aws.kms.key" for uid in keys)


def test_the_resource_whose_describe_failed_is_kept_and_every_check_on_it_is_error(
    estate: Estate, persistent: tuple[TransportFaults, Scan]
) -> None:
    _, faulty = persistent
    [uid] = [u for u, r in faulty.resources.items() if r.name == "good-notebook"]
    # What the list call showed is kept, not what only the describe reveals.
    assert faulty.resources[uid].config["NotebookInstanceName"] == "good-notebook"
    assert "DirectInternetAccess" not in faulty.resources[uid].config
    on_notebook = [f for (_, u), f in faulty.findings.items() if u == uid]
    assert len(on_notebook) == len([k for k in estate.clean.findings if k[1] == uid]) >= 5
    for finding in on_notebook:
        assert finding.status == Status.ERROR, finding.check_id
        assert "sagemaker:DescribeNotebookInstance" in finding.message and "ReadTimeoutError" in finding.message


def test_every_other_result_matches_the_clean_scan(estate: Estate, persistent: tuple[TransportFaults, Scan]) -> None:
    _, faulty = persistent
    failed_calls = {f"{e.service}:{e.operation}" for e in faulty.errors}
    unfetched = {e.resource_uid for e in faulty.errors if e.resource_uid not in faulty.resources}
    unchanged_services = set()
    for key, clean in estate.clean.findings.items():
        finding = faulty.findings.get(key)
        if finding is None:
            # Only what the blind list hid (eu-west-1's training jobs) and referenced resources
            # whose own fetch failed (named in errors[]) may be missing.
            resource = estate.clean.resources[key[1]]
            assert (resource.type, resource.region) == (
                "aws.sagemaker.training_job",
                "eu-west-1",
            ) or resource.uid in unfetched, key
        elif finding.status == Status.ERROR:
            assert any(call in finding.message for call in failed_calls), (key, finding.message)
        else:
            # Never a different verdict on partial data: the same one, or ERROR.
            assert _verdict(finding) == _verdict(clean), key
            unchanged_services.add(finding.check_id.split(".")[1])
    assert UNTOUCHED_SERVICES <= unchanged_services
    for key in faulty.findings.keys() - estate.clean.findings.keys():
        assert faulty.findings[key].status == Status.ERROR, key
    # The blind list is itself reported, so the hidden training jobs are not silently absent.
    assert any(
        f.status == Status.ERROR
        and "sagemaker:ListTrainingJobs" in f.message
        and f.check_id.startswith("aws.sagemaker.training_job")
        for f in faulty.findings.values()
    )


@pytest.mark.parametrize("fault", [ConnectTimeoutError, ReadTimeoutError])
def test_an_unreachable_sts_is_a_network_error_after_bounded_retries(estate: Estate, fault: type[Exception]) -> None:
    faults = TransportFaults(lambda operation, request, attempt: fault if "://sts." in request.url else None)
    with pytest.raises(CspmError) as raised:
        aws_collector(session=AwsSession(boto_session=faults.session()), regions=list(REGIONS))
    # Not a credentials problem: the hint must point at the network.
    assert not isinstance(raised.value, CredentialsError)
    assert "Cannot reach AWS STS" in str(raised.value) and "network" in raised.value.hint
    assert list(_calls(faults, "GetCallerIdentity").values()) == [1 + RETRY_ATTEMPTS]


# ------------------------------------------------------------------------ malformed answers


def _rewriting(rewrite: Callable[[str, Any], Any]) -> boto3.Session:
    """A session whose SageMaker answers pass through `rewrite(operation, body)` before botocore parses them."""

    def before_parse(operation_model: Any, response_dict: dict[str, Any], **_: Any) -> None:
        if response_dict["status_code"] >= 300:
            return
        body = json.loads(response_dict["body"])
        new = rewrite(operation_model.name, body)
        response_dict["body"] = new if isinstance(new, bytes) else json.dumps(new).encode()

    session = boto3.Session()
    session.events.register("before-parse.sagemaker", before_parse)
    return session


def _by_name(scan: Scan, name: str) -> Resource:
    [resource] = [r for r in scan.resources.values() if r.name == name]
    return resource


def _finding(scan: Scan, check: str, name: str) -> Finding:
    return scan.findings[(f"aws.sagemaker.{check}", _by_name(scan, name).uid)]


@pytest.fixture(scope="module")
def odd_values(estate: Estate) -> Scan:
    """Well-formed JSON carrying values no documented enum or type allows, on resources that were PASS."""

    def rewrite(operation: str, body: Any) -> Any:
        name = body.get("NotebookInstanceName")
        if operation == "DescribeNotebookInstance" and name == "good-notebook":
            body.update(DirectInternetAccess="Sometimes", RootAccess=1, SubnetId=[body["SubnetId"]])
            body.pop("KmsKeyId")
        elif operation == "DescribeNotebookInstance" and name == "good-notebook-eu-west-1":
            body.update(DirectInternetAccess={"Value": "Disabled"}, RootAccess="disabled", KmsKeyId=12345)
        elif operation == "DescribeEndpoint" and body.get("EndpointName") == "good-endpoint":
            body["DataCaptureConfig"]["CaptureStatus"] = "Paused"
        elif operation == "DescribeMonitoringSchedule":
            body["MonitoringScheduleStatus"] = "Exploded"
        return body

    return _scan(_rewriting(rewrite), estate.db_url)


@pytest.mark.parametrize(
    ("check", "name", "says"),
    [
        ("notebook_direct_internet_access", "good-notebook", "DirectInternetAccess Sometimes"),
        ("notebook_root_access", "good-notebook", "RootAccess 1"),
        ("notebook_kms_encryption", "good-notebook", "KmsKeyId (<absent>)"),
        ("notebook_in_vpc", "good-notebook", "SubnetId ['subnet-"),
        ("notebook_direct_internet_access", "good-notebook-eu-west-1", "DirectInternetAccess {'Value': 'Disabled'}"),
        ("notebook_root_access", "good-notebook-eu-west-1", "RootAccess disabled"),
        ("notebook_kms_encryption", "good-notebook-eu-west-1", "KmsKeyId (12345)"),
        ("endpoint_data_capture", "good-endpoint", "CaptureStatus Paused"),
        ("endpoint_monitoring_schedule", "good-endpoint", "MonitoringScheduleStatus good-endpoint-monitor: Exploded"),
    ],
)
def test_an_unexpected_value_is_recorded_and_never_passes(
    estate: Estate, odd_values: Scan, check: str, name: str, says: str
) -> None:
    assert _finding(estate.clean, check, name).status == Status.PASS
    finding = _finding(odd_values, check, name)
    assert finding.status == Status.FAIL
    # The message names the field and the value it could not accept.
    assert says in finding.message


def test_unexpected_values_are_facts_not_collection_failures(estate: Estate, odd_values: Scan) -> None:
    assert odd_values.record.status == "complete" and odd_values.errors == []
    # A key "id" that is a number is no reference: only that key goes unfetched.
    odd_notebook = _by_name(odd_values, "good-notebook-eu-west-1").uid
    missing = estate.clean.resources.keys() - odd_values.resources.keys()
    assert missing <= estate.clean.reached_from({odd_notebook})
    assert {estate.clean.resources[uid].type for uid in missing} <= {"aws.kms.key"}
    assert odd_values.resources.keys() <= estate.clean.resources.keys()
    # The odd answer is stored as the API gave it, for an auditor to see.
    assert _by_name(odd_values, "good-notebook-eu-west-1").config["KmsKeyId"] == 12345
    assert _by_name(odd_values, "good-notebook").config["RootAccess"] == 1


@pytest.fixture(scope="module")
def unreadable(estate: Estate) -> Scan:
    """Answers that cannot be read as the documented shape at all."""

    def rewrite(operation: str, body: Any) -> Any:
        if operation == "DescribeNotebookInstance" and body.get("NotebookInstanceName") == "good-notebook":
            return b"<html>502 Bad Gateway</html>"  # a proxy's error page with a 200 status
        if operation == "ListNotebookInstances":
            for summary in body["NotebookInstances"]:
                if ":eu-west-1:" in summary["NotebookInstanceArn"]:
                    summary.pop("NotebookInstanceName")
        if operation == "DescribeEndpoint" and body.get("EndpointName") == "good-endpoint":
            body["CreationTime"] = "yesterday"
        if operation == "DescribeTrainingJob" and body.get("TrainingJobName", "").startswith("good-"):
            return []
        return body

    return _scan(_rewriting(rewrite), estate.db_url)


def test_an_unreadable_answer_keeps_the_resource_and_errors_its_checks(estate: Estate, unreadable: Scan) -> None:
    assert unreadable.record.status == "incomplete"
    by_uid = {e.resource_uid: e for e in unreadable.errors}
    expected = {
        "good-notebook": ("DescribeNotebookInstance", "MalformedResponse", "NotebookInstanceArn"),
        "good-notebook-eu-west-1": ("DescribeNotebookInstance", "MalformedResponse", "NotebookInstanceName"),
        "bad-notebook-eu-west-1": ("DescribeNotebookInstance", "MalformedResponse", "NotebookInstanceName"),
        "good-endpoint": ("DescribeEndpoint", "ValueError", "yesterday"),
    }
    for name, (operation, code, detail) in expected.items():
        resource = _by_name(unreadable, name)
        # The same resource as in the clean scan, under the same uid.
        assert resource.uid in estate.clean.resources, name
        error = by_uid[resource.uid]
        assert (error.operation, error.code) == (operation, code) and detail in error.message, name
        checks = [f for (_, uid), f in unreadable.findings.items() if uid == resource.uid]
        assert checks and all(f.status == Status.ERROR and f"sagemaker:{operation}" in f.message for f in checks), name
    training = [e for e in unreadable.errors if e.operation == "DescribeTrainingJob"]
    assert training and all(e.code == "AttributeError" for e in training)
    assert len(unreadable.errors) == len(expected) + len(training)


def test_an_unreadable_answer_spoils_nothing_else(estate: Estate, unreadable: Scan) -> None:
    errored = {e.resource_uid for e in unreadable.errors}
    # Only what nothing but the unreadable resources referenced goes unfetched.
    missing = estate.clean.resources.keys() - unreadable.resources.keys()
    assert missing <= estate.clean.reached_from(errored)
    assert unreadable.resources.keys() <= estate.clean.resources.keys()
    changed = [
        k
        for k, f in unreadable.findings.items()
        if f.status != Status.ERROR and _verdict(f) != _verdict(estate.clean.findings[k])
    ]
    assert changed == []
    failed_calls = {f"{e.service}:{e.operation}" for e in unreadable.errors}
    for key, finding in unreadable.findings.items():
        if finding.status == Status.ERROR:
            assert any(call in finding.message for call in failed_calls), key
    # Who uses a security group or role cannot be answered while a possible user is unread:
    # ERROR naming that read, not a PASS on the users that happened to be readable.
    for check in ("aws.ec2.security_group_training_inference_separation", "aws.iam.role_not_shared_training_inference"):
        verdicts = [f for (c, _), f in unreadable.findings.items() if c == check]
        assert verdicts and all(
            f.status == Status.ERROR and "sagemaker:DescribeTrainingJob" in f.message for f in verdicts
        ), check


# ------------------------------------------------------------------------ lists that go on


def _endless(operation: str) -> tuple[boto3.Session, Counter[str]]:
    """A session on which every page of a SageMaker list names a new NextToken (moto's first page, asked again
    each time), and the requests of that list made per region."""
    requests: Counter[str] = Counter()
    pages = iter(range(1, 1_000_000))

    def count(request: Any, event_name: str, **_: Any) -> None:
        requests[next(region for region in REGIONS if f".{region}." in request.url)] += 1

    def forget_token(params: dict[str, Any], **_: Any) -> None:
        params.pop("NextToken", None)

    def new_token(response_dict: dict[str, Any], **_: Any) -> None:
        body = json.loads(response_dict["body"])
        response_dict["body"] = json.dumps({**body, "NextToken": f"page-{next(pages)}"}).encode()

    session = boto3.Session()
    session.events.register_first(f"before-send.sagemaker.{operation}", count)
    session.events.register(f"before-parameter-build.sagemaker.{operation}", forget_token)
    session.events.register(f"before-parse.sagemaker.{operation}", new_token)
    return session, requests


def test_a_list_whose_pages_never_end_is_error_at_max_pages(estate: Estate) -> None:
    """botocore's paginator stops only on a token it saw twice; a new token on every page ran forever."""
    session, requests = _endless("ListNotebookInstances")
    capped = _scan(session, estate.db_url, max_pages=3)
    # The page past the cap is the one that shows the list goes on.
    assert requests == {region: 3 + 1 for region in REGIONS}
    assert capped.record.status == "incomplete"
    assert {(e.service, e.operation, e.code, e.region, e.resource_uid) for e in capped.errors} == {
        ("sagemaker", "ListNotebookInstances", "TooManyPages", region, None) for region in REGIONS
    }
    assert all("3 pages" in e.message for e in capped.errors)
    notebooks = [f for f in capped.findings.values() if f.resource_type == "aws.sagemaker.notebook_instance"]
    assert notebooks and {f.status for f in notebooks} == {Status.ERROR}
    assert all("sagemaker:ListNotebookInstances" in f.message for f in notebooks)
    # Every other verdict is the clean scan's, or ERROR where it depended on the notebooks.
    for key, clean in estate.clean.findings.items():
        if clean.resource_type != "aws.sagemaker.notebook_instance" and key in capped.findings:
            assert _verdict(capped.findings[key]) == _verdict(clean) or capped.findings[key].status == Status.ERROR
