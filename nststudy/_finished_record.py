"""``<out>/.nststudy/finished.json``: which photo each finished output was painted from.

Part of ``nststudy paint``'s ``--resume`` (:mod:`nststudy._checkpoints`): a photo whose output
is listed with its own hash, and with the same style, mask and ``--painting`` files, is
skipped; another photo of the same name, or one of the same name painted with an edited mask,
is painted. Two runs into one folder at once each read and rewrite the record under a lock, so
neither loses the other's entries.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ._atomic import replace_atomically
from .paint import _CKPT_DIR, Job

__all__ = ["files_key", "finished_record", "painted_from", "record_finished"]


def _record_path(job: Job) -> Path:
    return job.out / _CKPT_DIR / "finished.json"


def finished_record(job: Job) -> dict[str, Any]:
    """``<out>/.nststudy/finished.json``: each finished output's name → ``{"photo": its
    photo's hash, "files": its input files' (:func:`files_key`)}`` (before session 22: the
    photo's hash alone)."""
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


def files_key(job: Job) -> str:
    """A hash of the pixels of the job's input files (style files, ``--mask``, ``--painting``;
    built-in styles go by name, in the settings): the settings alone name files, not what is
    in them."""
    h = hashlib.sha256()
    for a in [*(s.image for s in job.styles if not s.builtin), job.mask_image, job.painting]:
        h.update(b"-" if a is None else np.ascontiguousarray(a).tobytes())
    return h.hexdigest()[:16]


def painted_from(job: Job, record: dict[str, Any], photo_digest: str) -> Any:
    """``accept(output)`` for :meth:`nststudy.paint.Job.finished`: the record says the output
    was painted from this photo with these files (an output not in the record: yes, it goes
    by name and settings as before the record; an entry from before session 22: by the photo)."""
    files = files_key(job)

    def accept(output: Path) -> bool:
        entry = record.get(output.name)
        if isinstance(entry, dict):
            return entry.get("photo") == photo_digest and entry.get("files") == files
        return entry is None or entry == photo_digest

    return accept


def record_finished(job: Job, output: Path, photo_digest: str) -> None:
    """Note which photo (its :func:`nststudy._checkpoints.digest`) and input files ``output``
    was painted from, so that ``--resume`` never skips another photo of the same name, nor one
    painted with an edited mask or style file (kept beside the checkpoints, never in the
    painting's metadata). Outputs deleted since are dropped from the record."""
    path = _record_path(job)
    with contextlib.suppress(OSError):  # without it --resume goes by name, as before
        path.parent.mkdir(exist_ok=True)
        with _locked(path.parent):
            record = {k: v for k, v in finished_record(job).items() if (job.out / k).exists()}
            record[output.name] = {"photo": photo_digest, "files": files_key(job)}
            replace_atomically(path, lambda f: f.write(json.dumps(record, indent=1).encode()))
