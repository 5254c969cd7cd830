"""The run loop of ``nststudy paint``: progress bars, safe saving, Ctrl-C, checkpoints, resume.

The options become a job in :mod:`nststudy.paint`; :func:`run_paint` paints it. Ctrl-C saves
the best image so far as a complete file marked ``"interrupted": true`` in its metadata,
keeps a checkpoint in ``<out>/.nststudy/`` and exits 130; ``--resume`` continues from the
checkpoint (only the steps left run) and skips photos already painted with the same settings.

A print job (``--print-size``) always saves a print-sized file: stopped while painting at the
working size, that painting upscaled; stopped while its tiles are refined, the print so far
(``"tiles_done"`` in the metadata; the tiles not reached are upscaled, not refined), and the
checkpoint keeps the canvas, so ``--resume`` goes on with the next tile.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import metadata
from ._atomic import replace_atomically
from .images import load_image
from .paint import (
    Job,
    PaintInterrupted,
    collect_photos,
    estimate_seconds,
    remaining_stages,
    resolve_args,
    validate_photos,
)

__all__ = ["run_paint"]


def _paint_one(job: Job, path: Path, bar_position: int) -> Path | None:
    """Paint one photo; returns the output path (``None`` when skipped by ``--resume``)."""
    from tqdm.auto import tqdm

    from .stylize import finish_painting, stylize

    stem, ckpt = path.stem, job.checkpoint(path.stem)
    start_image, done, target, tiles = None, 0, None, None
    if job.args.resume and ckpt.exists():
        start_image, done, target, tiles = _load_checkpoint(job, ckpt)
    elif job.args.resume and (found := job.finished(stem)) is not None:
        tqdm.write(f"{path} -> {found} (already painted)")
        return None
    photo = load_image(path)
    if job.args.crop:
        from .postprocess import crop_to_ratio

        photo = crop_to_ratio(photo, job.args.crop)
    if job.painting is not None and start_image is None:  # --painting: refine it, no painting
        start_image, done = job.painting, job.config.total_steps
    target = target or job.target(stem)
    mask = _mask(job, photo)
    config = remaining_stages(job.config, done)
    t0, result, raw = time.perf_counter(), None, start_image
    if config is not None:
        tiles = None  # the working-size painting changes: the print is refined anew
        if job.print_size:  # post-processing comes after the refinement, at full size
            config = config.replace(preserve_colors=None, strokes=0.0)
        bar = tqdm(total=config.total_steps, desc=stem, position=bar_position, leave=False)

        def progress(step: int, losses: dict[str, float], img: np.ndarray) -> None:
            nonlocal raw
            raw = img  # before post-processing: what a resumed run starts from
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{losses['total']:.3g}", refresh=False)

        styles = [(s.image, s.weight) for s in job.styles]
        result = stylize(
            photo, styles, config, callback=progress, mask=mask, init_image=start_image
        )
        bar.close()
        done += len(result.history)
        if result.stopped == "interrupt":
            image = result.image
            if job.print_size:  # a print job's file is print-sized: the painting upscaled
                image = _upscaled(job, image, photo, mask)
            _interrupted(job, path, target, ckpt, image, raw, photo, result, t0, done)
        raw = result.image if job.print_size else raw
    assert raw is not None
    if result is not None and not job.print_size:
        image = result.image
    elif not job.print_size:  # resumed after the last step: only the finishing was left
        image = finish_painting(load_image(raw), photo, job.config, mask)
    else:
        image, stop = _print(job, path, raw, photo, mask, tiles, bar_position)
        if stop is not None:
            _interrupted(job, path, target, ckpt, image, raw, photo, result, t0, done, stop)
    _save(job, target, image, photo, result, t0, interrupted=None)
    ckpt.unlink(missing_ok=True)
    return target


def _load_checkpoint(
    job: Job, ckpt: Path
) -> tuple[np.ndarray, int, Path, tuple[np.ndarray, int, int | None] | None]:
    """``(working-size image, steps done, output, (print canvas, tiles done, tile side) or
    None)``."""
    with np.load(ckpt) as data:
        meta = json.loads(str(data["meta"]))
        image = data["image"].astype(np.float32)
        tiles = None
        if "canvas" in data.files:  # a print job stopped while refining tiles
            canvas = data["canvas"].astype(np.float32) / 65535.0
            tiles = (canvas, int(meta["tiles_done"]), meta.get("tile_side"))
    if meta["key"] != job.key:
        raise ValueError(
            f"{ckpt}: this checkpoint was made with other settings; repeat the interrupted "
            "command's options with --resume, or delete the checkpoint"
        )
    return image, int(meta["steps_done"]), job.out / meta["output"], tiles


def _interrupted(job, path, target, ckpt, image, raw, photo, result, t0, done, stop=None):
    """Save the best image so far (marked interrupted) and a checkpoint; then stop.

    ``stop``: ``(print canvas, tiles done, tile side)`` when the tile refinement was cut short
    (the side is kept so that ``--resume`` continues on the same grid)."""
    extra = {} if stop is None else {"tiles_done": stop[1], "tile_side": stop[2]}
    with _no_sigint():  # a second Ctrl-C must not tear the files
        _save(job, target, image, photo, result, t0, interrupted=done, **extra)
        ckpt.parent.mkdir(exist_ok=True)
        meta = {"key": job.key, "steps_done": done, "output": target.name, **extra}
        arrays = {"image": load_image(image if raw is None else raw), "meta": json.dumps(meta)}
        if stop is not None:
            arrays["canvas"] = np.round(np.clip(stop[0], 0, 1) * 65535).astype(np.uint16)
        replace_atomically(ckpt, lambda fh: np.savez(fh, **arrays))
    where = f"{stop[1]} tiles" if stop is not None else f"{done} steps"
    raise PaintInterrupted(f"{path} -> {target} (interrupted after {where})")


def _given_painting(job: Job, photos: list[Path]) -> np.ndarray:
    """``--painting``: read once and checked against the photo before anything is painted."""
    name = job.args.painting
    if not job.print_size:
        raise ValueError(
            f"--painting {name}: prints an earlier painting; add --print-size PX or --print WxH"
        )
    if len(photos) != 1:
        raise ValueError(
            f"--painting {name}: belongs to one photo but {len(photos)} were given; give only "
            "the photo it was painted from"
        )
    from ._tile_grid import same_aspect
    from .postprocess import crop_to_ratio

    painting, photo = load_image(name), load_image(photos[0])
    photo = crop_to_ratio(photo, job.args.crop) if job.args.crop else photo
    (h, w), (ph, pw) = painting.shape[:2], photo.shape[:2]
    if max(h, w) >= job.print_size:
        raise ValueError(f"{name}: is already {w}×{h} px; choose a --print-size above {max(w, h)}")
    if not same_aspect(painting.shape, photo.shape):
        raise ValueError(
            f"{name}: {w}×{h} px does not have the photo's aspect ({pw}×{ph}); give the "
            "painting made from this photo (with the same --crop)"
        )
    return painting


def _mask(job: Job, photo: np.ndarray) -> np.ndarray | None:
    if not (job.args.mask or job.args.background_only):
        return None
    from .masks import auto_foreground_mask, load_mask

    if job.args.mask:  # read (and checked) once, before any painting: see run_paint
        mask = load_mask(job.mask_image, photo.shape[:2])
    else:
        mask = auto_foreground_mask(photo)
    return 1.0 - mask if job.args.background_only else mask


def _upscaled(job: Job, painting: np.ndarray, photo: np.ndarray, mask: np.ndarray | None):
    """A working-size painting at the print size, unrefined, post-processed."""
    from .postprocess import resize_to
    from .stylize import finish_painting
    from .tiles import print_shape

    big = resize_to(load_image(painting), print_shape(painting.shape, job.print_size))
    return finish_painting(big, photo, job.config, mask)


def _print(
    job: Job,
    path: Path,
    painting: np.ndarray,
    photo: np.ndarray,
    mask: np.ndarray | None,
    start: tuple[np.ndarray, int, int | None] | None,
    bar_position: int,
) -> tuple[np.ndarray, tuple[np.ndarray, int, int] | None]:
    """Refine to the print size in tiles (continuing from ``start``), then post-process at
    full size as :func:`nststudy.tiles.paint_print` does. Returns the finished print and,
    when Ctrl-C cut the refinement short, ``(canvas, tiles done, tile side)`` to resume from."""
    import warnings

    from tqdm.auto import tqdm

    from .stylize import finish_painting
    from .tiles import TilingStopped, auto_tile, count_tiles, refine_tiled

    styles = [(s.image, s.weight) for s in job.styles]
    plain = job.config.replace(preserve_colors=None, strokes=0.0)
    resumed_side = None if start is None else start[2]
    tile = job.tile or resumed_side or auto_tile(painting.shape, job.print_size, job.overlap)
    total = count_tiles(painting.shape, job.print_size, tile, job.overlap)
    first = 0 if start is None else start[1]
    bar = tqdm(
        total=total, initial=first, desc=f"{path.stem} tiles", position=bar_position,
        leave=False, unit="tile",
    )  # fmt: skip

    def progress(done: int, _total: int, _canvas: np.ndarray) -> None:
        bar.update(done - bar.n)  # (tqdm's update returns True when it redraws: not a stop)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out = refine_tiled(
            painting, photo, styles, plain, job.print_size, tile, job.overlap,
            callback=progress, mask=mask, start=None if start is None else start[:2],
        )  # fmt: skip
    bar.close()
    stop = None
    for w in caught:
        if isinstance(w.message, TilingStopped):
            stop = (out, w.message.complete, tile)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return finish_painting(out, photo, job.config, mask), stop


@contextlib.contextmanager
def _no_sigint() -> Iterator[None]:
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _save(
    job: Job,
    target: Path,
    image: np.ndarray,
    photo: np.ndarray,
    result: Any,
    t0: float,
    interrupted: int | None,
    **extra: Any,
) -> None:
    settings = dict(job.settings)
    if interrupted is not None:
        settings.update(interrupted=True, steps_done=interrupted, **extra)
    with _no_sigint():  # a second Ctrl-C must not tear it
        metadata.save_painting(target, image, settings, dpi=job.dpi)
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
        metadata.write_sidecar(target, side)


def run_paint(args: argparse.Namespace) -> int:
    """Carry out ``nststudy paint`` (see ``nststudy paint --help``); returns the exit code."""
    from tqdm.auto import tqdm

    from .vgg import ensure_weights

    job = Job(resolve_args(args))
    photos = collect_photos(args.photos)
    good, bad = validate_photos(photos, job.config.sizes)
    if len(photos) == 1 and bad and not args.skip_bad:
        raise ValueError(bad[0])  # a single photo: its own message is the one line
    for msg in bad:
        print(f"nststudy: bad input: {msg}", file=sys.stderr)
    if bad and not args.skip_bad:
        raise ValueError(
            f"{len(bad)} of {len(photos)} photos cannot be painted (listed above); nothing was "
            "painted: fix or remove them, or pass --skip-bad to paint the others"
        )
    if not good:
        raise ValueError("no photo left to paint")
    if args.mask:  # a bad mask file stops the job before anything is written
        from .masks import read_mask

        job.mask_image = read_mask(args.mask)
    if getattr(args, "painting", None):
        job.painting = _given_painting(job, list(good))
    if job.print_size:
        from ._tile_grid import print_shortfall

        if short := print_shortfall(job.print_size, job.tile):
            need, have, tile = short
            raise ValueError(
                f"a {job.print_size} px print with {tile} px tiles needs about "
                f"{need / 2**30:.1f} GiB of memory but only {have / 2**30:.1f} GiB is free; "
                "choose a smaller --tile, --print-size or --dpi"
            )
    try:
        job.out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ValueError(
            f"{job.out}: cannot create the output folder ({err.strerror}); choose another --out"
        ) from None
    ensure_weights()
    seconds = sum(
        estimate_seconds(job.config, shape, job.print_size, job.tile, overlap=job.overlap)
        - (estimate_seconds(job.config, shape) if job.painting is not None else 0.0)
        for shape in good.values()
    )
    if seconds > 60:
        print(
            f"estimated time: about {seconds / 60:.0f} min for {len(good)} photo(s) "
            "(rough, from a 2-core CPU)",
            flush=True,
        )
    with tqdm(total=len(good), desc="photos", position=0, unit="photo") as overall:
        for path in good:
            try:
                out = _paint_one(job, path, bar_position=1)
            except PaintInterrupted as stop:
                tqdm.write(str(stop))
                tqdm.write("resume with the same command plus --resume")
                raise
            if out is not None:
                tqdm.write(f"{path} -> {out}")
            overall.update(1)
    return 0
