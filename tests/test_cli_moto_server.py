"""The console command across a real process boundary: `python -m cspm_ai` against a moto server process.

Each server (clean, throttled, denying) runs in its own process, gets the mixed AI estate built
once through boto3 pointed at it with `AWS_ENDPOINT_URL`, and is scanned by the CLI in a third
process that knows the server only through `AWS_ENDPOINT_URL`. Everything is module scoped: one
estate and one scan per server.

The throttled scan spends most of its time in botocore's adaptive back-off (about a minute at a
30% throttle rate), so it is started in the background as soon as the module begins and only
awaited by the test that needs it; the other servers are built and scanned meanwhile.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from jsonschema import Draft202012Validator

from moto_fixtures.estate import EstateManifest, build_aws_estate
from moto_fixtures.server import FAULTS_PATH, running_server
from reports import load_schema

pytestmark = pytest.mark.server

REPO = Path(__file__).resolve().parent.parent
REGIONS = ("us-east-1", "eu-west-1")
ALLOWED = "us-east-1"
SCAN_ARGS = ("scan", "aws", "--regions", ",".join(REGIONS), "--allowed-regions", ALLOWED)
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
THROTTLE_RATE = 0.1
THROTTLE_SEED = 7
DENY = ("sagemaker:ListTrainingJobs", "kms:DescribeKey")
TRAINING_JOB = "aws.sagemaker.training_job"
CL09 = "aws.sagemaker.resource_in_allowed_region"
THROTTLING_CODES = frozenset({"Throttling", "ThrottlingException", "RequestLimitExceeded", "SlowDown"})
ACCESS_DENIED = re.compile(r"^(AccessDenied(Exception)?|UnauthorizedOperation)$")
# Identifiers a server invents (subnet/VPC/group ids, key and monitor UUIDs): they differ between
# two servers holding the same estate.
SERVER_IDS = re.compile(
    r"\b(?:vpc|subnet|sg|vpce)-[0-9a-f]{8,17}\b"
    r"|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"
)
CLI_TIMEOUT_S = 180
THROTTLED_TIMEOUT_S = 420


# ---------------------------------------------------------------------------------------- helpers


def cli_env(home: Path, endpoint: str | None) -> dict[str, str]:
    """The CLI's whole environment: fake credentials, the endpoint, config and data dirs in `home`."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CSPM_AI_")) and k not in ("COLUMNS", "LINES")
    }
    env.update(FAKE_AWS)
    env.update(
        {
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "AWS_CONFIG_FILE": str(home / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "aws-credentials"),
            # Test this tree, whatever else is installed.
            "PYTHONPATH": os.pathsep.join(p for p in (str(REPO), os.environ.get("PYTHONPATH", "")) if p),
            "NO_PROXY": "127.0.0.1,localhost",
            "no_proxy": "127.0.0.1,localhost",
        }
    )
    if endpoint is not None:
        env["AWS_ENDPOINT_URL"] = endpoint
    return env


def python_m(*args: str) -> list[str]:
    return [sys.executable, "-m", "cspm_ai", *args]


def run(command: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        timeout=CLI_TIMEOUT_S,
    )


def assert_ran(result: subprocess.CompletedProcess[str], code: int = 0) -> None:
    assert result.returncode == code, (result.returncode, result.stdout[-3000:], result.stderr[-3000:])
    assert "Traceback" not in result.stdout + result.stderr


_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def server_json(url: str, method: str = "GET") -> Any:
    with _NO_PROXY_OPENER.open(urllib.request.Request(url, method=method), timeout=10) as response:
        return json.loads(response.read())


@contextmanager
def patched_env(values: dict[str, str]) -> Iterator[None]:
    with pytest.MonkeyPatch.context() as mp:
        for name in [n for n in os.environ if n.startswith("AWS_")]:
            mp.delenv(name)
        for name, value in values.items():
            mp.setenv(name, value)
        yield


def _retry_throttling_at_once(response: Any, attempts: int, **_: Any) -> float | None:
    """needs-retry handler for the estate builder: a throttled create is retried without back-off."""
    if response is None or attempts >= 50:
        return None
    code = response[1].get("Error", {}).get("Code") if isinstance(response[1], dict) else None
    return 0.0 if code in THROTTLING_CODES else None


def _describe_aws_managed_key(client: Any, params: dict[str, Any], **_: Any) -> Any:
    """Answer the builder's one DescribeKey (of alias/aws/sagemaker) on a server that denies DescribeKey.

    Encrypt with the alias makes the server create that AWS managed key and returns its ARN, so the
    server state is exactly what the DescribeKey would have left; only the scan is denied.
    """
    body = params.get("body") or b"{}"
    key_id = json.loads(body.decode() if isinstance(body, bytes) else body).get("KeyId", "")
    if not str(key_id).startswith("alias/aws/"):
        return None
    arn = client.encrypt(KeyId=key_id, Plaintext=b"\0")["KeyId"]
    metadata = {"KeyId": arn.rsplit("/", 1)[-1], "Arn": arn, "KeyManager": "AWS"}
    return AWSResponse(client.meta.endpoint_url, 200, {}, None), {"KeyMetadata": metadata}


class BuilderSession(boto3.Session):
    """boto3 session for building an estate on a faulty server (never used by the scanner)."""

    def __init__(self, describe_managed_key_locally: bool = False) -> None:
        super().__init__()
        self._describe_locally = describe_managed_key_locally

    def client(self, *args: Any, **kwargs: Any) -> Any:
        client = super().client(*args, **kwargs)
        events = client.meta.events
        service = client.meta.service_model.service_id.hyphenize()
        events.register_first(f"needs-retry.{service}", _retry_throttling_at_once)
        if self._describe_locally and service == "kms":
            events.register_first("before-call.kms.DescribeKey", lambda **kw: _describe_aws_managed_key(client, **kw))
        return client


@dataclass
class ScannedServer:
    url: str
    manifest: EstateManifest
    home: Path
    db: str
    out: Path
    result: subprocess.CompletedProcess[str]
    faults: dict[str, dict[str, int]]
    report: dict[str, Any] = field(init=False)
    html: str = field(init=False)

    def __post_init__(self) -> None:
        self.report = json.loads((self.out / "report.json").read_text())
        self.html = (self.out / "report.html").read_text()

    @property
    def env(self) -> dict[str, str]:
        return cli_env(self.home, self.url)

    @property
    def scan_id(self) -> str:
        return str(self.report["scan"]["id"])

    @property
    def findings(self) -> list[dict[str, Any]]:
        return list(self.report["findings"])


@contextmanager
def estate_server(
    name: str, tmp_path_factory: pytest.TempPathFactory, **server_options: Any
) -> Iterator[tuple[str, EstateManifest, Path]]:
    """A moto server process holding the mixed estate; its counters reset after the build."""
    home = tmp_path_factory.mktemp(name)
    with ExitStack() as stack:
        with patched_env({**FAKE_AWS, "MOTO_IAM_LOAD_MANAGED_POLICIES": "false"}):
            # The child copies this environment; preloading every AWS managed policy costs it seconds.
            url = stack.enter_context(running_server(**server_options))
        with patched_env({**FAKE_AWS, "AWS_ENDPOINT_URL": url}):
            session = BuilderSession(describe_managed_key_locally=bool(server_options.get("deny")))
            manifest = build_aws_estate(session=session, regions=REGIONS)
        server_json(url + FAULTS_PATH, method="DELETE")  # count only what the scan meets
        yield url, manifest, home


def scan_command(home: Path, *extra: str) -> tuple[list[str], str, Path]:
    db = f"sqlite:///{(home / 'inventory.db').as_posix()}"
    out = home / "reports"
    return python_m(*SCAN_ARGS, "--db", db, "--output-dir", str(out), *extra), db, out


# ---------------------------------------------------------------------------------------- fixtures


@dataclass
class BackgroundScan:
    url: str
    manifest: EstateManifest
    home: Path
    db: str
    out: Path
    process: subprocess.Popen[str]
    _done: ScannedServer | None = None

    def wait(self) -> ScannedServer:
        if self._done is None:
            try:
                stdout, stderr = self.process.communicate(timeout=THROTTLED_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
                stdout, stderr = self.process.communicate()
                pytest.fail(f"the throttled scan did not finish in {THROTTLED_TIMEOUT_S} s:\n{stderr[-3000:]}")
            result = subprocess.CompletedProcess(self.process.args, self.process.returncode, stdout, stderr)
            assert_ran(result)
            faults = server_json(self.url + FAULTS_PATH)
            self._done = ScannedServer(self.url, self.manifest, self.home, self.db, self.out, result, faults)
        return self._done


@pytest.fixture(scope="module")
def throttled_scan(tmp_path_factory: pytest.TempPathFactory) -> Iterator[BackgroundScan]:
    with ExitStack() as stack:
        url, manifest, home = stack.enter_context(
            estate_server("throttled", tmp_path_factory, throttle_rate=THROTTLE_RATE, seed=THROTTLE_SEED)
        )
        command, db, out = scan_command(home)
        process = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            stdin=subprocess.DEVNULL,
            env=cli_env(home, url),
            cwd=home,
        )

        def stop() -> None:
            if process.poll() is None:
                process.kill()
            process.communicate()

        stack.callback(stop)
        yield BackgroundScan(url, manifest, home, db, out, process)


@pytest.fixture(scope="module", autouse=True)
def _start_throttled_scan_early(request: pytest.FixtureRequest) -> None:
    """Start the slow throttled scan first, if a selected test needs it, so it overlaps the rest."""
    if os.environ.get("PYTEST_XDIST_WORKER"):
        return  # a worker cannot tell which tests it will run; the test starts it when needed
    selected = [item for item in request.session.items if getattr(item, "module", None) is request.module]
    if any("throttled_scan" in getattr(item, "fixturenames", ()) for item in selected):
        # pytest caches a setup failure: only the test that needs the throttled scan reports it.
        with suppress(Exception):
            request.getfixturevalue("throttled_scan")


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannedServer]:
    with estate_server("clean", tmp_path_factory) as (url, manifest, home):
        command, db, out = scan_command(home)
        result = run(command, cli_env(home, url), home)
        assert_ran(result)
        yield ScannedServer(url, manifest, home, db, out, result, server_json(url + FAULTS_PATH))


@pytest.fixture(scope="module")
def denied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScannedServer]:
    with estate_server("denied", tmp_path_factory, deny=DENY) as (url, manifest, home):
        command, db, out = scan_command(home)
        result = run(command, cli_env(home, url), home)
        assert_ran(result)
        yield ScannedServer(url, manifest, home, db, out, result, server_json(url + FAULTS_PATH))


def validate(document: dict[str, Any]) -> None:
    Draft202012Validator(load_schema(), format_checker=Draft202012Validator.FORMAT_CHECKER).validate(document)


def statuses_by_check_and_name(findings: list[dict[str, Any]]) -> dict[tuple[str, str], set[str]]:
    index: dict[tuple[str, str], set[str]] = {}
    for f in findings:
        index.setdefault((f["check_id"], f["resource_name"]), set()).add(f["status"])
    return index


def checks_on(resource_type: str) -> list[str]:
    from cspm_ai.registry import all_checks

    return sorted(c.id for c in all_checks("aws") if resource_type in c.resource_types)


# ---------------------------------------------------------------------------------------- 1. clean


def test_clean_scan_prints_a_summary_and_writes_both_reports(clean: ScannedServer) -> None:
    out = clean.result.stdout
    assert f"wrote {clean.out / 'report.json'}" in out
    assert f"wrote {clean.out / 'report.html'}" in out
    assert clean.scan_id in "".join(out.split())
    assert "(complete)" in out and "INCOMPLETE" not in out
    assert clean.result.stderr.strip() == ""
    assert (clean.out / "report.json").stat().st_size > 0 and (clean.out / "report.html").stat().st_size > 0


def test_clean_scan_closes_its_database(clean: ScannedServer) -> None:
    """The executable skips the interpreter's teardown (`cspm_ai.cli.run`) but still closes the database:
    SQLite folds its write-ahead log back in and leaves no -wal or -shm file beside it."""
    database = Path(clean.db.removeprefix("sqlite:///"))
    assert database.stat().st_size > 0
    assert not database.with_name(database.name + "-wal").exists()
    assert not database.with_name(database.name + "-shm").exists()


def test_clean_scan_prints_the_scan_id_whole(clean: ScannedServer) -> None:
    assert clean.scan_id in clean.result.stdout


def test_clean_report_json_follows_the_schema_and_is_complete(clean: ScannedServer) -> None:
    validate(clean.report)
    scan = clean.report["scan"]
    assert scan["status"] == "complete"
    assert clean.report["errors"] == []
    assert scan["allowed_regions"] == [ALLOWED]
    assert scan["scopes"][0]["account"] == clean.manifest.account_id
    assert scan["scopes"][0]["regions"] == list(REGIONS)
    assert not [f for f in clean.findings if f["status"] == "ERROR"]
    assert clean.faults == {"throttled": {}, "denied": {}}


def test_clean_findings_match_every_expectation_of_the_estate(clean: ScannedServer) -> None:
    index = statuses_by_check_and_name(clean.findings)
    wrong = [
        f"{check} on {name}: expected {expected}, got {sorted(index.get((check, name), ())) or 'nothing'}"
        for (check, name), expected in sorted(clean.manifest.expected.items())
        if check != CL09 and index.get((check, name)) != {expected}
    ]
    assert wrong == []
    assert len(clean.manifest.expected) > 100


def test_clean_data_residency_fails_exactly_outside_the_allowed_region(clean: ScannedServer) -> None:
    residency = [f for f in clean.findings if f["check_id"] == CL09]
    by_region = {region: {f["status"] for f in residency if f["region"] == region} for region in REGIONS}
    assert by_region == {"us-east-1": {"PASS"}, "eu-west-1": {"FAIL"}}
    assert {f["region"] for f in residency} == set(REGIONS)
    assert {f["resource_name"] for f in residency if f["status"] == "FAIL"} == {
        "good-notebook-eu-west-1",
        "bad-notebook-eu-west-1",
    }
    assert all(f["evidence"]["allowed_regions"] == [ALLOWED] for f in residency)


def test_clean_html_report_is_for_this_scan_and_not_incomplete(clean: ScannedServer) -> None:
    assert clean.scan_id in clean.html
    assert 'id="incomplete-banner"' not in clean.html and "[INCOMPLETE]" not in clean.html


def test_scans_lists_the_scan(clean: ScannedServer) -> None:
    # Piped, as a scheduler or script reads it: the whole id, not an ellipsis.
    result = run(python_m("scans", "--db", clean.db), clean.env, clean.home)
    assert_ran(result)
    rows = [line for line in result.stdout.splitlines() if clean.scan_id in line]
    assert len(rows) == 1, result.stdout
    assert "complete" in rows[0] and clean.manifest.account_id in rows[0]


def test_report_latest_rewrites_identical_findings(clean: ScannedServer, tmp_path: Path) -> None:
    result = run(
        python_m("report", "--scan", "latest", "--db", clean.db, "--output-dir", str(tmp_path)), clean.env, tmp_path
    )
    assert_ran(result)
    assert result.stdout.split() == ["wrote", str(tmp_path / "report.json"), "wrote", str(tmp_path / "report.html")]
    again = json.loads((tmp_path / "report.json").read_text())
    validate(again)
    assert again["findings"] == clean.report["findings"]
    assert again == clean.report
    assert clean.scan_id in (tmp_path / "report.html").read_text()


def test_evaluate_by_id_prefix_gives_the_same_findings(clean: ScannedServer, tmp_path: Path) -> None:
    prefix = clean.scan_id[:8]
    result = run(
        python_m("evaluate", "--scan", prefix, "--db", clean.db, "--output-dir", str(tmp_path)), clean.env, tmp_path
    )
    assert_ran(result, 0)
    assert f"wrote {tmp_path / 'report.json'}" in result.stdout
    again = json.loads((tmp_path / "report.json").read_text())
    validate(again)
    assert again["scan"]["id"] == clean.scan_id
    assert sorted((f["id"], f["status"], f["message"]) for f in again["findings"]) == sorted(
        (f["id"], f["status"], f["message"]) for f in clean.findings
    )


def _console_script() -> list[str]:
    script = Path(sys.executable).with_name("cspm-ai")
    if not script.exists():
        pytest.skip(f"no console script at {script}")
    return [str(script)]


@pytest.mark.parametrize(
    "entry",
    [
        pytest.param("console-script", id="cspm-ai"),
        pytest.param("python-m", id="python-m"),
    ],
)
def test_fail_on_high_exits_1_on_this_estate(clean: ScannedServer, tmp_path: Path, entry: str) -> None:
    assert any(f["status"] == "FAIL" and f["severity"] in ("critical", "high") for f in clean.findings)
    command = _console_script() if entry == "console-script" else python_m()
    result = run(
        [
            *command,
            "evaluate",
            "--scan",
            clean.scan_id[:8],
            "--db",
            clean.db,
            "--output-dir",
            str(tmp_path),
            "--fail-on",
            "high",
        ],
        clean.env,
        tmp_path,
    )
    assert "Traceback" not in result.stdout + result.stderr
    assert (tmp_path / "report.json").exists()  # the reports are written before the verdict
    assert result.returncode == 1, (result.returncode, result.stderr[-2000:])


# ---------------------------------------------------------------------------------------- 2. throttled


def _translation(clean: EstateManifest, other: EstateManifest) -> dict[str, str]:
    """The other server's identifiers -> the clean server's, for every identifier the manifests name."""
    table: dict[str, str] = {}
    for name, value in other.ids.items():
        mine = clean.ids[name]
        if mine != value:
            table[value] = mine
            if ":key/" in value:
                table[value.rsplit("/", 1)[1]] = mine.rsplit("/", 1)[1]
    return table


def _normalise(text: str, table: dict[str, str]) -> str:
    pattern = re.compile("|".join(re.escape(k) for k in sorted(table, key=len, reverse=True))) if table else None
    translated = pattern.sub(lambda m: table[m.group(0)], text) if pattern else text
    return SERVER_IDS.sub("<server-id>", translated)


def test_throttled_scan_gives_the_same_findings_as_the_clean_one(
    throttled_scan: BackgroundScan, clean: ScannedServer
) -> None:
    throttled = throttled_scan.wait()
    validate(throttled.report)
    assert throttled.report["scan"]["status"] == "complete"
    assert throttled.report["errors"] == []
    assert not [f for f in throttled.findings if f["status"] == "ERROR"]
    assert "(complete)" in throttled.result.stdout
    # The server really throttled the scan, across services, and botocore rode it out.
    throttled_calls = throttled.faults["throttled"]
    assert sum(throttled_calls.values()) > 0
    assert len({key.split(":")[0] for key in throttled_calls}) > 1
    assert throttled.faults["denied"] == {}

    # Findings on resources whose uid the server did not invent are identical, id for id.
    def message(f: dict[str, Any]) -> str:
        return str(f["message"])

    def stable(findings: list[dict[str, Any]]) -> set[tuple[str, str, str]]:
        return {
            (f["id"], f["status"], message(f))
            for f in findings
            if not SERVER_IDS.search(f"{f['resource_uid']} {f['message']}")
        }

    assert len(stable(clean.findings)) > 100
    assert stable(throttled.findings) == stable(clean.findings)
    # The rest are compared with the other server's identifiers mapped (or masked) to the clean one's.
    table = _translation(clean.manifest, throttled.manifest)
    assert table, "two servers should have invented different ids"

    def key(f: dict[str, Any], t: dict[str, str]) -> tuple[str, str, str, str, str]:
        return (
            f["check_id"],
            _normalise(f["resource_uid"], t),
            _normalise(f["resource_name"], t),
            f["status"],
            _normalise(message(f), t),
        )

    assert Counter(key(f, table) for f in throttled.findings) == Counter(key(f, {}) for f in clean.findings)
    assert len(throttled.findings) == len(clean.findings)


# ---------------------------------------------------------------------------------------- 3. denied


def test_denied_scan_finishes_incomplete_and_names_the_denied_calls(denied: ScannedServer) -> None:
    validate(denied.report)
    assert denied.report["scan"]["status"] == "incomplete"
    assert "(incomplete)" in denied.result.stdout and "INCOMPLETE" in denied.result.stdout
    errors = denied.report["errors"]
    assert errors
    by_operation: dict[str, list[dict[str, Any]]] = {}
    for error in errors:
        by_operation.setdefault(error["operation"], []).append(error)
    assert set(by_operation) == {"ListTrainingJobs", "DescribeKey"}
    assert all(ACCESS_DENIED.match(e["code"]) for e in errors), errors
    listing = by_operation["ListTrainingJobs"]
    assert sorted(e["region"] for e in listing) == sorted(REGIONS)
    assert all(
        e["service"] == "sagemaker" and e["resource_type"] == TRAINING_JOB and e["resource_uid"] is None
        for e in listing
    )
    keys = by_operation["DescribeKey"]
    assert all(e["service"] == "kms" and e["resource_type"] == "aws.kms.key" for e in keys)
    key_uids = {e["resource_uid"] for e in keys}
    manifest = denied.manifest
    assert {manifest.ids["good_key_arn"], manifest.ids["aws_managed_key_arn"]} <= key_uids
    assert any(e["region"] == "eu-west-1" for e in keys)  # the eu-west-1 notebook's key
    # The bad key is used only by a training job, which could not be listed: never asked for.
    assert manifest.ids["bad_key_arn"] not in key_uids
    # The server saw the denials the report describes.
    assert denied.faults["denied"].get("sagemaker:ListTrainingJobs", 0) == len(REGIONS)
    assert denied.faults["denied"].get("kms:DescribeKey", 0) >= len(keys)


def test_denied_training_jobs_become_one_error_per_check_and_region(denied: ScannedServer) -> None:
    checks = checks_on(TRAINING_JOB)
    assert len(checks) >= 5
    training = [f for f in denied.findings if f["resource_type"] == TRAINING_JOB]
    assert all(f["status"] == "ERROR" for f in training), [(f["check_id"], f["status"]) for f in training]
    got = Counter((f["check_id"], f["region"]) for f in training)
    assert got == Counter({(check, region): 1 for check in checks for region in REGIONS})
    assert all("ListTrainingJobs" in f["message"] for f in training)


def test_checks_that_need_a_denied_key_report_error_never_pass(denied: ScannedServer) -> None:
    keys = [f for f in denied.findings if f["resource_type"] == "aws.kms.key"]
    assert all(f["status"] == "ERROR" for f in keys), keys
    rotation = [f for f in denied.findings if f["check_id"] == "aws.kms.key_rotation_enabled"]
    assert all(f["status"] == "ERROR" for f in rotation)
    kms = {f["resource_name"]: f for f in denied.findings if f["check_id"] == "aws.sagemaker.notebook_kms_encryption"}
    for name in ("good-notebook", "good-notebook-eu-west-1"):
        assert kms[name]["status"] == "ERROR", kms[name]
        assert "DescribeKey" in kms[name]["message"]
    # A notebook that names no key fails on its own configuration.
    assert kms["bad-notebook"]["status"] == "FAIL"


def test_denials_never_turn_an_expected_verdict_into_its_opposite(denied: ScannedServer) -> None:
    index = statuses_by_check_and_name(denied.findings)
    manifest = denied.manifest
    # Never listed (training jobs), or referenced only by a training job (the bad key): no finding
    # of their own; the blind spot is reported by the per-region ERROR findings instead.
    unseen = {name for (check, name) in manifest.expected if check.startswith("aws.sagemaker.training_job_")}
    unseen.add(manifest.ids["bad_key_arn"].rsplit("/", 1)[1])
    # A key whose DescribeKey was denied is not in the inventory: its own checks have no finding,
    # and its error (and the ERROR of everything encrypted with it) says why.
    undescribed = {
        e["resource_uid"].rsplit("/", 1)[1] for e in denied.report["errors"] if e["operation"] == "DescribeKey"
    }
    wrong = []
    for (check, name), expected in sorted(manifest.expected.items()):
        got = index.get((check, name), set())
        if not got and (name in unseen or (check.startswith("aws.kms.") and name in undescribed)):
            continue
        if got not in ({expected}, {"ERROR"}):
            wrong.append(f"{check} on {name}: expected {expected} or ERROR, got {sorted(got) or 'nothing'}")
    assert wrong == []


def test_other_services_are_still_scanned(denied: ScannedServer) -> None:
    index = statuses_by_check_and_name(denied.findings)
    for check, good, bad in (
        ("aws.sagemaker.notebook_direct_internet_access", "good-notebook", "bad-notebook"),
        ("aws.sagemaker.notebook_direct_internet_access", "good-notebook-eu-west-1", "bad-notebook-eu-west-1"),
        ("aws.sagemaker.notebook_root_access", "good-notebook", "bad-notebook"),
        ("aws.sagemaker.model_network_isolation", "good-model", "bad-model"),
        ("aws.sagemaker.endpoint_data_capture", "good-endpoint", "bad-endpoint"),
        ("aws.sagemaker.processing_job_network_isolation", "good-processing-job", "bad-processing-job"),
        ("aws.iam.execution_role_not_admin", "good-studio-role", "bad-shared-admin-role"),
    ):
        assert index.get((check, good)) == {"PASS"}, (check, good, index.get((check, good)))
        assert index.get((check, bad)) == {"FAIL"}, (check, bad, index.get((check, bad)))
    scanned_types = {f["resource_type"] for f in denied.findings if f["status"] in ("PASS", "FAIL")}
    assert {
        "aws.sagemaker.notebook_instance",
        "aws.sagemaker.endpoint",
        "aws.sagemaker.model",
        "aws.sagemaker.endpoint_config",
        "aws.sagemaker.processing_job",
    } <= scanned_types


def test_denied_html_shows_the_incomplete_banner(denied: ScannedServer) -> None:
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(denied.html, "html.parser")
    banner = soup.find(id="incomplete-banner")
    assert banner is not None
    assert "INCOMPLETE SCAN" in banner.get_text()
    assert soup.title is not None and soup.title.get_text().startswith("[INCOMPLETE]")
    assert "ListTrainingJobs" in denied.html and "DescribeKey" in denied.html


# ---------------------------------------------------------------------------------------- 4. usage


def test_an_unknown_region_is_one_error_and_a_hint(clean: ScannedServer, tmp_path: Path) -> None:
    out = tmp_path / "reports"
    result = run(
        python_m(
            "scan", "aws", "--regions", "us-east-9", "--db", f"sqlite:///{tmp_path / 'x.db'}", "--output-dir", str(out)
        ),
        clean.env,
        tmp_path,
    )
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 2, lines
    assert lines[0].startswith("error: ") and "us-east-9" in lines[0]
    assert lines[1].startswith("hint: ")
    assert not (out / "report.json").exists() and not (out / "report.html").exists()
