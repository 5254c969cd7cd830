"""Tile geometry for print refinement: where tiles go, how they blend, which size to use.

Pure functions of shapes (no TensorFlow), re-exported by :mod:`nststudy.tiles`.
"""

from __future__ import annotations

import sys

import numpy as np

from .resources import (
    _CANVAS_BYTES_PER_PX,
    PRINT_BASE_BYTES,
    available_memory,
    memory_limit_ignored,
    resident_bytes,
)
from .resources import estimate_print_memory as estimate_memory

__all__ = [
    "AUTO_TILES",
    "AUTO_TILE_BUDGET",
    "TILE_STEPS",
    "auto_tile",
    "count_tiles",
    "feather_weights",
    "print_shape",
    "print_shortfall",
    "same_aspect",
    "style_bound",
    "tile_starts",
]

#: Tile sides :func:`auto_tile` chooses from, in pixels: multiples of 16, so four poolings
#: (down to ``block5_conv2``) divide every tile evenly. A step of 16 rather than 32 lets the
#: grid fit the print tightly: 2048×1536 in 12 tiles of 560 px (3.76 Mpx) where the sides
#: in steps of 32 allowed no better than 576 px (3.98 Mpx).
AUTO_TILES = tuple(range(384, 769, 16))
#: :func:`auto_tile` keeps the estimated peak of a print up to 2048 px under this even where
#: more memory is free, and under the available memory; a larger print adds its canvas's
#: growth over a 2048 px one, so that its tiles may take as much as a 2048 px print's. The
#: studio promises a 2048 px print within 4 GB; a 2048×1536 print in 576 px tiles peaked at
#: 2.51 GB (estimate 2.53 GB).
AUTO_TILE_BUDGET = 3.2e9
#: L-BFGS steps per print tile. Measured on a 2048 px print of Tübingen + Starry Night (12
#: tiles of 560 px, the same painting; ``benchmarks/README.md``, session 14): 10 steps took
#: 655 s of tiles, 8 steps 563 s, 7 steps 518 s; each tile's loss after 8 steps was 5–16 %
#: above 10 steps' (after 7: 12–27 %), and the 8- and 10-step prints look alike at 1:1.
#: Prints record theirs (``tile_steps``); older ones, without it in their settings, took 10.
TILE_STEPS = 8


def tile_starts(length: int, tile: int, overlap: int) -> list[int]:
    """Start offsets of tiles of ``tile`` px covering ``length`` px, overlapping ≥ ``overlap``.

    The last tile is shifted back to end at the border, so every tile has the same size (no
    padding, no retracing). ``length <= tile`` gives one tile, ``[0]``.
    """
    if tile < 32 or not 0 <= overlap < tile // 2:
        raise ValueError(
            f"tile must be >= 32 px and overlap in [0, tile/2); got tile={tile}, overlap={overlap}"
        )
    if length <= tile:
        return [0]
    return [*range(0, length - tile, tile - overlap), length - tile]


def feather_weights(shape: tuple[int, int], overlap: int, top: bool, left: bool) -> np.ndarray:
    """Paste weights ``(h, w)`` of a tile: linear ramps over ``overlap`` px on the top/left
    sides when they border tiles already done, 1 elsewhere."""
    h, w = shape
    weights = np.ones((h, w), np.float32)
    if overlap > 0:
        ramp = ((np.arange(overlap) + 0.5) / overlap).astype(np.float32)
        if top:
            weights[:overlap] *= ramp[:, None]
        if left:
            weights[:, :overlap] *= ramp[None, :]
    return weights


def print_shape(shape: tuple[int, ...], size: int) -> tuple[int, int]:
    """``(H, W)`` of a print whose longest side is ``size``, from a picture's ``shape``."""
    scale = size / max(shape[0], shape[1])
    return max(1, round(shape[0] * scale)), max(1, round(shape[1] * scale))


def same_aspect(painting: tuple[int, ...], photo: tuple[int, ...]) -> bool:
    """Whether a ``painting`` of shape ``(h, w, ...)`` could be the ``photo`` resized: each
    side within a pixel of the photo scaled to the painting's longest side (resizing rounds)."""
    scale = max(painting[0], painting[1]) / max(photo[0], photo[1])
    return all(abs(p - q * scale) <= 1.0 for p, q in zip(painting[:2], photo[:2], strict=True))


def count_tiles(shape: tuple[int, ...], size: int, tile: int = 512, overlap: int = 64) -> int:
    """How many tiles :func:`refine_tiled` refines for a painting of ``shape`` at ``size``."""
    h, w = print_shape(shape, size)
    return len(tile_starts(h, tile, overlap)) * len(tile_starts(w, tile, overlap))


def auto_tile(
    shape: tuple[int, ...], size: int, overlap: int = 64, budget: float | None = None
) -> int:
    """The tile side that refines a print with the least VGG work, within a memory budget.

    The work is proportional to the pixels of all tiles together (every tile runs the same
    number of optimiser steps), and the tiles overlap and the last row and column are shifted
    inwards, so a slightly larger tile can need far fewer tiles: a 2048×1536 print takes 20
    tiles of 512 px (5.2 Mpx of tiles) but 12 of 560 px (3.8 Mpx).

    Args:
        shape: the working-size painting's shape ``(h, w, ...)`` (only the aspect matters).
        size: the print's longest side in pixels.
        overlap: feathered overlap between tiles in pixels.
        budget: bytes the estimated peak (:func:`nststudy.resources.estimate_print_memory`)
            must stay under; default ``min(available memory, AUTO_TILE_BUDGET + the print's
            canvas bytes over a 2048 px print's)``, where the available memory counts what
            this process already holds of the estimate's base once TensorFlow is loaded.

    Returns:
        A side from :data:`AUTO_TILES` (the smallest allowing ``overlap`` when none fits the
        budget).

    Raises:
        ValueError: ``overlap`` is half the largest automatic side or more.
    """
    if overlap >= AUTO_TILES[-1] // 2:
        raise ValueError(
            f"overlap {overlap} px leaves no automatic tile side (up to {AUTO_TILES[-1]} px, "
            "whose overlap must be under half of it); use a smaller overlap (default 64)"
        )
    h, w = print_shape(shape, size)
    aspect = min(h, w) / max(h, w)
    if budget is None:
        # a print over 2048 px adds its larger canvas, which no tile side changes, to the cap:
        # what the tiles may add stays the same (else a 30x40 cm print at 300 dpi got 384 px)
        canvas = _CANVAS_BYTES_PER_PX * aspect * (size**2 - 2048**2)  # (the canvas term only)
        budget = min(available_memory() + _held_base(), AUTO_TILE_BUDGET + max(0, canvas))
    best: tuple[int, int] | None = None
    for tile in AUTO_TILES:
        if overlap >= tile // 2 or estimate_memory(size, tile, aspect) > budget:
            continue
        work = count_tiles(shape, size, tile, overlap) * min(tile, h) * min(tile, w)
        if best is None or work < best[0]:
            best = (work, tile)
    if best is None:  # nothing fits the budget: the smallest side that allows the overlap
        return next(t for t in AUTO_TILES if overlap < t // 2)
    return best[1]


def _held_base() -> int:
    """Bytes of the estimates' base (TensorFlow, VGG19) this process already holds, so not in
    the free memory: its resident size once TensorFlow is loaded (a notebook's kernel, a batch
    after its painting), at most the base; 0 before (what is resident then is other data)."""
    return min(resident_bytes(), PRINT_BASE_BYTES) if "tensorflow" in sys.modules else 0


def style_bound(size: int, tile: int | None, aspect: float, style_scale: float) -> bool:
    """True when the style resized to ``size × style_scale`` for its Gram targets, not the
    tiles, sets a print's estimated peak: no smaller tile would lower it (a smaller print or
    ``style_scale`` would)."""
    tile = AUTO_TILES[0] if tile is None else tile
    need = estimate_memory(size, tile, aspect, style_scale)
    return need <= estimate_memory(size, min(tile, 32), aspect, style_scale)


def print_shortfall(
    size: int,
    tile: int | None = None,
    aspect: float = 1.0,
    available: int | None = None,
    style_scale: float = 1.0,
) -> tuple[int, int, int] | None:
    """``(need, have, tile)`` in bytes when a print job will not fit in memory, else ``None``.

    The one memory check behind :func:`nststudy.tiles.paint_print`, the ``nststudy paint``
    batch and the studio's print button; each words the refusal for its own reader.

    Args:
        size: the print's longest side in pixels.
        tile: the tile side; ``None`` = automatic, checked at the smallest automatic side
            (where :func:`auto_tile` falls back when nothing larger fits).
        aspect: short side / long side (1 = square, the worst case).
        available: bytes available; default :func:`nststudy.resources.available_memory`,
            and then ``need`` is what the job adds to what this process already holds.
        style_scale: the run's ``Config.style_scale`` (the style is resized to ``size ×
            style_scale``; from about ten tile sides on, that is the larger need).

    ``NSTSTUDY_IGNORE_MEMORY_LIMIT=1`` skips the check, as for painting.
    """
    if memory_limit_ignored():
        return None
    tile = AUTO_TILES[0] if tile is None else tile
    need = estimate_memory(size, tile, aspect, style_scale)
    if available is None:
        have, need = available_memory(), need - _held_base()
    else:
        have = available
    return None if need <= have else (need, have, tile)
