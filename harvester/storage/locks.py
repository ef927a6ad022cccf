"""Locks between harvester processes: one job runs once; commits to one source's state are serialised.

The OS lock comes from ``filelock`` (``lock_descriptor``: ``flock`` on Unix, ``LockFileEx`` on Windows), held on a
file the harvester opens itself, so the lock dies with the process on every platform and nothing here imports a
Unix-only module."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from filelock import lock_descriptor, unlock_descriptor

from harvester.errors import RunSetupError
from harvester.storage.plan import RunPlan


class JobLock:
    """An exclusive OS lock, non-blocking: the OS drops it when the process dies, so a kill never leaves it."""

    def __init__(self, path: Path, what: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        for _ in range(10):
            self.handle = open(path, "a+")  # noqa: SIM115 - held for the run's lifetime
            if not lock_descriptor(self.handle.fileno(), blocking=False):
                self.handle.close()
                raise RunSetupError(
                    f"this job is already running: {what} is in use by another harvester run ({path} is locked)"
                ) from None
            # The holder before us may have removed the file while we waited for it: lock the file on disk.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(self.handle.fileno()).st_ino:
                    return
            self.handle.close()
        raise RunSetupError(f"{what}: cannot lock {path}")

    def release(self) -> None:
        """Unlock and remove the file: a lock file is never left behind by a run that ended. Removing it while
        locked is safe: a process that opened it before and locks it after finds it no longer on disk (the
        inode check above) and locks the new file instead. Only a killed run leaves its lock file; the next run
        of the job takes it over and removes it when it ends."""
        if not self.handle.closed:
            with contextlib.suppress(OSError):
                self.path.unlink()
            unlock_descriptor(self.handle.fileno())
            self.handle.close()


@contextlib.contextmanager
def source_lock(plan: RunPlan) -> Iterator[None]:
    """Serialise state commits and dataset rewrites of concurrent jobs of one source (blocking)."""
    path = plan.source_dir / ".dataset.lock"
    with open(path, "a+") as handle:
        lock_descriptor(handle.fileno(), blocking=True)
        try:
            yield
        finally:
            unlock_descriptor(handle.fileno())
