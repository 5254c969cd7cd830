"""The optimisation: targets, the total loss, one Adam step, and an L-BFGS driver.

A run paints one image at one size (a *stage*); :func:`nststudy.stylize` chains stages for
coarse-to-fine. Inside a stage the optimiser changes a tensor ``x`` of shape ``(1, H, W, 3)``:
RGB pixels in [0, 1] (``space="pixels"``) or the VGG input (``space="vgg"``). The loss always
sees the VGG input, so both spaces share one loss function.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from .config import Config
from .images import IMAGENET_MEAN_BGR, from_vgg, to_vgg
from .lbfgs import minimize_box
from .losses import (
    article_total_variation_loss,
    content_loss,
    gram_matrix,
    style_layer_losses,
    total_variation_loss,
)
from .vgg import FeatureExtractor

__all__ = [
    "Callback",
    "Stage",
    "StageResult",
    "Targets",
    "bounds",
    "compute_losses",
    "layer_masks",
    "make_targets",
    "run_adam",
    "run_lbfgs",
    "train_step",
]

#: On a non-finite loss, Adam goes back to the best image and retries with the learning rate
#: times ``DIVERGENCE_LR_FACTOR``, at most ``DIVERGENCE_RETRIES`` times, then stops
#: (``stopped="diverged"``); L-BFGS stops at once. Both warn (``RuntimeWarning``).
DIVERGENCE_RETRIES = 2
DIVERGENCE_LR_FACTOR = 0.1

#: ``callback(step, losses, image) -> bool | None``; ``image`` is float32 (H, W, 3) in [0, 1].
#: Returning ``True`` stops the run; the best image so far is kept.
Callback = Callable[[int, dict[str, float], np.ndarray], bool | None]


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
    if styles and total <= 0:
        raise ValueError("style weights must have a positive sum")
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


@dataclass
class StageResult:
    """Outcome of one stage: best image (RGB [0, 1]), its loss, history, how it ended."""

    image: np.ndarray
    best_loss: float
    initial_loss: float
    history: list[dict[str, float]]
    steps: int
    evaluations: int
    stopped: str | None = None  # None, "callback", "interrupt" or "diverged"
    lbfgs_scale: float | None = None  # L-BFGS's last γ (see ``LbfgsResult.scale``)


class Stage:
    """One size of a run: the variable-free loss of ``x`` and its traced gradient."""

    def __init__(self, extractor: FeatureExtractor, targets: Targets, config: Config) -> None:
        self.extractor, self.targets, self.config = extractor, targets, config
        self.low, self.high = bounds(config)
        self.traces = 0

        @tf.function
        def loss_and_grad(x: tf.Tensor) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
            self.traces += 1  # runs only while tracing
            with tf.GradientTape() as tape:
                tape.watch(x)
                losses = compute_losses(self.to_vgg(x), extractor, targets, config)
            return losses, tape.gradient(losses["total"], x)

        self.loss_and_grad = loss_and_grad

    def to_vgg(self, x: tf.Tensor) -> tf.Tensor:
        return to_vgg(x) if self.config.space == "pixels" else x

    def to_pixels(self, x: np.ndarray) -> np.ndarray:
        """Optimised tensor ``(1, H, W, 3)`` → RGB float32 ``(H, W, 3)`` in [0, 1]."""
        img = x[0] if self.config.space == "pixels" else from_vgg(x[0])
        return np.clip(img, 0.0, 1.0).astype(np.float32)

    def from_pixels(self, img: np.ndarray) -> np.ndarray:
        x = img if self.config.space == "pixels" else to_vgg(img)
        return np.asarray(x, np.float32)[None]


def _floats(losses: Mapping[str, tf.Tensor]) -> dict[str, float]:
    return {k: float(v) for k, v in losses.items()}


class _Tracker:
    """Keeps the best image and the history; asks the callback whether to stop."""

    def __init__(self, stage: Stage, callback: Callback | None, first_step: int) -> None:
        self.stage, self.callback, self.step = stage, callback, first_step
        self.best_x: np.ndarray | None = None
        self.best_loss = math.inf
        self.initial_loss = math.nan
        self.history: list[dict[str, float]] = []
        self.evaluations = 0

    def observe(self, x: np.ndarray, losses: dict[str, float]) -> None:
        self.evaluations += 1
        if self.evaluations == 1:
            self.initial_loss = losses["total"]
        if math.isfinite(losses["total"]) and losses["total"] < self.best_loss:
            self.best_loss, self.best_x = losses["total"], x.copy()

    def record(self, x: np.ndarray, losses: dict[str, float]) -> bool:
        """Log one step; True when the callback asks to stop."""
        self.step += 1
        self.history.append({"step": self.step, **losses})
        if self.callback is None:
            return False
        return bool(self.callback(self.step, losses, self.stage.to_pixels(x)))

    def result(self, steps: int, stopped: str | None, fallback: np.ndarray) -> StageResult:
        best = self.best_x if self.best_x is not None else fallback
        img = self.stage.to_pixels(best)
        return StageResult(
            img, self.best_loss, self.initial_loss, self.history, steps, self.evaluations, stopped
        )


def train_step(x: tf.Variable, stage: Stage, optimizer: object) -> dict[str, tf.Tensor]:
    """One Adam (or any Keras optimizer) step on ``x``; returns the losses *before* the step.

    Pixels are clipped to the valid range afterwards when ``config.clip`` is set.
    """
    losses, grad = stage.loss_and_grad(tf.convert_to_tensor(x))
    optimizer.apply_gradients([(grad, x)])
    if stage.config.clip:
        x.assign(tf.clip_by_value(x, stage.low, stage.high))
    return losses


def run_adam(
    stage: Stage,
    init: np.ndarray,
    steps: int,
    callback: Callback | None = None,
    first_step: int = 0,
) -> StageResult:
    """Optimise with Adam for ``steps`` steps from ``init`` (``(1, H, W, 3)`` in ``space``)."""
    import keras

    cfg = stage.config

    def adam(scale: float) -> keras.optimizers.Optimizer:
        lr: object = cfg.learning_rate * scale
        if cfg.lr_decay_steps:
            lr = keras.optimizers.schedules.ExponentialDecay(
                cfg.learning_rate * scale, cfg.lr_decay_steps, cfg.lr_decay_rate
            )
        return keras.optimizers.Adam(lr, beta_1=cfg.adam_beta1, epsilon=cfg.adam_epsilon)

    scale, retries = 1.0, 0
    opt = adam(scale)
    x = tf.Variable(init, dtype=tf.float32)
    tracker = _Tracker(stage, callback, first_step)
    stopped = None
    try:
        while len(tracker.history) < steps:
            before = x.numpy()
            losses = _floats(train_step(x, stage, opt))
            tracker.observe(before, losses)
            if not math.isfinite(losses["total"]) or not np.isfinite(x.numpy()).all():
                # Divergence: back to the best image, a fresh Adam at a lower rate; give up
                # after DIVERGENCE_RETRIES tries.
                if retries == DIVERGENCE_RETRIES:
                    stopped = "diverged"
                    break
                retries, scale = retries + 1, scale * DIVERGENCE_LR_FACTOR
                x.assign(tracker.best_x if tracker.best_x is not None else init)
                opt = adam(scale)
                warnings.warn(
                    f"the loss became non-finite at step {tracker.step + 1}; went back to the "
                    f"best image so far and lowered the learning rate to "
                    f"{cfg.learning_rate * scale:.3g}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            if tracker.record(before, losses):
                stopped = "callback"
                break
        else:
            tracker.observe(x.numpy(), _floats(stage.loss_and_grad(tf.convert_to_tensor(x))[0]))
    except KeyboardInterrupt:
        stopped = "interrupt"
    if stopped == "diverged":
        warnings.warn(
            f"the loss became non-finite at step {tracker.step + 1} even at learning rate "
            f"{cfg.learning_rate * scale:.3g}; stopped and kept the best image so far "
            "(lower the learning rate or the loss weights)",
            RuntimeWarning,
            stacklevel=2,
        )
    return tracker.result(len(tracker.history), stopped, init)


class _Stop(Exception):
    pass


def run_lbfgs(
    stage: Stage,
    init: np.ndarray,
    steps: int,
    callback: Callback | None = None,
    first_step: int = 0,
    initial_scale: float | None = None,
) -> StageResult:
    """Optimise with L-BFGS (:func:`nststudy.lbfgs.minimize_box`, float32); its box keeps
    every pixel valid, so there is no clipping step.

    ``steps`` caps the iterations; each iteration costs one loss evaluation, sometimes a few
    (line search). ``initial_scale`` sizes the first step from an earlier, similar stage's
    :attr:`StageResult.lbfgs_scale` (the tiles of a print pass it on).
    """
    tracker = _Tracker(stage, callback, first_step)
    trials: list[tuple[np.ndarray, dict[str, float]]] = []  # this iteration's evaluations

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        losses, grad = stage.loss_and_grad(tf.constant(x))
        floats = _floats(losses)
        tracker.observe(x, floats)
        trials.append((x, floats))
        g = grad.numpy()
        if not math.isfinite(floats["total"]) or not np.isfinite(g).all():
            raise _Stop("diverged")
        return floats["total"], g

    def on_iteration(x: np.ndarray, loss: float) -> bool:
        losses = next(floats for trial, floats in trials if trial is x)  # the accepted trial's
        trials.clear()
        return tracker.record(x, losses)

    low, high = (stage.low, stage.high) if stage.config.clip else (-np.inf, np.inf)
    stopped, scale = None, None
    try:
        cfg = stage.config
        run = minimize_box(
            fun, init, low, high, max_iterations=steps, memory=cfg.lbfgs_memory,
            history=cfg.lbfgs_history, callback=on_iteration, initial_scale=initial_scale,
        )  # fmt: skip
        stopped, scale = ("callback" if run.stopped == "callback" else None), run.scale
    except _Stop:
        stopped = "diverged"
        warnings.warn(
            f"the loss became non-finite at evaluation {tracker.evaluations}; L-BFGS stopped "
            "and kept the best image so far (lower the loss weights or use optimizer='adam')",
            RuntimeWarning,
            stacklevel=2,
        )
    except KeyboardInterrupt:
        stopped = "interrupt"
    result = tracker.result(len(tracker.history), stopped, init)
    result.lbfgs_scale = scale
    return result
