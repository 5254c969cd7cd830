"""A print job's parts for ``nststudy paint`` (:mod:`nststudy.batch` runs the job): the
painting given with ``--painting``, the size checks and frame notes made before any work, the
tiles refined up to the print size, and the upscaled stand-in saved when Ctrl-C comes first."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from ._checkpoints import no_sigint, saving
from .images import load_image
from .paint import Job

__all__ = [
    "check_print_memory",
    "check_print_sizes",
    "check_resumed_tiles",
    "frame_notes",
    "given_painting",
    "print_tiles",
    "upscaled",
]

#: A print's tiles so far: ``(canvas at print size, tiles done, tile side, overlap)``; from a
#: checkpoint made before the overlap was recorded, three items (and the side may be ``None``).
Tiles = tuple


def given_painting(job: Job, photos: list[Path]) -> np.ndarray:
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
    from .postprocess import aspect_fits, crop_to_ratio

    painting, photo = load_image(name), load_image(photos[0])
    photo = crop_to_ratio(photo, job.args.crop) if job.args.crop else photo
    (h, w), (ph, pw) = painting.shape[:2], photo.shape[:2]
    if max(h, w) >= job.print_size:
        raise ValueError(f"{name}: is already {w}×{h} px; choose a --print-size above {max(w, h)}")
    if not aspect_fits(painting.shape, photo.shape):
        raise ValueError(
            f"{name}: {w}×{h} px does not have the photo's aspect ({pw}×{ph}); give the "
            "painting made from this photo (with the same --crop)"
        )
    return painting


def upscaled(job: Job, painting: np.ndarray, photo: np.ndarray, mask: np.ndarray | None):
    """A working-size painting at the print size, unrefined, post-processed."""
    from .postprocess import resize_to
    from .stylize import finish_painting
    from .tiles import print_shape

    big = resize_to(load_image(painting), print_shape(photo.shape, job.print_size))
    return finish_painting(big, photo, job.config, mask)


def print_tiles(
    job: Job,
    name: str,
    painting: np.ndarray,
    photo: np.ndarray,
    mask: np.ndarray | None,
    start: Tiles | None,
    bar_position: int,
) -> tuple[np.ndarray, Tiles | None, Tiles]:
    """Refine to the print size in tiles (continuing from ``start``), then post-process at
    full size as :func:`nststudy.tiles.paint_print` does. Returns the finished print; when
    Ctrl-C cut the refinement short, ``(canvas, tiles done, tile side, overlap)`` to resume
    from (else ``None``); and that for the refined canvas before finishing, which a
    checkpoint keeps if the print cannot be saved. Any other error during the tiles (once one
    is done) or while finishing them is raised with it as its ``tiles_so_far`` attribute.

    ``start`` is such a tuple from a checkpoint (its side ``None``, and no overlap, in
    checkpoints from before they were recorded). Resumed with another ``--tile`` (after
    running out of memory, say), the grid changes: every tile is refined again, from the
    canvas so far."""
    import warnings

    from tqdm.auto import tqdm

    from .postprocess import resize_to
    from .stylize import finish_painting
    from .tiles import TilingStopped, auto_tile, count_tiles, print_shape, refine_tiled

    styles = [(s.image, s.weight) for s in job.styles]
    plain = job.config.replace(preserve_colors=None, strokes=0.0)
    finish = job.config  # a --painting's own strokes are in it already: not smoothed twice
    if job.painting is not None and job.painted_strokes:
        finish = job.config.replace(strokes=0.0)
    resumed_side = None if start is None else start[2]
    frame = photo.shape  # the print's aspect: the photo's (the painting's sides are rounded)
    tile = job.tile or resumed_side or auto_tile(frame, job.print_size, job.overlap)
    overlap = job.overlap
    if start is not None and resumed_side is not None:
        if tile != resumed_side:  # --resume --tile N (out of memory?): another grid, so
            start = (start[0], 0, tile)  # every tile again, from the canvas so far
        else:  # the grid it was begun on; a checkpoint from before the overlap was recorded
            overlap = start[3] if len(start) > 3 else 64  # had an automatic side's
    if start is not None and start[0].shape[:2] != print_shape(frame, job.print_size):
        # begun before the print's shape came from the photo (a pixel off): every tile again
        start = (resize_to(start[0], print_shape(frame, job.print_size)), 0, tile)
    total = count_tiles(frame, job.print_size, tile, overlap)
    first = 0 if start is None else start[1]
    bar = tqdm(
        total=total, initial=first, desc=f"{name} tiles", position=bar_position,
        leave=False, unit="tile",
    )  # fmt: skip

    latest: list = []  # (tiles done, the live canvas): a late second Ctrl-C keeps them

    def progress(done: int, _total: int, canvas: np.ndarray) -> None:
        latest[:] = [done, canvas]
        bar.update(done - bar.n)  # (tqdm's update returns True when it redraws: not a stop)

    stop, caught = None, []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out = refine_tiled(
                painting, photo, styles, plain, job.print_size, tile, overlap,
                steps=job.tile_steps, callback=progress, mask=mask,
                start=None if start is None else start[:2],
            )  # fmt: skip
    except KeyboardInterrupt:  # before the first tile began (upscaling), or a second Ctrl-C
        with saving():  # while refine_tiled was returning from the first: the tiles so far
            if latest:
                out, done = np.clip(latest[1], 0.0, 1.0), latest[0]
            else:
                out = start[0] if start is not None else resize_to(painting, print_shape(
                    frame, job.print_size))  # fmt: skip
                done = first
        stop = (out, done, tile, overlap)
    except Exception as err:  # out of memory, a full disk: the tiles so far go with the error
        bar.close()
        if latest:  # (nststudy.batch keeps them in the checkpoint, for --resume; no copy:
            _so_far(err, (latest[1], latest[0], tile, overlap))  # memory may be what just ran out)
        raise
    with no_sigint():  # Ctrl-C twice: the second must not lose the tiles just kept
        bar.close()
        for w in caught:
            if isinstance(w.message, TilingStopped):
                stop = (out, w.message.complete, tile, overlap)
            else:
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        if stop is not None:  # Ctrl-C: the print so far is saved, finished like a whole one
            with saving(), _keeping(stop):
                image = finish_painting(out, photo, finish, mask, max(painting.shape[:2]))
                return image, stop, stop
    refined = (out, total, tile, overlap)
    try:  # colour and strokes at print size can take a while
        with _keeping(refined):  # out of memory there: the tiles are all kept
            image = finish_painting(out, photo, finish, mask, max(painting.shape[:2]))
            return image, None, refined
    except KeyboardInterrupt:  # every tile is done: keep them; --resume only finishes
        with saving():  # only the cheap step: the photo kept where the mask says
            image = finish_painting(out, photo, plain, mask, max(painting.shape[:2]))
        return image, refined, refined


def _so_far(err: BaseException, tiles: Tiles) -> None:
    err.tiles_so_far = tiles  # type: ignore[attr-defined]


@contextlib.contextmanager
def _keeping(tiles: Tiles) -> Iterator[None]:
    """An error (not Ctrl-C) inside leaves with ``tiles`` as its ``tiles_so_far``."""
    try:
        yield
    except Exception as err:
        _so_far(err, tiles)
        raise


def check_print_memory(job: Job, shapes: dict[Path, tuple[int, int]]) -> None:
    """Refuse, before any painting, a print whose estimated peak does not fit in memory (at
    the squarest photo's frame: the most pixels), naming what to change: the tile, print size
    and DPI, or ``--style-scale`` when the resized style sets the peak."""
    if not job.print_size:
        return
    from ._tile_grid import print_shortfall, style_bound
    from .postprocess import parse_ratio

    frames = [parse_ratio(job.args.crop) if job.args.crop else shape for shape in shapes.values()]
    aspect = max(min(f[:2]) / max(f[:2]) for f in frames)
    scale = job.config.style_scale
    if short := print_shortfall(job.print_size, job.tile, aspect, style_scale=scale):
        need, have, tile = short
        smaller = "--print or --dpi" if job.args.print else "--print-size"
        if style_bound(job.print_size, tile, aspect, scale):  # no --tile would help
            nearer = " or a --style-scale nearer 1" if scale > 1 else ""
            fix = (
                f"the style, resized to {scale:g} × the print for its Gram targets, sets that "
                f"peak: choose a smaller {smaller}{nearer}"
            )
        else:
            fix = f"choose a smaller --tile, or a smaller {smaller}"
        raise ValueError(
            f"a {job.print_size} px print with {tile} px tiles needs about "
            f"{need / 2**30:.1f} GiB of memory but only {have / 2**30:.1f} GiB is free; {fix}"
        )


def check_print_sizes(job: Job, shapes: dict[Path, tuple[int, int]]) -> None:
    """Refuse, before any painting, a print no larger than the painting or too thin to tile."""
    if not job.print_size:
        return
    if job.painting is None and job.print_size <= job.config.size:
        raise ValueError(
            f"a {job.print_size} px print: prints are refined from the {job.config.size} px "
            "painting, so ask for a larger one (--print-size 2048, --print 30x40cm) or none"
        )
    from ._tile_grid import print_shape
    from .postprocess import parse_ratio

    for path, shape in shapes.items():
        frame = parse_ratio(job.args.crop) if job.args.crop else shape
        if min(print_shape(frame, job.print_size)) < 32:  # refine_tiled's own limit
            least = math.ceil(32 * max(frame) / min(frame))
            raise ValueError(
                f"{path}: at {job.print_size} px its print would be under 32 px on the short "
                f"side; give a --print-size of at least {least}"
            )


def check_resumed_tiles(
    job: Job, states: dict[Path, tuple[str, Path | None]], shapes: dict[Path, tuple[int, int]]
) -> None:
    """Refuse, before any work, a print resumed on the tile side its checkpoint recorded
    (:func:`print_tiles` keeps it, so the grid stays the same) when that side no longer fits
    in memory: the check before it assumed the smallest automatic side."""
    if not job.print_size or job.tile:
        return
    from ._checkpoints import _read_meta
    from ._tile_grid import count_tiles, print_shortfall
    from .postprocess import parse_ratio
    from .resources import IGNORE_ENV

    for path, (state, ckpt) in states.items():
        if state != "checkpoint" or ckpt is None:
            continue
        try:
            meta = _read_meta(job, ckpt, path)  # (resume_state has already vouched for it)
        except ValueError:
            continue
        side, done = meta.get("tile_side"), meta.get("tiles_done")
        if not isinstance(side, int) or isinstance(side, bool) or not isinstance(done, int):
            continue
        overlap = meta.get("tile_overlap")
        overlap = overlap if isinstance(overlap, int) else job.overlap
        frame = parse_ratio(job.args.crop) if job.args.crop else shapes[path]
        try:
            if done >= count_tiles(frame, job.print_size, side, overlap):
                continue  # every tile done: only the finishing is left
        except ValueError:  # a side the grid refuses: refused in full when resumed
            continue
        aspect, scale = min(frame[:2]) / max(frame[:2]), job.config.style_scale
        if short := print_shortfall(job.print_size, side, aspect, style_scale=scale):
            need, have, _ = short
            raise ValueError(
                f"{ckpt}: this print of {path.name} was begun with {side} px tiles, which need "
                f"about {need / 2**30:.1f} GiB of memory but only {have / 2**30:.1f} GiB is "
                "free; close other programs and resume, or delete the checkpoint to print anew "
                f"(or set {IGNORE_ENV}=1 to skip this check)"
            )


def _side(length: float) -> str:
    """A print's side for a note: to a tenth, never in scientific notation (an A0's 1189 mm
    was "1.19e+03")."""
    return f"{round(length, 1):g}" if length < 1e6 else f"{length:.0f}"


def frame_notes(job: Job, shapes: dict[Path, tuple[int, int]]) -> list[str]:
    """``--print WxH``: one line for each photo that will not fill it, or one line for a
    ``--crop`` of another ratio than the frame."""
    if not job.args.print:
        return []
    from .postprocess import parse_ratio, print_sides

    a, b, unit = print_sides(job.args.print)
    frame = min(a, b) / max(a, b)
    if job.args.crop:  # every photo is cut to the crop's ratio: one note at most
        c = parse_ratio(job.args.crop)
        ratio = min(c) / max(c)
        if abs(ratio - frame) <= 0.02 * frame:
            return []
        return [
            f"--crop {job.args.crop} makes a {_side(max(a, b) * ratio)}×{_side(max(a, b))} {unit} "
            f"print, not {a:g}×{b:g} {unit}; use --crop {a:g}:{b:g} to fill the frame"
        ]
    notes = []
    for path, shape in shapes.items():
        ratio = min(shape[:2]) / max(shape[:2])
        if abs(ratio - frame) > 0.02 * frame:  # the print is the photo's shape, not W×H
            notes.append(
                f"{path}: a {shape[1]}×{shape[0]} photo makes a {_side(max(a, b) * ratio)}×"
                f"{_side(max(a, b))} {unit} print, not {a:g}×{b:g} {unit}; add --crop {a:g}:{b:g} "
                "to fill the frame"
            )
    return notes
