"""What a user reads when an image cannot be read or written: :class:`ImageError` and its messages.

Every message names the file and says what to do: a missing file suggests the closest name in
its folder, a file Pillow refuses is sniffed (an iPhone HEIC photo, a saved web page, a text
file, a damaged image) and a failed write names the cause (read-only folder, full disk).
:mod:`nststudy.images` re-exports the two classes; this module only builds the errors.
"""

from __future__ import annotations

import contextlib
import difflib
import errno
from pathlib import Path

__all__ = [
    "DENIED",
    "TOO_LARGE",
    "ImageError",
    "ImageNotice",
    "missing_file",
    "name_too_long",
    "not_an_image",
    "write_error",
]

_FIX_FORMAT = "export it as JPEG or PNG and try again"
DENIED = "cannot be read (permission denied); fix its permissions (chmod u+r) or copy it"
TOO_LARGE = "too large to decode in the memory available; shrink it first"


class ImageError(ValueError):
    """An image could not be read or written; the message names it and says what to do."""


class ImageNotice(UserWarning):
    """Something about an image was handled on the user's behalf (e.g. first GIF frame used)."""


# Their public home: tracebacks and reprs name nststudy.images.ImageError, where users import it.
ImageError.__module__ = ImageNotice.__module__ = "nststudy.images"


def _sniff(path: Path, head: bytes | None = None) -> str:
    """A guess at what a file that Pillow refused really is, from its first bytes (read from
    ``path`` unless given)."""
    if head is None:
        head = b""
        with contextlib.suppress(OSError), open(path, "rb") as fh:
            head = fh.read(512)
    if head:
        if head[4:12] in (b"ftypheic", b"ftypheix", b"ftypmif1", b"ftyphevc", b"ftypmsf1"):
            return "heic"
        if head[4:12] == b"ftypavif":
            return "avif"
        signatures = (b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")
        if head.startswith(signatures) or (head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
            return "damaged"
        text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if text.startswith((b"<!doctype html", b"<html", b"<head", b"<?xml", b"<svg")):
            return "svg" if b"<svg" in head.lower() else "html"
        if head and all(32 <= c < 127 or c in b"\t\r\n" for c in head):
            return "text"
    return "unknown"


_NOT_AN_IMAGE = {
    "heic": "is an iPhone HEIC/HEIF photo, which Pillow cannot read; export it as JPEG "
    "(iPhone: Settings › Camera › Formats › Most Compatible) or `pip install pillow-heif`",
    "avif": f"is an AVIF image, which this Pillow cannot read; {_FIX_FORMAT}",
    "html": "is a web page (HTML), not an image: the browser saved the page; open the image "
    "itself (right-click › Open image in new tab) and save that",
    "svg": f"is a vector drawing (SVG/XML), not a photo; {_FIX_FORMAT}",
    "text": "is a text file, not an image; check that you picked the right file",
    "unknown": "is not an image Pillow can read; use a JPEG, PNG, WebP, TIFF, BMP or GIF file",
}


def not_an_image(path: Path | str, head: bytes | None = None) -> ImageError:
    """The error for a file Pillow could not identify, after a look at its first bytes
    (``head``, or read from ``path``)."""
    kind = _sniff(Path(path), head)
    if kind == "damaged":
        return ImageError(
            f"{path}: the image data is damaged or truncated; copy or download it again"
        )
    return ImageError(f"{path}: {_NOT_AN_IMAGE[kind]}")


def missing_file(path: Path) -> ImageError:
    """The error for a path that does not exist, with the closest name in its folder."""
    hint = ""
    with contextlib.suppress(OSError):
        if path.parent.is_dir():
            names = [p.name for _, p in zip(range(2000), path.parent.iterdir(), strict=False)]
            lower = {n.lower(): n for n in names}
            close = [lower[path.name.lower()]] if path.name.lower() in lower else []
            close = close or difflib.get_close_matches(path.name, names, n=1, cutoff=0.75)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
    where = "" if path.parent.is_dir() else f"; the folder {path.parent} does not exist either"
    return ImageError(f"{path}: no such file{hint}{where}; check the path and its spelling")


def name_too_long(path: Path | str) -> ImageError:
    """The error for a path the file system refuses as too long (``ENAMETOOLONG``, which
    ``Path.exists`` raises rather than answers), its name shortened to fit one line."""
    text = str(path)
    shown = text if len(text) <= 80 else f"{text[:40]}…{text[-30:]}"
    return ImageError(
        f"{shown}: a file or folder name in this path is too long for the file system (most "
        "allow 255 bytes); use a shorter one"
    )


def write_error(path: Path, err: OSError) -> ImageError:
    """The error for a failed write: read-only folder, full disk, a folder in the way, ..."""
    folder = path.parent
    if isinstance(err, PermissionError) or err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        why = "is read-only" if err.errno == errno.EROFS else "is not writable (permission denied)"
        return ImageError(
            f"{path}: cannot write there: the folder {folder} {why}; choose another output "
            "folder or fix its permissions"
        )
    if err.errno in (errno.ENOSPC, errno.EDQUOT):
        return ImageError(
            f"{path}: the disk is full (or over quota); free some space or write elsewhere "
            "(any earlier file there is unchanged)"
        )
    if err.errno == errno.ENAMETOOLONG:
        return name_too_long(path)
    if isinstance(err, IsADirectoryError):
        return ImageError(f"{path}: is a folder; give a file name such as {path / 'out.png'}")
    return ImageError(f"{path}: could not be written ({err}); try another output path")
