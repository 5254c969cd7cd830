"""The run loop of ``nststudy paint``: progress bars, safe saving, Ctrl-C, checkpoints, resume.

The options become a job in :mod:`nststudy.paint`; :func:`run_paint` paints it. Ctrl-C saves
the best image so far as a complete file marked ``"interrupted": true`` in its metadata,
keeps a checkpoint in ``<out>/.nststudy/`` and exits 130; ``--resume`` continues from the
checkpoint (only the steps left run) and skips photos already painted with the same settings.

A print job (``--print-size``) always saves a print-sized file: stopped while painting at the
working size, that painting upscaled; stopped while its tiles are refined, the print so far
(``"tiles_done"`` in the metadata; the tiles not reached are upscaled, not refined), and the
checkpoint keeps the canvas, so ``--resume`` goes on with the next tile.

The files themselves — safe saving, checkpoints — are :mod:`nststudy._checkpoints`; which
photos and under which names, :mod:`nststudy._photo_list`; a print's parts,
:mod:`nststudy._print_job`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import time
from pathlib import Path

import numpy as np

from . import metadata
from ._atomic import NAME_GROWTH, check_writable, longest_name
from ._checkpoints import (
    SidecarError,
    checkpoint_path,
    digest,
    keep_painting,
    kept_note,
    load_checkpoint,
    no_sigint,
    record_finished,
    save_interrupted,
    save_result,
    saving,
    steps_done,
)
from ._cpu import precision_notes
from ._photo_list import IMAGE_SUFFIXES
from ._print_job import (
    check_print_memory,
    check_print_sizes,
    check_resumed_tiles,
    frame_notes,
    given_painting,
    print_tiles,
    upscaled,
)
from ._resume import any_checkpoints, one_claim_each, renamed_checkpoint, resume_state
from .images import load_image, shrink_longest
from .paint import (
    Job,
    PaintInterrupted,
    _key,
    collect_photos,
    estimate_seconds,
    photo_names,
    remaining_stages,
    resolve_args,
    validate_photos,
)

__all__ = ["run_paint"]


def _check_painting_memory(job: Job, shapes: dict[Path, tuple[int, ...]]) -> None:
    """Refuse, before the weights and any painting, a painting that would not fit in memory:
    at the working size the squarest frame (photo or ``--crop``) has the most pixels."""
    from .images import scaled_shape
    from .postprocess import parse_ratio
    from .resources import check_fits

    frames = [parse_ratio(job.args.crop) if job.args.crop else s for s in shapes.values()]
    sides = [scaled_shape(f, job.config.size) for f in frames]
    check_fits(*max(sides, key=lambda hw: hw[0] * hw[1]), job.config)


def _paint_one(
    job: Job, path: Path, name: str, bar_position: int, state: tuple[str, Path | None]
) -> Path | None:
    """Paint one photo (its outputs named after ``name``, see :func:`photo_names`; ``state``
    from :func:`resume_state`); returns the output path (``None`` when skipped by
    ``--resume``)."""
    from tqdm.auto import tqdm

    from .stylize import finish_painting, stylize

    ckpt = state[1] if state[0] == "checkpoint" else checkpoint_path(job, name, path)
    start_image, done, target, tiles = None, 0, None, None
    if state[0] == "checkpoint":
        start_image, done, target, tiles = load_checkpoint(job, ckpt, path)
    elif state[0] == "finished":
        tqdm.write(f"{path} -> {state[1]} (already painted)")
        return None
    if target is not None and not _interrupted_here(job, target):
        target = None  # another painting took its name since: the next free one (or, with
        # --overwrite, the plain name as always)
    resumed = target is not None  # the interrupted file is ours to replace
    photo = full = load_image(path)
    photo_digest = digest(path)  # the bytes painted (the file may move before the end)
    if job.args.crop:
        from .postprocess import crop_to_ratio

        photo = crop_to_ratio(photo, job.args.crop)
    # no output uses more than the largest: a 48 Mpx phone photo would hold 576 MB all along
    photo = shrink_longest(photo, job.print_size or max(job.config.sizes))
    if job.painting is not None and start_image is None:  # --painting: refine it, no painting
        start_image, done = job.painting, job.config.total_steps
    target = target or job.target(name)
    mask = _mask(job, photo, full.shape)
    del full
    config = remaining_stages(job.config, done)
    t0, result, raw = time.perf_counter(), None, start_image
    if config is not None:
        tiles = None  # the working-size painting changes: the print is refined anew
        if job.print_size:  # post-processing comes after the refinement, at full size
            config = config.replace(preserve_colors=None, strokes=0.0)
        bar = tqdm(total=config.total_steps, desc=name, position=bar_position, leave=False)

        def progress(step: int, losses: dict[str, float], img: np.ndarray) -> None:
            bar.update(step - bar.n)
            bar.set_postfix(loss=f"{losses['total']:.3g}", refresh=False)

        styles = [(s.image, s.weight) for s in job.styles]
        result = stylize(
            photo, styles, config, callback=progress, mask=mask, init_image=start_image
        )
        bar.close()
        done += steps_done(config, result)
        raw = result.raw  # the best image, before post-processing: what --resume starts from
        if result.stopped == "interrupt":
            with no_sigint():  # a second Ctrl-C must not lose the painting before it is saved
                image = result.image
                if job.print_size:  # a print job's file is print-sized: the painting upscaled
                    with saving(), contextlib.suppress(MemoryError):  # (else: working size)
                        image = upscaled(job, result.raw, photo, mask)
                args = (image, raw, photo, result, t0, done, resumed)
                save_interrupted(job, path, name, target, ckpt, *args, photo_digest=photo_digest)
        # (a print refines ``raw``, the painting before its mask blend: the print blends once,
        # at full size, as paint_print and the studio do)
    assert raw is not None
    refined = None  # a print's refined canvas (canvas, tiles, side): kept if the save fails
    if result is not None and not job.print_size:
        image = result.image
    elif not job.print_size:  # resumed after the last step: only the finishing was left
        image = finish_painting(load_image(raw), photo, job.config, mask)
    else:
        try:
            image, stop, refined = print_tiles(job, name, raw, photo, mask, tiles, bar_position)
        except Exception as err:  # minutes of painting, and the tiles done, must not go with it
            tiles = getattr(err, "tiles_so_far", None)
            new = result is not None or tiles is not None
            kept = new and keep_painting(job, ckpt, raw, done, target, photo_digest, tiles)
            if kept:
                tqdm.write(
                    f"{path}: its painting is kept; --resume prints it without painting"
                    if kept != "tiles"
                    else f"{path}: its painting and {tiles[1]} print tiles are kept; --resume "
                    "goes on from there" + _smaller_tiles(job, photo, tiles)
                )
            raise
        if stop is not None:
            args = (image, raw, photo, result, t0, done, resumed, stop)
            save_interrupted(job, path, name, target, ckpt, *args, photo_digest=photo_digest)
    with no_sigint():  # the painting, its record and the spent checkpoint go together
        try:
            target = save_result(job, name, target, resumed, image, photo, result, t0, None)
        except SidecarError as err:  # the picture is saved: finished all the same
            record_finished(job, err.target, photo_digest)
            ckpt.unlink(missing_ok=True)
            raise
        except (ValueError, OSError, MemoryError) as err:  # a full disk: nothing painted is lost
            if kept := keep_painting(job, ckpt, raw, done, target, photo_digest, refined):
                raise ValueError(kept_note(err, kept, ckpt)) from None
            raise
        record_finished(job, target, photo_digest)
        ckpt.unlink(missing_ok=True)
    return target


def _smaller_tiles(job: Job, photo: np.ndarray, tiles: tuple) -> str:
    """The advice for a print that ran out of memory in its tiles (not after them, while
    finishing at full size, where smaller tiles would not help)."""
    from ._tile_grid import count_tiles

    if tiles[1] >= count_tiles(photo.shape, job.print_size, tiles[2], tiles[3]):
        return ""
    return (
        f" (out of memory? --resume --tile with a side under {tiles[2]} px refines them again "
        "in smaller tiles)"
    )


def _mask(job: Job, photo: np.ndarray, full_shape: tuple[int, ...]) -> np.ndarray | None:
    """The mask for ``photo`` (cropped if ``--crop``, then fitted; ``full_shape``: the file's)."""
    if not (job.args.mask or job.args.background_only):
        return None
    from .masks import auto_foreground_mask, load_mask
    from .postprocess import resize_to

    if job.args.mask:  # read (and checked) once, before any painting: see run_paint
        mask = load_mask(job.mask_image, full_shape[:2], str(job.args.mask))  # on the whole photo
        if job.args.crop:
            from .postprocess import crop_to_ratio

            mask = crop_to_ratio(mask, job.args.crop)  # the same frame as the photo
        if mask.shape != photo.shape[:2]:  # the photo was fitted to the output size
            mask = resize_to(mask, photo.shape[:2], "bilinear")
    else:
        mask = auto_foreground_mask(photo)
    return 1.0 - mask if job.args.background_only else mask


def _interrupted_here(job: Job, target: Path) -> bool:
    """``target`` is gone or still the interrupted painting of this job: ours to write."""
    if not target.exists():
        return True
    try:
        found = metadata.read_settings(target)
    except ValueError:  # not an nststudy painting (any more)
        return False
    return bool(found.get("interrupted")) and _key(found) == job.key


def run_paint(args: argparse.Namespace) -> int:
    """Carry out ``nststudy paint`` (see ``nststudy paint --help``); returns the exit code."""
    from tqdm.auto import tqdm

    from .weights import ensure_weights

    job = Job(resolve_args(args))
    paintings: list[Path] = []
    photos = collect_photos(args.photos, paintings)
    if paintings:
        print(
            f"nststudy: note: left out {len(paintings)} painting(s) nststudy made, found among "
            f"the photos ({paintings[0].name}, …); name one to paint it again",
            file=sys.stderr,
        )
    good, bad = validate_photos(photos, job.config.sizes, args.crop)
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
        raise ValueError("no photo left to paint: every one was refused (listed above)")
    if args.mask:  # a bad mask file stops the job before anything is written
        from .masks import read_mask

        job.mask_image = read_mask(args.mask)
    if getattr(args, "painting", None):
        job.painting = given_painting(job, list(good))
        with contextlib.suppress(ValueError, KeyError, TypeError):  # not one of nststudy's
            job.painted_strokes = float(metadata.read_settings(args.painting)["config"]["strokes"])
        strokes = getattr(args, "strokes", None)
        if strokes is not None and job.painted_strokes and strokes != job.painted_strokes:
            raise ValueError(  # (they would be recorded, not applied: never smoothed twice)
                f"--strokes {strokes}: {args.painting} already has its strokes "
                f"({job.painted_strokes:g}); leave --strokes out, or paint anew without --painting"
            )
    check_print_memory(job, good)
    check_print_sizes(job, good)
    for note in [*frame_notes(job, good), *precision_notes(job.config.precision)]:
        print(f"nststudy: note: {note}", file=sys.stderr)
    if job.out.suffix.lower() in IMAGE_SUFFIXES and not job.out.is_dir():  # not a folder name
        raise ValueError(
            f"--out {job.out}: give a folder for the paintings (they are named after the "
            "photos and styles), e.g. --out paintings"
        )
    try:
        check_writable(job.out)  # now, not after the painting
    except OSError as err:
        raise ValueError(
            f"{job.out}: cannot write the results there ({err.strerror}); choose another --out"
        ) from None
    names = photo_names(list(good))
    room = longest_name(job.out) - NAME_GROWTH
    for path in good:  # now, not when saving after minutes of painting
        base = metadata.base_name(names[path], job.label)
        if (size := len(os.fsencode(base))) > room:
            raise ValueError(
                f"{path}: its paintings would be named {base[:20]}… ({size} bytes), too long "
                f"for this file system (at most {room}); rename the photo, or the style files"
            )
    fresh = ("fresh", None)  # --resume: every photo's checkpoint checked before any work
    states = {p: resume_state(job, names[p], p) if args.resume else fresh for p in good}
    one_claim_each(job, states, names)
    check_resumed_tiles(job, states, good)
    if not args.resume:  # a new run would replace the checkpoint: the work in it would be lost
        somewhere = any_checkpoints(job)  # (hashing photos only where there may be one)
        for path in good:  # under this photo's name, or the name another batch gave it
            if somewhere and (
                (ckpt := checkpoint_path(job, names[path], path)).exists()
                or (ckpt := renamed_checkpoint(job, ckpt)) is not None
            ):
                raise ValueError(
                    f"{ckpt}: {path.name} was interrupted with these settings and can be "
                    "continued; add --resume to continue it, or delete the checkpoint to paint anew"
                )
    todo = {p: shape for p, shape in good.items() if states[p][0] != "finished"}
    if todo and job.painting is None:  # the squarest photo, now: not after hours of others
        _check_painting_memory(job, todo)
    if todo:  # (--resume with every photo painted: no weights, no estimate)
        ensure_weights()
    seconds = sum(
        estimate_seconds(
            job.config, shape, job.print_size, job.tile, job.tile_steps, overlap=job.overlap
        )
        - (estimate_seconds(job.config, shape) if job.painting is not None else 0.0)
        for shape in todo.values()
    )
    if seconds > 60:
        print(
            f"estimated time: about {seconds / 60:.0f} min for {len(todo)} photo(s) "
            "(rough, from a 2-core CPU)",
            flush=True,
        )
    with tqdm(total=len(good), desc="photos", position=0, unit="photo") as overall:
        for path in good:
            try:
                out = _paint_one(job, path, names[path], 1, states[path])
            except PaintInterrupted as stop:
                tqdm.write(str(stop))
                tqdm.write("resume with the same command plus --resume")
                raise
            if out is not None:
                tqdm.write(f"{path} -> {out}")
            overall.update(1)
    return 0
