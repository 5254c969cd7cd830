"""The ``nststudy paint`` job: many photos, one or more styles, safe outputs, Ctrl-C and resume.

:func:`nststudy.batch.run_paint` runs the job; this module turns the options into one
(:func:`resolve_args`, :func:`parse_style`, :func:`collect_photos`, :func:`build_config`) and
holds helpers the widget studio shares (:func:`estimate_seconds`, :func:`available_memory`).

Outputs never overwrite anything unless asked: ``<photo>__<style>.png``, then ``__2``, ``__3`` …
On Ctrl-C the best image so far is saved as a complete file marked ``"interrupted": true`` in
its metadata, a checkpoint is kept in ``<out>/.nststudy/`` and ``--resume`` continues from it.
"""

from __future__ import annotations

import argparse
import glob
import hashlib
import json
import re
from collections.abc import Callable, Collection
from pathlib import Path
from typing import Any

import numpy as np

from . import metadata
from ._from_settings import resolve_args
from ._photo_list import collect_photos, photo_names, validate_photos
from ._style_args import StyleSpec, parse_style
from ._tile_grid import TILE_STEPS
from .config import Config, get_preset
from .resources import available_memory

__all__ = [
    "Job",
    "PaintInterrupted",
    "StyleSpec",
    "available_memory",
    "build_config",
    "collect_photos",
    "estimate_seconds",
    "parse_style",
    "photo_names",
    "remaining_stages",
    "resolve_args",
    "validate_photos",
]

#: Measured on the 2-core development CPU (TF 2.21, float32, lean gradient, matmul Gram): a
#: loss evaluation takes 0.86 s at 192×256 and 3.27 s at 384×512, about 17 µs per pixel
#: (``benchmarks/results/lbfgs32.json``). L-BFGS makes 1.01 evaluations per step on a long run
#: and 1.1 on a 10-step print tile (its first step searches for a length). A rough guide only.
SECONDS_PER_PIXEL_EVAL = 17e-6
_EVALS_PER_STEP = {"lbfgs": 1.1, "adam": 1.0}
_CKPT_DIR = ".nststudy"


class PaintInterrupted(KeyboardInterrupt):
    """Ctrl-C during a paint job, after the best image so far was saved."""


def build_config(args: argparse.Namespace, resolve: bool = True) -> Config:
    """The Config for ``nststudy paint``'s options (preset, size, steps, seed, extras);
    ``resolve=False`` leaves a precision ``"auto"`` as it is."""
    if args.from_settings and args.preset is not None:
        raise ValueError(
            f"--preset {args.preset}: {args.from_settings} brings its own settings, and they "
            "apply; leave out --preset"
        )
    if args.from_settings:
        stored = metadata.read_settings(args.from_settings)
        try:
            base = metadata.config_from_settings(stored)
        except (TypeError, AttributeError, ValueError) as err:  # hand-edited, or foreign
            raise ValueError(
                f"{args.from_settings}: its nststudy settings cannot be used ({err}); give the "
                "options on the command line instead of --from-settings"
            ) from None
    else:
        base = get_preset(args.preset or "default")
    if args.steps is not None and args.steps < 1:
        raise ValueError(f"--steps {args.steps}: give at least 1 step (the preset's: leave it out)")
    if args.size is not None and args.size < 32:
        raise ValueError(
            f"--size {args.size}: the painting needs at least 32 px (leave it out for the "
            f"preset's {base.size})"
        )
    if getattr(args, "style_scale", None) is not None and not args.style_scale > 0:
        raise ValueError(
            f"--style-scale {args.style_scale}: give a factor above 0 (1 = the style at the "
            "painting's size, 2 = strokes twice as big)"
        )
    if getattr(args, "seed", None) is not None and args.seed < 0:
        raise ValueError(
            f"--seed {args.seed}: give a whole number from 0 (the same seed paints alike)"
        )
    size = base.size if args.size is None else args.size
    changed = args.size is not None or args.steps is not None
    config = base.at_size(size, steps=args.steps) if changed else base
    changes: dict[str, Any] = {}
    strength = getattr(args, "strength", None)
    if strength is not None:
        if not 0 < strength <= 1000:
            raise ValueError(
                f"--strength {strength}: give a factor above 0 (1 = the preset's style weight; "
                "0.1 mostly photo, 10 mostly style)"
            )
        changes["style_weight"] = base.style_weight * strength
    for field in ("seed", "style_scale", "preserve_colors", "strokes", "precision"):
        value = getattr(args, field, None)
        if value is not None:
            changes[field] = value
    config = config.replace(**changes) if changes else config
    return config.resolved() if resolve else config  # "auto": this machine's, as recorded


def estimate_seconds(
    config: Config,
    shape: tuple[int, int],
    print_size: int | None = None,
    tile: int | None = None,
    tile_steps: int = TILE_STEPS,
    overlap: int = 64,
) -> float:
    """Rough wall time of painting one photo of ``shape`` (H, W) with ``config``, in seconds,
    plus the tiled refinement to ``print_size`` (``tile=None``: the automatic tile side)."""
    aspect = min(shape) / max(shape)
    evals = _EVALS_PER_STEP[config.optimizer]
    seconds = sum(
        n * evals * s * s * aspect * SECONDS_PER_PIXEL_EVAL
        for s, n in zip(config.sizes, config.steps, strict=True)
    )
    if print_size and print_size > config.size:
        from ._tile_grid import auto_tile, count_tiles, print_shape

        tile = tile or auto_tile(shape, print_size, overlap)
        h, w = print_shape(shape, print_size)
        tiles = count_tiles(shape, print_size, tile, overlap)
        seconds += tiles * tile_steps * evals * min(tile, h) * min(tile, w) * SECONDS_PER_PIXEL_EVAL
    return seconds


def _key(settings: dict[str, Any], tile_free: bool = True) -> str:
    # what a run leaves (progress, how it stopped) and the version are not settings
    skip = ("interrupted", "steps_done", "tiles_done", "tile_side", "tile_overlap", "stopped")
    skip += ("software",)
    stable = {k: v for k, v in settings.items() if k not in skip}
    if stable.get("tile_steps") == 10:  # what prints took before they recorded it: the same
        del stable["tile_steps"]  # key as theirs, so --resume --tile-steps 10 finds them
    if tile_free and stable.get("tile") is not None:  # the tile side is a memory knob, not a
        stable["tile"] = None  # setting: a print resumes, or counts as done, with another one
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]


def remaining_stages(config: Config, done: int) -> Config | None:
    """The stages left after ``done`` steps (``None`` when none are left)."""
    pairs = []
    for size, steps in zip(config.sizes, config.steps, strict=True):
        left = steps - min(done, steps)
        done = max(0, done - steps)
        if left:
            pairs.append((size, left))
    if not pairs:
        return None
    sizes, steps = zip(*pairs, strict=True)
    return config.replace(sizes=sizes, steps=steps)


class Job:
    """One run of ``nststudy paint``: validated inputs, settings and where outputs go."""

    def __init__(self, args: argparse.Namespace) -> None:
        from .images import save_image  # noqa: F401  (fail early on a broken install)

        self.args = args
        chosen = build_config(args, resolve=False)
        self.config = chosen.resolved()
        #: whether the precision is this machine's pick (``"auto"``), not a recorded one
        self.auto_precision = chosen.precision == "auto" and not args.from_settings
        self.out = Path(args.out).expanduser()  # a quoted "~/My Paintings" too
        style_size = min(2048, max(64, round(self.config.size * self.config.style_scale)))
        sides = tuple(max(32, round(n * self.config.style_scale)) for n in self.config.sizes)
        self.styles = [parse_style(s, style_size, self.config.seed, sides) for s in args.style]
        self.label = "+".join(s.name for s in self.styles)
        self.print_size, self.dpi = _print_size(args)
        if args.crop:  # now, not when the first photo's turn comes
            from .postprocess import parse_ratio

            try:
                parse_ratio(args.crop)
            except ValueError as err:
                raise ValueError(f"--crop {args.crop}: {err}") from None
        self.tile = getattr(args, "tile", None)  # None: auto_tile per photo
        self.overlap = 64 if self.tile is None else self.tile // 8
        steps = getattr(args, "tile_steps", None)
        for option, value in (("--tile-steps", steps), ("--tile", self.tile)):
            if value is not None and not self.print_size:
                raise ValueError(
                    f"{option} {value}: it applies to prints; add --print-size PX or --print WxH"
                )
        if self.tile is not None and self.tile < 32:
            raise ValueError(f"--tile {self.tile}: tiles must be at least 32 px (default: auto)")
        if steps is not None and not 1 <= steps <= 1000:
            raise ValueError(
                f"--tile-steps {steps}: give 1 to 1000 L-BFGS steps per print tile "
                f"(default {TILE_STEPS})"
            )
        self.tile_steps = TILE_STEPS if steps is None else int(steps)
        self.mask_image: np.ndarray | None = None  # --mask, read once by run_paint
        self.painting: np.ndarray | None = None  # --painting, read once by run_paint
        self.painted_strokes = 0.0  # the strokes already applied to that painting
        self._inputs_key: str | None = None
        self.extra = {
            "preserve_colors": self.config.preserve_colors,
            "strokes": self.config.strokes,
            "crop": args.crop,
            "mask": "file" if args.mask else None,
            "background_only": bool(args.background_only),
            "print_size": self.print_size,
            "tile": self.tile if self.print_size else None,
            "dpi": self.dpi,
            "format": args.format,
        }
        if self.print_size:  # (only prints have it: other paintings' settings stay as they were)
            self.extra["tile_steps"] = self.tile_steps
        if getattr(args, "painting", None):  # printed from a given painting (no path kept)
            self.extra["painting"] = "file"
        self.settings = metadata.settings_for(
            self.config, [s.describe() for s in self.styles], **self.extra
        )
        self.key = _key(self.settings)

    def inputs_key(self, key: str | None = None) -> str:
        """The settings' key (``key``: another settings key instead) and the pixels of the
        input files (style files, ``--mask``, ``--painting``; call after
        :func:`nststudy.batch.run_paint` read them): a checkpoint is continued only by the very
        same job, never one with an edited style file."""
        if self._inputs_key is None or key is not None:
            h = hashlib.sha256((key or self.key).encode())
            arrays = [s.image for s in self.styles if not s.builtin]  # built-ins: by settings
            for a in [*arrays, self.mask_image, self.painting]:
                h.update(b"-" if a is None else np.ascontiguousarray(a).tobytes())
            if key is not None:
                return h.hexdigest()[:16]
            self._inputs_key = h.hexdigest()[:16]
        return self._inputs_key

    def legacy_key(self) -> str | None:
        """:meth:`inputs_key` as checkpoints of prints with ``--tile`` had it before session 23
        (the tile side was in it): such a print resumes with the same command."""
        if not (self.print_size and self.tile):
            return None
        return self.inputs_key(_key(self.settings, tile_free=False))

    def checkpoints(self, name: str) -> list[Path]:
        """Every checkpoint of the photo called ``name`` (:func:`photo_names`) with these
        styles, whatever the settings: ``<out>/.nststudy/<photo>__<style>.<key>.npz``."""
        base = metadata.base_name(name, self.label)
        found = (self.out / _CKPT_DIR).glob(glob.escape(base) + "*.npz")
        pattern = re.escape(base) + r"(\.[0-9a-f]{16})?\.npz"  # (no key: before session 13)
        return sorted(p for p in found if re.fullmatch(pattern, p.name))

    def target(self, name: str) -> Path:
        """The output for the photo called ``name``: the plain name with ``--overwrite``, else
        the first free one (``__2``, ``__3`` …). ``--overwrite`` replaces the first name not
        held by a painting in another format, whose sidecar it would take (``cat__swirl.png``
        and ``cat__swirl.jpg`` share ``cat__swirl.json``)."""
        if not self.args.overwrite:
            return metadata.output_path(self.out, name, self.label, self.args.format)
        suffix, base = metadata.FORMATS[self.args.format], metadata.base_name(name, self.label)
        others = set(metadata.FORMATS.values()) - {suffix}
        in_another_format = lambda p: any(p.with_suffix(x).exists() for x in others)  # noqa: E731
        return metadata.first_free(self.out / base, suffix, in_another_format)

    def finished(
        self, name: str, accept: Callable[[Path], bool] = bool, keys: Collection[str] = ()
    ) -> Path | None:
        """An earlier complete output of this photo with exactly these settings (or with a
        settings key in ``keys``; and for which ``accept(path)`` holds:
        :func:`~nststudy._resume.resume_state` checks it was painted from the same photo)."""
        pattern = glob.escape(metadata.base_name(name, self.label)) + "*"
        for path in sorted(self.out.glob(pattern)):
            if path.suffix == ".json" or path.name.endswith(".part") or not accept(path):
                continue
            if self.painted_with(path, keys):
                return path
        return None

    def painted_with(self, path: Path, keys: Collection[str] = ()) -> bool:
        """Whether ``path`` is a complete painting with this job's settings (or a settings key
        in ``keys``), by the settings embedded in it."""
        try:
            found = metadata.read_settings(path)
        except ValueError:
            return False
        return not found.get("interrupted") and _key(found) in {self.key, *keys}


def _print_size(args: argparse.Namespace) -> tuple[int | None, int | None]:
    if args.print and args.print_size is not None:
        raise ValueError("give either --print-size N or --print WxH (e.g. 30x40cm), not both")
    if not 1 <= args.dpi <= 2400:
        raise ValueError(f"--dpi {args.dpi}: give a resolution from 1 to 2400 (prints: 300)")
    if args.print:
        from .postprocess import print_pixels

        return print_pixels(args.print, dpi=args.dpi), args.dpi
    if args.print_size is not None and args.print_size < 32:
        raise ValueError(
            f"--print-size {args.print_size}: give the print's longest side in px, e.g. 2048"
        )
    return args.print_size, (args.dpi if args.print_size else None)
