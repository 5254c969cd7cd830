"""The studio's buttons as plain functions: settings, the memory refusal, painting, download.

:class:`nststudy.studio.Studio` wires widgets to these; tests and curious learners call them
directly. Re-exported by :mod:`nststudy.studio`.
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any, NamedTuple

import numpy as np
from PIL import Image

from . import metadata, samples
from .config import Config, get_preset
from .i18n import t
from .images import to_uint8

__all__ = [
    "AREAS",
    "MARKER",
    "MODES",
    "Painted",
    "download_html",
    "paint_photo",
    "painting_key",
    "png_bytes",
    "print_refusal",
    "studio_config",
    "studio_mask",
]

#: The three buttons: name → (longest side in px, preset it starts from).
MODES = {"preview": (256, "preview"), "paint": (512, "default"), "print": (2048, "default")}

#: What the style covers: the whole photo, the background (the automatic guess of the subject
#: stays a photo, as ``nststudy paint --background-only``) or a mask of the user's (white =
#: paint, as ``--mask``).
AREAS = ("all", "background", "mask")

#: Marker in the page (tests and Voilà check that the studio rendered).
MARKER = "nststudy-studio"


def studio_config(
    mode: str = "paint",
    size: int | None = None,
    steps: int | None = None,
    strength: float = 1.0,
    style_scale: float = 1.0,
    preserve_colors: str | None = None,
    strokes: float = 0.0,
    seed: int = 0,
) -> Config:
    """The settings behind a studio button.

    Args:
        mode: ``"preview"``, ``"paint"`` or ``"print"`` (see :data:`MODES`).
        size: longest side of the painting (default: the mode's; for ``"print"`` the working
            size, 512 px, that :func:`nststudy.tiles.paint_print` then refines in tiles).
        steps: optimiser steps in all (default: the preset's).
        strength: multiplies the preset's style weight (0.1 = mostly photo, 10 = mostly style).
        style_scale, preserve_colors, strokes, seed: as in :class:`~nststudy.config.Config`.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
    default_size, preset = MODES[mode]
    base = get_preset(preset)
    work = size or (MODES["paint"][0] if mode == "print" else default_size)
    config = base.at_size(work, steps=steps)
    return config.replace(
        style_weight=base.style_weight * strength,
        style_scale=style_scale,
        preserve_colors=preserve_colors,
        strokes=strokes,
        seed=seed,
    ).resolved()  # precision "auto": this machine's, in the settings saved


def print_refusal(
    size: int,
    available: int | None = None,
    tile: int | None = None,
    aspect: float = 1.0,
    style_scale: float = 1.0,
    paint_size: int | None = None,
) -> str | None:
    """Why a print of ``size`` px cannot run here, with the numbers; ``None`` when it fits.

    ``available`` defaults to what this process can still allocate
    (:func:`nststudy.resources.available_memory`: the container's limit, e.g. about 2 GB on
    Binder, else the free memory), against what the print adds to what the kernel already
    holds (:func:`nststudy.tiles.print_shortfall`); ``aspect`` is the photo's short side over
    its long side, ``style_scale`` the style slider's. The refusal suggests "paint" at the
    largest size up to its button's (``paint_size``, default 512) that does fit
    (:func:`nststudy.resources.largest_fitting_size`). Numbers in GiB, as everywhere.
    """
    from .resources import largest_fitting_size
    from .tiles import print_shortfall, style_bound

    if (short := print_shortfall(size, tile, aspect, available, style_scale)) is None:
        return None
    need, have, tile = short
    side = paint_size or MODES["paint"][0]
    words = t(
        "studio.print_refusal",
        size=size,
        need=f"{need / 2**30:.1f}",
        have=f"{have / 2**30:.1f}",
        paint=largest_fitting_size(side, side, studio_config("paint"), have),
    )
    if style_scale > 1 and style_bound(size, tile, aspect, style_scale):
        words += t("studio.smaller_brush")  # the style resized to the print sets the need
    return words


def studio_mask(
    photo: np.ndarray, area: str = "all", mask: np.ndarray | None = None
) -> np.ndarray | None:
    """What the style covers for the studio's "paint" choice: float32 ``(H, W)``, 1 = paint,
    0 = keep the photo, at the photo's size; ``None`` for the whole photo.

    Args:
        photo: float32 ``(H, W, 3)``.
        area: one of :data:`AREAS`. ``"background"`` keeps the automatic guess of the subject
            (:func:`nststudy.masks.auto_foreground_mask`) as photo; ``"mask"`` uses ``mask``.
        mask: the user's mask at its own size (:func:`nststudy.masks.read_mask`).
    """
    from .masks import auto_foreground_mask, load_mask

    if area not in AREAS:
        raise ValueError(f"area must be one of {', '.join(AREAS)}; got {area!r}")
    if area == "all":
        return None
    if area == "background":
        return 1.0 - auto_foreground_mask(photo)
    if mask is None:
        raise ValueError(t("studio.mask_missing"))
    return load_mask(mask, photo.shape[:2])


class Painted(NamedTuple):
    """What :func:`paint_photo` returns."""

    image: np.ndarray  #: uint8 ``(H, W, 3)``, post-processed
    settings: dict[str, Any]  #: for the metadata
    stopped: bool  #: stopped early (the best image so far)
    raw: np.ndarray | None  #: float32 painting before post-processing (``None`` for prints)


def paint_photo(
    photo: np.ndarray,
    styles: list[tuple[str, float]],
    config: Config,
    print_size: int | None = None,
    callback: Any = None,
    painting: np.ndarray | None = None,
    tile_callback: Any = None,
    mask: np.ndarray | None = None,
    area: str = "all",
) -> Painted:
    """Paint ``photo`` in a blend of built-in styles.

    Args:
        photo: float32 ``(H, W, 3)`` in [0, 1].
        styles: ``[(built-in style name, weight), ...]``.
        config: from :func:`studio_config`.
        print_size: refine in tiles to this longest side (see :func:`nststudy.tiles.paint_print`).
        callback: :func:`nststudy.stylize` callback (return ``True`` to stop).
        tile_callback: with ``print_size``, :data:`nststudy.tiles.TileCallback` after each
            refined tile (return ``True`` to stop after it; the rest stays upscaled).
        painting: with ``print_size``, the ``raw`` of an earlier call with the same photo,
            styles and settings (apart from the post-processing): refined instead of painting
            the working size again.
        mask, area: what the style covers (:func:`studio_mask`) and how it was chosen (for
            the settings, as ``nststudy paint`` writes them: ``--background-only``, ``--mask``).

    Returns:
        A :class:`Painted`.
    """
    from .stylize import stylize

    size = min(2048, max(64, round(config.size * config.style_scale)))
    images = [(samples.make_style(n, size=size, seed=config.seed), w) for n, w in styles]
    described = [{"name": n, "weight": w, "builtin": True} for n, w in styles]
    raw, diverged, seen = None, False, {"painting": False, "tiles": False}

    def watch(fn: Any, tiles: bool) -> Any:  # whether a stop left work undone (no warnings
        def watched(*args: Any) -> bool:  # caught: this runs in the studio's worker thread)
            stop = bool(fn(*args))
            if stop and not tiles:  # the painting cut short: paint_print skips the tiles
                seen["painting"] = True
            if stop and tiles:  # (done, total, canvas): a stop with the last tile leaves none
                seen["tiles"] = args[0] < args[1]
            return stop

        return None if fn is None else watched

    if print_size:
        from .tiles import paint_print

        out = paint_print(
            photo, images, config, print_size, callback=watch(callback, False),
            tile_callback=watch(tile_callback, True), painting=painting, mask=mask,
        )  # fmt: skip
        image, stopped = to_uint8(out), seen["painting"] or seen["tiles"]
    else:
        result = stylize(photo, images, config, callback=callback, mask=mask)
        image, raw = result.image, result.raw
        diverged = result.stopped == "diverged"  # the best image before it: not cut short
        stopped = result.stopped in ("callback", "interrupt")
    chosen = {"background_only": area == "background", "mask": "file" if area == "mask" else None}
    if print_size:  # what `nststudy paint --from-settings` needs to repeat the print
        from ._tile_grid import TILE_STEPS

        chosen["tile_steps"] = TILE_STEPS
    settings = metadata.settings_for(config, described, print_size=print_size, **chosen)
    if stopped:
        settings["interrupted"] = True
    elif diverged:  # as `nststudy paint` records it
        settings["stopped"] = "diverged"
    return Painted(image, settings, stopped, raw)


def painting_key(
    photo: np.ndarray,
    styles: list[tuple[str, float]],
    config: Config,
    mask: np.ndarray | None = None,
) -> tuple:
    """What a working-size painting depends on: the photo's and the mask's bytes, the styles,
    and every setting but the post-processing (colours, strokes), which a print applies
    afterwards."""

    def digest(a: np.ndarray | None) -> bytes | None:
        data = None if a is None else np.ascontiguousarray(a).tobytes()
        return None if data is None else hashlib.blake2b(data, digest_size=16).digest()

    plain = config.replace(preserve_colors=None, strokes=0.0)
    return digest(photo), photo.shape, digest(mask), tuple(styles), plain


def png_bytes(image: np.ndarray) -> bytes:
    """PNG bytes of an image (for ``ipywidgets.Image``)."""
    buf = io.BytesIO()
    Image.fromarray(image if image.dtype == np.uint8 else to_uint8(image)).save(buf, "PNG")
    return buf.getvalue()


def download_html(image: np.ndarray, settings: dict[str, Any], name: str = "painting") -> str:
    """An HTML download link carrying the PNG (settings and sRGB profile embedded)."""
    data = base64.b64encode(metadata.painting_bytes(image, settings)).decode()
    h, w = image.shape[:2]
    text = t("studio.download", name=name, width=w, height=h)
    return (
        f'<a download="{name}.png" href="data:image/png;base64,{data}" '
        f'style="font-weight:bold">{text}</a>'
    )
