"""Checkers for the exercises on the network and its optimiser (notebooks 02, 06 and 09).

The shape of VGG19's feature maps at a given layer, and the article's learning-rate schedule.
Re-exported by :mod:`nststudy.exercises`.
"""

from __future__ import annotations

from typing import Any

from ._checking import Case, CheckResult, run_check
from .i18n import t
from .vgg import ALL_LAYERS

__all__ = ["check_feature_shape", "check_lr_schedule"]

_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def _feature_shape(layer: str, h: int, w: int) -> tuple[int, int, int]:
    block = int(layer[5])
    pools = block if layer.endswith("pool") else block - 1
    return h // 2**pools, w // 2**pools, _CHANNELS[block]


def check_feature_shape(fn: Any) -> CheckResult:
    """``fn(layer_name, height, width)`` → ``(H', W', C)`` of VGG19's output at that layer.

    Layer names are Keras spellings (``"block4_conv2"``, ``"block3_pool"``). Each 2×2 pooling
    halves the size (rounding down); convolutions keep it (``padding="same"``).
    """
    picks = [
        "block1_conv1",
        "block2_conv1",
        "block3_conv4",
        "block4_conv2",
        "block5_conv1",
        "block3_pool",
        "block5_pool",
    ]
    dims = [(224, 224), (256, 384), (300, 201)]

    def cases() -> list[Case]:
        return [
            (f"layer={n!r}, height={h}, width={w}", (n, h, w), _feature_shape(n, h, w))
            for (h, w) in dims
            for n in picks
            if n in ALL_LAYERS
        ]

    mistakes = [
        (t("check.feature_shape.no_pooling"), lambda n, h, w: (h, w, _feature_shape(n, h, w)[2])),
        (t("check.feature_shape.channels"), lambda n, h, w: (*_feature_shape(n, h, w)[:2], 64)),
        (
            t("check.feature_shape.channels"),
            lambda n, h, w: (*_feature_shape(n, h, w)[:2], 64 * 2 ** (int(n[5]) - 1)),
        ),
        (
            t("check.feature_shape.count_poolings"),
            lambda n, h, w: (h // 2 ** int(n[5]), w // 2 ** int(n[5]), _feature_shape(n, h, w)[2]),
        ),
        (  # every layer as a conv: a pool layer's own pooling left out
            t("check.feature_shape.own_pool"),
            lambda n, h, w: (
                h // 2 ** (int(n[5]) - 1),
                w // 2 ** (int(n[5]) - 1),
                _feature_shape(n, h, w)[2],
            ),
        ),
        (
            t("check.feature_shape.round_down"),
            lambda n, h, w: (
                -(-h // 2 ** (int(n[5]) - ("conv" in n))),
                -(-w // 2 ** (int(n[5]) - ("conv" in n))),
                _feature_shape(n, h, w)[2],
            ),
        ),
    ]
    return run_check(
        "feature_shape",
        fn,
        cases,
        mistakes,
        t("check.feature_shape.hint"),
        atol=0,
        rtol=0,
    )


def check_lr_schedule(fn: Any) -> CheckResult:
    """``fn(step)`` → ``2.0 * 0.99 ** (step / 100)``: the article's ``ExponentialDecay``."""
    steps = [0, 1, 50, 100, 250, 1000, 5000]
    ref = lambda s: 2.0 * 0.99 ** (s / 100)  # noqa: E731
    mistakes = [
        (t("check.lr_schedule.staircase"), lambda s: 2.0 * 0.99 ** (s // 100)),
        (t("check.lr_schedule.exponent"), lambda s: 2.0 * 0.99**s),
        (t("check.lr_schedule.initial"), lambda s: ref(s) / 2.0),
    ]
    cases = lambda: [(f"step={s}", (s,), ref(s)) for s in steps]  # noqa: E731
    return run_check(
        "lr_schedule", fn, cases, mistakes, "lr = 2.0 * 0.99 ** (step / 100)", rtol=1e-4
    )
