"""Checkers for the exercises on the losses (notebooks 03, 04, 05 and 07).

Content loss, Gram matrix, style loss, total variation, and each layer's share of the style
loss. Inputs are small random feature maps as TensorFlow tensors (imported only when a check
runs); the references are :mod:`nststudy.losses`. Re-exported by :mod:`nststudy.exercises`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ._checking import (
    Case,
    CheckResult,
    _as_array,
    _call,
    _Fail,
    as_f64,
    fixed_rng,
    random_images,
    run_check,
)

__all__ = [
    "check_content_loss",
    "check_gram",
    "check_layer_shares",
    "check_style_loss",
    "check_tv_loss",
]


def _features() -> list[tuple[str, Any]]:
    import tensorflow as tf

    rng = fixed_rng()
    shapes = [(1, 4, 5, 3), (1, 6, 6, 8), (1, 3, 7, 16)]
    return [(f"F of shape {s}", tf.constant(rng.gamma(1.0, 1.0, s), tf.float32)) for s in shapes]


def _gram_np(f: Any, norm: bool = True) -> np.ndarray:
    f = as_f64(f)
    g = np.einsum("bijc,bijd->bcd", f, f)
    return g / (f.shape[1] * f.shape[2]) if norm else g


def check_content_loss(fn: Any) -> CheckResult:
    """``fn(F, P)`` → scalar ``mean((F − P)²)`` for feature maps ``(1, H, W, C)`` (tf tensors)."""
    import tensorflow as tf

    from .losses import content_loss

    def cases() -> list[Case]:
        pairs = [(d, f, tf.reverse(f, axis=[2]) * 0.8) for d, f in _features()]
        return [
            (f"{d}, P of the same shape", (f, p), as_f64(content_loss(f, p))) for d, f, p in pairs
        ]

    d = lambda f, p: as_f64(f) - as_f64(p)  # noqa: E731
    mistakes = [
        (
            "use the mean of the squared differences (tf.reduce_mean), not the sum",
            lambda f, p: np.sum(d(f, p) ** 2),
        ),
        (
            "the paper's ½·sum is another normalisation: use the mean (MSE)",
            lambda f, p: 0.5 * np.sum(d(f, p) ** 2),
        ),
        (
            "no square root: the content loss is the mean squared error, not its root",
            lambda f, p: np.sqrt(np.mean(d(f, p) ** 2)),
        ),
        (
            "square the differences instead of taking their absolute value",
            lambda f, p: np.mean(np.abs(d(f, p))),
        ),
    ]
    return run_check("content_loss", fn, cases, mistakes, "tf.reduce_mean(tf.square(F - P))")


def check_gram(fn: Any) -> CheckResult:
    """``fn(F)`` for ``F`` ``(1, H, W, C)`` → ``(1, C, C)`` Gram matrix divided by H·W.

    ``(C, C)`` is accepted for a batch of one. Inputs are tf tensors.
    """
    from .losses import gram_matrix

    def cases() -> list[Case]:
        return [(d, (f,), as_f64(gram_matrix(f))) for d, f in _features()]

    hw = lambda f: as_f64(f).shape[1] * as_f64(f).shape[2]  # noqa: E731
    mistakes = [
        (
            "divide by H·W, the number of positions: without it the Gram grows with image size",
            lambda f: _gram_np(f, norm=False),
        ),
        ("divide by H·W only, not H·W·C", lambda f: _gram_np(f) / as_f64(f).shape[3]),
        ("divide by H·W (positions), not by C", lambda f: _gram_np(f) * hw(f) / as_f64(f).shape[3]),
        ("divide by H·W, not by (H·W)²", lambda f: _gram_np(f) / hw(f)),
    ]
    hint = "G = tf.einsum('bijc,bijd->bcd', F, F) / (H * W)"
    return run_check("gram", fn, cases, mistakes, hint)


def check_style_loss(fn: Any) -> CheckResult:
    """``fn(F, A)`` → ``mean((G − A)²)``, ``G`` the Gram of ``F`` (÷H·W), ``A`` ``(1, C, C)``."""
    import tensorflow as tf

    from .losses import gram_matrix, style_loss

    def cases() -> list[Case]:
        out = []
        for d, f in _features():
            a = gram_matrix(tf.sqrt(f + 0.5))
            out.append(
                (f"{d}, target Gram of shape {tuple(a.shape)}", (f, a), as_f64(style_loss(f, a)))
            )
        return out

    diff = lambda f, a: _gram_np(f) - as_f64(a)  # noqa: E731
    mistakes = [
        (
            "use the mean of the squared differences, not the sum",
            lambda f, a: np.sum(diff(f, a) ** 2),
        ),
        (
            "don't divide by 4C² as well: the mean already divides by C² (the article's double "
            "normalisation)",
            lambda f, a: np.mean(diff(f, a) ** 2) / (4 * as_f64(f).shape[3] ** 2),
        ),
        (
            "your Gram matrix is missing the division by H·W",
            lambda f, a: np.mean((_gram_np(f, norm=False) - as_f64(a)) ** 2),
        ),
        (
            "no square root: it is the mean of squared differences",
            lambda f, a: np.sqrt(np.mean(diff(f, a) ** 2)),
        ),
        (
            "square the differences instead of taking their absolute value",
            lambda f, a: np.mean(np.abs(diff(f, a))),
        ),
    ]
    return run_check("style_loss", fn, cases, mistakes, "tf.reduce_mean(tf.square(gram(F) - A))")


def check_tv_loss(fn: Any) -> CheckResult:
    """``fn(img)`` for ``(1, H, W, 3)`` → ``sum|Δy| + sum|Δx|`` (``tf.image.total_variation``)."""
    import tensorflow as tf

    from .losses import total_variation_loss

    def cases() -> list[Case]:
        imgs = [(d, tf.constant(x[None])) for d, x in random_images()]
        return [(d.replace("(", "(1, ", 1), (x,), as_f64(total_variation_loss(x))) for d, x in imgs]

    dy = lambda x: np.diff(as_f64(x), axis=1)  # noqa: E731
    dx = lambda x: np.diff(as_f64(x), axis=2)  # noqa: E731
    mistakes = [
        (
            "total variation uses absolute differences (L1), not squares",
            lambda x: np.sum(dy(x) ** 2) + np.sum(dx(x) ** 2),
        ),
        (
            "sum the absolute differences, don't average them",
            lambda x: np.mean(np.abs(dy(x))) + np.mean(np.abs(dx(x))),
        ),
        (
            "that is the article's mean of squared gradients; use the sum of absolute ones",
            lambda x: (np.sum(dy(x) ** 2) + np.sum(dx(x) ** 2)) / as_f64(x).size,
        ),
        (
            "add both directions: vertical (rows) and horizontal (columns) differences",
            lambda x: np.sum(np.abs(dy(x))),
        ),
        (
            "add both directions: vertical (rows) and horizontal (columns) differences",
            lambda x: np.sum(np.abs(dx(x))),
        ),
    ]
    hint = "tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1])) + the same along the width"
    return run_check("tv_loss", fn, cases, mistakes, hint)


def check_layer_shares(fn: Any) -> CheckResult:
    """``fn({layer: loss})`` → ``{layer: share}``: each loss over the total (≥ 0, sum 1)."""
    dicts = [
        {"block1_conv1": 3.0, "block2_conv1": 1.0, "block3_conv1": 4.0, "block4_conv1": 2.0},
        {"block1_conv1": 0.02, "block5_conv1": 0.5},
        {"block3_conv1": 7.0},
    ]

    def as_vector(d: dict[str, float]) -> Callable[[Any], np.ndarray]:
        def convert(out: Any) -> np.ndarray:
            if not isinstance(out, dict):
                raise _Fail(
                    f"expected a dict {{layer: share}}, got {type(out).__name__}",
                    "return {layer: loss / total for layer, loss in losses.items()}",
                )
            if set(out) != set(d):
                raise _Fail(f"expected the keys {sorted(d)}, got {sorted(out)}")
            return np.array([float(_as_array(out[k])) for k in d])

        return convert

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda d: as_vector(d)(_call(f, (dict(d),)))

    total = lambda d: sum(d.values())  # noqa: E731
    cases = lambda: [(str(d), (d,), [v / total(d) for v in d.values()]) for d in dicts]  # noqa: E731
    mistakes = [
        ("divide each loss by the total, so the shares sum to 1", lambda d: list(d.values())),
        (
            "shares are fractions that sum to 1, not percentages",
            lambda d: [100 * v / total(d) for v in d.values()],
        ),
    ]
    hint = "total = sum(losses.values()); share = loss / total"
    return run_check("layer_shares", fn, cases, mistakes, hint, atol=1e-6, wrap=wrap)
