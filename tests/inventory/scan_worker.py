"""One scan driven step by step, in a thread or in its own process, for the integrity tests.

`python -m tests.inventory.scan_worker URL LABEL` runs `cspm_ai.scan.run_scan` with a fake
collector returning `estate(LABEL)` and reports each step on stdout as "LABEL STEP [DETAIL]":

  begun <scan id>   the "incomplete" scan row is committed
  collected         collection has ended; waits for a "go" line on stdin
  finishing         `finish_scan` was called (a SQLite writer may now queue for the lock)
  writing           inside finish_scan's transaction, resources already inserted; waits for "commit"
  done <scan id> <status>

So a test can overlap two scans' transactions, or SIGKILL a scan at a known point.
"""

from __future__ import annotations

import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import event

from cspm_ai.inventory import Inventory
from cspm_ai.model import CollectionResult, Relation, Resource, Scope
from cspm_ai.scan import run_scan

ACCOUNT = "123456789012"
REGION = "eu-west-1"
SHARED_ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
NOTEBOOKS_PER_SCAN = 40
REPO = Path(__file__).resolve().parents[2]


class Steps(Protocol):
    def reached(self, step: str, detail: str = "") -> None: ...

    def wait_for(self, line: str) -> None: ...


def estate(label: str) -> CollectionResult:
    """What one scan collects: notebooks of its own (half exposed, half locked down) and one shared role."""
    role = Resource(
        provider="aws",
        account=ACCOUNT,
        region="global",
        type="aws.iam.role",
        uid=SHARED_ROLE,
        name="sagemaker-execution",
        config={
            "RoleName": "sagemaker-execution",
            "Arn": SHARED_ROLE,
            "Path": "/",
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "sagemaker.amazonaws.com"}, "Action": "sts:AssumeRole"}
                ],
            },
        },
    )
    notebooks = []
    for index in range(NOTEBOOKS_PER_SCAN):
        name = f"{label}-nb-{index}"
        arn = f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:notebook-instance/{name}"
        locked_down = index % 2 == 0
        config: dict[str, Any] = {
            "NotebookInstanceArn": arn,
            "NotebookInstanceName": name,
            "NotebookInstanceStatus": "InService",
            "InstanceType": "ml.t3.medium",
            "RoleArn": SHARED_ROLE,
            "DirectInternetAccess": "Disabled" if locked_down else "Enabled",
            "RootAccess": "Disabled" if locked_down else "Enabled",
            "VolumeSizeInGB": 5,
            "PlatformIdentifier": "notebook-al2-v2",
            "InstanceMetadataServiceConfiguration": {"MinimumInstanceMetadataServiceVersion": "2"},
            "CreationTime": "2026-05-01T09:30:00+00:00",
        }
        if locked_down:
            config |= {
                "SubnetId": "subnet-0a1b2c3d",
                "SecurityGroups": ["sg-0123abcd"],
                "KmsKeyId": f"arn:aws:kms:{REGION}:{ACCOUNT}:key/{label}-key",
            }
        notebooks.append(
            Resource(
                provider="aws",
                account=ACCOUNT,
                region=REGION,
                type="aws.sagemaker.notebook_instance",
                uid=arn,
                name=name,
                config=config,
                tags={"scan": label, "owner": "Zoë"},
            )
        )
    return CollectionResult(
        resources=[role, *notebooks],
        relations=[Relation(nb.uid, "uses_role", SHARED_ROLE) for nb in notebooks],
        scopes=[Scope("aws", ACCOUNT, (REGION,), f"arn:aws:sts::{ACCOUNT}:assumed-role/audit/{label}")],
    )


class SteppedCollector:
    """A collector whose collection ends only when the driver says "go"."""

    provider = "aws"

    def __init__(self, label: str, steps: Steps) -> None:
        self.label = label
        self.steps = steps

    def collect(self, progress: Callable[[int, int], None] | None = None) -> CollectionResult:
        result = estate(self.label)
        self.steps.reached("collected")
        self.steps.wait_for("go")
        return result


def stepped_scan(database_url: str, label: str, steps: Steps) -> None:
    """Run one scan on its own `Inventory`, reporting its steps and pausing where the driver decides."""
    with Inventory.open(database_url) as inventory:
        begin_scan, finish_scan = inventory.begin_scan, inventory.finish_scan

        def reporting_begin(**kwargs: Any) -> Any:
            record = begin_scan(**kwargs)
            steps.reached("begun", record.id)
            return record

        def reporting_finish(*args: Any, **kwargs: Any) -> Any:
            steps.reached("finishing")
            return finish_scan(*args, **kwargs)

        # Findings are inserted after resources, relations and errors: pausing on the first
        # findings INSERT holds a transaction that has already written most of the scan.
        paused: list[bool] = []

        @event.listens_for(inventory.engine, "before_cursor_execute")
        def pause_inside_transaction(conn: Any, cursor: Any, statement: str, *rest: Any) -> None:
            if statement.startswith("INSERT INTO findings") and not paused:
                paused.append(True)
                steps.reached("writing")
                steps.wait_for("commit")

        inventory.begin_scan = reporting_begin  # type: ignore[method-assign]
        inventory.finish_scan = reporting_finish  # type: ignore[method-assign]
        record = run_scan(inventory, [SteppedCollector(label, steps)])
        steps.reached("done", f"{record.id} {record.status}")


class _StdioSteps:
    def __init__(self, label: str) -> None:
        self.label = label

    def reached(self, step: str, detail: str = "") -> None:
        print(f"{self.label} {step} {detail}".rstrip(), flush=True)

    def wait_for(self, line: str) -> None:
        received = sys.stdin.readline().strip()
        if received != line:
            raise SystemExit(f"{self.label}: expected {line!r} on stdin, got {received!r}")


if __name__ == "__main__":
    url, worker_label = sys.argv[1], sys.argv[2]
    stepped_scan(url, worker_label, _StdioSteps(worker_label))


# The test side: drive workers (threads or processes) and record the steps they report.


class Timeline:
    """Every step every worker reported, in arrival order."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.steps: list[tuple[str, str, str]] = []

    def record(self, label: str, step: str, detail: str = "") -> None:
        with self._changed:
            self.steps.append((label, step, detail))
            self._changed.notify_all()

    def seen(self, label: str, step: str) -> str | None:
        """The detail of `label`'s `step`, or None when it has not been reported."""
        with self._changed:
            return next((d for lb, st, d in self.steps if (lb, st) == (label, step)), None)

    def wait(self, labels: Sequence[str], step: str, timeout: float = 60) -> tuple[str, str]:
        """Block until one of `labels` reports `step`; (that label, the step's detail)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for label, reached, detail in self.steps:
                    if label in labels and reached == step:
                        return label, detail
                failed = [s for s in self.steps if s[0] in labels and s[1] in ("failed", "exit")]
                remaining = deadline - time.monotonic()
                if failed or remaining <= 0:
                    raise AssertionError(f"{'/'.join(labels)} did not reach {step!r}; steps: {self.steps}")
                self._changed.wait(remaining)


class ScanThread:
    """`stepped_scan` in a thread of this process."""

    def __init__(self, database_url: str, label: str, timeline: Timeline) -> None:
        self.label = label
        self._timeline = timeline
        self._inbox: queue.Queue[str] = queue.Queue()
        self._thread = threading.Thread(target=self._run, args=(database_url,), daemon=True)
        self._thread.start()

    def reached(self, step: str, detail: str = "") -> None:
        self._timeline.record(self.label, step, detail)

    def wait_for(self, line: str) -> None:
        received = self._inbox.get(timeout=60)
        if received != line:
            raise AssertionError(f"{self.label}: expected {line!r}, got {received!r}")

    def send(self, line: str) -> None:
        self._inbox.put(line)

    def join(self) -> None:
        self._thread.join(timeout=60)

    def _run(self, database_url: str) -> None:
        try:
            stepped_scan(database_url, self.label, self)
        except BaseException as exc:  # noqa: BLE001  (reported through the timeline to the test's thread)
            self.reached("failed", repr(exc))


class ScanProcess:
    """`python -m tests.inventory.scan_worker` in its own process (so SQLite locks are per process)."""

    def __init__(self, database_url: str, label: str, timeline: Timeline) -> None:
        self.label = label
        self._timeline = timeline
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.inventory.scan_worker", database_url, label],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._reader = threading.Thread(target=self._read_steps, daemon=True)
        self._reader.start()

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{line}\n")
        self.process.stdin.flush()

    def join(self) -> None:
        self.process.wait(timeout=60)
        self._reader.join(timeout=10)

    def kill(self) -> None:
        """SIGKILL: no handler, no `finally`, no rollback sent by the client."""
        self.process.send_signal(signal.SIGKILL)
        self.join()
        assert self.process.returncode == -signal.SIGKILL

    def _read_steps(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            label, step, *detail = line.split(maxsplit=2)
            self._timeline.record(label, step, detail[0].strip() if detail else "")
        self._timeline.record(self.label, "exit", str(self.process.wait()))


def overlap_final_transactions(
    workers: Sequence[ScanThread | ScanProcess], timeline: Timeline, *, serialised: bool
) -> dict[str, str]:
    """Run two stepped scans so their `finish_scan` transactions are attempted at the same time.

    Both collect, then both are released at once. The first to open its transaction holds it
    (resources written, findings not yet) until the other has called `finish_scan` too. PostgreSQL
    lets both transactions write at once; SQLite (`serialised`) must queue the second writer on
    its busy timeout rather than fail. Returns each label's "<scan id> <status>".
    """
    labels = [w.label for w in workers]
    for label in labels:
        timeline.wait([label], "collected")
    for worker in workers:
        worker.send("go")
    first, _ = timeline.wait(labels, "writing")
    (second,) = [label for label in labels if label != first]
    timeline.wait([second], "finishing")
    if serialised:
        time.sleep(0.3)  # time for the second writer to reach BEGIN IMMEDIATE and queue
        assert timeline.seen(second, "writing") is None, "two SQLite write transactions open at once"
    else:
        timeline.wait([second], "writing")  # both transactions are open and have written
    for worker in workers:
        worker.send("commit")
    done = {label: timeline.wait([label], "done")[1] for label in labels}
    for worker in workers:
        worker.join()
    return done
