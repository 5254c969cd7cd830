"""The three losses of neural style transfer, as pure functions of tensors.

Each function takes TensorFlow tensors (or numpy arrays) and returns a scalar tensor.
Shapes: feature maps are ``(B, H, W, C)``; Gram matrices ``(B, C, C)``; images
``(B, H, W, 3)``.

Normalisations, stated once:

- content: ``mean((F - P)**2)`` over every element (B·H·W·C) — a plain MSE.
- Gram: ``G[c, d] = sum_ij F[i, j, c] F[i, j, d] / (H·W)`` — the average co-activation, so
  it does not grow with image size.
- style (one layer): ``mean((G - A)**2)`` over the C×C entries. Gatys et al. (2015) write
  ``sum((G' - A')**2) / (4 C² (HW)²)`` with un-normalised Grams G' = HW·G, which equals
  ``mean((G - A)**2) / 4`` — the same up to a constant factor 4.
- total variation: ``sum(|x[i+1,j] - x[i,j]|) + sum(|x[i,j+1] - x[i,j]|)`` (what
  ``tf.image.total_variation`` computes: an L1 sum, not a mean, so it grows with image size).

The source article's variants are kept for comparison: :func:`article_style_loss` divides the
mean by 4C² *again* — its Gram was already normalised by H·W and ``reduce_mean`` already divides
by C², so deep layers (C = 512) are weighted 1/(4·512²) = 1/1,048,576 as much as the plain
mean (and 64× less than ``block1``'s 64 channels); and
:func:`article_total_variation_loss` is the mean of squared ``tf.image.image_gradients``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import tensorflow as tf

__all__ = [
    "article_style_loss",
    "article_total_variation_loss",
    "content_loss",
    "gram_matrix",
    "gram_sum",
    "style_layer_losses",
    "style_loss",
    "total_variation_loss",
]

Tensor = Any


def content_loss(features: Tensor, target: Tensor) -> tf.Tensor:
    """Mean squared error between two feature maps of the same shape ``(B, H, W, C)``."""
    features = _float32(features)
    return tf.reduce_mean(tf.square(features - tf.cast(target, tf.float32)))


def _float32(x: Tensor) -> tf.Tensor:
    """``x`` as float32: a numpy array or list converted, a float tensor of any precision
    (float64, a bfloat16 network's outputs) cast; an integer or bool tensor refused."""
    if isinstance(x, (tf.Tensor, tf.Variable)):
        if not x.dtype.is_floating:
            raise ValueError(f"expected float values, got a {x.dtype.name} tensor; cast it first")
        return tf.cast(x, tf.float32)
    return tf.convert_to_tensor(x, tf.float32)


def gram_matrix(features: Tensor) -> tf.Tensor:
    """Channel co-activation matrix, averaged over positions.

    Args:
        features: ``(B, H, W, C)`` activations.

    Returns:
        ``(B, C, C)`` tensor, ``G[b, c, d] = sum_ij F[b,i,j,c] F[b,i,j,d] / (H·W)``.

    The same numbers as ``tf.einsum("bijc,bijd->bcd", F, F) / (H·W)`` (the course's formula),
    computed as one matrix product ``FᵀF`` of the features flattened to ``(B, H·W, C)``: the
    einsum copies ``F`` transposed before multiplying, and its gradient needs two more
    transposed copies: at 512 px they make a painting step ≈ 16 % slower and its peak memory
    ≈ 120 MB higher (``benchmarks/README.md``, ``python -m benchmarks.step``).
    """
    features = _features(features)
    shape = tf.shape(features)
    return gram_sum(features) / tf.cast(shape[1] * shape[2], tf.float32)


def _features(features: Tensor) -> tf.Tensor:
    """``features`` as float32 ``(B, H, W, C)`` with at least one position, else a
    ``ValueError`` with the fix (one picture's ``(H, W, C)`` maps need ``F[None]``)."""
    features = _float32(features)
    rank, shape = features.shape.rank, tuple(features.shape)
    if rank is not None and rank != 4:
        fix = "; add the batch axis: F[None]" if rank == 3 else ""
        raise ValueError(f"Gram matrices need (B, H, W, C) features, got shape {shape}{fix}")
    if rank == 4 and 0 in shape[1:3]:
        raise ValueError(f"features of shape {shape} have no positions: the picture is too small")
    return features


def gram_sum(features: Tensor) -> tf.Tensor:
    """``Σ FᵀF`` over positions, not divided: ``(B, H, W, C)`` → ``(B, C, C)``.

    One matrix product of the features flattened to ``(B, H·W, C)``; :func:`gram_matrix` divides
    it by H·W, and :mod:`nststudy.grams` adds it up over the tiles of a large picture.
    """
    features = _features(features)
    shape = tf.shape(features)
    flat = tf.reshape(features, [shape[0], shape[1] * shape[2], shape[3]])
    return tf.matmul(flat, flat, transpose_a=True)


def style_loss(features: Tensor, target_gram: Tensor) -> tf.Tensor:
    """Mean squared difference between the Gram matrix of ``features`` and ``target_gram``.

    Args:
        features: ``(B, H, W, C)`` activations of the image being painted.
        target_gram: ``(B or 1, C, C)`` Gram matrix of the style image (see :func:`gram_matrix`).
    """
    return tf.reduce_mean(tf.square(gram_matrix(features) - tf.cast(target_gram, tf.float32)))


def article_style_loss(features: Tensor, target_gram: Tensor) -> tf.Tensor:
    """The source article's style loss: ``reduce_mean((S - G)**2) / (4 C**2)``.

    Kept to show its double normalisation: the mean already divides by C², so the extra
    ``4C²`` makes a 512-channel layer count (512/64)² = 64× less than a 64-channel one.
    """
    channels = tf.cast(tf.shape(features)[-1], tf.float32)
    return style_loss(features, target_gram) / (4.0 * tf.square(channels))


def total_variation_loss(image: Tensor) -> tf.Tensor:
    """Anisotropic total variation, summed over the batch: ``tf.image.total_variation``.

    Args:
        image: ``(B, H, W, 3)``; on the [0, 1] pixel scale this is the tensorflow.org
            tutorial's term. The value scales with the image's range and its pixel count.
    """
    image = _float32(image)
    dy = image[:, 1:, :, :] - image[:, :-1, :, :]
    dx = image[:, :, 1:, :] - image[:, :, :-1, :]
    return tf.reduce_sum(tf.abs(dy)) + tf.reduce_sum(tf.abs(dx))


def article_total_variation_loss(image: Tensor) -> tf.Tensor:
    """The source article's TV term: ``mean(dy**2) + mean(dx**2)`` from ``image_gradients``.

    ``tf.image.image_gradients`` pads the last row/column of each gradient with zeros, so the
    means are over all ``B·H·W·3`` positions.
    """
    dy, dx = tf.image.image_gradients(_float32(image))
    return tf.reduce_mean(tf.square(dy)) + tf.reduce_mean(tf.square(dx))


def style_layer_losses(
    features: Mapping[str, Tensor],
    target_grams: Mapping[str, Tensor],
    weights: Mapping[str, float] | None = None,
    formula: str = "standard",
) -> dict[str, tf.Tensor]:
    """Each style layer's weighted contribution to the style loss.

    The style loss is ``sum(style_layer_losses(...).values())``: with the default equal
    weights ``1 / n_layers`` that is the mean of the per-layer losses (the tutorial's choice).

    Args:
        features: ``{layer: (B, H, W, C)}`` activations of the image being painted.
        target_grams: ``{layer: (1, C, C)}`` Gram targets; the layers used are its keys.
        weights: ``{layer: w}`` relative weights (normalised to sum to 1); default equal.
        formula: ``"standard"`` (:func:`style_loss`) or ``"article"`` (:func:`article_style_loss`).

    Returns:
        ``{layer: scalar}`` in the order of ``target_grams``.
    """
    if formula not in ("standard", "article"):
        raise ValueError(f"formula must be 'standard' or 'article', got {formula!r}")
    fn = style_loss if formula == "standard" else article_style_loss
    layers = list(target_grams)
    if not layers:  # no style layers (a pure content reconstruction): no style loss
        return {}
    weights = {name: 1.0 for name in layers} if weights is None else _layer_weights(weights, layers)
    total = float(sum(weights.get(name, 0.0) for name in layers))
    if total <= 0:
        raise ValueError("style layer weights must have a positive sum")
    return {
        name: (weights.get(name, 0.0) / total) * fn(features[name], target_grams[name])
        for name in layers
    }


def _layer_weights(weights: Mapping[str, float], layers: list[str]) -> dict[str, float]:
    """``weights`` by Keras layer name (``"conv1_1"`` → ``"block1_conv1"``), each checked:
    a negative weight would maximise its layer's loss, and a layer with no target is a typo."""
    from .vgg import canonical_layer

    named: dict[str, float] = {}
    for name, weight in weights.items():
        key = name if name in layers else canonical_layer(name)
        if key not in layers:
            raise ValueError(f"style weight for {name!r}: no style target there (layers: {layers})")
        if not 0 <= float(weight) < math.inf:
            raise ValueError(f"style weight {name}={weight}: give a number >= 0")
        named[key] = named.get(key, 0.0) + float(weight)
    return named
