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
    uses,
)
from .i18n import t

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
    return [
        (t("check.case.features", shape=s), tf.constant(rng.gamma(1.0, 1.0, s), tf.float32))
        for s in shapes
    ]


def _gram_np(f: Any, norm: bool = True) -> np.ndarray:
    f = as_f64(f)
    g = np.einsum("bijc,bijd->bcd", f, f)
    return g / (f.shape[1] * f.shape[2]) if norm else g


def _with_gradient(result: CheckResult, fn: Any, cases: Callable[[], list[Case]]) -> CheckResult:
    """A loss the optimiser can use: once the values are right, ``fn`` must also pass
    TensorFlow's gradient back to its first argument (NumPy, ``.numpy()`` or ``float()``
    inside it gives the right numbers but no gradient: nothing would train)."""
    if not result.passed:
        return result
    import tensorflow as tf

    todo = cases()
    _, args, _ = todo[0]
    first = tf.convert_to_tensor(args[0])
    try:
        with tf.GradientTape() as tape:
            tape.watch(first)
            out = fn(first, *args[1:])
        grad = tape.gradient(out, first) if tf.is_tensor(out) else None
    except Exception:  # e.g. NumPy refusing a watched tensor: no gradient either
        grad = None
    if grad is None or not bool(tf.reduce_all(tf.math.is_finite(grad))):
        message = t("check.no_gradient", n=len(todo))
        return CheckResult(result.name, False, message, t("check.hint.no_gradient"))
    return result


def check_content_loss(fn: Any) -> CheckResult:
    """``fn(F, P)`` → scalar ``mean((F − P)²)`` for feature maps ``(1, H, W, C)`` (tf tensors)."""
    import tensorflow as tf

    from .losses import content_loss

    def cases() -> list[Case]:
        pairs = [(d, f, tf.reverse(f, axis=[2]) * 0.8) for d, f in _features()]
        return [
            (t("check.case.content", features=d), (f, p), as_f64(content_loss(f, p)))
            for d, f, p in pairs
        ]

    d = lambda f, p: as_f64(f) - as_f64(p)  # noqa: E731
    mistakes = [
        (t("check.content_loss.sum"), lambda f, p: np.sum(d(f, p) ** 2)),
        (t("check.content_loss.half_sum"), lambda f, p: 0.5 * np.sum(d(f, p) ** 2)),
        (t("check.content_loss.root"), lambda f, p: np.sqrt(np.mean(d(f, p) ** 2))),
        (t("check.hint.square_not_abs"), lambda f, p: np.mean(np.abs(d(f, p)))),
    ]
    result = run_check("content_loss", fn, cases, mistakes, "tf.reduce_mean(tf.square(F - P))")
    return _with_gradient(result, fn, cases)


def check_gram(fn: Any) -> CheckResult:
    """``fn(F)`` for ``F`` ``(1, H, W, C)`` → ``(1, C, C)`` Gram matrix divided by H·W.

    ``(C, C)`` is accepted for a batch of one. Inputs are tf tensors.
    """
    from .losses import gram_matrix

    def cases() -> list[Case]:
        return [(d, (f,), as_f64(gram_matrix(f))) for d, f in _features()]

    hw = lambda f: as_f64(f).shape[1] * as_f64(f).shape[2]  # noqa: E731
    mistakes = [
        (t("check.gram.not_divided"), lambda f: _gram_np(f, norm=False)),
        (t("check.gram.hwc"), lambda f: _gram_np(f) / as_f64(f).shape[3]),
        (t("check.gram.by_c"), lambda f: _gram_np(f) * hw(f) / as_f64(f).shape[3]),
        (t("check.gram.hw_squared"), lambda f: _gram_np(f) / hw(f)),
    ]
    hint = "G = tf.einsum('bijc,bijd->bcd', F, F) / (H * W)"
    return _with_gradient(run_check("gram", fn, cases, mistakes, hint), fn, cases)


def check_style_loss(fn: Any) -> CheckResult:
    """``fn(F, A)`` → ``mean((G − A)²)``, ``G`` the Gram of ``F`` (÷H·W), ``A`` ``(1, C, C)``."""
    import tensorflow as tf

    from .losses import gram_matrix, style_loss

    def cases() -> list[Case]:
        out = []
        for d, f in _features():
            a = gram_matrix(tf.sqrt(f + 0.5))
            label = t("check.case.style", features=d, shape=tuple(a.shape))
            out.append((label, (f, a), as_f64(style_loss(f, a))))
        return out

    diff = lambda f, a: _gram_np(f) - as_f64(a)  # noqa: E731
    mistakes = [
        (t("check.style_loss.sum"), lambda f, a: np.sum(diff(f, a) ** 2)),
        (
            t("check.style_loss.four_c2"),
            lambda f, a: np.mean(diff(f, a) ** 2) / (4 * as_f64(f).shape[3] ** 2),
        ),
        (
            t("check.style_loss.gram_not_divided"),
            lambda f, a: np.mean((_gram_np(f, norm=False) - as_f64(a)) ** 2),
        ),
        (t("check.style_loss.root"), lambda f, a: np.sqrt(np.mean(diff(f, a) ** 2))),
        (t("check.hint.square_not_abs"), lambda f, a: np.mean(np.abs(diff(f, a)))),
    ]
    hint = "tf.reduce_mean(tf.square(gram(F) - A))"
    return _with_gradient(run_check("style_loss", fn, cases, mistakes, hint), fn, cases)


def check_tv_loss(fn: Any) -> CheckResult:
    """``fn(img)`` for ``(1, H, W, 3)`` → ``sum|Δy| + sum|Δx|`` (``tf.image.total_variation``)."""
    import tensorflow as tf

    from .losses import total_variation_loss

    def cases() -> list[Case]:
        imgs = [tf.constant(x[None]) for _, x in random_images()]
        return [
            (t("check.case.image", shape=tuple(x.shape)), (x,), as_f64(total_variation_loss(x)))
            for x in imgs
        ]

    dy = lambda x: np.diff(as_f64(x), axis=1)  # noqa: E731
    dx = lambda x: np.diff(as_f64(x), axis=2)  # noqa: E731
    mistakes = [
        (t("check.tv_loss.squares"), lambda x: np.sum(dy(x) ** 2) + np.sum(dx(x) ** 2)),
        (t("check.tv_loss.mean"), lambda x: np.mean(np.abs(dy(x))) + np.mean(np.abs(dx(x)))),
        (
            t("check.tv_loss.article"),
            lambda x: (np.sum(dy(x) ** 2) + np.sum(dx(x) ** 2)) / as_f64(x).size,
        ),
        (t("check.tv_loss.one_direction"), lambda x: np.sum(np.abs(dy(x)))),
        (t("check.tv_loss.one_direction"), lambda x: np.sum(np.abs(dx(x)))),
    ]
    hint = t("check.tv_loss.hint")
    if called := uses(fn, {"total_variation", "total_variation_loss"}):
        return CheckResult("tv_loss", False, t("check.forbidden", function=called), hint)
    return _with_gradient(run_check("tv_loss", fn, cases, mistakes, hint), fn, cases)


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
                    t("check.layer_shares.not_a_dict", kind=type(out).__name__),
                    "return {layer: loss / total for layer, loss in losses.items()}",
                )
            if set(out) != set(d):
                raise _Fail(t("check.layer_shares.keys", expected=sorted(d), got=sorted(out)))
            return np.array([float(_as_array(out[k])) for k in d])

        return convert

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda d: as_vector(d)(_call(f, (dict(d),)))

    total = lambda d: sum(d.values())  # noqa: E731
    cases = lambda: [(str(d), (d,), [v / total(d) for v in d.values()]) for d in dicts]  # noqa: E731
    mistakes = [
        (t("check.layer_shares.not_divided"), lambda d: list(d.values())),
        (t("check.layer_shares.percent"), lambda d: [100 * v / total(d) for v in d.values()]),
    ]
    hint = "total = sum(losses.values()); share = loss / total"
    return run_check("layer_shares", fn, cases, mistakes, hint, atol=1e-6, wrap=wrap)
