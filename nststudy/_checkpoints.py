"""Saving a painting safely, and what Ctrl-C leaves behind for ``--resume``.

Part of ``nststudy paint`` (:mod:`nststudy.batch` runs the job): a result is written
atomically and never over another file unless asked; on Ctrl-C the best image so far is saved,
complete and marked ``"interrupted"``, with a checkpoint in ``<out>/.nststudy/`` holding the
working-size image, the steps done and, for a print, the canvas and the tiles done. A
checkpoint remembers the settings and the photo (a hash of its bytes) it was made with, so it
is never continued with other ones.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import signal
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import metadata
from ._atomic import replace_atomically
from ._finished_record import record_finished
from .config import Config
from .images import load_image
from .paint import _CKPT_DIR, Job, PaintInterrupted

__all__ = [
    "checkpoint_path",
    "digest",
    "keep_painting",
    "kept_note",
    "load_checkpoint",
    "no_sigint",
    "record_finished",
    "save_interrupted",
    "save_result",
    "saving",
    "steps_done",
]


def digest(path: Path) -> str:
    """Which photo a checkpoint or a finished output belongs to (a hash of the file's bytes,
    kept in the checkpoint and ``OUT/.nststudy/finished.json``, never in a painting's
    metadata)."""
    stat = path.stat()  # the same bytes are hashed once, however often they are asked for
    return _digest(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=64)
def _digest(path: str, _size: int, _mtime_ns: int) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()[:16]


def checkpoint_path(job: Job, name: str, photo: Path) -> Path:
    """Where the photo ``photo``, called ``name`` in the outputs, keeps its checkpoint for
    this job: ``<out>/.nststudy/<photo>__<style>.<key>.npz``, the key from the settings, the
    input files (:meth:`Job.inputs_key`) and the photo's bytes. Another run's checkpoint
    (other settings, an edited style file, another photo of that name) is never read,
    replaced or deleted by this one."""
    return _checkpoint_path(job, name, photo, job.inputs_key())


def _checkpoint_path(job: Job, name: str, photo: Path, inputs_key: str) -> Path:
    base = metadata.base_name(name, job.label)
    key = hashlib.sha256(f"{inputs_key}:{digest(photo)}".encode()).hexdigest()[:16]
    return job.out / _CKPT_DIR / f"{base}.{key}.npz"


_BROKEN = (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile)


def _unreadable(ckpt: Path, err: Exception) -> ValueError:
    return ValueError(
        f"{ckpt}: this checkpoint cannot be read ({type(err).__name__}); delete it and paint "
        "again without --resume"
    )


def _read_meta(job: Job, ckpt: Path, photo: Path) -> dict[str, Any]:
    try:
        with np.load(ckpt) as data:
            meta = json.loads(str(data["meta"]))
        meta["steps_done"], meta["output"] = int(meta["steps_done"]), str(meta["output"])
    except _BROKEN as err:  # torn, or not nststudy's
        raise _unreadable(ckpt, err) from None
    keys = {job.inputs_key(), job.legacy_key()} - {None}
    if meta.get("key") not in keys or meta.get("photo") != digest(photo):
        raise ValueError(
            f"{ckpt}: this checkpoint belongs to another job; repeat the interrupted command "
            "exactly with --resume, or delete the checkpoint"
        )
    return meta


def load_checkpoint(
    job: Job, ckpt: Path, photo: Path
) -> tuple[np.ndarray, int, Path, tuple | None]:
    """``(working-size image, steps done, output, (print canvas, tiles done, tile side,
    overlap) or None)``; refused when the checkpoint belongs to another job (see
    :func:`nststudy._resume.resume_state`)."""
    meta = _read_meta(job, ckpt, photo)
    try:
        with np.load(ckpt) as data:
            image = data["image"].astype(np.float32)
            tiles = None
            if "canvas" in data.files:  # a print job stopped while refining tiles
                canvas = data["canvas"].astype(np.float32) / 65535.0
                side, done = meta.get("tile_side"), int(meta["tiles_done"])
                overlap = meta.get("tile_overlap")
                if done < 0 or not (side is None or (type(side) is int and side >= 32)):
                    raise ValueError(f"tiles_done {done}, tile_side {side!r}")  # edited by hand
                if overlap is None and side is not None:  # recorded before session 23: an
                    # automatic side's 64 (sides from 384 up), or the key's --tile's tile // 8
                    legacy = meta["key"] == job.legacy_key()
                    overlap = side // 8 if legacy or side < 256 else 64
                if not (overlap is None or (type(overlap) is int and 0 <= overlap < side)):
                    raise ValueError(f"tile_overlap {overlap!r}")
                tiles = (canvas, done, side) if overlap is None else (canvas, done, side, overlap)
    except _BROKEN as err:  # a damaged array behind a readable "meta"
        raise _unreadable(ckpt, err) from None
    return image, meta["steps_done"], job.out / meta["output"], tiles


def steps_done(config: Config, result: Any) -> int:
    """Steps of ``config``'s schedule a :func:`nststudy.stylize` ``result`` got through: its
    whole stages (``result.stages_done``; one L-BFGS ended early counts whole) and the steps
    of the stage it was stopped in (``history`` entries carry their stage's ``"size"``)."""
    whole = sum(config.steps[: result.stages_done])
    if result.stages_done >= len(config.steps):
        return whole
    size = config.sizes[result.stages_done]
    return whole + sum(1 for h in result.history if h["size"] == size)


def save_interrupted(
    job, path, name, target, ckpt, image, raw, photo, result, t0, done, resumed, stop=None,
    *, photo_digest=None,
):  # fmt: skip
    """Save the best image so far (marked interrupted) and a checkpoint; then stop.

    ``stop``: ``(print canvas, tiles done, tile side, overlap)`` when the tile refinement was
    cut short (the grid is kept so that ``--resume`` continues on it). ``photo_digest``: the
    photo's :func:`digest` taken when it was read (the file may have moved since)."""
    extra = _tiles_meta(stop)
    start, photo_digest = image if raw is None else raw, photo_digest or digest(path)
    with no_sigint():  # a second Ctrl-C must not tear the files
        no_sidecar = None
        try:
            target = save_result(
                job, name, target, resumed, image, photo, result, t0, done, **extra
            )
        except SidecarError as err:  # the picture is saved: keep the checkpoint all the same
            target, no_sidecar = err.target, err
        except (ValueError, OSError, MemoryError) as err:  # a full disk: a smaller one may fit
            if not (kept := keep_painting(job, ckpt, start, done, target, photo_digest, stop)):
                raise
            raise ValueError(kept_note(err, kept, ckpt)) from None
        try:
            _write_checkpoint(job, ckpt, start, done, target, photo_digest, stop)
        except (ValueError, OSError, MemoryError) as err:  # the picture is saved, the tiles not
            kept = stop is not None and keep_painting(job, ckpt, start, done, target, photo_digest)
            then = (
                f"the painting is kept in {ckpt}: free some space, then repeat the command with "
                "--resume to print it"
                if kept
                else "free some space and paint it again"
            )
            lost = "its print tiles" if kept else "the steps so far"
            raise ValueError(
                f"{target} is saved (interrupted), but {lost} could not be kept "
                f"({_reason(err)}); {then}"
            ) from None
    if no_sidecar is not None:
        raise ValueError(f"{no_sidecar} (interrupted: --resume continues it)")
    where = f"{stop[1]} tiles" if stop is not None else f"{done} steps"
    raise PaintInterrupted(f"{path} -> {target} (interrupted after {where})")


def keep_painting(job, ckpt, raw, done, target, photo_digest, tiles=None) -> str:
    """After a failure past the painting (a print's tiles: out of memory, a full disk), keep
    the working-size painting ``raw`` as a checkpoint that ``--resume`` prints from without
    painting again, with ``tiles`` = (canvas, tiles done, tile side) when some print tiles
    were refined; no image is written (nothing was finished). Returns what was kept:
    ``"tiles"`` (the painting and its tiles), ``"painting"`` (the tiles' canvas, up to ≈ 100 MB
    at 30×40 cm, did not fit, the painting's few MB did) or ``""`` (the disk refuses that too:
    then the first error is the one to report)."""
    for kept, with_tiles in (("tiles", tiles), ("painting", None)):
        if kept == "tiles" and tiles is None:
            continue
        try:
            with no_sigint():
                _write_checkpoint(job, ckpt, raw, done, target, photo_digest, with_tiles)
            return kept
        except (OSError, MemoryError, ValueError):  # (a full disk: ImageError, a ValueError)
            continue
    return ""


def _reason(err: BaseException) -> str:
    """``err`` in a few words: the disk's own message, or what ran out."""
    if isinstance(err, MemoryError):
        return "out of memory"
    return getattr(err, "strerror", None) or str(err)


def kept_note(err: BaseException, kept: str, ckpt: Path) -> str:
    """``err``'s line and what ``--resume`` continues from. Its "or write elsewhere" goes: a
    run into another folder would leave the checkpoint behind."""
    what = "the painting and its print tiles are" if kept == "tiles" else "the painting is"
    text = str(err).replace(" or write elsewhere", "")
    return f"{text}; {what} kept in {ckpt}: once that is fixed, repeat the command with --resume"


def _tiles_meta(stop: tuple | None) -> dict[str, Any]:
    """What a checkpoint and an interrupted print's settings record of ``stop`` = (canvas,
    tiles done, tile side, overlap): the grid ``--resume`` continues on."""
    if stop is None:
        return {}
    overlap = {"tile_overlap": stop[3]} if len(stop) > 3 else {}  # (a caller's triple: none)
    return {"tiles_done": stop[1], "tile_side": stop[2], **overlap}


def _write_checkpoint(job, ckpt, image, done, target, photo, stop=None) -> None:
    """What ``--resume`` continues from (:func:`load_checkpoint` reads it): the working-size
    ``image``, the steps ``done``, the output's name, the photo's digest and, for a print
    stopped in its tiles, ``stop`` = (canvas, tiles done, tile side, overlap)."""
    extra = _tiles_meta(stop)
    meta = {"key": job.inputs_key(), "steps_done": done, "output": target.name, **extra}
    meta["photo"] = photo
    arrays = {"image": load_image(image), "meta": json.dumps(meta)}
    if stop is not None:
        arrays["canvas"] = _sixteen_bits(stop[0])
    ckpt.parent.mkdir(exist_ok=True)
    replace_atomically(ckpt, lambda fh: np.savez(fh, **arrays))


def _sixteen_bits(canvas: np.ndarray, rows: int = 256) -> np.ndarray:
    """``canvas`` (float, clipped to [0, 1]) as uint16, a band of rows at a time: a print's
    canvas may be kept just after memory ran out, so no full-size float temporaries."""
    out = np.empty(canvas.shape, np.uint16)
    for i in range(0, canvas.shape[0], rows):
        out[i : i + rows] = np.round(np.clip(canvas[i : i + rows], 0, 1) * 65535)
    return out


@contextlib.contextmanager
def saving() -> Iterator[None]:
    """Finishing the picture to save after Ctrl-C: say so, and let no second Ctrl-C lose it."""
    from tqdm.auto import tqdm

    with no_sigint():  # before the notice: a Ctrl-C while it prints would lose the picture
        tqdm.write("stopping: finishing the picture so far to save it (Ctrl-C is ignored now)")
        yield


@contextlib.contextmanager
def no_sigint() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def save_result(
    job: Job,
    name: str,
    target: Path,
    resumed: bool,
    image: np.ndarray,
    photo: np.ndarray,
    result: Any,
    t0: float,
    interrupted: int | None,
    **extra: Any,
) -> Path:
    """Save the painting and its sidecar; returns where it went. Without ``--overwrite`` an
    existing file is never replaced (except the interrupted one a resumed run continues):
    when another run took the name since it was chosen, the next free name is used."""
    settings = dict(job.settings)
    if interrupted is not None:
        settings.update(interrupted=True, steps_done=interrupted, **extra)
    elif result is not None and result.stopped == "diverged":  # the best image before it
        settings["stopped"] = "diverged"
    overwrite = bool(job.args.overwrite) or resumed
    with no_sigint():  # a second Ctrl-C must not tear it
        while True:
            try:
                metadata.save_painting(target, image, settings, dpi=job.dpi, overwrite=overwrite)
                break
            except ValueError:
                if overwrite or not target.exists():
                    raise
                target = job.target(name)  # taken meanwhile (another run): the next free one
        side = {
            **settings,
            "image": {"width": image.shape[1], "height": image.shape[0]},
            "photo": {"width": photo.shape[1], "height": photo.shape[0]},
            "seconds": round(time.perf_counter() - t0, 3),
        }
        if result is not None:
            side.update(
                stage_seconds=[round(s, 3) for s in result.stage_seconds],
                evaluations=result.evaluations,
                initial_loss=result.initial_loss,
                final_loss=result.final_loss,
                history=result.history,
            )
        try:
            metadata.write_sidecar(target, side)
        except OSError as err:  # an older sidecar beside the new painting would disagree
            side_path = metadata.sidecar_path(target)
            with contextlib.suppress(OSError):
                side_path.unlink(missing_ok=True)
            raise SidecarError(
                f"{side_path}: the settings sidecar could not be written "
                f"({err.strerror or err}); {target} is saved, its settings embedded in it; "
                "free some space, then add --resume to paint any photo not painted yet",
                target,
            ) from None
    return target


class SidecarError(ValueError):
    """The painting was saved (``target``) but its ``.json`` sidecar could not be written."""

    def __init__(self, message: str, target: Path) -> None:
        super().__init__(message)
        self.target = target
