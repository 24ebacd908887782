"""Files and directories cspm-ai creates: readable by their owner only, and put in place whole.

The inventory, the reports and the evidence bundles hold an estate's configuration, so what
cspm-ai creates is 0600 (files) and 0700 (directories). The modes are asked of the kernel, which
takes away what the user's umask takes away: a stricter umask (0277, say) makes them stricter
still, and a looser one (0022, 0002) never loosens them. Existing files and directories keep
the mode they have.
"""

from __future__ import annotations

import errno
import os
import secrets
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700

# A new file only: never written through an existing file or a symlink planted in its place.
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
_DISK_FULL = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


class WriteFailed(Exception):
    """Writing `path` failed with `error`; none of the files being written was put in place."""

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(f"cannot write {path}: {reason(error)}")
        self.path = path
        self.error = error

    @property
    def disk_full(self) -> bool:
        return is_disk_full(self.error)


def reason(error: OSError) -> str:
    """The operating system's words for `error` ("No space left on device"), without the path."""
    return error.strerror or str(error)


def is_disk_full(error: BaseException) -> bool:
    """True for "No space left on device" and "Disk quota exceeded"."""
    return isinstance(error, OSError) and error.errno in _DISK_FULL


def private_directory(path: Path) -> Path:
    """`path` as a directory: it and each missing parent are created 0700 (or stricter, by the umask)."""
    path = Path(path)
    if path.is_dir():
        return path
    if path.parent != path and not path.parent.exists():
        private_directory(path.parent)
    try:
        os.mkdir(path, PRIVATE_DIR_MODE)
    except FileExistsError:
        if not path.is_dir():
            raise
    return path


def create_private_file(path: Path) -> bool:
    """Create `path` empty, 0600 (or stricter, by the umask); False when it already exists."""
    try:
        os.close(os.open(path, _NEW_FILE, PRIVATE_FILE_MODE))
    except FileExistsError:
        return False
    return True


def write_new_file(path: Path, data: bytes) -> None:
    """Write `data` to a new file at `path`, 0600 (or stricter), flushed to disk before returning."""
    fd = os.open(path, _NEW_FILE, PRIVATE_FILE_MODE)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
    except BaseException:
        Path(path).unlink(missing_ok=True)
        raise


def temporary_beside(path: Path) -> Path:
    """A fresh hidden name in `path`'s directory, so that renaming it onto `path` is atomic."""
    return path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")


def replace_together(outputs: Iterable[tuple[Path, bytes]]) -> list[Path]:
    """Write every output, then put them all in place; return their paths.

    Each output is written to a private temporary file beside its target and flushed to disk;
    only when all of them are written are they renamed onto their targets. A write that fails
    (a full disk, a quota, permissions) therefore leaves every target as it was, and removes
    the temporary files: the previous set of files stays whole and consistent. Raises
    `WriteFailed` naming the first target whose write failed.

    `outputs` may be a generator that renders each output when asked: an output is written and
    flushed by a thread of its own while the next is rendered (writing and flushing wait on the
    disk without holding the interpreter), and a generator that raises leaves every target as it was too.
    """
    pending: list[tuple[Path, Path, Future[None]]] = []
    try:
        # Leaving the pool waits for every write, so nothing is renamed or removed while one is running.
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="write") as writer:
            for target, data in outputs:
                temp = temporary_beside(target)
                pending.append((temp, target, writer.submit(write_new_file, temp, data)))
        for _, target, future in pending:
            if isinstance(failure := future.exception(), OSError):
                raise WriteFailed(target, failure) from failure
            if failure is not None:
                raise failure
        for temp, target, _ in pending:
            try:
                os.replace(temp, target)
            except OSError as exc:
                raise WriteFailed(target, exc) from exc
    except BaseException:
        # Only the files written here: a write that failed removed its own (or never created one).
        for temp, _, future in pending:
            if future.done() and future.exception() is None:
                temp.unlink(missing_ok=True)
        raise
    return [target for _, target, _ in pending]
