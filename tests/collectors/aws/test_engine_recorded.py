"""The collector and the checks against recorded SageMaker answers in the real JSON wire format.

moto drops or mangles SageMaker fields (DescribeModel's EnableNetworkIsolation,
DescribeTrainingJob's Environment, ...). Here SageMaker is answered by
recordings in the shape the real API sends (tests/fixtures/aws/sagemaker/
<Operation>.json: a list of {"request": <JSON body sent>, "response": <JSON body
received>}), replayed as HTTP responses under the real botocore client, so
botocore itself parses them (epoch-second timestamps, booleans, maps) exactly
as it parses AWS. Everything else (STS, EC2, IAM, KMS, S3, ...) is moto, as in
the other collector tests.

How the replay wins: botocore's endpoint emits `before-send.sagemaker.<Operation>`
and sends the first non-None answer of its handlers, most specific event name
first. moto answers every service from a handler on plain `before-send`, so a
handler on `before-send.sagemaker.<Operation>` is consulted first and its
answer is the one used (`test_the_replay_takes_precedence_over_moto` checks the
order and the outcome). botocore still calls moto's handler afterwards (it
`emit`s, it does not stop at the first answer), and discards what it returns.

The list answers of SageMaker kinds that have no recording are generated from
the collector's own specs (empty lists), so every SageMaker call the collector
makes is answered here and never by moto; an unexpected call is a violation.
"""

from __future__ import annotations

import io
import json
import re
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from email.utils import formatdate
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import boto3
import botocore.session
import pytest
from botocore import xform_name
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from botocore.exceptions import ClientError
from botocore.model import Shape
from moto import mock_aws

from collectors.aws import AwsSession, aws_collector
from collectors.aws.specs import LIST_SPECS
from cspm_ai.doc import get
from cspm_ai.engine import EvaluationSettings, Snapshot, evaluate
from cspm_ai.model import CollectionResult, Finding, Resource, Status
from cspm_ai.registry import all_checks

ACCOUNT = "123456789012"
REGION = "us-east-1"
SAGEMAKER_HOST = f"api.sagemaker.{REGION}.amazonaws.com"
TAGGING_HOST = f"tagging.{REGION}.amazonaws.com"
RECORDINGS = Path(__file__).resolve().parents[2] / "fixtures" / "aws" / "sagemaker"
# The Resource Groups Tagging API's GetResources answer: the tags of the recorded SageMaker resources.
TAG_RECORDING = Path(__file__).resolve().parents[2] / "fixtures" / "aws" / "tagging" / "GetResources.json"

ROLE = f"arn:aws:iam::{ACCOUNT}:role/service-role/AmazonSageMaker-ExecutionRole-20240501T101500"
KEY = f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1f4c2a9e-7b3d-4e8a-9c61-5d2b0e8f3a47"
BUCKET = f"sagemaker-{REGION}-{ACCOUNT}"
SUBNETS = ("subnet-0a1b2c3d4e5f60718", "subnet-0f9e8d7c6b5a40312")
SECURITY_GROUP = "sg-0123456789abcdef0"

ISOLATED_MODEL = "fraud-detector-xgb-v3"
OPEN_MODEL = "huggingface-pytorch-tgi-inference-2024-05-02-08-41-09-763"
SECURE_JOB = "pytorch-training-2024-05-01-10-15-32-417"
LEAKY_JOB = "huggingface-pytorch-training-2024-05-02-08-12-40-215"

# The fake credentials planted in the recordings; none may survive into anything stored or reported.
PLANTED_SECRETS = {
    "model AWS secret access key": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    "model AWS access key id": "AKIAIOSFODNN7EXAMPLE",
    "model Hugging Face token": "hf_kFAKEq8WtZr2uYc9LmN4bV7xP3sJ6dH0gTeA",
    "job Hugging Face token": "hf_FAKEtRaInJoB5q2Wn8Xc4Vb7Nm1Lk3Jh6Gf9Ds0",
    "job W&B API key": "0f3c9b5e7a2d4c1f8e6b3a9d5c7e1f2a4b6c8d0e",
    "job database password": "Tr41ningPassw0rd",
    "job tag GitHub token": "ghp_FAKE1a2B3c4D5e6F7g8H9i0J1k2L3m4N5o6P7q8",
}

# Where the redactor must find each planted secret, and nothing else (no false positives on the
# near misses in the recordings: MAX_TOTAL_TOKENS, tokenizer_name, KmsKeyId ARNs, ...).
EXPECTED_REDACTIONS = {
    ISOLATED_MODEL: set(),
    OPEN_MODEL: {
        ("PrimaryContainer.Environment.HF_TOKEN", "secret_by_name"),
        ("PrimaryContainer.Environment.AWS_ACCESS_KEY_ID", "aws_access_key_id"),
        ("PrimaryContainer.Environment.AWS_SECRET_ACCESS_KEY", "secret_by_name"),
    },
    SECURE_JOB: set(),
    LEAKY_JOB: {
        ("FailureReason", "huggingface_token"),
        ("HyperParameters.hf_token", "secret_by_name"),
        ("Environment.DATABASE_URL", "url_password"),
        ("Environment.WANDB_API_KEY", "secret_by_name"),
        ("tags.ci-deploy-token", "secret_by_name"),
    },
}

RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$")


# --------------------------------------------------------------------------- the service model


_SAGEMAKER_MODEL = botocore.session.get_session().get_service_model("sagemaker")
_TAGGING_MODEL = botocore.session.get_session().get_service_model("resourcegroupstaggingapi")
_API_NAMES = {xform_name(op): op for op in _SAGEMAKER_MODEL.operation_names}


def api_name(method: str) -> str:
    """`list_models` -> `ListModels`, as the service model names it."""
    return _API_NAMES[method]


def _pattern(shape: Shape) -> re.Pattern[str] | None:
    text = shape.metadata.get("pattern")
    if not text:
        return None
    try:
        return re.compile(text)
    except re.error:  # Java-only constructs such as \p{L}: the other constraints still apply
        return None


def shape_problems(value: Any, shape: Shape, path: str = "") -> Iterator[str]:
    """Where a JSON document departs from a botocore shape: names, types, enums, lengths, patterns.

    JSON protocol wire types: timestamps are epoch seconds (numbers), blobs base64 text.
    """
    where = path or "<root>"
    check = _SHAPE_CHECKS.get(shape.type_name)
    if check is None:
        yield f"{where}: unhandled shape type {shape.type_name}"
        return
    yield from check(value, shape, path, where)


def _child(path: str, name: object) -> str:
    return f"{path}.{name}" if path else str(name)


def _structure_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{where}: expected an object, got {type(value).__name__}"
        return
    for name in shape.required_members:
        if name not in value:
            yield f"{where}: required member {name} is missing"
    for name, member in value.items():
        if name not in shape.members:
            yield f"{where}: {name} is not a member of {shape.name}"
            continue
        yield from shape_problems(member, shape.members[name], _child(path, name))


def _list_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, list):
        yield f"{where}: expected a list, got {type(value).__name__}"
        return
    yield from _bounds(len(value), shape, where, "length")
    for i, item in enumerate(value):
        yield from shape_problems(item, shape.member, _child(path, i))


def _map_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, dict):
        yield f"{where}: expected a map, got {type(value).__name__}"
        return
    yield from _bounds(len(value), shape, where, "size")
    for key, item in value.items():
        yield from shape_problems(key, shape.key, f"{where}<key {key!r}>")
        yield from shape_problems(item, shape.value, _child(path, key))


def _string_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, str):
        yield f"{where}: expected a string, got {type(value).__name__}"
        return
    if shape.enum and value not in shape.enum:
        yield f"{where}: {value!r} is not one of {shape.name}'s values"
    yield from _bounds(len(value), shape, where, "length")
    pattern = _pattern(shape)
    if pattern is not None and not pattern.fullmatch(value):
        yield f"{where}: {value!r} does not match {shape.name}'s pattern {pattern.pattern!r}"


def _boolean_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, bool):
        yield f"{where}: expected a boolean, got {type(value).__name__}"


def _integer_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, int) or isinstance(value, bool):
        yield f"{where}: expected an integer, got {type(value).__name__}"
        return
    yield from _bounds(value, shape, where, "value")


def _number_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        yield f"{where}: expected a number, got {type(value).__name__}"


def _timestamp_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        yield f"{where}: expected epoch seconds (a JSON number), got {type(value).__name__}"
    elif not 1_136_073_600 <= value <= 4_102_444_800:  # 2006 .. 2100
        yield f"{where}: {value} is not a plausible epoch-seconds timestamp"


def _blob_problems(value: Any, shape: Shape, path: str, where: str) -> Iterator[str]:
    if not isinstance(value, str):
        yield f"{where}: expected base64 text, got {type(value).__name__}"


# One checker per botocore shape type (JSON protocol wire types).
_SHAPE_CHECKS: dict[str, Callable[[Any, Shape, str, str], Iterator[str]]] = {
    "structure": _structure_problems,
    "list": _list_problems,
    "map": _map_problems,
    "string": _string_problems,
    "boolean": _boolean_problems,
    "integer": _integer_problems,
    "long": _integer_problems,
    "float": _number_problems,
    "double": _number_problems,
    "timestamp": _timestamp_problems,
    "blob": _blob_problems,
}


def _bounds(measure: int, shape: Shape, where: str, what: str) -> Iterator[str]:
    low, high = shape.metadata.get("min"), shape.metadata.get("max")
    if low is not None and measure < low:
        yield f"{where}: {what} {measure} is below {shape.name}'s minimum {low}"
    if high is not None and measure > high:
        yield f"{where}: {what} {measure} is above {shape.name}'s maximum {high}"


def timestamps(value: Any, shape: Shape, path: str = "") -> Iterator[tuple[str, float]]:
    """(dotted path, epoch seconds) of every timestamp member in a recorded answer."""
    if shape.type_name == "timestamp":
        yield path, value
    elif shape.type_name == "structure" and isinstance(value, dict):
        for name, item in value.items():
            if name in shape.members:
                yield from timestamps(item, shape.members[name], f"{path}.{name}" if path else name)
    elif shape.type_name == "list" and isinstance(value, list):
        for i, item in enumerate(value):
            yield from timestamps(item, shape.member, f"{path}.{i}" if path else str(i))
    elif shape.type_name == "map" and isinstance(value, dict):
        for key, item in value.items():
            yield from timestamps(item, shape.value, f"{path}.{key}" if path else key)


# --------------------------------------------------------------------------- recordings


def load_recordings() -> dict[str, list[dict[str, Any]]]:
    """Operation -> recorded exchanges: the files, plus an empty answer for every other list call.

    The empty answers come from the collector's specs, not a hand-made list, so a kind added to
    the specs is answered here too (and its list key is checked against the service model).
    """
    recordings: dict[str, list[dict[str, Any]]] = {
        path.stem: json.loads(path.read_text()) for path in sorted(RECORDINGS.glob("*.json"))
    }
    for spec in LIST_SPECS:
        if spec.service != "sagemaker":
            continue
        operation = api_name(spec.list_op)
        if operation not in recordings:
            recordings[operation] = [
                {
                    "request": {**spec.list_params, "MaxResults": 100},
                    "response": {spec.list_key: []},
                }
            ]
    return recordings


class _RecordedBody(io.BytesIO):
    """The `raw` of an AWSResponse: botocore reads the body through `raw.stream()` (urllib3's API)."""

    def stream(self, amt: int = 2**16, decode_content: bool | None = None, **_: Any) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def _text(value: str | bytes | None) -> str:
    return value.decode() if isinstance(value, bytes) else (value or "")


def _not_found(operation: str, body: Mapping[str, Any]) -> str:
    """The 400 ValidationException message for a name the account does not have.

    DescribeModel's wording is the real API's; the others are close paraphrases (no check reads them).
    """
    if operation == "DescribeModel":
        return f'Could not find model "arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/{body.get("ModelName")}".'
    return "Requested resource not found."


@dataclass
class SageMakerReplay:
    """Answers SageMaker requests from recordings as real HTTP responses, and checks each request."""

    recordings: dict[str, list[dict[str, Any]]]
    tag_recordings: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    tag_calls: list[dict[str, Any]] = field(default_factory=list)
    violations: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def install(self, session: boto3.Session) -> None:
        """Register on the session, before any client is made (clients copy the session's handlers)."""
        for operation in self.recordings:
            session.events.register(f"before-send.sagemaker.{operation}", self.answer)
        # Consulted after the per-operation handlers: catches SageMaker calls that have no recording.
        session.events.register("before-send.sagemaker", self.unrecorded)
        session.events.register("before-send.resource-groups-tagging-api.GetResources", self.answer_tags)

    def answer_tags(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse:
        """GetResources from its recording, its request checked as SageMaker's are."""
        body = json.loads(_text(request.body) or "{}")
        operation = _TAGGING_MODEL.operation_model("GetResources")
        problems = [f"GetResources: {p}" for p in shape_problems(body, operation.input_shape)]
        if urlsplit(request.url).hostname != TAGGING_HOST:
            problems.append(f"GetResources: sent to {request.url}, not {TAGGING_HOST}")
        if _text(request.headers.get("X-Amz-Target")) != "ResourceGroupsTaggingAPI_20170126.GetResources":
            problems.append(f"GetResources: X-Amz-Target is {request.headers.get('X-Amz-Target')!r}")
        with self._lock:
            self.tag_calls.append(body)
            self.violations.extend(problems)
        for exchange in self.tag_recordings:
            if exchange["request"] == body and not problems:
                return self.reply(request, 200, exchange["response"])
        return self.error(request, "InvalidParameterException", "; ".join(problems) or "GetResources is not recorded")

    def answer(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse:
        operation = event_name.rsplit(".", 1)[-1]
        body = json.loads(_text(request.body) or "{}")
        problems = self._request_problems(operation, request, body)
        with self._lock:
            self.calls.append((operation, body))
            self.violations.extend(problems)
        if problems:
            return self.error(request, "ValidationException", "; ".join(problems))
        for exchange in self.recordings[operation]:
            if exchange["request"] == body:
                return self.reply(request, 200, exchange["response"])
        return self.error(request, "ValidationException", _not_found(operation, body))

    def unrecorded(self, request: AWSPreparedRequest, event_name: str, **_: Any) -> AWSResponse | None:
        operation = event_name.rsplit(".", 1)[-1]
        if operation in self.recordings:
            return None  # answered by the per-operation handler, which botocore consulted first
        with self._lock:
            self.violations.append(f"{operation}: called, but no recording answers it")
        return self.error(request, "ValidationException", f"{operation} is not recorded")

    @staticmethod
    def _request_problems(operation: str, request: AWSPreparedRequest, body: dict[str, Any]) -> list[str]:
        problems = [
            f"{operation}: {p}" for p in shape_problems(body, _SAGEMAKER_MODEL.operation_model(operation).input_shape)
        ]
        if urlsplit(request.url).hostname != SAGEMAKER_HOST:
            problems.append(f"{operation}: sent to {request.url}, not {SAGEMAKER_HOST}")
        if _text(request.headers.get("X-Amz-Target")) != f"SageMaker.{operation}":
            problems.append(f"{operation}: X-Amz-Target is {request.headers.get('X-Amz-Target')!r}")
        if operation.startswith(("List", "Search")) and body.get("MaxResults") != 100:
            problems.append(f"{operation}: MaxResults is {body.get('MaxResults', '<absent>')!r}, not 100")
        return problems

    @staticmethod
    def reply(request: AWSPreparedRequest, status: int, document: Mapping[str, Any]) -> AWSResponse:
        raw = json.dumps(document).encode()
        headers = {
            "x-amzn-RequestId": str(uuid.uuid4()),
            "Content-Type": "application/x-amz-json-1.1",
            "Content-Length": str(len(raw)),
            "Date": formatdate(usegmt=True),
        }
        return AWSResponse(request.url, status, headers, _RecordedBody(raw))

    @classmethod
    def error(cls, request: AWSPreparedRequest, code: str, message: str) -> AWSResponse:
        """A JSON 1.1 error as SageMaker sends it: HTTP 400, `__type` and `message`."""
        return cls.reply(request, 400, {"__type": code, "message": message})


# --------------------------------------------------------------------------- the scan


@dataclass
class Scanned:
    replay: SageMakerReplay
    session: boto3.Session
    result: CollectionResult
    findings: list[Finding]
    calls: list[tuple[str, dict[str, Any]]]  # the collector's SageMaker calls (later tests add their own)

    def resource(self, name: str) -> Resource:
        [found] = [r for r in self.result.resources if r.name == name]
        return found

    def verdict(self, check_id: str, name: str) -> Finding:
        [found] = [f for f in self.findings if f.check_id == check_id and f.resource_name == name]
        return found


def _fake_aws_environment() -> pytest.MonkeyPatch:
    """The suite's fake credentials, set here because a module fixture runs before the autouse one."""
    from tests.conftest import _FAKE_AWS

    patch = pytest.MonkeyPatch()
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "CSPM_AI_CONFIG", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        patch.delenv(name, raising=False)
    for name, value in _FAKE_AWS.items():
        patch.setenv(name, value)
    patch.setenv("AWS_CONFIG_FILE", "/nonexistent/aws-config")
    patch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent/aws-credentials")
    return patch


def _plant_in_moto() -> None:
    """What moto serves: the execution role and bucket the recordings name, and SageMaker decoys.

    The decoys would change every verdict if moto, not the recordings, answered SageMaker.
    """
    iam = boto3.client("iam")
    iam.create_role(
        Path="/service-role/",
        RoleName=ROLE.rsplit("/", 1)[-1],
        AssumeRolePolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    sm = boto3.client("sagemaker")
    sm.create_model(
        ModelName=ISOLATED_MODEL,
        ExecutionRoleArn=ROLE,
        EnableNetworkIsolation=False,
        PrimaryContainer={"Image": "moto-decoy-image"},
    )
    sm.create_notebook_instance(NotebookInstanceName="moto-decoy-notebook", InstanceType="ml.t3.medium", RoleArn=ROLE)


def load_tag_recordings() -> list[dict[str, Any]]:
    recorded: list[dict[str, Any]] = json.loads(TAG_RECORDING.read_text())
    return recorded


def _scan(recordings: dict[str, list[dict[str, Any]]]) -> Scanned:
    """One collection and evaluation, inside an active mock_aws with the moto extensions installed."""
    replay = SageMakerReplay(recordings, load_tag_recordings())
    session = boto3.Session()
    replay.install(session)
    collector = aws_collector(session=AwsSession(boto_session=session), regions=[REGION])
    result = collector.collect()
    snapshot = Snapshot(result.resources, result.relations, result.errors)
    findings = evaluate(snapshot, all_checks("aws"), EvaluationSettings(scan_started_at=datetime.now(UTC)))
    return Scanned(replay, session, result, findings, calls=list(replay.calls))


@pytest.fixture(scope="module")
def moto_estate() -> Iterator[None]:
    from moto_fixtures.extensions import install

    env = _fake_aws_environment()
    try:
        with mock_aws():
            install()
            _plant_in_moto()
            yield
    finally:
        env.undo()


@pytest.fixture(scope="module")
def scanned(moto_estate: None) -> Scanned:
    return _scan(load_recordings())


def _recorded(operation: str, **request: Any) -> dict[str, Any]:
    [answer] = [e["response"] for e in load_recordings()[operation] if e["request"] == request]
    return answer


def _searched_models() -> dict[str, Any]:
    return _recorded("Search", Resource="Model", MaxResults=100)


# --------------------------------------------------------------------------- the recordings themselves


def test_the_recordings_are_in_the_real_api_shape() -> None:
    recordings = load_recordings()
    problems = []
    for operation, exchanges in recordings.items():
        assert operation in _SAGEMAKER_MODEL.operation_names, f"{operation}.json names no SageMaker operation"
        model = _SAGEMAKER_MODEL.operation_model(operation)
        for i, exchange in enumerate(exchanges):
            assert set(exchange) == {"request", "response"}, f"{operation}[{i}]"
            problems += [
                f"{operation}[{i}] request {p}" for p in shape_problems(exchange["request"], model.input_shape)
            ]
            problems += [
                f"{operation}[{i}] response {p}" for p in shape_problems(exchange["response"], model.output_shape)
            ]
    assert problems == []
    # The files hold the describe answers of what their list answers name, and the tags of each. A model's
    # Search record (a ModelDashboardModel) holds the `Model` data type: DescribeModel's answer and its Tags.
    searched = {r["Model"]["Model"]["ModelName"]: r["Model"]["Model"] for r in _searched_models()["Results"]}
    listed_jobs = {j["TrainingJobName"] for j in _recorded("ListTrainingJobs", MaxResults=100)["TrainingJobSummaries"]}
    assert {e["request"]["ModelName"] for e in recordings["DescribeModel"]} == set(searched)
    for exchange in recordings["DescribeModel"]:
        record = dict(searched[exchange["request"]["ModelName"]])
        record.pop("Tags", None)
        assert record == exchange["response"]
    assert {e["request"]["TrainingJobName"] for e in recordings["DescribeTrainingJob"]} == listed_jobs
    # GetResources names the tagged ones of those resources (it lists resources that have or had tags).
    get_resources = _TAGGING_MODEL.operation_model("GetResources")
    [tags] = load_tag_recordings()
    assert list(shape_problems(tags["request"], get_resources.input_shape)) == []
    assert list(shape_problems(tags["response"], get_resources.output_shape)) == []
    described = {
        e["response"][arn]
        for operation, arn in (("DescribeModel", "ModelArn"), ("DescribeTrainingJob", "TrainingJobArn"))
        for e in recordings[operation]
    }
    assert {m["ResourceARN"] for m in tags["response"]["ResourceTagMappingList"]} < described
    # The secrets the tests look for are the ones the recordings hold.
    text = "".join(path.read_text() for path in [*RECORDINGS.glob("*.json"), TAG_RECORDING])
    assert all(secret in text for secret in PLANTED_SECRETS.values())


def test_the_validator_catches_what_moto_gets_wrong() -> None:
    """The shape check would reject a mangled answer (string booleans, ISO timestamps, unknown names)."""
    output = _SAGEMAKER_MODEL.operation_model("DescribeModel").output_shape
    good = _recorded("DescribeModel", ModelName=ISOLATED_MODEL)
    assert list(shape_problems(good, output)) == []
    mangled = {**good, "EnableNetworkIsolation": "true", "CreationTime": "2024-04-29T16:20:11Z", "Extra": 1}
    problems = list(shape_problems(mangled, output))
    assert len(problems) == 3, problems


# --------------------------------------------------------------------------- the replay mechanism


def test_the_replay_takes_precedence_over_moto(scanned: Scanned) -> None:
    from moto.core.models import botocore_stubber

    client = scanned.session.client("sagemaker", region_name=REGION)
    # Empirically: botocore consults handlers most specific first, and moto's is on "before-send".
    order = list(client.meta.events._emitter._handlers.prefix_search("before-send.sagemaker.DescribeModel"))
    ours = next(i for i, h in enumerate(order) if h == scanned.replay.answer)
    assert botocore_stubber in order, "moto's handler is not installed, so this proves nothing"
    assert ours < order.index(botocore_stubber)
    # And in effect: moto holds a same-named model (no isolation, a decoy image) and a notebook.
    described = client.describe_model(ModelName=ISOLATED_MODEL)
    assert described["PrimaryContainer"]["Image"].endswith("/sagemaker-xgboost:1.7-1")
    assert described["EnableNetworkIsolation"] is True
    assert described["CreationTime"] == datetime(2024, 4, 29, 16, 20, 11, 28000, tzinfo=UTC)
    assert client.list_notebook_instances(MaxResults=100)["NotebookInstances"] == []
    assert boto3.client("sagemaker").list_notebook_instances()["NotebookInstances"], "moto lost its decoy"
    assert not [r for r in scanned.result.resources if r.type == "aws.sagemaker.notebook_instance"]


def test_an_unknown_name_gets_the_real_error_shape(scanned: Scanned) -> None:
    client = scanned.session.client("sagemaker", region_name=REGION)
    with pytest.raises(ClientError) as raised:
        client.describe_model(ModelName="no-such-model")
    response = raised.value.response
    assert response["Error"]["Code"] == "ValidationException"
    assert response["Error"]["Message"] == (
        f'Could not find model "arn:aws:sagemaker:{REGION}:{ACCOUNT}:model/no-such-model".'
    )
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RequestId"]


def test_every_sagemaker_call_was_answered_from_the_recordings(scanned: Scanned) -> None:
    replay = scanned.replay
    assert replay.violations == []
    assert scanned.result.errors == []
    called = {operation for operation, _ in scanned.calls}
    sagemaker_lists = {api_name(s.list_op) for s in LIST_SPECS if s.service == "sagemaker"}
    # Models come whole from Search (with their tags): no DescribeModel.
    assert "Search" in sagemaker_lists
    assert called == sagemaker_lists | {"DescribeTrainingJob"}
    lists = [(operation, body) for operation, body in scanned.calls if operation.startswith(("List", "Search"))]
    assert lists and all(body["MaxResults"] == 100 for _, body in lists)
    # One describe per listed resource: nothing asked twice.
    bodies = [json.dumps([operation, body], sort_keys=True) for operation, body in scanned.calls]
    assert len(bodies) == len(set(bodies))
    assert sorted(b["TrainingJobName"] for op, b in scanned.calls if op.startswith("Describe")) == sorted(
        (SECURE_JOB, LEAKY_JOB)
    )
    # And the tags of the rest in one GetResources of the region, not a ListTags each.
    assert scanned.replay.tag_calls == [{"ResourceTypeFilters": ["sagemaker"], "ResourcesPerPage": 100}]


# --------------------------------------------------------------------------- what the collector stores


def _differences(stored: Any, recorded: Any, shape: Shape, path: str = "") -> Iterator[str]:
    """How a stored config departs from the recorded answer, timestamps compared as instants."""
    where = path or "<root>"
    if shape.type_name == "timestamp":
        if not (isinstance(stored, str) and RFC3339_UTC.match(stored)):
            yield f"{where}: {stored!r} is not an RFC 3339 UTC timestamp"
        elif abs(datetime.fromisoformat(stored).timestamp() - recorded) > 0.0005:
            yield f"{where}: {stored} is not the recorded instant {recorded}"
    elif shape.type_name in ("structure", "map") and isinstance(recorded, dict):
        if not isinstance(stored, dict):
            yield f"{where}: stored {stored!r}"
            return
        for name in sorted(set(stored) | set(recorded)):
            at = f"{path}.{name}" if path else name
            if name not in recorded or name not in stored:
                yield f"{at}: only in {'stored' if name in stored else 'recorded'}"
            else:
                member = shape.members[name] if shape.type_name == "structure" else shape.value
                yield from _differences(stored[name], recorded[name], member, at)
    elif shape.type_name == "list" and isinstance(recorded, list):
        if not isinstance(stored, list) or len(stored) != len(recorded):
            yield f"{where}: stored {stored!r}"
            return
        for i, (s, r) in enumerate(zip(stored, recorded, strict=True)):
            yield from _differences(s, r, shape.member, f"{path}.{i}" if path else str(i))
    elif stored != recorded or type(stored) is not type(recorded):
        yield f"{where}: stored {stored!r}, recorded {recorded!r}"


def _redacted_paths(resource: Resource) -> set[str]:
    return {r["path"] for r in resource.redactions}


@pytest.mark.parametrize(
    ("name", "operation", "request_key"),
    [
        (ISOLATED_MODEL, "DescribeModel", "ModelName"),
        (OPEN_MODEL, "DescribeModel", "ModelName"),
        (SECURE_JOB, "DescribeTrainingJob", "TrainingJobName"),
        (LEAKY_JOB, "DescribeTrainingJob", "TrainingJobName"),
    ],
)
def test_the_stored_config_is_the_recorded_answer(
    scanned: Scanned, name: str, operation: str, request_key: str
) -> None:
    """Every recorded field survives (EnableNetworkIsolation, Environment, RetryStrategy, ...), unmangled;
    only the redacted values differ, and only timestamps change form."""
    resource = scanned.resource(name)
    recorded = _recorded(operation, **{request_key: name})
    shape = _SAGEMAKER_MODEL.operation_model(operation).output_shape
    redacted = _redacted_paths(resource)
    differences = [d for d in _differences(resource.config, recorded, shape) if d.split(":", 1)[0] not in redacted]
    assert differences == []
    for path in redacted - {p for p in redacted if p.startswith("tags.")}:
        assert "[REDACTED:" in get(resource.config, path)


def test_epoch_timestamps_arrive_as_rfc3339_strings(scanned: Scanned) -> None:
    model = scanned.resource(ISOLATED_MODEL)
    assert model.config["CreationTime"] == "2024-04-29T16:20:11.028000Z"
    job = scanned.resource(SECURE_JOB)
    assert get(job.config, "FinalMetricDataList.0.Timestamp") == "2024-05-01T13:01:38Z"
    shape = _SAGEMAKER_MODEL.operation_model("DescribeTrainingJob").output_shape
    seen = 0
    for name in (SECURE_JOB, LEAKY_JOB):
        recorded = _recorded("DescribeTrainingJob", TrainingJobName=name)
        for path, epoch in timestamps(recorded, shape):
            stored = get(scanned.resource(name).config, path)
            assert isinstance(stored, str) and RFC3339_UTC.match(stored), (path, stored)
            assert datetime.fromisoformat(stored) == datetime.fromtimestamp(epoch, UTC), path
            seen += 1
    assert seen >= 20  # Creation/Start/End/LastModified, every status transition and metric


def test_model_network_isolation_survives_and_is_judged(scanned: Scanned) -> None:
    assert scanned.resource(ISOLATED_MODEL).config["EnableNetworkIsolation"] is True
    assert scanned.resource(OPEN_MODEL).config["EnableNetworkIsolation"] is False
    isolated = scanned.verdict("aws.sagemaker.model_network_isolation", ISOLATED_MODEL)
    open_ = scanned.verdict("aws.sagemaker.model_network_isolation", OPEN_MODEL)
    assert (isolated.status, isolated.evidence) == (Status.PASS, {"EnableNetworkIsolation": True})
    # The recorded explicit false, not "<absent>": the field came through.
    assert (open_.status, open_.evidence) == (Status.FAIL, {"EnableNetworkIsolation": False})
    assert scanned.verdict("aws.sagemaker.model_in_vpc", ISOLATED_MODEL).status == Status.PASS
    assert scanned.verdict("aws.sagemaker.model_in_vpc", OPEN_MODEL).status == Status.FAIL


def test_training_job_environment_is_stored_redacted(scanned: Scanned) -> None:
    leaky = scanned.resource(LEAKY_JOB)
    environment = leaky.config["Environment"]
    assert environment["WANDB_API_KEY"] == "[REDACTED:secret_by_name]"
    assert environment["DATABASE_URL"] == (
        "postgresql://trainer:[REDACTED:url_password]@feature-db.internal.example.com:5432/features"
    )
    # What is not secret is kept as recorded.
    assert environment["WANDB_PROJECT"] == "llama2-chat-finetune"
    assert environment["TRANSFORMERS_CACHE"] == "/opt/ml/input/data/cache"
    assert scanned.resource(SECURE_JOB).config["Environment"] == {
        "NCCL_DEBUG": "WARN",
        "NCCL_PROTO": "simple",
        "SM_LOG_LEVEL": "20",
    }
    assert leaky.config["HyperParameters"]["hf_token"] == "[REDACTED:secret_by_name]"
    assert "[REDACTED:huggingface_token]" in leaky.config["FailureReason"]
    assert leaky.config["HyperParameters"]["tokenizer_name"] == '"meta-llama/Llama-2-7b-hf"'
    model_env = scanned.resource(OPEN_MODEL).config["PrimaryContainer"]["Environment"]
    assert model_env["AWS_SECRET_ACCESS_KEY"] == "[REDACTED:secret_by_name]"
    assert model_env["MAX_TOTAL_TOKENS"] == "4096"


@pytest.mark.parametrize("name", sorted(EXPECTED_REDACTIONS))
def test_redactions_name_each_planted_secret_and_nothing_else(scanned: Scanned, name: str) -> None:
    found = {(r["path"], r["kind"]) for r in scanned.resource(name).redactions}
    assert found == EXPECTED_REDACTIONS[name]


def test_no_secrets_check_fails_with_paths_never_values(scanned: Scanned) -> None:
    check = "aws.sagemaker.no_secrets_in_configuration"
    for name, expected in EXPECTED_REDACTIONS.items():
        finding = scanned.verdict(check, name)
        if not expected:
            assert finding.status == Status.PASS, name
            continue
        assert finding.status == Status.FAIL, name
        assert finding.evidence == {path: f"[REDACTED:{kind}]" for path, kind in expected}, name
    evidence = scanned.verdict(check, OPEN_MODEL).evidence
    assert evidence["PrimaryContainer.Environment.AWS_SECRET_ACCESS_KEY"] == "[REDACTED:secret_by_name]"
    assert "Environment.WANDB_API_KEY" in scanned.verdict(check, LEAKY_JOB).evidence


def _windows(secret: str, width: int = 10) -> set[str]:
    return {secret[i : i + width] for i in range(len(secret) - width + 1)} or {secret}


def test_planted_secrets_appear_nowhere(scanned: Scanned) -> None:
    """Not whole, not in part: every resource (config, tags, name), relation, error and finding."""
    stored = json.dumps([asdict(r) for r in scanned.result.resources], default=str)
    rest = json.dumps(
        [
            [asdict(x) for x in scanned.result.relations],
            [asdict(e) for e in scanned.result.errors],
            [asdict(f) for f in scanned.findings],
        ],
        default=str,
    )
    for what, secret in PLANTED_SECRETS.items():
        for fragment in _windows(secret):
            assert fragment not in stored, f"{what} leaked into a stored resource"
            assert fragment not in rest, f"{what} leaked into a relation, error or finding"
    leaky = scanned.resource(LEAKY_JOB)
    assert leaky.tags == {"project": "llm-chat", "ci-deploy-token": "[REDACTED:secret_by_name]"}
    assert scanned.verdict("aws.sagemaker.no_secrets_in_configuration", LEAKY_JOB).resource_tags == leaky.tags


# --------------------------------------------------------------------------- the checks on the jobs


TRAINING_VERDICTS = {
    # check id: (secure job, leaky job)
    "aws.sagemaker.training_job_intercontainer_encryption": (Status.PASS, Status.FAIL),
    "aws.sagemaker.training_job_volume_encryption": (Status.PASS, Status.FAIL),
    "aws.sagemaker.training_job_output_encryption": (Status.PASS, Status.FAIL),
    "aws.sagemaker.training_job_network_isolation": (Status.PASS, Status.FAIL),
    "aws.sagemaker.training_job_in_vpc": (Status.PASS, Status.FAIL),
}


@pytest.mark.parametrize("check_id", sorted(TRAINING_VERDICTS))
def test_training_job_checks_judge_the_recorded_jobs(scanned: Scanned, check_id: str) -> None:
    secure, leaky = TRAINING_VERDICTS[check_id]
    assert scanned.verdict(check_id, SECURE_JOB).status == secure
    assert scanned.verdict(check_id, LEAKY_JOB).status == leaky


def test_training_job_encryption_evidence(scanned: Scanned) -> None:
    inter = scanned.verdict("aws.sagemaker.training_job_intercontainer_encryption", LEAKY_JOB)
    assert inter.evidence == {"ResourceConfig.InstanceCount": 2, "EnableInterContainerTrafficEncryption": False}
    volume = scanned.verdict("aws.sagemaker.training_job_volume_encryption", LEAKY_JOB)
    assert volume.evidence == {
        "ResourceConfig.VolumeKmsKeyId": "<absent>",
        "ResourceConfig.InstanceType": "ml.p3.8xlarge",
    }
    # DescribeTrainingJob answers an unset output key as "", not by leaving it out.
    output = scanned.verdict("aws.sagemaker.training_job_output_encryption", LEAKY_JOB)
    assert output.evidence == {"OutputDataConfig.KmsKeyId": ""}
    secure = scanned.verdict("aws.sagemaker.training_job_output_encryption", SECURE_JOB)
    assert secure.evidence == {"OutputDataConfig.KmsKeyId": KEY}


def test_no_sagemaker_finding_is_an_error(scanned: Scanned) -> None:
    errors = [
        (f.check_id, f.resource_name, f.message)
        for f in scanned.findings
        if f.status == Status.ERROR and f.resource_type.startswith("aws.sagemaker.")
    ]
    assert errors == []


# --------------------------------------------------------------------------- tags and relations


def test_tags_from_search_and_get_resources_land_in_resource_tags(scanned: Scanned) -> None:
    assert scanned.resource(ISOLATED_MODEL).tags == {
        "project": "fraud-detection",
        "owner": "ml-platform@example.com",
        "data-classification": "confidential",
    }
    assert scanned.resource(OPEN_MODEL).tags == {}
    assert scanned.resource(SECURE_JOB).tags == {"project": "fraud-detection", "cost-center": "cc-4711"}
    finding = scanned.verdict("aws.sagemaker.model_network_isolation", ISOLATED_MODEL)
    assert finding.resource_tags["project"] == "fraud-detection"


def test_relations_come_from_the_recorded_shape_and_reach_moto_resources(scanned: Scanned) -> None:
    edges = {(r.src.rsplit("/", 1)[-1], r.kind, r.dst) for r in scanned.result.relations}
    for name in (ISOLATED_MODEL, OPEN_MODEL, SECURE_JOB, LEAKY_JOB):
        assert (name, "uses_role", ROLE) in edges
        assert (name, "uses_bucket", f"arn:aws:s3:::{BUCKET}") in edges or name == OPEN_MODEL
    for name in (ISOLATED_MODEL, SECURE_JOB):
        for subnet in SUBNETS:
            assert (name, "in_subnet", f"arn:aws:ec2:{REGION}:{ACCOUNT}:subnet/{subnet}") in edges
        assert (name, "in_security_group", f"arn:aws:ec2:{REGION}:{ACCOUNT}:security-group/{SECURITY_GROUP}") in edges
    assert (SECURE_JOB, "encrypted_by", KEY) in edges
    assert not [e for e in edges if e[0] == LEAKY_JOB and e[1] == "encrypted_by"], "an empty KmsKeyId is no key"
    # The role and bucket are moto's, collected because the recorded resources reference them.
    assert scanned.resource(ROLE.rsplit("/", 1)[-1]).uid == ROLE
    assert scanned.resource(BUCKET).type == "aws.s3.bucket"


# --------------------------------------------------------------------------- failures in the wire format


def test_a_search_record_without_its_model_is_an_error_not_a_skip(moto_estate: None) -> None:
    """A Search result that lacks the Model object it should hold fails the read; the others are still judged."""
    recordings = load_recordings()
    recordings["Search"][0]["response"]["Results"].append({"Model": {"Endpoints": []}})
    rescanned = _scan(recordings)
    assert rescanned.replay.violations == []
    [error] = rescanned.result.errors
    assert (error.operation, error.code, error.resource_type) == ("Search", "MalformedResponse", "aws.sagemaker.model")
    assert "lacks the Model.Model object" in error.message
    assert rescanned.verdict("aws.sagemaker.model_network_isolation", ISOLATED_MODEL).status == Status.PASS


def test_a_secret_hyperparameter_does_not_leak_through_the_failure_reason(moto_estate: None) -> None:
    recordings = load_recordings()
    wandb = PLANTED_SECRETS["job W&B API key"]
    [job] = [e["response"] for e in recordings["DescribeTrainingJob"] if e["request"]["TrainingJobName"] == LEAKY_JOB]
    job["HyperParameters"]["wandb_api_key"] = json.dumps(wandb)  # the SDK JSON-encodes hyperparameter values
    job["FailureReason"] = job["FailureReason"].replace("--lr 0.0002", f"--lr 0.0002 --wandb_api_key {wandb}")
    assert list(shape_problems(job, _SAGEMAKER_MODEL.operation_model("DescribeTrainingJob").output_shape)) == []
    stored = _scan(recordings).resource(LEAKY_JOB)
    assert stored.config["HyperParameters"]["wandb_api_key"] == "[REDACTED:secret_by_name]"
    assert wandb not in stored.config["FailureReason"]
