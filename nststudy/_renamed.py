"""A photo's work kept under the name an earlier batch gave it.

Part of ``nststudy paint``'s ``--resume`` (:mod:`nststudy._checkpoints`). A photo's outputs
are named after the photo, made unique within its batch: ``IMG_1`` alone, but ``a-IMG_1`` and
``b-IMG_1`` once another ``IMG_1`` joins (:func:`nststudy.paint.photo_names`). The same photo
resumed in another batch therefore looks for its checkpoint and its finished painting under
another name. Neither depends on the name, though: a checkpoint's key part hashes the settings,
the input files and the photo's bytes, and ``finished.json`` records each output's photo and
files. Found that way, the work continues under the name it was begun with.
"""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from . import metadata
from ._finished_record import files_key
from .paint import _CKPT_DIR, Job, _key

__all__ = ["any_checkpoints", "renamed_checkpoint", "renamed_output"]


def renamed_checkpoint(job: Job, ckpt: Path) -> Path | None:
    """The checkpoint with ``ckpt``'s key (this job, these files, this photo) under another
    photo name, if there is one: ``<out>/.nststudy/<another name>__<style>.<key>.npz``."""
    key = ckpt.name.rsplit(".", 2)[1]
    style = "__" + metadata.base_name("x", job.label).split("__", 1)[1]
    found = [
        p
        for p in sorted(ckpt.parent.glob(f"*.{key}.npz"))
        if p != ckpt and p.name.endswith(f"{style}.{key}.npz")
    ]
    return found[0] if found else None


def any_checkpoints(job: Job) -> bool:
    """Whether the output folder holds any checkpoint with this job's styles (only then is
    it worth hashing each photo to look for its own under another name)."""
    style = "__" + metadata.base_name("x", job.label).split("__", 1)[1]
    return any((job.out / _CKPT_DIR).glob(f"*{style}.*.npz"))


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
        try:
            found = metadata.read_settings(path)
        except ValueError:
            continue
        if not found.get("interrupted") and _key(found) in {job.key, *keys}:
            return path
    return None
