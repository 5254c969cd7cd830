"""Writing files atomically: a temporary file beside the target, then one rename.

The machinery behind :func:`nststudy.images.save_image` (:func:`write_atomically`) and every
other file nststudy writes: checkpoints, sidecars, downloads (:func:`replace_atomically`). A
crash, a full disk or Ctrl-C never leaves a half-written file, and an existing file is only
replaced by a complete new one (or, when overwriting is not allowed, never: a hard link
refuses atomically where the disk has them).
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import numpy as np
from PIL import Image

from ._image_errors import ImageError, write_error

__all__ = [
    "NAME_GROWTH",
    "check_writable",
    "longest_name",
    "replace_atomically",
    "write_atomically",
]


def check_writable(folder: str | os.PathLike) -> None:
    """Create ``folder`` if needed and make sure a file can be written in it, before any long
    work whose result goes there. Raises the ``OSError`` (callers word it for their reader)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryFile(dir=folder):
        pass


#: What a file name gains on its way to disk, at most: a checkpoint ``<base>.<key>.npz`` (+21)
#: written through ``.<name>.XXXXXXXX.part`` (+15); an output's ``__2.jpg`` and its ``.part``
#: add less.
NAME_GROWTH = 36


def longest_name(folder: str | os.PathLike) -> int:
    """The longest file name, in bytes, that ``folder``'s file system takes (255 if unknown)."""
    try:
        return int(os.pathconf(folder, "PC_NAME_MAX"))
    except (OSError, ValueError, AttributeError):  # (Windows has no os.pathconf)
        return 255


_DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def replace_atomically(path: str | os.PathLike, write: Callable[[IO[bytes]], object]) -> Path:
    """Write ``path`` through ``write(file)`` into a temporary ``.part`` file beside it, then
    rename that into place, replacing any older file in one step.

    On any error — Ctrl-C included — the temporary file is removed and the old file (if any)
    is left as it was. Errors propagate; a full disk (which names no file) is raised again
    naming ``path``, so that its message says which file could not be written.
    """
    path = Path(path)
    try:
        _staged(path, write, lambda tmp: os.replace(tmp, path))
    except OSError as err:  # a full disk names no file: say which one could not be written
        if err.filename is not None or err.errno not in _DISK_FULL:
            raise
        raise type(err)(err.errno, err.strerror, str(path)) from err
    return path


def write_atomically(
    path: Path, arr: np.ndarray, fmt: str, overwrite: bool, pil_kwargs: dict[str, Any]
) -> None:
    """Save uint8 ``arr`` in Pillow format ``fmt`` to ``path`` via a temporary ``.part`` file.

    Raises:
        ImageError: naming ``path`` and the cause (read-only folder, full disk, the file
            exists and ``overwrite`` is false); the temporary file is always removed.
    """
    try:
        _staged(
            path,
            lambda fh: Image.fromarray(arr).save(fh, format=fmt, **pil_kwargs),
            lambda tmp: _commit(tmp, path, overwrite),
        )
    except OSError as err:
        raise write_error(path, err) from None


def _staged(
    path: Path, write: Callable[[IO[bytes]], object], commit: Callable[[str], None]
) -> None:
    """Write a synced temporary file beside ``path``, then ``commit`` it; remove it on error."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):  # (a file system that refuses modes: keep 0600)
            os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; ours are normal files
        commit(tmp)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _umask() -> int:
    """The process's umask, read without changing it where Linux shows it: setting it to 0
    for a moment would give files another thread creates meanwhile (the studio paints in
    one) mode 0666."""
    with (
        contextlib.suppress(OSError, ValueError, IndexError),
        open("/proc/self/status", encoding="ascii", errors="replace") as fh,
    ):
        for line in fh:
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0)  # (no /proc, or a kernel before 4.7)
    os.umask(mask)
    return mask


def _commit(tmp: str, path: Path, overwrite: bool) -> None:
    """Move the finished temporary file into place (atomically refusing to clobber if asked)."""
    if overwrite:
        os.replace(tmp, path)
        return
    try:
        os.link(tmp, path)  # fails if path exists, atomically
    except FileExistsError:
        raise ImageError(
            f"{path}: already exists; choose another name or allow overwriting"
        ) from None
    except OSError:  # no hard links (FAT/exFAT sticks, some network drives)
        if path.exists():
            raise ImageError(
                f"{path}: already exists; choose another name or allow overwriting"
            ) from None
        os.replace(tmp, path)
        return
    os.unlink(tmp)
