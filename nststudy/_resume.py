"""What ``--resume`` does with each photo: continue its checkpoint, skip it as painted, or
paint it; and refuse, in words, a checkpoint made with other options.

Part of ``nststudy paint`` (:mod:`nststudy.batch` runs the job; :mod:`nststudy._checkpoints`
writes and reads the files). A photo's outputs are named after the photo, made unique within
its batch: ``IMG_1`` alone, but ``a-IMG_1`` and ``b-IMG_1`` once another ``IMG_1`` joins
(:func:`nststudy.paint.photo_names`). The same photo resumed in another batch therefore
looks for its checkpoint and its finished painting under another name. Neither depends on
the name, though: a checkpoint's key part hashes the settings, the input files and the
photo's bytes, and ``finished.json`` records each output's photo and files. Found that way,
the work continues under the name it was begun with.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from . import metadata
from ._checkpoints import _checkpoint_path, _read_meta, checkpoint_path, digest
from ._finished_record import files_key, finished_record, painted_from
from .paint import _CKPT_DIR, Job, _key

__all__ = [
    "any_checkpoints",
    "one_claim_each",
    "renamed_checkpoint",
    "renamed_output",
    "resume_state",
]


def resume_state(job: Job, name: str, photo: Path) -> tuple[str, Path | None]:
    """What ``--resume`` does with a photo, decided before anything is painted:
    ``("checkpoint", path)`` continue it, ``("finished", output)`` skip the photo, or
    ``("fresh", None)`` paint it. Refused (``ValueError`` naming the file) when only other
    runs' checkpoints of it are there: resuming with changed options is a mistake to report,
    not a reason to start over."""
    ckpt = checkpoint_path(job, name, photo)
    if ckpt.exists():
        _read_meta(job, ckpt, photo)  # readable and ours
        return "checkpoint", ckpt
    legacy = job.legacy_key()  # a print with --tile begun before session 23
    if legacy and (old := _checkpoint_path(job, name, photo, legacy)).exists():
        _read_meta(job, old, photo)
        return "checkpoint", old
    record, photo_digest = finished_record(job), digest(photo)
    accept = painted_from(job, record, photo_digest)  # this photo, these files
    other = _other_precision(job)  # "auto" may have chosen the other one where it was painted
    keys = [other[1]] if other else []
    if (found := job.finished(name, accept, keys)) is not None:
        return "finished", found  # (outputs from before the record: by name and settings)
    # the batch named this photo otherwise when it was begun or painted (IMG_1 / a-IMG_1)
    if (found := renamed_output(job, record, photo_digest, keys)) is not None:
        return "finished", found
    if (renamed := renamed_checkpoint(job, ckpt)) is not None:
        _read_meta(job, renamed, photo)
        return "checkpoint", renamed
    if others := job.checkpoints(name):
        old = others[0].name == f"{metadata.base_name(name, job.label)}.npz"  # no key in it
        if old and len(others) == 1:
            raise ValueError(
                f"{others[0]}: this checkpoint of {photo.name} was made by an older nststudy "
                "and cannot be continued; delete it and paint without --resume"
            )
        if job.print_size and job.tile_steps != 10:  # a print begun with 10 steps a tile?
            ten = job.inputs_key(_key(job.settings | {"tile_steps": 10}))
            if (older := _checkpoint_path(job, name, photo, ten)) in others:
                raise ValueError(
                    f"{older}: this print of {photo.name} was begun with 10 L-BFGS steps a "
                    "tile (before nststudy recorded them, the only count); add --tile-steps 10"
                )
        if (
            other
            and (older := _checkpoint_path(job, name, photo, job.inputs_key(other[1]))) in others
        ):
            raise ValueError(
                f"{older}: this painting of {photo.name} was begun in {other[0]} (here the "
                f'precision "auto" means {job.config.precision}); add --precision {other[0]}'
            )
        raise ValueError(
            f"{others[0]}: the checkpoint of {photo.name} was made with other options, style or "
            "mask files (or from another photo of that name, or by another nststudy version); "
            "repeat the interrupted command exactly with --resume, leave out --resume to paint "
            "anew, or delete the checkpoint"
        )
    return "fresh", None


def _other_precision(job: Job) -> tuple[str, str] | None:
    """``(precision, settings key)`` of this job in the precision it does not use, when its
    precision is ``"auto"`` (the ``default`` and ``preview`` presets', or ``--precision auto``),
    which picks bfloat16 on CPUs with AMX and float32 elsewhere: a painting begun or finished
    on another machine (or before ``"auto"``) has the other one in its settings. ``None`` for
    a precision chosen, a preset's fixed one or ``--from-settings``'s recorded one."""
    if not job.auto_precision:
        return None
    config = job.settings["config"]
    other = "float32" if config["precision"] == "bfloat16" else "bfloat16"
    return other, _key(job.settings | {"config": config | {"precision": other}})


def renamed_checkpoint(job: Job, ckpt: Path) -> Path | None:
    """The checkpoint with ``ckpt``'s key (this job, these files, this photo) under another
    photo name, if there is one: ``<out>/.nststudy/<another name>__<style>.<key>.npz``."""
    key, style = ckpt.name.rsplit(".", 2)[1], _style_tail(job)
    found = [
        p
        for p in sorted(ckpt.parent.glob(f"*.{key}.npz"))
        if p != ckpt and p.name.endswith(f"{style}.{key}.npz")
    ]
    return found[0] if found else None


def any_checkpoints(job: Job) -> bool:
    """Whether the output folder holds any checkpoint with this job's styles (only then is
    it worth hashing each photo to look for its own under another name)."""
    return any((job.out / _CKPT_DIR).glob(f"*{_style_tail(job)}.*.npz"))


def _style_tail(job: Job) -> str:
    """How every output and checkpoint name of this job's styles ends before its suffixes:
    ``__<style>`` (:func:`nststudy.metadata.base_name`'s second half)."""
    return "__" + metadata.base_name("x", job.label).split("__", 1)[1]


def renamed_output(
    job: Job, record: dict, photo_digest: str, keys: Collection[str] = ()
) -> Path | None:
    """A finished output of this photo (``photo_digest``), painted with these input files and
    these settings (or a settings key in ``keys``), that ``finished.json`` lists under any
    name; ``None`` if there is none."""
    files = files_key(job)
    for name, entry in sorted(record.items()):
        if not isinstance(entry, dict) or entry.get("photo") != photo_digest:
            continue
        if entry.get("files") != files or not (path := job.out / name).is_file():
            continue
        if job.painted_with(path, keys):
            return path
    return None


def one_claim_each(
    job: Job, states: dict[Path, tuple[str, Path | None]], names: dict[Path, str]
) -> None:
    """Two copies of one photo in a batch find the same earlier work under another name (its
    key is their bytes'): it goes to one, first to a photo whose own name it has, and the
    other paints anew."""
    claimed: set[Path] = set()
    for own_first in (True, False):
        for path, (state, found) in states.items():
            if found is None or state == "fresh":
                continue
            own = found.name.startswith(metadata.base_name(names[path], job.label) + ".")
            if own != own_first:
                continue
            if found in claimed:
                states[path] = ("fresh", None)
            claimed.add(found)
