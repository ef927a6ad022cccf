"""Locks between harvester processes: one job runs once; commits to one source's state are serialised."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from harvester.errors import RunSetupError
from harvester.storage.plan import RunPlan


class JobLock:
    """An exclusive ``flock`` on a file: the OS drops it when the process dies, so a kill never leaves it."""

    def __init__(self, path: Path, what: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        for _ in range(10):
            self.handle = open(path, "a+")  # noqa: SIM115 - held for the run's lifetime
            try:
                fcntl.flock(self.handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                self.handle.close()
                raise RunSetupError(f"{what} is in use by another harvester run ({path} is locked)") from None
            # The holder before us may have removed the file while we waited for it: lock the file on disk.
            with contextlib.suppress(FileNotFoundError):
                if os.stat(path).st_ino == os.fstat(self.handle.fileno()).st_ino:
                    return
            self.handle.close()
        raise RunSetupError(f"{what}: cannot lock {path}")

    def release(self, *, remove: bool = False) -> None:
        if not self.handle.closed:
            if remove:
                with contextlib.suppress(OSError):
                    self.path.unlink()
            fcntl.flock(self.handle, fcntl.LOCK_UN)
            self.handle.close()


@contextlib.contextmanager
def source_lock(plan: RunPlan) -> Iterator[None]:
    """Serialise state commits and dataset rewrites of concurrent jobs of one source (blocking)."""
    path = plan.source_dir / ".dataset.lock"
    with open(path, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
