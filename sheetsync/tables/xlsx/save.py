"""Put a package back on disk: every untouched part as it was, written atomically, through links.

The new file is written beside the real file (a symlink is followed to it) and renamed over it,
so a crash leaves the old workbook or the new one, never half of each. A file with more than
one hard link cannot be renamed over without cutting the other links off, so it is written in
place from the finished temp file instead. A temp file left by a killed run is removed by the
next one.
"""

from __future__ import annotations

import contextlib
import io
import os
import socket
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

from ...errors import TableError
from ...lock import process_alive
from .package import Package

#: A leftover temp file older than this belongs to no running save.
STALE_SECONDS = 600
_TAG = "sheetsync"


Content = bytes | Iterable[bytes | memoryview]
_BATCH = 1 << 18


def rebuild(package: Package, replaced: Mapping[str, Content], added: Mapping[str, bytes]) -> bytes:
    """The package's zip with `replaced` parts swapped in and `added` parts appended.

    A replaced part may be given as pieces: they are compressed one after another, so the new
    part never exists whole in memory.
    """
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as target:
        for info in package.zip.infolist():
            if info.filename in replaced:
                fresh = zipfile.ZipInfo(info.filename, date_time=info.date_time)
                fresh.compress_type = zipfile.ZIP_DEFLATED
                fresh.external_attr = info.external_attr
                content = replaced[info.filename]
                if isinstance(content, bytes):
                    target.writestr(fresh, content)
                else:
                    with target.open(fresh, "w") as fh:
                        # Gathered into large writes: each write costs a checksum and a
                        # compressor call, and a part of 100,000 rows comes as 100,000 pieces.
                        batch: list[bytes | memoryview] = []
                        size = 0
                        for piece in content:
                            batch.append(piece)
                            size += len(piece)
                            if size >= _BATCH:
                                fh.write(b"".join(batch))
                                batch, size = [], 0
                        if batch:
                            fh.write(b"".join(batch))
            else:
                target.writestr(info, package.zip.read(info))
        for name, data in added.items():
            fresh = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            fresh.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fresh, data, compresslevel=6)
    return out.getvalue()


def real_path(path: Path) -> Path:
    """The file a (possibly symlinked) path names: the one whose content must change."""
    return Path(os.path.realpath(path))


def refuse_read_only(path: Path) -> None:
    """TableError when the workbook is marked read-only (even for a user who could override it)."""
    real = real_path(path)
    try:
        mode = real.stat().st_mode
    except FileNotFoundError:
        return
    if not mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH) or not os.access(real, os.W_OK):
        raise TableError(
            f"{path.name} is read-only, so sheetsync will not write to it; make it writable "
            f"(chmod u+w {path.name}, or untick Read-only in its properties) or sync a copy, then "
            "run again."
        )


def temp_prefix(real: Path) -> str:
    return f".{real.name}.{_TAG}-"


def clean_leftovers(path: Path) -> list[str]:
    """Remove temp files that a killed save left beside the workbook; return their names.

    A temp file of a sheetsync process on this machine that is no longer running goes at
    once; any other (another machine's on a shared folder, or an older version's) only once
    it is older than any save takes.
    """
    real = real_path(path)
    removed = []
    if real.exists() and not zipfile.is_zipfile(real):
        # A save written in place (a hard-linked file) was cut off: the temp file beside it
        # is the complete new version, and the only one left. Keep it for the person.
        return removed
    host = _host()
    ours = temp_prefix(real)
    try:
        candidates = list(real.parent.glob(f"{glob_escape(f'.{real.name}.')}*.tmp"))
    except OSError:
        return []
    for leftover in candidates:
        try:
            age = time.time() - leftover.stat().st_mtime
        except OSError:
            continue
        parts = leftover.name[len(ours) :].split("-") if leftover.name.startswith(ours) else []
        dead_here = len(parts) == 3 and parts[0] == host and parts[1].isdigit() and not process_alive(int(parts[1]))
        if not dead_here and age < STALE_SECONDS:
            continue
        try:
            leftover.unlink()
            removed.append(leftover.name)
        except OSError:
            pass
    return removed


def _host() -> str:
    # The temp file's name carries host and pid, split on "-": keep the host free of them.
    return socket.gethostname().replace("-", "_") or "host"


def glob_escape(text: str) -> str:
    return "".join(f"[{ch}]" if ch in "*?[" else ch for ch in text)




def write_atomically(
    path: Path, data: bytes, unchanged: bytes, on_disk: Callable[[], bytes], busy: type[Exception]
) -> None:
    """Replace the workbook's content with `data`, unless `on_disk()` no longer returns `unchanged`."""
    real = real_path(path)
    folder = real.parent
    try:
        info = real.stat()
        mode, links = stat.S_IMODE(info.st_mode), info.st_nlink
    except FileNotFoundError:
        mode, links = 0o644, 1
    prefix = f"{temp_prefix(real)}{_host()}-{os.getpid()}-"
    try:
        fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=folder)
    except OSError as exc:
        raise TableError(
            f"Could not save {path.name} ({exc.strerror}); check the folder is writable and run again."
        ) from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        with _saving(real, path.name, busy):
            # Saving takes a moment; a save by someone else meanwhile must not be replaced by ours.
            if on_disk() != unchanged:
                raise busy(
                    f"{path.name} was saved by another program while sheetsync was writing it, so "
                    "nothing was written; run again to write the results."
                )
            if links > 1:
                # Renaming would leave the other hard links on the old content: write through.
                with open(real, "r+b") as fh:
                    fh.write(data)
                    fh.truncate()
                    fh.flush()
                    os.fsync(fh.fileno())
                os.unlink(tmp)
            else:
                os.replace(tmp, real)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise TableError(
                f"Could not save {path.name} ({exc.strerror or exc}); close it in other programs, "
                "check the folder is writable, and run again."
            ) from None
        raise
    _fsync_dir(folder)


#: How long a save waits for another save of the same file to finish.
LOCK_WAIT = 10.0


@contextlib.contextmanager
def _saving(real: Path, name: str, busy: type[Exception]) -> Iterator[None]:
    """Hold an exclusive lock on the workbook while its content is compared and replaced.

    Two saves that both found the file unchanged would otherwise both replace it, and the
    first one's cells (a row key, say) would be lost without a word. The lock is taken on the
    file being replaced: a save waiting for it then finds the other's new file and refuses.
    The wait is bounded (a program may hold a lock of its own on the file, as on NFS, where
    these locks are shared with LibreOffice's). Where there is no such lock (Windows), the
    comparison alone stands.
    """
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on Linux or macOS
        yield
        return
    try:
        fh = open(real, "rb")
    except OSError:
        yield  # a new file: nobody else's save to lose
        return
    with fh:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise busy(
                        f"{name} is held by another program that is saving it, so nothing was "
                        "written; close it there (or wait for that save), then run again."
                    ) from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _fsync_dir(folder: Path) -> None:
    # Makes the rename itself durable; not every platform lets a directory be opened.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
