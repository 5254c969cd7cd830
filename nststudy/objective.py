"""What a painting is judged by at one size: the targets and the weighted loss terms.

:func:`make_targets` computes the photo's content features and the style's Gram matrices
once per size; :func:`compute_losses` turns a VGG-space image into the weighted content,
style and total-variation terms (with a mask: feature-level masking, see there); and
:func:`bounds` gives the valid range of the optimised values. :mod:`nststudy.train` minimises
that total (and re-exports these names, as notebook 06 imports them from there).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .config import Config
from .images import IMAGENET_MEAN_BGR, to_vgg
from .losses import (
    article_total_variation_loss,
    content_loss,
    gram_matrix,
    style_layer_losses,
    total_variation_loss,
)
from .vgg import FeatureExtractor

__all__ = [
    "OUTSIDE_CONTENT_BOOST",
    "Targets",
    "bounds",
    "compute_losses",
    "layer_masks",
    "make_targets",
]


@dataclass(frozen=True)
class Targets:
    """What the painting is compared with at one size.

    Attributes:
        content: ``{layer: (1, h, w, C)}`` features of the content photo.
        grams: ``{layer: (1, C, C)}`` Gram matrices of the style (weight-blended for several).
        masks: ``{layer: (1, h, w, 1)}`` the stylize-mask shrunk to each layer's size (1 =
            stylize), or ``None``; see :func:`compute_losses`.
    """

    content: Mapping[str, tf.Tensor]
    grams: Mapping[str, tf.Tensor]
    masks: Mapping[str, tf.Tensor] | None = None


#: With a mask, the content loss weighs this many times more where the mask is 0.
OUTSIDE_CONTENT_BOOST = 10.0


def make_targets(
    extractor: FeatureExtractor,
    content: np.ndarray,
    styles: list[tuple[np.ndarray, float]],
    mask: np.ndarray | None = None,
) -> Targets:
    """Compute content features and (blended) style Grams once per size.

    Args:
        extractor: the feature extractor.
        content: float32 ``(H, W, 3)`` in [0, 1], already at the working size.
        styles: ``[(image (h, w, 3) in [0, 1], weight), ...]`` at their working sizes.
        mask: optional float32 ``(H, W)`` in [0, 1] (1 = stylize); it is area-averaged down
            to every tapped layer's size.
    """
    feats = extractor(to_vgg(content)[None])
    content_t = {n: tf.stop_gradient(feats[n]) for n in extractor.content_layers}
    masks = None if mask is None else layer_masks(mask, feats)
    total = float(sum(w for _, w in styles))
    if styles and not (0 < total < float("inf") and all(w >= 0 for _, w in styles)):
        raise ValueError("style weights must be finite, >= 0 and with a positive sum")
    grams: dict[str, tf.Tensor] = {}
    for image, weight in styles:
        if weight == 0:
            continue
        sfeats = extractor(to_vgg(image)[None])
        for name in extractor.style_layers:
            g = gram_matrix(sfeats[name]) * (weight / total)
            grams[name] = g if name not in grams else grams[name] + g
    return Targets(content_t, {n: tf.stop_gradient(g) for n, g in grams.items()}, masks)


def layer_masks(mask: np.ndarray, features: Mapping[str, tf.Tensor]) -> dict[str, tf.Tensor]:
    """``mask`` ``(H, W)`` (1 = stylize) area-averaged to each layer's size: ``{layer: (1, h,
    w, 1)}`` for every layer of ``features`` (the photo's features at the same size)."""
    m = tf.constant(np.asarray(mask, np.float32)[None, :, :, None])
    return {n: tf.image.resize(m, tf.shape(f)[1:3], "area") for n, f in features.items()}


def compute_losses(
    x_vgg: tf.Tensor, extractor: FeatureExtractor, targets: Targets, config: Config
) -> dict[str, tf.Tensor]:
    """The weighted loss terms for a VGG-space image ``x_vgg`` of shape ``(1, H, W, 3)``.

    With ``targets.masks`` (feature-level masking), each style layer's Gram is taken over the
    masked features ``F·m``, normalised by ``Σm²`` instead of H·W (so it is the Gram of the
    masked region alone), and the content error is weighted ``m + OUTSIDE_CONTENT_BOOST·(1−m)``.

    Returns:
        ``{"content", "style", "tv", "total"}`` scalars, each already multiplied by its weight
        (so ``total`` is their sum), plus ``"style/<layer>"`` weighted per-layer shares.
    """
    feats = extractor(x_vgg)
    masks = targets.masks
    terms = []
    for n in extractor.content_layers:
        if masks is None:
            terms.append(content_loss(feats[n], targets.content[n]))
        else:
            weight = masks[n] + OUTSIDE_CONTENT_BOOST * (1.0 - masks[n])
            terms.append(tf.reduce_mean(weight * tf.square(feats[n] - targets.content[n])))
    content = tf.add_n(terms) / len(terms) if terms else tf.constant(0.0)
    style_feats = feats
    if masks is not None:
        style_feats = {}
        for n in targets.grams:
            m = masks[n]
            area = tf.cast(tf.reduce_prod(tf.shape(m)[1:3]), tf.float32)
            style_feats[n] = feats[n] * m * tf.sqrt(area / (tf.reduce_sum(m * m) + 1e-6))
    per_layer = style_layer_losses(
        style_feats, targets.grams, config.layer_weights(), config.formulas
    )
    style = tf.add_n(list(per_layer.values())) if per_layer else tf.constant(0.0)
    if config.formulas == "article":
        tv = article_total_variation_loss(x_vgg)
    else:
        tv = total_variation_loss(x_vgg) / 255.0  # = TV of the [0, 1] RGB image
    out = {
        "content": config.content_weight * content,
        "style": config.style_weight * style,
        "tv": config.tv_weight * tv,
    }
    out["total"] = out["content"] + out["style"] + out["tv"]
    out.update({f"style/{n}": config.style_weight * v for n, v in per_layer.items()})
    return out


def bounds(config: Config) -> tuple[np.ndarray, np.ndarray]:
    """Valid value range per channel of the optimised tensor: ``(low, high)``, each ``(3,)``."""
    if config.space == "pixels":
        return np.zeros(3, np.float32), np.ones(3, np.float32)
    return -IMAGENET_MEAN_BGR, 255.0 - IMAGENET_MEAN_BGR
