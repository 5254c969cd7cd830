"""Checkers for the exercises on images and VGG space (notebooks 01, 06, 08 and 09).

The VGG transform and its inverse, fitting a photo to a size, clipping to the range of real
images, turning a VGG array back into pixels, and the luminance-only colour transfer. Each
runs the learner's function through :func:`nststudy._checking.run_check`; re-exported by
:mod:`nststudy.exercises`.
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
from .i18n import t
from .images import IMAGENET_MEAN_BGR

__all__ = [
    "check_clip_to_valid",
    "check_deprocess",
    "check_fit_size",
    "check_from_vgg",
    "check_luminance_transfer",
    "check_to_vgg",
]

MEAN = IMAGENET_MEAN_BGR.astype(np.float64)


def _vgg_arrays(batch: bool = False) -> list[tuple[str, np.ndarray]]:
    """VGG-space arrays of images slightly outside [0, 1] (so clipping matters)."""
    out = []
    for _, x in random_images(-0.2, 1.2):
        v = (x[..., ::-1].astype(np.float64) * 255 - MEAN).astype(np.float32)
        shape = (1, *v.shape) if batch else v.shape
        out.append((t("check.case.vgg_array", shape=shape), v[None] if batch else v))
    return out


def check_to_vgg(fn: Any) -> CheckResult:
    """``fn(img)``: RGB float ``(H, W, 3)`` in [0, 1] → VGG input (BGR, ×255, ImageNet mean off).

    Inputs are numpy arrays; the reference is :func:`nststudy.images.to_vgg`.
    """
    bgr = lambda x: np.asarray(x, np.float64)[..., ::-1]  # noqa: E731
    mistakes = [
        (t("check.to_vgg.rgb_flip"), lambda x: np.asarray(x, np.float64) * 255 - MEAN),
        (t("check.to_vgg.rgb"), lambda x: np.asarray(x, np.float64) * 255 - MEAN[::-1]),
        (t("check.to_vgg.no_mean"), lambda x: bgr(x) * 255),
        (t("check.to_vgg.no_255"), lambda x: bgr(x) - MEAN),
        (t("check.to_vgg.mean_order"), lambda x: bgr(x) * 255 - MEAN[::-1]),
    ]
    cases = lambda: [(d, (x,), bgr(x) * 255 - MEAN) for d, x in random_images()]  # noqa: E731
    hint = t("check.to_vgg.hint")
    return run_check("to_vgg", fn, cases, mistakes, hint, atol=1e-2, rtol=1e-4)


def check_from_vgg(fn: Any) -> CheckResult:
    """``fn(x)``: the exact inverse of ``to_vgg`` (add the mean, BGR → RGB, ÷255), not clipped.

    Inputs are numpy ``(H, W, 3)`` VGG arrays, some slightly outside the valid range, so a
    clipped answer fails: clip only when you display. Tolerance 1e-3.
    """
    f = lambda x: np.asarray(x, np.float64)  # noqa: E731
    mistakes = [
        (
            t("check.from_vgg.clipped"),
            lambda x: np.clip((f(x) + MEAN)[..., ::-1] / 255, 0, 1),
        ),
        (t("check.from_vgg.bgr"), lambda x: (f(x) + MEAN) / 255),
        (t("check.from_vgg.no_mean"), lambda x: f(x)[..., ::-1] / 255),
        (t("check.from_vgg.mean_subtracted"), lambda x: (f(x) - MEAN)[..., ::-1] / 255),
        (t("check.from_vgg.no_255"), lambda x: (f(x) + MEAN)[..., ::-1]),
        (t("check.from_vgg.mean_then_flip"), lambda x: (f(x)[..., ::-1] + MEAN) / 255),
    ]
    cases = lambda: [(d, (x,), (f(x) + MEAN)[..., ::-1] / 255) for d, x in _vgg_arrays()]  # noqa: E731
    return run_check(
        "from_vgg",
        fn,
        cases,
        mistakes,
        "img = (x + MEAN_BGR)[..., ::-1] / 255",
        atol=1e-3,
        rtol=1e-4,
    )


def _fit(h: int, w: int, max_dim: int) -> tuple[int, int]:
    if max(h, w) <= max_dim:
        return h, w
    scale = max_dim / max(h, w)
    return max(1, round(h * scale)), max(1, round(w * scale))


def check_fit_size(fn: Any) -> CheckResult:
    """``fn(height, width, max_dim)`` → ``(new_h, new_w)``: aspect kept, longest side = max_dim.

    Never enlarges (a smaller image keeps its size); the sizes are whole pixels, the longest
    side exactly ``max_dim`` (so truncating it is wrong: ``int(561 * (512 / 561))`` is 511),
    the short side rounded or truncated (±1 px).
    """
    sizes = [(480, 640, 512), (640, 480, 512), (1000, 250, 400), (300, 200, 512), (512, 512, 256)]
    sizes += [(1000, 333, 512), (3024, 4032, 500)]  # scales that do not come out even
    sizes += [(561, 300, 512), (200, 322, 256)]  # where int() loses the long side's last pixel

    def whole_pixels(fn: Callable[..., Any]) -> Callable[..., Any]:
        def run(h: int, w: int, m: int) -> Any:
            got = _call(fn, (h, w, m))
            arr = _as_array(got)
            case = f"height={h}, width={w}, max_dim={m}"
            if arr.shape == (2,) and not np.all(arr == np.round(arr)):
                raise _Fail(
                    t("check.fit_size.fractional", case=case, got=tuple(arr.tolist())),
                    t("check.fit_size.whole_pixels"),
                )
            if arr.shape == (2,) and not all(
                isinstance(v, int | np.integer) for v in np.asarray(got, dtype=object).ravel()
            ):  # (512.0 is whole, but PIL's resize and tf.image.resize refuse it)
                raise _Fail(
                    t("check.fit_size.not_int", case=case, got=tuple(arr.tolist())),
                    t("check.fit_size.use_int"),
                )
            if arr.shape == (2,) and max(h, w) > m and arr.max() != m:
                raise _Fail(
                    t("check.fit_size.long_side", case=case, got=int(arr.max()), m=m),
                    t("check.fit_size.exact_long_side"),
                )
            return got

        return run

    def cases() -> list[Case]:
        return [
            (f"height={h}, width={w}, max_dim={m}", (h, w, m), _fit(h, w, m)) for h, w, m in sizes
        ]

    mistakes = [
        (t("check.fit_size.aspect"), lambda h, w, m: (m, m)),
        (t("check.fit_size.order"), lambda h, w, m: _fit(h, w, m)[::-1]),
        (
            t("check.fit_size.enlarged"),
            lambda h, w, m: (round(h * m / max(h, w)), round(w * m / max(h, w))),
        ),
    ]
    return run_check(
        "fit_size", fn, cases, mistakes, "scale = max_dim / max(height, width)", atol=1.01, rtol=0,
        wrap=whole_pixels,
    )  # fmt: skip


def check_clip_to_valid(fn: Any) -> CheckResult:
    """``fn(x)`` for a VGG-space ``(1, H, W, 3)`` array → clipped per channel to the range of
    real images: ``[-mean, 255 - mean]`` with the BGR ImageNet mean."""
    lo, hi = -MEAN, 255 - MEAN

    def cases() -> list[Case]:
        return [(d, (x,), np.clip(as_f64(x), lo, hi)) for d, x in _vgg_arrays(batch=True)]

    mistakes = [
        (t("check.clip_to_valid.pixels_255"), lambda x: np.clip(as_f64(x), 0, 255)),
        (t("check.clip_to_valid.pixels_1"), lambda x: np.clip(as_f64(x), 0, 1)),
        (
            t("check.clip_to_valid.mean_order"),
            lambda x: np.clip(as_f64(x), -MEAN[::-1], 255 - MEAN[::-1]),
        ),
        (t("check.clip_to_valid.not_clipped"), as_f64),
    ]
    hint = "tf.clip_by_value(x, -IMAGENET_MEAN_BGR, 255 - IMAGENET_MEAN_BGR)"
    return run_check("clip_to_valid", fn, cases, mistakes, hint, atol=1e-3, rtol=1e-5)


def check_deprocess(fn: Any) -> CheckResult:
    """``fn(x)`` for a VGG-space ``(H, W, 3)`` array → uint8 RGB: add the mean, BGR → RGB,
    clip to [0, 255], convert to uint8 (rounding or truncating, ±1)."""
    raw = lambda x: (as_f64(x) + MEAN)[..., ::-1]  # noqa: E731

    def cases() -> list[Case]:
        return [(d, (x,), np.clip(np.round(raw(x)), 0, 255)) for d, x in _vgg_arrays()]

    mistakes = [
        (t("check.deprocess.wrap_around"), lambda x: np.trunc(raw(x)).astype(np.int64) % 256),
        (t("check.deprocess.bgr"), lambda x: np.clip(as_f64(x) + MEAN, 0, 255)),
        (t("check.deprocess.no_mean"), lambda x: np.clip(as_f64(x)[..., ::-1], 0, 255)),
    ]
    hint = (  # notebook 01 types the mean out as MEAN_BGR; 09 imports it
        "np.clip((x + MEAN_BGR)[..., ::-1], 0, 255).astype('uint8')"
        "  # MEAN_BGR = nststudy.images.IMAGENET_MEAN_BGR"
    )
    return run_check("deprocess", fn, cases, mistakes, hint, atol=1.01, rtol=0, dtype="uint8")


def _luma(img: Any) -> np.ndarray:
    return as_f64(img) @ np.array([0.299, 0.587, 0.114])


def _transfer(painting: Any, photo: Any) -> np.ndarray:
    return np.clip(as_f64(photo) + (_luma(painting) - _luma(photo))[..., None], 0, 1)


def check_luminance_transfer(fn: Any) -> CheckResult:
    """``fn(painting, photo)`` → the painting's YIQ luminance with the photo's chroma (I, Q).

    Both inputs are float ``(H, W, 3)`` in [0, 1], and so must the answer be (tolerance
    0.02): with Y = 0.299 R + 0.587 G + 0.114 B it equals ``photo + (Y_painting − Y_photo)``
    on every channel, clipped to [0, 1].
    """

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda p, q: _as_array(_call(f, (p, q)))  # (run_check passes copies)

    def cases() -> list[Case]:
        rng = fixed_rng()
        out = []
        for shape in [(6, 5, 3), (16, 12, 3)]:
            p, q = rng.uniform(0, 1, (2, *shape)).astype(np.float32)
            out.append((t("check.case.painting_photo", shape=shape), (p, q), _transfer(p, q)))
        p = random_images()[2][1]
        q = np.broadcast_to(np.float32([0.8, 0.3, 0.1]), p.shape).copy()
        return [*out, (t("check.case.orange_photo"), (p, q), _transfer(p, q))]

    mistakes = [
        (
            t("check.luminance_transfer.unclipped"),
            lambda p, q: as_f64(q) + (_luma(p) - _luma(q))[..., None],
        ),
        (t("check.luminance_transfer.swapped"), lambda p, q: _transfer(q, p)),
        (t("check.luminance_transfer.painting"), lambda p, q: as_f64(p)),
        (t("check.luminance_transfer.photo"), lambda p, q: as_f64(q)),
        (
            t("check.luminance_transfer.plain_mean"),
            lambda p, q: np.clip(
                as_f64(q) + (as_f64(p).mean(-1) - as_f64(q).mean(-1))[..., None], 0, 1
            ),
        ),
    ]
    hint = t("check.luminance_transfer.hint")
    return run_check("luminance_transfer", fn, cases, mistakes, hint, atol=0.02, rtol=0, wrap=wrap)
