"""One frozen dataclass holds every setting of a run; named presets give good starting points.

>>> from nststudy import PRESETS
>>> cfg = PRESETS["default"].replace(style_weight=0.05)
>>> cfg.size
512

Presets:

- ``article`` — the source article's code: content ``block5_conv2``, weights 1e3 / 1e2 / 30,
  its double-normalised style loss and squared-gradient TV, Adam with
  ``ExponentialDecay(2.0, decay_steps=100, decay_rate=0.99)`` on the VGG-preprocessed image,
  initialised from the content photo; one size (its coarse-to-fine was never implemented).
  One bug is fixed even here: the image is clipped to the valid range after every step
  (``clip=True``, as in every preset), so that what is saved is what was scored; notebook 09
  sets ``clip=False`` to show the article's own behaviour.
- ``tutorial`` — the tensorflow.org recipe: Adam(lr 0.02, β1 0.99, ε 0.1), style 1e-2,
  content 1e4, TV 30, pixels in [0, 1], 1000 steps at 512 px.
- ``default`` — nststudy's choice for quality per second on a CPU: L-BFGS from the photo,
  the paper's ``conv4_2`` content layer at weight 1e3 (style 1e-2, TV 30: at the tutorial's
  1e4 this layer held a real painting's style back — Starry Night on Tübingen came out nearly
  the photo, the style loss down by a fifth, ``benchmarks/README.md``, session 13), one size
  (512 px, 100 iterations: the painting is made by then — its loss 2.7 % above 200
  iterations', 3.8 % above 300's, the pictures alike at 2× zoom, in half the time;
  ``benchmarks/README.md``, session 14). Coarse-to-fine was measured and left out: the
  ``conv4_1`` Gram term, ~99% of the starting loss, depends on the scale, so a smaller
  stage's result, upsampled, starts the full-size stage barely lower than the photo does
  (see ``benchmarks/README.md``). Its precision is ``"auto"``: bfloat16 on CPUs with AMX
  (the issue measured VGG19 1.9× faster in it on a CPU that most likely had AMX: without AMX
  it was slower here; L-BFGS converges the same), float32 elsewhere.
- ``preview`` — ``default`` at 256 px with 20 iterations, for a quick look: the look is there by
  then (its own loss 1.15× the 150th iteration's, the pictures alike; 50 iterations were 1.06×
  in twice the time; ``benchmarks/README.md``, session 18).
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any, Literal

from ._config_checks import CHOICES, EXAMPLES, number, sequence, whole
from ._cpu import resolve_precision
from ._env import env_flag
from .vgg import canonical_layer

__all__ = ["PRESETS", "STYLE_LAYERS", "Config", "fast_mode", "get_preset", "pick"]

#: The five style layers of Gatys et al. (``conv1_1`` … ``conv5_1``).
STYLE_LAYERS = ("block1_conv1", "block2_conv1", "block3_conv1", "block4_conv1", "block5_conv1")


@dataclass(frozen=True)
class Config:
    """Every setting of one style-transfer run.

    Attributes:
        name: preset name, for reports.
        content_layers: VGG19 layers compared with the photo (Keras or paper names).
        style_layers: layers whose Gram matrices are compared with the style image.
        style_layer_weights: relative weight of each style layer (``None`` = equal); the
            weights are normalised to sum to 1.
        content_weight: multiplier of the content loss (the field's 1e4 is the tutorial's;
            the ``default`` preset uses 1e3, see ``PRESETS``).
        style_weight: multiplier of the style loss.
        tv_weight: multiplier of the total-variation loss.
        formulas: ``"standard"`` (tutorial normalisations) or ``"article"`` (its variants).
        space: what the optimiser changes: ``"pixels"`` (RGB in [0, 1]) or ``"vgg"`` (the
            BGR, mean-subtracted VGG input, 0–255 scale, as the article does).
        optimizer: ``"adam"`` or ``"lbfgs"`` (:mod:`nststudy.lbfgs`, bounds keep pixels valid).
        learning_rate: Adam's initial learning rate, in units of ``space``.
        lr_decay_steps: with ``lr_decay_rate``, exponential decay of the learning rate;
            ``None`` keeps it constant.
        lr_decay_rate: decay factor per ``lr_decay_steps`` steps.
        adam_beta1: Adam's β1.
        adam_epsilon: Adam's ε.
        lbfgs_memory: curvature pairs L-BFGS keeps (each pair: two copies of the image).
        lbfgs_history: how L-BFGS stores them: ``"float16"`` (each vector scaled by its
            largest value; see :mod:`nststudy.lbfgs`) or ``"float32"`` (twice the memory).
            The default, 40 pairs in float16, takes the memory of 20 in float32 and reaches
            the tutorial's loss in 13 % fewer evaluations at 512 px than 10 float32 pairs
            (255 against 294; ``benchmarks/README.md``, sessions 9 and 12).
        sizes: coarse-to-fine schedule, longest side in pixels, e.g. ``(256, 512)``; the last
            is the output size.
        steps: optimiser steps (L-BFGS: iterations) at each size; same length as ``sizes``.
        init: start from the ``"content"`` photo or from ``"noise"``.
        seed: random seed (noise init); same seed, threads and precision → same output.
        precision: VGG19's arithmetic: ``"float32"``, ``"bfloat16"``, or ``"auto"`` (the
            ``default`` and ``preview`` presets): bfloat16 on CPUs with AMX (where the issue
            measured VGG19 1.9× faster in it), float32 elsewhere (see :mod:`nststudy._cpu`).
            A run records the precision it used (:meth:`resolved`), never ``"auto"``.
        style_scale: style image's longest side relative to the working size (>1 = bigger
            brush strokes relative to the picture, <1 = finer ones: the Gram statistics match
            features of a fixed size in pixels, and a larger style image has larger strokes).
        clip: keep pixels in the valid range after every step.
        preserve_colors: after painting, give the picture the photo's colours:
            ``"luminance"`` (keep the painting's brightness, take the photo's chroma in YIQ) or
            ``"histogram"`` (match each channel's histogram to the photo's); ``None`` = off.
            See :func:`nststudy.postprocess.preserve_colors`.
        strokes: NL-means "stroke enhancement" strength applied to the final picture, 0 (off)
            to 1 (strong); smooths fine noise into flat patches, so strokes read larger and
            cleaner, but fine texture is lost too. See :func:`nststudy.postprocess.enhance_strokes`.
    """

    name: str = "custom"
    content_layers: tuple[str, ...] = ("block4_conv2",)
    style_layers: tuple[str, ...] = STYLE_LAYERS
    style_layer_weights: tuple[float, ...] | None = None
    content_weight: float = 1e4
    style_weight: float = 1e-2
    tv_weight: float = 30.0
    formulas: Literal["standard", "article"] = "standard"
    space: Literal["pixels", "vgg"] = "pixels"
    optimizer: Literal["adam", "lbfgs"] = "lbfgs"
    learning_rate: float = 0.02
    lr_decay_steps: int | None = None
    lr_decay_rate: float = 1.0
    adam_beta1: float = 0.9
    adam_epsilon: float = 1e-7
    lbfgs_memory: int = 40
    lbfgs_history: Literal["float32", "float16"] = "float16"
    sizes: tuple[int, ...] = (256, 512)
    steps: tuple[int, ...] = (60, 40)
    init: Literal["content", "noise"] = "content"
    seed: int = 0
    precision: Literal["float32", "bfloat16", "auto"] = "float32"
    style_scale: float = 1.0
    clip: bool = True
    preserve_colors: Literal["luminance", "histogram"] | None = None
    strokes: float = 0.0

    def __post_init__(self) -> None:
        fix = object.__setattr__
        for field, example in EXAMPLES.items():
            fix(self, field, sequence(field, getattr(self, field), example))
        fix(self, "content_layers", tuple(canonical_layer(n) for n in self.content_layers))
        fix(self, "style_layers", tuple(canonical_layer(n) for n in self.style_layers))
        for field in ("content_layers", "style_layers"):
            layers = getattr(self, field)
            if len(set(layers)) < len(layers):  # conv1_1 and block1_conv1 are one layer
                twice = next(n for n in layers if layers.count(n) > 1)
                raise ValueError(f"{field} names {twice} twice; list each layer once")
        fix(self, "sizes", tuple(whole("sizes", s) for s in self.sizes))
        fix(self, "steps", tuple(whole("steps", s) for s in self.steps))
        for field in ("lbfgs_memory", "seed") + (("lr_decay_steps",) * bool(self.lr_decay_steps)):
            fix(self, field, whole(field, getattr(self, field)))
        if self.seed < 0:  # (NumPy's generators take none)
            raise ValueError(f"seed must be a whole number >= 0, got {self.seed}")
        if self.clip not in (True, False):  # (a settings file's "false" is truthy)
            raise ValueError(f"clip must be True or False, got {self.clip!r}")
        fix(self, "clip", bool(self.clip))
        for field, options in CHOICES.items():
            value = getattr(self, field)
            if value not in options:
                raise ValueError(f"{field} must be one of {', '.join(options)}; got {value!r}")
        if not self.content_layers and not self.style_layers:
            raise ValueError("give at least one content or style layer")
        for field in ("content_weight", "style_weight", "tv_weight", "adam_beta1"):
            number(field, getattr(self, field))
        for field in ("learning_rate", "lr_decay_rate", "adam_epsilon", "style_scale"):
            number(field, getattr(self, field), strict=True)
        if self.adam_beta1 >= 1:
            raise ValueError(f"adam_beta1 must be below 1, got {self.adam_beta1}")
        if self.style_layer_weights is not None:
            for w in self.style_layer_weights:
                number("style_layer_weights", w)
            weights = tuple(float(w) for w in self.style_layer_weights)
            fix(self, "style_layer_weights", weights)
            if len(weights) != len(self.style_layers):
                raise ValueError(
                    f"style_layer_weights has {len(weights)} entries for "
                    f"{len(self.style_layers)} style layers; give one weight per layer"
                )
            if min(weights, default=0) < 0 or sum(weights) <= 0:
                raise ValueError("style_layer_weights must be >= 0 with a positive sum")
        if not self.sizes or len(self.sizes) != len(self.steps):
            raise ValueError(
                f"sizes {self.sizes} and steps {self.steps} must be non-empty and of equal length"
            )
        if min(self.sizes) < 32:
            raise ValueError(
                f"every size must be at least 32 px (VGG19 pools 5×), got {self.sizes}"
            )
        if any(b < a for a, b in zip(self.sizes, self.sizes[1:], strict=False)):
            raise ValueError(
                f"sizes {self.sizes} must grow from coarse to fine, e.g. (256, 512): a smaller "
                "stage after a larger one throws its detail away"
            )
        if min(self.steps) < 1:
            raise ValueError(f"every stage needs at least 1 step, got steps={self.steps}")
        if self.preserve_colors not in (None, "luminance", "histogram"):
            raise ValueError(
                f"preserve_colors must be None, 'luminance' or 'histogram'; "
                f"got {self.preserve_colors!r}"
            )
        number("strokes", self.strokes)
        if not 0.0 <= self.strokes <= 1.0:
            raise ValueError(f"strokes must be between 0 (off) and 1 (strong), got {self.strokes}")
        if self.lbfgs_memory < 1:
            raise ValueError(f"lbfgs_memory must be >= 1, got {self.lbfgs_memory}")
        if self.lr_decay_steps is not None and self.lr_decay_steps < 1:
            raise ValueError(f"lr_decay_steps must be >= 1 or None, got {self.lr_decay_steps}")

    @property
    def size(self) -> int:
        """Output size: the longest side of the last stage, in pixels."""
        return self.sizes[-1]

    @property
    def total_steps(self) -> int:
        """Steps over all stages."""
        return sum(self.steps)

    def layer_weights(self) -> dict[str, float]:
        """``{style layer: relative weight}`` as given (not normalised)."""
        weights = self.style_layer_weights or (1.0,) * len(self.style_layers)
        return dict(zip(self.style_layers, weights, strict=True))

    def resolved(self) -> Config:
        """This config with ``precision="auto"`` made this machine's choice (``self`` when the
        precision is already ``"float32"`` or ``"bfloat16"``)."""
        if self.precision != "auto":
            return self
        return self.replace(precision=resolve_precision(self.precision))

    def replace(self, **changes: Any) -> Config:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def at_size(self, size: int, steps: int | None = None) -> Config:
        """Rescale the size schedule so the output's longest side is ``size``.

        Earlier stages keep their ratio to the last; stages that would fall under 32 px are
        dropped. ``steps`` (if given) replaces the step count, spread in the same proportions
        and exactly ``steps`` in all (an early stage that rounds to 0 steps is dropped).
        """
        if size < 32:
            raise ValueError(f"size must be at least 32 px, got {size}")
        if steps is not None and steps < 1:
            raise ValueError(f"steps must be at least 1, got {steps}")
        ratio = size / self.size
        pairs = [(round(s * ratio), n) for s, n in zip(self.sizes, self.steps, strict=True)]
        pairs = [(s, n) for s, n in pairs[:-1] if s >= 32 and s < size] + [(size, pairs[-1][1])]
        sizes, counts = zip(*pairs, strict=True)
        if steps is not None:  # the same proportions, exactly ``steps`` in all
            total = sum(counts)
            early = [round(steps * n / total) for n in counts[:-1]]
            while sum(early) >= steps:  # leave the last stage at least one step
                early[early.index(max(early))] -= 1
            counts = (*early, steps - sum(early))
            pairs = [(s, n) for s, n in zip(sizes, counts, strict=True) if n > 0]
            sizes, counts = zip(*pairs, strict=True)
        return self.replace(sizes=tuple(sizes), steps=tuple(counts))


PRESETS: dict[str, Config] = {
    "article": Config(
        name="article",
        content_layers=("block5_conv2",),
        content_weight=1e3,
        style_weight=1e2,
        tv_weight=30.0,
        formulas="article",
        space="vgg",
        optimizer="adam",
        learning_rate=2.0,
        lr_decay_steps=100,
        lr_decay_rate=0.99,
        sizes=(512,),
        steps=(1000,),
    ),
    "tutorial": Config(
        name="tutorial",
        content_layers=("block5_conv2",),
        content_weight=1e4,
        style_weight=1e-2,
        tv_weight=30.0,
        optimizer="adam",
        learning_rate=0.02,
        adam_beta1=0.99,
        adam_epsilon=0.1,
        sizes=(512,),
        steps=(1000,),
    ),
    "default": Config(
        name="default", content_weight=1e3, sizes=(512,), steps=(100,), precision="auto"
    ),
}
PRESETS["preview"] = PRESETS["default"].at_size(256, steps=20).replace(name="preview")


def get_preset(name: str) -> Config:
    """The preset called ``name``; a ``ValueError`` lists the valid names."""
    if name in PRESETS:
        return PRESETS[name]
    close = difflib.get_close_matches(name, PRESETS, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(f"unknown preset {name!r}{hint}; choose one of: {', '.join(PRESETS)}")


def fast_mode() -> bool:
    """True when ``NSTSTUDY_FAST=1``: notebooks use tiny sizes and step counts (CI's setting)."""
    return env_flag("NSTSTUDY_FAST")


def pick(full: Any, fast: Any) -> Any:
    """``full`` for learners, ``fast`` under ``NSTSTUDY_FAST=1`` (so CI runs every notebook)."""
    return fast if fast_mode() else full
