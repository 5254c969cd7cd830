"""Whole-image Gram matrices of pictures too big for one VGG19 pass (print-size targets).

:func:`tiled_grams` sums ``FᵀF`` over tiles with a margin of context and divides by the
number of positions; :func:`style_targets` blends the style images' Grams by weight at the
print's brush scale. :mod:`nststudy.tiles` compares every tile with these same targets.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from .config import Config
from .images import resize_longest, to_vgg
from .losses import gram_sum
from .vgg import FeatureExtractor

__all__ = ["style_targets", "tiled_grams"]


def _stride(layer: str) -> int:
    """Down-sampling factor of a VGG19 layer: 2 ** (pools before it)."""
    block = int(layer[5])
    return 2 ** (block if layer.endswith("pool") else block - 1)


def tiled_grams(
    extractor: FeatureExtractor, image: np.ndarray, tile: int = 512, margin: int = 64
) -> dict[str, tf.Tensor]:
    """Whole-image Gram matrices ``{layer: (1, C, C)}`` of ``image``, computed in tiles.

    Each core tile (a multiple of the deepest tap's stride: 16 px up to ``block5_conv*``, 32
    with ``block5_pool``) is run through VGG19 with ``margin`` px of context on every side;
    only the core's features are summed (Σ FᵀF), then divided by the number of positions,
    so the result matches :func:`nststudy.losses.gram_matrix` of the whole image
    except for zero-padding effects near tile borders. Images within ``tile`` are done whole.
    """
    h, w = image.shape[:2]
    if not extractor.style_layers:  # a content-only run: no Gram to take
        return {}
    if h <= tile and w <= tile:
        feats = extractor(to_vgg(image)[None])
        return {n: gram_sum(feats[n]) / _positions(feats[n]) for n in extractor.style_layers}
    step = max(_stride(n) for n in extractor.style_layers)  # 16 for the usual taps, 32 at pool5
    core = max(step, tile // step * step)
    margin = margin // step * step
    sums: dict[str, tf.Tensor] = {}
    counts = dict.fromkeys(extractor.style_layers, 0)
    for y0 in range(0, h, core):
        for x0 in range(0, w, core):
            y1, x1 = min(y0 + core, h), min(x0 + core, w)
            # context of at least one stride: a strip under 16 px alone is too small for VGG19
            cy, cx = max(0, y0 - max(margin, step)), max(0, x0 - max(margin, step))
            crop = image[cy : min(h, y1 + margin), cx : min(w, x1 + margin)]
            feats = extractor(to_vgg(crop)[None])
            for n in extractor.style_layers:
                f = _stride(n)
                part = feats[n][:, (y0 - cy) // f : (y1 - cy) // f, (x0 - cx) // f : (x1 - cx) // f]
                if 0 in part.shape[1:3]:  # a strip thinner than this layer's stride: no position
                    continue
                sums[n] = gram_sum(part) + sums.get(n, 0.0)
                counts[n] += int(part.shape[1]) * int(part.shape[2])
            del feats
    return {n: sums[n] / max(counts[n], 1) for n in extractor.style_layers}


def _positions(features: tf.Tensor) -> float:
    return float(features.shape[1] * features.shape[2])


def style_targets(
    extractor: FeatureExtractor,
    styles: list[tuple[np.ndarray, float]],
    size: int,
    config: Config,
    tile: int,
) -> dict[str, tf.Tensor]:
    """Weight-blended Gram targets of ``styles`` resized to ``size × config.style_scale``."""
    style_size = max(32, round(size * config.style_scale))
    total = sum(w for _, w in styles)
    grams: dict[str, tf.Tensor] = {}
    for img, weight in styles:
        if weight == 0:
            continue
        for n, g in tiled_grams(extractor, resize_longest(img, style_size), tile).items():
            g = g * (weight / total)
            grams[n] = g if n not in grams else grams[n] + g
    return {n: tf.stop_gradient(g) for n, g in grams.items()}
