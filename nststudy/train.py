"""The optimisation: one Adam step, the Adam loop, and an L-BFGS driver.

A run paints one image at one size (a *stage*); :func:`nststudy.stylize` chains stages for
coarse-to-fine. Inside a stage the optimiser changes a tensor ``x`` of shape ``(1, H, W, 3)``:
RGB pixels in [0, 1] (``space="pixels"``) or the VGG input (``space="vgg"``). The loss always
sees the VGG input, so both spaces share one loss function: :mod:`nststudy.objective`'s
targets and weighted terms, re-exported here.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np
import tensorflow as tf

from ._heap import trim_heap
from .config import Config
from .images import from_vgg, to_vgg
from .lbfgs import minimize_box
from .objective import (
    OUTSIDE_CONTENT_BOOST,
    Targets,
    bounds,
    compute_losses,
    layer_masks,
    make_targets,
)
from .vgg import FeatureExtractor

__all__ = [
    "OUTSIDE_CONTENT_BOOST",
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
        self._traces = [0]
        self.low, self.high = bounds(config)
        # the traced function must not hold ``self`` (a cycle: the stage's graph and targets
        # would wait for Python's cycle collector), so it closes over these two instead
        traces, pixels = self._traces, config.space == "pixels"

        @tf.function
        def loss_and_grad(x: tf.Tensor) -> tuple[dict[str, tf.Tensor], tf.Tensor]:
            traces[0] += 1  # runs only while tracing
            with tf.GradientTape() as tape:
                tape.watch(x)
                losses = compute_losses(to_vgg(x) if pixels else x, extractor, targets, config)
            return losses, tape.gradient(losses["total"], x)

        self.loss_and_grad = loss_and_grad

    @property
    def traces(self) -> int:
        """How many times ``loss_and_grad`` was traced (1 per shape: no retracing)."""
        return self._traces[0]

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
        trim_heap()  # between steps: the heap's free pages back to the system (_heap)
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
    """Optimise with Adam for ``steps`` steps from ``init`` (``(1, H, W, 3)`` in ``space``).

    Step ``k`` of the history (and of the callback) is the image after ``k`` steps and its
    loss, as :func:`run_lbfgs` logs its iterations; ``steps + 1`` evaluations in all.
    """
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
    stopped, stepped = None, False  # stepped: x is a step's result, its loss not yet logged
    try:
        while True:
            now = x.numpy()
            evaluated, grad = stage.loss_and_grad(tf.convert_to_tensor(x))
            losses = _floats(evaluated)
            tracker.observe(now, losses)
            if not math.isfinite(losses["total"]) or not np.isfinite(now).all():
                # Divergence: back to the best image, a fresh Adam at a lower rate; give up
                # after DIVERGENCE_RETRIES tries.
                if retries == DIVERGENCE_RETRIES:
                    stopped = "diverged"
                    break
                retries, scale = retries + 1, scale * DIVERGENCE_LR_FACTOR
                x.assign(tracker.best_x if tracker.best_x is not None else init)
                opt, stepped = adam(scale), False
                warnings.warn(
                    f"the loss became non-finite at step {tracker.step + 1}; went back to the "
                    f"best image so far and lowered the learning rate to "
                    f"{cfg.learning_rate * scale:.3g}",
                    RuntimeWarning,
                    stacklevel=2,
                )
                continue
            # step k is logged with the loss of the image after k steps (as L-BFGS logs its
            # iterations), known when step k + 1 evaluates it: no extra evaluation
            if stepped and tracker.record(now, losses):
                stopped = "callback"
                break
            if len(tracker.history) >= steps:
                break
            opt.apply_gradients([(grad, x)])
            if cfg.clip:
                x.assign(tf.clip_by_value(x, stage.low, stage.high))
            stepped = True
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
