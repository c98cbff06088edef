"""One sync per sheet per machine: a lock the kernel holds, and a lock file for the message.

The lock that counts is a Linux abstract socket named after the machine and the sheet: the
kernel holds it, it lives in no folder (deleting the state folder, or a different HOME or
SHEETSYNC_STATE_DIR, cannot give a second sync the sheet), and it goes away when the process
dies, so a crash leaves nothing stale. Beside it, `fcntl.flock` on a file in the state folder
carries the holder's pid for the error message (and is the lock on systems without abstract
sockets). Between machines the sheet lease (`lease.py`) keeps syncs apart.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import os
import socket
import sys
from pathlib import Path

from .errors import SheetBusyError
from .journal import state_error



def process_alive(pid: int) -> bool:
    """Whether process `pid` exists on this machine (someone else's counts too)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # someone else's process: it exists
    return True

def machine_name() -> str:
    """This machine as the lease and the host lock name it."""
    return socket.gethostname() or "this machine"


class SheetLock:
    """Exclusive lock on one sheet identity; use as a context manager."""

    def __init__(self, folder: Path, identity: str, display_name: str = "", *, machine: str | None = None):
        self.folder = Path(folder)
        # The identity may be a path or a URL: hash it into a safe file name.
        digest = hashlib.sha256(identity.encode("utf-8")).hexdigest()[:20]
        self.path = self.folder / f"sheet-{digest}.lock"
        scope = hashlib.sha256((machine or machine_name()).encode("utf-8")).hexdigest()[:12]
        self.address = f"\0sheetsync/{scope}/{digest}"
        self.display_name = display_name or identity
        self._fd: int | None = None
        self._socket: socket.socket | None = None

    def acquire(self) -> None:
        """Take the lock or raise SheetBusyError naming the process that holds it."""
        self._socket, busy = _bind(self.address)
        if busy:
            raise self._busy(self._holder_from_file())
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            self.release()
            raise state_error(self.folder, exc, "create a lock in") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _read_pid(fd)
            os.close(fd)
            self.release()
            raise self._busy(holder) from None
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:
            pass  # the pid only improves the message a second sync prints; a full disk is no reason to stop
        self._fd = fd

    def _busy(self, holder: str) -> SheetBusyError:
        who = f"process {holder}" if holder else "another process"
        return SheetBusyError(
            f"Another sync of {self.display_name} is running on this machine ({who}); "
            "wait for it to finish (or stop it), then run again."
        )

    def _holder_from_file(self) -> str:
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except OSError:
            return ""
        try:
            return _read_pid(fd)
        finally:
            os.close(fd)

    def release(self) -> None:
        """Give the lock back (also done by the kernel when the process dies)."""
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def __enter__(self) -> "SheetLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _bind(address: str) -> tuple[socket.socket | None, bool]:
    """(the bound socket or None, whether another process holds the name)."""
    if not sys.platform.startswith("linux"):
        return None, False  # no abstract sockets: the file lock stands alone
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(address)
    except OSError as exc:
        sock.close()
        # Anything but "in use" (a sandbox that forbids them): the file lock still stands.
        return None, exc.errno == errno.EADDRINUSE
    return sock, False


def _read_pid(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 32).decode("ascii", "replace").strip()
    except OSError:
        return ""
    return text if text.isdigit() else ""
