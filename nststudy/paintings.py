"""Real paintings (public domain) for the course, found offline first, fetched only with a hash.

The course runs without them: :mod:`nststudy.samples` paints procedural stand-ins. When a
learner is online, or a teacher has copied the files into a folder, the real works make the
lessons more vivid. :func:`painting` looks, in order:

1. in the folder named by ``NSTSTUDY_SAMPLES_DIR`` (a USB copy, or CI's shared images);
2. in the Keras cache, ``$KERAS_HOME/datasets/nststudy/``, where earlier downloads were kept
   (or, when that folder cannot be written, the temporary folder's ``nststudy/``);
3. on the network (GitHub, pinned commit), unless ``NSTSTUDY_OFFLINE=1``: the bytes must match
   the SHA-256 below, are written atomically into the cache, and the wait is a few seconds at most;
4. otherwise it warns once, in one line, and returns the procedural stand-in. A file from the
   folder of step 1 that cannot be read (damaged) gets the stand-in too, with the reason.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import tempfile
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ._atomic import replace_atomically
from ._env import env_flag
from ._image_errors import ImageError
from .images import load_image

__all__ = ["PAINTINGS", "PaintingInfo", "painting", "painting_path"]

_BASE = (
    "https://raw.githubusercontent.com/jcjohnson/neural-style/"
    "07c4b8299f8fbdafec0c514fc820ff1d7ff62e46/examples/inputs/"
)


@dataclass(frozen=True)
class PaintingInfo:
    """One reference image: what it is, its file, its hash and its offline stand-in."""

    name: str
    title: str
    artist: str
    year: int
    movement: str
    file: str
    sha256: str
    fallback: str  # a name for nststudy.samples (make_style, or content_photo for photos)
    license: str = "public domain"
    is_photo: bool = False


PAINTINGS: dict[str, PaintingInfo] = {
    p.name: p
    for p in (
        PaintingInfo(
            "starry_night",
            "The Starry Night",
            "Vincent van Gogh",
            1889,
            "Post-impressionism",
            "starry_night.jpg",
            "0592ab0f7b51b3ce72608a95e53880bd93971e5b48f93a0ce8dfd3cbccf3d098",
            "swirl",
        ),
        PaintingInfo(
            "the_scream",
            "The Scream",
            "Edvard Munch",
            1893,
            "Expressionism",
            "the_scream.jpg",
            "f3075cddeb974a9ee1d6418f7f33fd05185a7ac7dcb4288bd2805d499a9dcaee",
            "swirl",
        ),
        PaintingInfo(
            "shipwreck",
            "The Shipwreck",
            "J. M. W. Turner",
            1805,
            "Romanticism",
            "shipwreck.jpg",
            "4f7cf34e3cd4a5daaf3f421f059ca9a01aaa2a3afd7243d6670c9c8bc001a213",
            "brush",
        ),
        PaintingInfo(
            "tubingen",
            "Neckarfront in Tübingen",
            "Andreas Praefcke (photograph)",
            2003,
            "photograph",
            "tubingen.jpg",
            "e67d1869f01fd805385c681a80d9ebcf0f70ea4a5fe6127f0606bb1c7f4bf506",
            "chelsea",
            license="CC BY 3.0 (credit the photographer)",
            is_photo=True,
        ),
    )
}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _cache_dirs() -> tuple[Path, Path]:
    """The Keras cache's folder, then a temporary one for when that cannot be written."""
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    keras = Path(os.path.expanduser(home)).absolute()  # as weights.keras_cache_path: "~/kh" too
    return keras / "datasets" / "nststudy", Path(tempfile.gettempdir()) / "nststudy"


def _download(info: PaintingInfo, timeout: float) -> Path | None:
    """Fetch, check and keep the file; ``None`` if no cache folder can be written."""
    with urllib.request.urlopen(_BASE + info.file, timeout=timeout) as resp:
        data = resp.read()
    if hashlib.sha256(data).hexdigest() != info.sha256:
        raise OSError(f"{info.file}: downloaded bytes do not match the expected SHA-256")
    for folder in _cache_dirs():  # a read-only home must not waste a good download
        try:
            folder.mkdir(parents=True, exist_ok=True)
            return replace_atomically(folder / info.file, lambda fh: fh.write(data))
        except OSError:
            continue
    return None


def painting_path(name: str, download: bool | None = None, timeout: float = 5.0) -> Path | None:
    """Where the real image ``name`` is (fetching it if allowed), or ``None`` when unavailable.

    Args:
        name: a key of :data:`PAINTINGS`.
        download: allow the network; default: yes unless ``NSTSTUDY_OFFLINE=1``.
        timeout: seconds to wait for the network.
    """
    if name not in PAINTINGS:
        raise ValueError(f"unknown painting {name!r}; choose one of: {', '.join(PAINTINGS)}")
    info = PAINTINGS[name]
    folder = os.environ.get("NSTSTUDY_SAMPLES_DIR")
    if folder and (Path(folder) / info.file).is_file():
        return Path(folder) / info.file
    for cached in (folder / info.file for folder in _cache_dirs()):
        if cached.is_file() and _sha256(cached) == info.sha256:
            return cached
    if download is None:
        download = not env_flag("NSTSTUDY_OFFLINE")  # 1/true/yes: offline
    if download:
        try:
            return _download(info, timeout)
        except (OSError, http.client.HTTPException):  # no network, or cut off mid-transfer
            return None
    return None


def painting(
    name: str, max_dim: int | None = 512, download: bool | None = None, size: int = 512
) -> np.ndarray:
    """The real painting (or photo) ``name`` as float32 ``(H, W, 3)`` in [0, 1].

    When it cannot be found or fetched, a one-line warning says so and the procedural stand-in
    from :mod:`nststudy.samples` is returned instead (``size`` px), so a lesson never stops.

    Args:
        name: a key of :data:`PAINTINGS` (``starry_night``, ``the_scream``, ``shipwreck``,
            ``tubingen``).
        max_dim: shrink so the longest side is at most this (``None``: full size).
        download: allow the network (default: unless ``NSTSTUDY_OFFLINE=1``).
        size: side of the procedural stand-in.
    """
    from . import samples

    path = painting_path(name, download=download)
    info = PAINTINGS[name]
    if path is not None:
        try:
            return load_image(path, max_dim=max_dim)
        except ImageError as err:  # a damaged copy in NSTSTUDY_SAMPLES_DIR (cached ones are hashed)
            warnings.warn(f"{err}; using the sample {info.fallback!r} instead", stacklevel=2)
    else:
        warnings.warn(
            f"{info.title} is not available offline; using the sample {info.fallback!r} instead "
            "(set NSTSTUDY_SAMPLES_DIR to a folder holding the file to use the real one)",
            stacklevel=2,
        )
    if info.is_photo:
        return samples.content_photo(info.fallback, max_dim=max_dim)
    return samples.make_style(info.fallback, size=min(size, max_dim or size))
