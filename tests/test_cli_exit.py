"""The `cspm-ai` executable (`cspm_ai.cli.run`) exits without the interpreter's teardown, and loses nothing by it:
the command's exit status, exit handlers, buffered output, and a thread still at work."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from cspm_ai.cli import _exit_status


def _run(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)], capture_output=True, text=True, timeout=120, check=False
    )


def test_the_executable_keeps_the_commands_status_output_and_exit_handlers() -> None:
    done = _run(
        """
        import atexit, sys
        atexit.register(lambda: print("exit handler ran", flush=True))
        sys.stdout.write("buffered, not flushed")
        sys.argv = ["cspm-ai", "--version"]
        from cspm_ai.cli import run
        run()
        """
    )
    assert done.returncode == 0, done.stderr
    assert "buffered, not flushed" in done.stdout and "exit handler ran" in done.stdout
    assert "cspm-ai" in done.stdout

    failed = _run(
        """
        import sys
        sys.argv = ["cspm-ai", "scans", "--db", "notadb://x"]
        from cspm_ai.cli import run
        run()
        """
    )
    assert failed.returncode == 2
    assert failed.stderr.startswith("error: Invalid database URL") and "Traceback" not in failed.stderr


def test_a_thread_still_at_work_is_waited_for() -> None:
    done = _run(
        """
        import sys, threading, time
        def late():
            time.sleep(0.5)
            print("thread finished", flush=True)
        threading.Thread(target=late).start()
        sys.argv = ["cspm-ai", "--version"]
        from cspm_ai.cli import run
        run()
        """
    )
    assert done.returncode == 0, done.stderr
    assert "thread finished" in done.stdout


@pytest.mark.parametrize(
    ("code", "status", "printed"), [(None, 0, ""), (0, 0, ""), (3, 3, ""), ("a message", 1, "a message\n")]
)
def test_exit_status_is_what_sys_exit_gives(
    code: object, status: int, printed: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _exit_status(SystemExit(code)) == status
    assert capsys.readouterr().err == printed
