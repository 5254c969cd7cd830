"""``<out>/.nststudy/finished.json``: which photo each finished output was painted from.

Part of ``nststudy paint``'s ``--resume`` (:mod:`nststudy._checkpoints`): a photo whose output
is listed with its own hash is skipped; another photo of the same name is painted. Two runs
into one folder at once each read and rewrite the record under a lock, so neither loses the
other's entries.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from ._atomic import replace_atomically
from .paint import _CKPT_DIR, Job

__all__ = ["finished_record", "record_finished"]


def _record_path(job: Job) -> Path:
    return job.out / _CKPT_DIR / "finished.json"


def finished_record(job: Job) -> dict[str, str]:
    """``<out>/.nststudy/finished.json``: each finished output's name → its photo's hash."""
    try:
        record = json.loads(_record_path(job).read_text())
    except (OSError, ValueError):
        return {}
    return record if isinstance(record, dict) else {}


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``fcntl.flock`` on ``folder`` itself (no lock file is left behind):
    two runs into one OUT at once read and rewrite the record one after the other, so neither
    loses the other's entries. Where the system has no ``fcntl`` (Windows) or the file system
    refuses the lock (a folder on NFS, some cluster file systems) there is no lock, as before."""
    try:
        import fcntl
    except ImportError:
        yield
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        # NFS cannot lock a folder opened read-only (EBADF), some file systems lock nothing
        # (ENOLCK, ENOSYS): the record is still kept, unlocked, as on Windows
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # (closing releases the lock)


def record_finished(job: Job, output: Path, photo_digest: str) -> None:
    """Note which photo (its :func:`nststudy._checkpoints.digest`) ``output`` was painted
    from, so that ``--resume`` never skips another photo of the same name (kept beside the
    checkpoints, never in the painting's metadata). Outputs deleted since are dropped from the
    record."""
    path = _record_path(job)
    with contextlib.suppress(OSError):  # without it --resume goes by name, as before
        path.parent.mkdir(exist_ok=True)
        with _locked(path.parent):
            record = {k: v for k, v in finished_record(job).items() if (job.out / k).exists()}
            record[output.name] = photo_digest
            replace_atomically(path, lambda f: f.write(json.dumps(record, indent=1).encode()))
