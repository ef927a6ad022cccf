"""Why a write failed, in the words a person acts on: the disk is full, a file size limit, permission denied.

SQLite reports a full disk as "database or disk is full" only sometimes: when growing its shared-memory file or
its WAL fails it says "disk I/O error", and it never says which file size limit was hit. So when a SQLite write
fails with a full or I/O error, the folder is asked directly: its free space, then a probe write of
:data:`PROBE_BYTES` (removed at once), whose ``OSError`` names the cause (``ENOSPC``, ``EFBIG``, ...).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

#: Bytes a probe writes to find out why SQLite could not write (less than that free: the disk is full).
PROBE_BYTES = 1 << 20

_CAUSES = {
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is exhausted",
    errno.EFBIG: "a file grew past the file size limit (File too large)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
}

# SQLite result codes (``sqlite3.Error.sqlite_errorname``) that mean a write failed, not a damaged file.
_SQLITE_WRITE_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY", "SQLITE_PERM")


def is_write_failure(error: BaseException) -> bool:
    """An error of the disk or the file system (full, a limit, permission), not of the data written."""
    if isinstance(error, OSError):
        return True
    name = getattr(error, "sqlite_errorname", None) or ""
    return isinstance(error, sqlite3.Error) and name.startswith(_SQLITE_WRITE_FAILURES)


def describe(error: BaseException, where: Path) -> str:
    """``cannot write WHERE: CAUSE (the error as reported)``; CAUSE found by asking the folder when the error
    does not say it."""
    cause = _CAUSES.get(error.errno) if isinstance(error, OSError) else None
    if cause is None:
        cause = probe(where if where.is_dir() else where.parent)
    said = error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    return f"cannot write {where}: {cause} ({said})" if cause else f"cannot write {where}: {said}"


def probe(folder: Path) -> str | None:
    """Why writing into ``folder`` fails now, or None when a probe write of :data:`PROBE_BYTES` succeeds."""
    with contextlib.suppress(OSError):
        if shutil.disk_usage(folder).free < PROBE_BYTES:
            return _CAUSES[errno.ENOSPC]
    if not os.access(folder, os.W_OK):
        return _CAUSES[errno.EACCES]
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".harvester-probe-") as handle:
            handle.write(b"\0" * PROBE_BYTES)
            handle.flush()
            os.fsync(handle.fileno())
    except OSError as failure:
        return _CAUSES.get(failure.errno or 0, failure.strerror or str(failure))
    return None
