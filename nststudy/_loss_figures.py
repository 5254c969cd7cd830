"""Pure functions behind :mod:`nststudy.widgets`: each loss term's share, and the figures of
a painting's losses (per layer, over the steps, the training view's curves).

The feature maps, Gram data and figure plumbing they build on are in :mod:`._figures`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.figure import Figure

from ._figures import _as_image, _Figure, _key, feature_maps, gram_data, short_name
from .config import Config
from .i18n import t
from .images import resize_longest, to_vgg
from .vgg import canonical_layer

__all__ = [
    "contributions_figure",
    "contributions_over_steps_figure",
    "layer_contributions",
    "training_figure",
]

_RAW: OrderedDict[tuple[Any, ...], dict[str, float]] = OrderedDict()  # unweighted loss terms
_LOCK = threading.Lock()


def _fit_to(img: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    import tensorflow as tf

    if img.shape[:2] != shape[:2]:
        img = resize_longest(img, max(shape[:2]))  # what stylize does to the photo
    if img.shape[:2] == shape[:2]:
        return img
    out = tf.image.resize(img[None], shape[:2], method="bicubic", antialias=True)[0]
    return np.clip(out.numpy(), 0.0, 1.0).astype(np.float32)


def _raw_losses(
    image: np.ndarray, style: np.ndarray, content: np.ndarray, config: Config
) -> dict[str, float]:
    """Unweighted loss terms: ``{style layer: loss, "content": ..., "tv": ...}``."""
    from .losses import article_style_loss, article_total_variation_loss, content_loss, style_loss

    style = resize_longest(style, max(32, round(max(image.shape[:2]) * config.style_scale)))
    content = _fit_to(content, image.shape)
    loss = article_style_loss if config.formulas == "article" else style_loss
    out = {}
    for layer in config.style_layers:
        f = feature_maps(image, layer)[None]
        out[layer] = float(loss(f, gram_data(style, layer)[None]))
    terms = [
        content_loss(feature_maps(image, n)[None], feature_maps(content, n)[None])
        for n in config.content_layers
    ]
    out["content"] = float(np.mean([float(t) for t in terms])) if terms else 0.0
    x = to_vgg(image)[None]
    if config.formulas == "article":
        out["tv"] = float(article_total_variation_loss(x))
    else:
        out["tv"] = float(
            np.abs(np.diff(image, axis=0)).sum() + np.abs(np.diff(image, axis=1)).sum()
        )
    return out


def layer_contributions(
    image: Any,
    style: Any,
    content: Any,
    config: Config,
    weights: Mapping[str, float] | None = None,
    ratio: float | None = None,
) -> dict[str, dict[str, float]]:
    """Each loss term's weighted value and share of the total, as :func:`stylize` weighs them.

    Args:
        image: the current painting (float ``(H, W, 3)`` in [0, 1] or uint8).
        style: the style image (resized like :func:`stylize` does: ``config.style_scale``).
        content: the photo (resized to the painting's size).
        config: layers, weights and formulas.
        weights: ``{style layer: relative weight}`` replacing ``config.layer_weights()``
            (normalised to sum 1, like :func:`nststudy.losses.style_layer_losses`).
        ratio: style weight / content weight, replacing the config's (content weight kept).

    Returns:
        ``{style layer: {"loss", "share"}, "content": {...}, "tv": {...}}``; ``loss`` is the
        weighted term (the values add up to the total loss), ``share`` its fraction of it.
    """
    image, style, content = (_as_image(x) for x in (image, style, content))
    key = (*(_key(x) for x in (image, style, content)), config.style_layers)
    key += (config.content_layers, config.formulas, config.style_scale)
    with _LOCK:
        raw = _RAW.get(key)
    if raw is None:
        raw = _raw_losses(image, style, content, config)
        with _LOCK:
            _RAW[key] = raw
            while len(_RAW) > 64:
                _RAW.popitem(last=False)
    layer_w = dict(config.layer_weights())
    layer_w.update({canonical_layer(k): float(v) for k, v in (weights or {}).items()})
    norm = sum(layer_w[n] for n in config.style_layers)
    style_weight = config.style_weight if ratio is None else ratio * config.content_weight
    losses = {
        n: style_weight * (layer_w[n] / norm if norm > 0 else 0.0) * raw[n]
        for n in config.style_layers
    }
    losses["content"] = config.content_weight * raw["content"]
    losses["tv"] = config.tv_weight * raw["tv"]
    total = sum(losses.values())
    return {k: {"loss": v, "share": v / total if total > 0 else 0.0} for k, v in losses.items()}


def contributions_figure(contribs: Mapping[str, Mapping[str, float]], title: str = "") -> Figure:
    """Bars: each term's weighted loss (log scale) and its share of the total (%)."""
    names = list(contribs)
    terms = {"content": t("fig.content"), "tv": t("fig.tv")}
    labels = [terms.get(n) or short_name(n) for n in names]
    colours = ["tab:orange" if n not in ("content", "tv") else "tab:blue" for n in names]
    fig = _Figure(figsize=(9, 3.4))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.25, top=0.85, wspace=0.25)
    ax1, ax2 = fig.subplots(1, 2)
    losses = [max(contribs[n]["loss"], 1e-12) for n in names]
    ax1.bar(labels, losses, color=colours)
    ax1.set(yscale="log", title=t("fig.weighted_loss"))
    ax2.bar(labels, [100 * contribs[n]["share"] for n in names], color=colours)
    ax2.set(ylim=(0, 100), title=t("fig.share_total"))
    for ax in (ax1, ax2):
        ax.tick_params(axis="x", labelrotation=45, labelsize=8)
    total = sum(c["loss"] for c in contribs.values())
    fig.suptitle(title or t("fig.total_loss", value=f"{total:.4g}"))
    return fig


def contributions_over_steps_figure(history: Sequence[Mapping[str, float]]) -> Figure:
    """Per-layer weighted style losses over the steps of a run (``Result.history``):
    absolute (log scale) and each layer's share of the style loss (stacked)."""
    fig = _Figure(figsize=(9, 3.4))
    fig.subplots_adjust(left=0.08, right=0.98, bottom=0.15, top=0.9, wspace=0.25)
    ax1, ax2 = fig.subplots(1, 2)
    layers = [k for k in (history[0] if history else {}) if k.startswith("style/")]
    if not layers:
        ax1.text(0.5, 0.5, t("fig.no_layers"), ha="center", transform=ax1.transAxes)
        return fig
    steps = [h["step"] for h in history]
    values = np.array([[h[k] for k in layers] for h in history], dtype=np.float64)
    for i, k in enumerate(layers):
        ax1.plot(steps, np.maximum(values[:, i], 1e-12), label=short_name(k[6:]))
    ax1.set(yscale="log", xlabel=t("fig.step"), title=t("fig.style_per_layer"))
    ax1.legend(fontsize=7)
    shares = values / np.maximum(values.sum(axis=1, keepdims=True), 1e-30)
    ax2.stackplot(steps, shares.T * 100, labels=[short_name(k[6:]) for k in layers])
    ax2.set(ylim=(0, 100), xlabel=t("fig.step"), title=t("fig.share_style"))
    return fig


def training_figure(history: Sequence[Mapping[str, float]], image: Any = None) -> Figure:
    """Loss curves of a run (total, content, style, TV; log scale), with the image beside
    them when ``image`` is given."""
    fig = _Figure(figsize=(9 if image is not None else 6, 3.4))
    fig.subplots_adjust(left=0.1, right=0.97, bottom=0.15, top=0.9, wspace=0.15)
    axes = fig.subplots(1, 2 if image is not None else 1, squeeze=False)[0]
    if image is not None:
        axes[0].imshow(_as_image(image))
        axes[0].set_axis_off()
        axes[0].set_title(t("fig.current_image"))
    ax = axes[-1]
    steps = [h["step"] for h in history]
    labels = {
        "total": t("fig.total"),
        "content": t("fig.content"),
        "style": t("fig.style"),
        "tv": t("fig.tv"),
    }
    for key, label in labels.items():
        if history and key in history[0]:
            ax.plot(steps, [max(h[key], 1e-12) for h in history], label=label)
    ax.set(yscale="log", xlabel=t("fig.step"), title=t("fig.weighted_losses"))
    if history:
        ax.legend(fontsize=8)
    return fig
