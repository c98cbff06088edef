"""One sync per sheet per machine: an advisory file lock in the user's data folder.

`fcntl.flock` is released by the kernel when the process dies, so a crashed sync never leaves a
stale lock behind; the file only carries the holder's pid for the error message.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from pathlib import Path

from .errors import SheetBusyError
from .journal import state_error


class SheetLock:
    """Exclusive lock on one sheet identity; use as a context manager."""

    def __init__(self, folder: Path, identity: str, display_name: str = ""):
        self.folder = Path(folder)
        # The identity may be a path or a URL: hash it into a safe file name.
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
        self.path = self.folder / f"sheet-{digest}.lock"
        self.display_name = display_name or identity
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise SheetBusyError naming the process that holds it."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise state_error(self.folder, exc, "create a lock in") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise SheetBusyError(
                f"Another sync of {self.display_name} is running ({who}); "
                "wait for it to finish (or stop it), then run again."
            ) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:
            pass  # the pid only improves the message a second sync prints; a full disk is no reason to stop
        self._fd = fd

    def release(self) -> None:
        """Give the lock back (also done by the kernel when the process dies)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> "SheetLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
