"""Print size: paint at working size, upscale, then refine at full resolution in tiles.

A direct VGG19 pass with gradients over a 2048 px picture needs many gigabytes (the first
block alone holds 64 float32 channels per pixel, several times over). Instead:

1. paint at the working size (``config.size``, e.g. 512 px) with :func:`nststudy.stylize`;
2. upscale to the print size (Lanczos, Pillow);
3. compute the style's Gram targets ONCE for the whole picture — the style image resized to
   ``print size × config.style_scale`` (the same brush scale relative to the picture as at
   working size), its Gram matrices summed over tiles, which equals the whole-image Gram up to
   the convolution's zero padding at tile borders (a margin of context hides most of it);
4. refine overlapping tiles in raster order, each starting from the current canvas (so the
   overlap starts from its already-refined neighbour) and compared with the same whole-image
   Grams (so all tiles aim at the same texture statistics), and with the photo's content
   features of that tile; with L-BFGS, each tile's first step is sized by the curvature the
   previous tile ended with (``initial_scale``), since all tiles share one loss: measured on a
   2048 px print, tiles 2–4 ended 0.7–1.5 % lower after the same 10 steps than from a unit step;
5. paste each tile with a linear feather over ``overlap`` pixels on the sides that border
   tiles already done — a cross-fade instead of a cut, and the tile's own border (where VGG
   sees zero padding) gets weight ≈ 0.

Memory is bounded by the tile: one :class:`~nststudy.vgg.FeatureExtractor`, every tile the
same shape (edge tiles are shifted inwards rather than cropped), so the loss is traced once.
"""

from __future__ import annotations

import gc
import warnings
from collections.abc import Callable

import numpy as np
import tensorflow as tf

from ._tile_grid import (
    AUTO_TILE_BUDGET,
    AUTO_TILES,
    TILE_STEPS,
    auto_tile,
    count_tiles,
    feather_weights,
    print_shape,
    print_shortfall,
    same_aspect,
    style_bound,
    tile_starts,
)
from .config import PRESETS, Config
from .grams import style_targets, tiled_grams
from .images import ImageInput, load_image, resize_longest, shrink_longest, to_vgg
from .objective import Targets, bounds, compute_losses, layer_masks
from .postprocess import _photo_for, aspect_fits, crop_to_ratio, resize_to
from .resources import (
    IGNORE_ENV,
    PrintMemoryError,
    available_memory,  # the container's limit, not the host's
)
from .resources import estimate_print_memory as estimate_memory
from .train import Stage, run_adam, run_lbfgs
from .vgg import FeatureExtractor

__all__ = [
    "AUTO_TILES",
    "AUTO_TILE_BUDGET",
    "SKIP_BELOW",
    "TILE_STEPS",
    "TileCallback",
    "TilingStopped",
    "auto_tile",
    "available_memory",
    "count_tiles",
    "estimate_memory",
    "feather_weights",
    "paint_print",
    "print_shape",
    "print_shortfall",
    "refine_tiled",
    "same_aspect",
    "style_bound",
    "tile_starts",
    "tiled_grams",
]

#: ``callback(tiles_done, tiles_total, canvas) -> bool | None``; ``canvas`` is the float32
#: ``(H, W, 3)`` print so far (do not modify it). Returning ``True`` stops after that tile.
TileCallback = Callable[[int, int, np.ndarray], bool | None]

_traces = [0]  # how many times a tile loss was traced (tests check it stays at 1 per shape)


class _TileStage(Stage):
    """A :class:`~nststudy.train.Stage` whose traced loss takes the content targets and the
    tile's layer masks as arguments, so one trace serves every tile of the same shape."""

    def __init__(
        self, loss_fn: Callable, content: dict, masks: dict | None, config: Config
    ) -> None:
        self.config = config
        self.low, self.high = bounds(config)
        self.loss_and_grad = lambda x: loss_fn(x, content, masks)


def _tile_loss(extractor: FeatureExtractor, grams: dict[str, tf.Tensor], config: Config):
    space = config.space

    @tf.function(reduce_retracing=True)
    def loss_and_grad(x: tf.Tensor, content: dict, masks: dict | None):
        _traces[0] += 1  # runs only while tracing
        with tf.GradientTape() as tape:
            tape.watch(x)
            x_vgg = to_vgg(x) if space == "pixels" else x
            losses = compute_losses(x_vgg, extractor, Targets(content, grams, masks), config)
        return losses, tape.gradient(losses["total"], x)

    return loss_and_grad


class TilingStopped(RuntimeWarning):
    """Warned by :func:`refine_tiled` when it returns before every tile is refined.

    Attributes:
        complete: tiles fully refined (in raster order; resume with ``start=(canvas,
            complete)``); a tile cut short by Ctrl-C is pasted but not counted.
        total: tiles in all.
        reason: ``"interrupt"`` (Ctrl-C) or ``"callback"``.
    """

    def __init__(self, complete: int, total: int, reason: str) -> None:
        super().__init__(
            f"stopped after {complete} of {total} tiles ({reason}); the rest is upscaled, "
            "not refined"
        )
        self.complete, self.total, self.reason = complete, total, reason


def _print_masks(mask: ImageInput | None, shape: tuple[int, int]):
    """``(hard, soft)`` masks at the print's shape (``None, None`` without a mask): ``hard``
    for the feature-level style loss, ``soft`` (feathered as the final blend) to paste with."""
    if mask is None:
        return None, None
    from .masks import feather_mask, load_mask

    if isinstance(mask, np.ndarray) and mask.ndim == 2:  # already the photo's: no aspect check
        hard = resize_to(load_mask(mask, mask.shape), shape, "bilinear")  # 0–255, 0/1: to [0, 1]
    else:
        hard = load_mask(mask, shape)
    return hard, feather_mask(hard)


#: Tiles whose paste weights (feather × soft mask) all stay under this are not optimised.
SKIP_BELOW = 1e-3


def refine_tiled(
    painting: ImageInput,
    photo: ImageInput,
    style: object,
    config: Config = PRESETS["default"],
    size: int = 2048,
    tile: int | None = None,
    overlap: int = 64,
    steps: int = TILE_STEPS,
    callback: TileCallback | None = None,
    feather: bool = True,
    *,
    mask: ImageInput | None = None,
    start: tuple[np.ndarray, int] | None = None,
) -> np.ndarray:
    """Upscale a painting to ``size`` px and refine it at full resolution, tile by tile.

    Args:
        painting: the working-size painting ``(h, w, 3)`` (uint8 or float).
        photo: the original photo, resized to the print's shape (its aspect ratio must be the
            painting's, else ``ValueError``).
        style: one style image or ``[(image, weight), ...]``, as for :func:`nststudy.stylize`.
        config: the settings used for painting; ``style_scale``, weights, layers, optimizer
            and space apply to each tile.
        size: the print's longest side in pixels.
        tile: tile side in pixels (memory grows with ``tile²``, see :func:`estimate_memory`);
            ``None`` picks the one with the least work that fits the memory
            (:func:`auto_tile`).
        overlap: feathered overlap between neighbouring tiles, in pixels (< tile / 2).
        steps: optimiser steps per tile (:data:`TILE_STEPS`).
        callback: ``callback(done, total, canvas)`` after every tile; ``True`` stops early
            (the remaining tiles stay upscaled but unrefined).
        feather: ``False`` pastes tiles with hard edges (to see the seams it prevents).
        mask: white = stylize, black = keep (see :mod:`nststudy.masks`), resized to the
            print. Each tile's style loss sees only its masked features and its content loss
            weighs more outside (as in :func:`nststudy.stylize`); the tile is pasted with its
            feather weights × the feathered mask, so black areas keep the upscaled painting;
            tiles that would be pasted with weight < :data:`SKIP_BELOW` are not optimised.
        start: ``(canvas, complete)`` of an earlier call that stopped (see
            :class:`TilingStopped`): continue from that canvas (the print's shape) after its
            first ``complete`` tiles.

    Returns:
        float32 ``(H, W, 3)`` in [0, 1] with ``max(H, W) == size``. Ctrl-C (or the callback)
        ends the refinement early with a :class:`TilingStopped` warning; the canvas so far
        is returned.
    """
    from .stylize import _styles

    if tile is not None:
        tile_starts(size, tile, overlap)  # checks tile and overlap before any work
    paint = load_image(painting)
    pic = load_image(photo)
    # the photo's shape, not the working-size painting's rounded one (512×410 for a 4:5 crop
    # made a 3000×2402 print, not 3000×2400)
    shape = print_shape(pic.shape if aspect_fits(paint.shape, pic.shape) else paint.shape, size)
    tile = auto_tile(shape, size, overlap) if tile is None else tile
    if min(shape) < 32:
        raise ValueError(f"at {size} px the print would be {shape[1]}×{shape[0]}; need >= 32 px")
    canvas, first = resize_to(paint, shape, "lanczos"), 0
    if start is not None:
        canvas, first = np.array(load_image(start[0]), np.float32), int(start[1])
        if canvas.shape[:2] != shape:
            raise ValueError(f"start: the canvas is {canvas.shape[:2]}, the print {shape}")
        if first < 0:
            raise ValueError(f"start: tiles done must be 0 or more, got {first}")
    pic = _photo_for(shape, pic, "refine_tiled")  # of another shape: refused, not stretched
    hard, soft = _print_masks(mask, shape)
    styles = _styles(style)
    th, tw = min(tile, shape[0]), min(tile, shape[1])
    ys, xs = tile_starts(shape[0], tile, overlap), tile_starts(shape[1], tile, overlap)
    runner = run_lbfgs if config.optimizer == "lbfgs" else run_adam
    windows = [(r, c, y, x) for r, y in enumerate(ys) for c, x in enumerate(xs)]
    complete, reason = min(first, len(windows)), None
    if complete == len(windows):  # resumed after the last tile: nothing left to refine
        return np.clip(canvas, 0.0, 1.0)
    warm = {}  # L-BFGS: each tile's first step sized by the last tile's curvature
    try:
        extractor = FeatureExtractor(config.content_layers, config.style_layers, config.precision)
        grams = style_targets(extractor, styles, size, config, tile)
        loss_fn = _tile_loss(extractor, grams, config)
        for r, c, y, x in windows[complete:]:
            window = (slice(y, y + th), slice(x, x + tw))
            alpha = feather_weights((th, tw), overlap if feather else 0, r > 0, c > 0)
            alpha = alpha if soft is None else alpha * soft[window]
            if alpha.max() >= SKIP_BELOW:
                feats = extractor(to_vgg(pic[window])[None])
                content = {n: tf.stop_gradient(feats[n]) for n in extractor.content_layers}
                masks = None if hard is None else layer_masks(hard[window], feats)
                del feats
                stage = _TileStage(loss_fn, content, masks, config)
                outcome = runner(stage, stage.from_pixels(canvas[window]), steps, **warm)
                if runner is run_lbfgs and outcome.lbfgs_scale is not None:
                    warm = {"initial_scale": outcome.lbfgs_scale}
                alpha = alpha[..., None]
                canvas[window] = alpha * outcome.image + (1.0 - alpha) * canvas[window]
                interrupted = outcome.stopped == "interrupt"
                del stage, content, masks, outcome
                gc.collect()
                if interrupted:
                    raise KeyboardInterrupt
            complete += 1
            if callback is not None and callback(complete, len(windows), canvas):
                reason = "callback"
                break
    except KeyboardInterrupt:
        reason = "interrupt"
    if complete < len(windows):
        warnings.warn(TilingStopped(complete, len(windows), reason or "?"), stacklevel=2)
    return np.clip(canvas, 0.0, 1.0)


def paint_print(
    photo: ImageInput,
    style: object,
    config: Config = PRESETS["default"],
    print_size: int = 2048,
    *,
    tile: int | None = None,
    overlap: int = 64,
    steps: int = TILE_STEPS,
    crop: str | None = None,
    mask: ImageInput | None = None,
    callback: Callable | None = None,
    tile_callback: TileCallback | None = None,
    check_memory: bool = True,
    painting: ImageInput | None = None,
) -> np.ndarray:
    """Paint a photo for print: :func:`nststudy.stylize` at ``config.size``, then
    :func:`refine_tiled` up to ``print_size``, then the post-processing of ``config``
    (``preserve_colors``, ``strokes``) and the ``mask`` blend, at full resolution.

    Args:
        photo: the photo.
        style: one style image or ``[(image, weight), ...]``.
        config: painting settings; ``config.size`` is the working size.
        print_size: longest side of the print in pixels (see
            :func:`nststudy.postprocess.print_pixels` for ``"30x40cm"`` at a DPI).
        tile, overlap, steps: see :func:`refine_tiled`.
        crop: frame ratio such as ``"4:5"`` applied to the photo first
            (:func:`nststudy.postprocess.crop_to_ratio`).
        mask: white = stylize, black = keep the photo (see :mod:`nststudy.masks`), drawn
            on the whole photo: ``crop`` crops it with the photo.
        callback: :func:`nststudy.stylize`'s per-step callback for the working-size painting.
        tile_callback: :data:`TileCallback` during refinement.
        check_memory: refuse (:class:`~nststudy.resources.PrintMemoryError`, a ``ValueError``
            and a ``MemoryError``, naming both numbers) when
            :func:`estimate_memory` exceeds :func:`available_memory`.
        painting: a working-size painting of this photo (after ``crop``) made with these
            settings — :attr:`nststudy.stylize.Result.raw`, before post-processing — to
            refine instead of painting anew: the print then is the painting already seen,
            and the job is only the refinement (the studio's print after "paint").

    Returns:
        float32 ``(H, W, 3)`` in [0, 1], longest side ``print_size``.
    """
    from .masks import load_mask
    from .stylize import finish_painting, stylize

    if tile is not None:
        tile_starts(print_size, tile, overlap)  # checks tile and overlap before any work
    img = load_image(photo)
    full_mask = None if mask is None else load_mask(mask, img.shape)  # drawn on the photo
    if crop is not None:
        img = crop_to_ratio(img, crop)
        full_mask = None if full_mask is None else crop_to_ratio(full_mask, crop)
    img = shrink_longest(img, max(print_size, config.size))  # a 48 Mpx photo: 576 MB less
    if full_mask is not None and full_mask.shape != img.shape[:2]:
        full_mask = resize_to(full_mask, img.shape[:2], "bilinear")
    tile = auto_tile(img.shape, print_size, overlap) if tile is None else tile
    aspect = min(img.shape[:2]) / max(img.shape[:2])
    scale = config.style_scale
    if check_memory and (short := print_shortfall(print_size, tile, aspect, style_scale=scale)):
        need, have, _ = short
        if style_bound(print_size, tile, aspect, scale):  # the resized style sets the peak
            fix = "a smaller print_size=" + (" or a style_scale nearer 1" if scale > 1 else "")
        else:
            fix = "a smaller tile= or print_size="
        raise PrintMemoryError(
            f"a {print_size} px print with {tile} px tiles needs about {need / 2**30:.1f} GiB "
            f"but {have / 2**30:.1f} GiB is available; pass {fix}, or set {IGNORE_ENV}=1 to "
            "try anyway"
        )
    plain = config.replace(preserve_colors=None, strokes=0.0)
    stopped = None
    if painting is None:
        result = stylize(img, style, plain, callback=callback, mask=full_mask)
        painting, stopped = result.raw, result.stopped
    else:
        painting = load_image(painting)
        if not aspect_fits(painting.shape, img.shape):
            h, w = painting.shape[:2]
            raise ValueError(
                f"painting: {w}×{h} px does not have the photo's aspect "
                f"({img.shape[1]}×{img.shape[0]}); pass the painting made from this photo "
                "(with the same crop), or leave painting=None to paint it anew"
            )
    if stopped in ("callback", "interrupt"):  # asked to stop while painting: no tiles
        out = resize_to(load_image(painting), print_shape(img.shape, print_size), "lanczos")
        total = count_tiles(img.shape, print_size, tile, overlap)
        warnings.warn(TilingStopped(0, total, stopped), stacklevel=2)
    elif print_size > max(painting.shape[:2]):
        out = refine_tiled(
            painting, img, style, plain, print_size, tile, overlap, steps, tile_callback,
            mask=full_mask,
        )  # fmt: skip
    else:
        out = resize_longest(load_image(painting), print_size)
    return finish_painting(out, img, config, full_mask, max(painting.shape[:2]))
