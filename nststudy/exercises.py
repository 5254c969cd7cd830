"""Self-checking exercises: run a learner's function against nststudy's own on several inputs.

>>> from nststudy.exercises import check_gram
>>> def my_gram(F):
...     raise NotImplementedError  # the learner's unfinished cell
>>> check_gram(my_gram).passed
False

Every ``check_*`` returns a :class:`CheckResult` that Jupyter shows as a green ✓ or a red ✗
with the first wrong value (which input, what was expected, what came back) and a hint that
names the likely mistake (forgot the mean, RGB instead of BGR, squares in TV, ...). A checker
never raises: a function that raises, returns ``None``, the wrong shape, dtype or NaN gives a
failed result, so an unfinished exercise never breaks the rest of the notebook.
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
    check_against,
    check_number,
    run_check,
)
from .images import IMAGENET_MEAN_BGR
from .vgg import ALL_LAYERS

__all__ = [
    "CheckResult",
    "check_against",
    "check_clip_to_valid",
    "check_content_loss",
    "check_deprocess",
    "check_feature_shape",
    "check_fit_size",
    "check_from_vgg",
    "check_gram",
    "check_layer_shares",
    "check_lr_schedule",
    "check_luminance_transfer",
    "check_number",
    "check_style_loss",
    "check_to_vgg",
    "check_tv_loss",
]

MEAN = IMAGENET_MEAN_BGR.astype(np.float64)
_CHANNELS = {1: 64, 2: 128, 3: 256, 4: 512, 5: 512}


def _rng() -> np.random.Generator:
    return np.random.default_rng(20240531)


def _images(lo: float = 0.0, hi: float = 1.0) -> list[tuple[str, np.ndarray]]:
    rng = _rng()
    return [
        (f"image of shape {s}", rng.uniform(lo, hi, s).astype(np.float32))
        for s in [(4, 5, 3), (7, 3, 3), (16, 16, 3)]
    ]


def _vgg_arrays(batch: bool = False) -> list[tuple[str, np.ndarray]]:
    """VGG-space arrays of images slightly outside [0, 1] (so clipping matters)."""
    out = []
    for _, x in _images(-0.2, 1.2):
        v = (x[..., ::-1].astype(np.float64) * 255 - MEAN).astype(np.float32)
        out.append(
            (f"VGG array of shape {(1, *v.shape) if batch else v.shape}", v[None] if batch else v)
        )
    return out


def _features() -> list[tuple[str, Any]]:
    import tensorflow as tf

    rng = _rng()
    shapes = [(1, 4, 5, 3), (1, 6, 6, 8), (1, 3, 7, 16)]
    return [(f"F of shape {s}", tf.constant(rng.gamma(1.0, 1.0, s), tf.float32)) for s in shapes]


def check_to_vgg(fn: Any) -> CheckResult:
    """``fn(img)``: RGB float ``(H, W, 3)`` in [0, 1] → VGG input (BGR, ×255, ImageNet mean off).

    Inputs are numpy arrays; the reference is :func:`nststudy.images.to_vgg`.
    """
    bgr = lambda x: np.asarray(x, np.float64)[..., ::-1]  # noqa: E731
    mistakes = [
        (
            "the channels are still RGB: VGG19 wants BGR, reverse the last axis first "
            "(img[..., ::-1])",
            lambda x: np.asarray(x, np.float64) * 255 - MEAN,
        ),
        (
            "the channels are still RGB: VGG19 wants BGR, reverse the last axis first",
            lambda x: np.asarray(x, np.float64) * 255 - MEAN[::-1],
        ),
        ("you forgot to subtract the ImageNet mean (IMAGENET_MEAN_BGR)", lambda x: bgr(x) * 255),
        (
            "you forgot to multiply by 255: VGG19 was trained on the 0–255 scale",
            lambda x: bgr(x) - MEAN,
        ),
        (
            "the mean is in B, G, R order: flip the channels first, then subtract it",
            lambda x: bgr(x) * 255 - MEAN[::-1],
        ),
    ]
    cases = lambda: [(d, (x,), bgr(x) * 255 - MEAN) for d, x in _images()]  # noqa: E731
    hint = "VGG input = img[..., ::-1] * 255 - IMAGENET_MEAN_BGR"
    return run_check("to_vgg", fn, cases, mistakes, hint, atol=1e-2, rtol=1e-4)


def check_from_vgg(fn: Any) -> CheckResult:
    """``fn(x)``: the exact inverse of ``to_vgg`` (add the mean, BGR → RGB, ÷255), not clipped.

    Inputs are numpy ``(H, W, 3)`` VGG arrays, some slightly outside the valid range, so a
    clipped answer fails: clip only when you display. Tolerance 1e-3.
    """
    f = lambda x: np.asarray(x, np.float64)  # noqa: E731
    mistakes = [
        (
            "don't clip here: from_vgg must be the exact inverse; clip when you display",
            lambda x: np.clip((f(x) + MEAN)[..., ::-1] / 255, 0, 1),
        ),
        (
            "the channels are still BGR: reverse the last axis to get RGB",
            lambda x: (f(x) + MEAN) / 255,
        ),
        ("you forgot to add the ImageNet mean back", lambda x: f(x)[..., ::-1] / 255),
        ("add the mean back (you subtracted it again)", lambda x: (f(x) - MEAN)[..., ::-1] / 255),
        ("you forgot to divide by 255", lambda x: (f(x) + MEAN)[..., ::-1]),
        (
            "add the mean while the channels are still BGR, then flip",
            lambda x: (f(x)[..., ::-1] + MEAN) / 255,
        ),
    ]
    cases = lambda: [(d, (x,), (f(x) + MEAN)[..., ::-1] / 255) for d, x in _vgg_arrays()]  # noqa: E731
    return run_check(
        "from_vgg",
        fn,
        cases,
        mistakes,
        "img = (x + IMAGENET_MEAN_BGR)[..., ::-1] / 255",
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

    Never enlarges (a smaller image keeps its size); the short side may be rounded or
    truncated (±1 px).
    """
    sizes = [(480, 640, 512), (640, 480, 512), (1000, 250, 400), (300, 200, 512), (512, 512, 256)]

    def cases() -> list[Case]:
        return [
            (f"height={h}, width={w}, max_dim={m}", (h, w, m), _fit(h, w, m)) for h, w, m in sizes
        ]

    mistakes = [
        (
            "keep the aspect ratio: the article's (512, 512) squashes the photo",
            lambda h, w, m: (m, m),
        ),
        ("return (height, width), in that order", lambda h, w, m: _fit(h, w, m)[::-1]),
        (
            "never enlarge: a photo already smaller than max_dim keeps its size",
            lambda h, w, m: (round(h * m / max(h, w)), round(w * m / max(h, w))),
        ),
    ]
    return run_check(
        "fit_size", fn, cases, mistakes, "scale = max_dim / max(height, width)", atol=1.01, rtol=0
    )


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
        (
            "the size shrinks: each 2×2 pooling before the layer halves height and width",
            lambda n, h, w: (h, w, _feature_shape(n, h, w)[2]),
        ),
        (
            "the channels are 64, 128, 256, 512, 512 for blocks 1–5",
            lambda n, h, w: (*_feature_shape(n, h, w)[:2], 64),
        ),
        (
            "the channels are 64, 128, 256, 512, 512 for blocks 1–5",
            lambda n, h, w: (*_feature_shape(n, h, w)[:2], 64 * 2 ** (int(n[5]) - 1)),
        ),
        (
            "count the poolings before the layer: block k's convs come after k − 1 of them",
            lambda n, h, w: (h // 2 ** int(n[5]), w // 2 ** int(n[5]), _feature_shape(n, h, w)[2]),
        ),
        (
            "pooling rounds down (floor), not up",
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
        "H' = H // 2**(poolings before the layer)",
        atol=0,
        rtol=0,
    )


def _np(x: Any) -> np.ndarray:
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, np.float64)


def _gram_np(f: Any, norm: bool = True) -> np.ndarray:
    f = _np(f)
    g = np.einsum("bijc,bijd->bcd", f, f)
    return g / (f.shape[1] * f.shape[2]) if norm else g


def check_content_loss(fn: Any) -> CheckResult:
    """``fn(F, P)`` → scalar ``mean((F − P)²)`` for feature maps ``(1, H, W, C)`` (tf tensors)."""
    import tensorflow as tf

    from .losses import content_loss

    def cases() -> list[Case]:
        pairs = [(d, f, tf.reverse(f, axis=[2]) * 0.8) for d, f in _features()]
        return [(f"{d}, P of the same shape", (f, p), _np(content_loss(f, p))) for d, f, p in pairs]

    d = lambda f, p: _np(f) - _np(p)  # noqa: E731
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
        return [(d, (f,), _np(gram_matrix(f))) for d, f in _features()]

    hw = lambda f: _np(f).shape[1] * _np(f).shape[2]  # noqa: E731
    mistakes = [
        (
            "divide by H·W, the number of positions: without it the Gram grows with image size",
            lambda f: _gram_np(f, norm=False),
        ),
        ("divide by H·W only, not H·W·C", lambda f: _gram_np(f) / _np(f).shape[3]),
        ("divide by H·W (positions), not by C", lambda f: _gram_np(f) * hw(f) / _np(f).shape[3]),
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
                (f"{d}, target Gram of shape {tuple(a.shape)}", (f, a), _np(style_loss(f, a)))
            )
        return out

    diff = lambda f, a: _gram_np(f) - _np(a)  # noqa: E731
    mistakes = [
        (
            "use the mean of the squared differences, not the sum",
            lambda f, a: np.sum(diff(f, a) ** 2),
        ),
        (
            "don't divide by 4C² as well: the mean already divides by C² (the article's double "
            "normalisation)",
            lambda f, a: np.mean(diff(f, a) ** 2) / (4 * _np(f).shape[3] ** 2),
        ),
        (
            "your Gram matrix is missing the division by H·W",
            lambda f, a: np.mean((_gram_np(f, norm=False) - _np(a)) ** 2),
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
        imgs = [(d, tf.constant(x[None])) for d, x in _images()]
        return [(d.replace("(", "(1, ", 1), (x,), _np(total_variation_loss(x))) for d, x in imgs]

    dy = lambda x: np.diff(_np(x), axis=1)  # noqa: E731
    dx = lambda x: np.diff(_np(x), axis=2)  # noqa: E731
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
            lambda x: (np.sum(dy(x) ** 2) + np.sum(dx(x) ** 2)) / _np(x).size,
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


def check_clip_to_valid(fn: Any) -> CheckResult:
    """``fn(x)`` for a VGG-space ``(1, H, W, 3)`` array → clipped per channel to the range of
    real images: ``[-mean, 255 - mean]`` with the BGR ImageNet mean."""
    lo, hi = -MEAN, 255 - MEAN

    def cases() -> list[Case]:
        return [(d, (x,), np.clip(_np(x), lo, hi)) for d, x in _vgg_arrays(batch=True)]

    mistakes = [
        (
            "the bounds are in VGG space: [-mean, 255 - mean] per channel, not [0, 255]",
            lambda x: np.clip(_np(x), 0, 255),
        ),
        ("the bounds are in VGG space, not [0, 1] pixels", lambda x: np.clip(_np(x), 0, 1)),
        (
            "the mean is in B, G, R order (IMAGENET_MEAN_BGR), like the channels",
            lambda x: np.clip(_np(x), -MEAN[::-1], 255 - MEAN[::-1]),
        ),
        ("nothing was clipped: values outside the valid range are still there", _np),
    ]
    hint = "tf.clip_by_value(x, -IMAGENET_MEAN_BGR, 255 - IMAGENET_MEAN_BGR)"
    return run_check("clip_to_valid", fn, cases, mistakes, hint, atol=1e-3, rtol=1e-5)


def check_lr_schedule(fn: Any) -> CheckResult:
    """``fn(step)`` → ``2.0 * 0.99 ** (step / 100)``: the article's ``ExponentialDecay``."""
    steps = [0, 1, 50, 100, 250, 1000, 5000]
    ref = lambda s: 2.0 * 0.99 ** (s / 100)  # noqa: E731
    mistakes = [
        (
            "ExponentialDecay is smooth (staircase=False): use step / 100, not step // 100",
            lambda s: 2.0 * 0.99 ** (s // 100),
        ),
        ("the exponent is step / decay_steps (100), not the step itself", lambda s: 2.0 * 0.99**s),
        ("start from the article's initial learning rate, 2.0", lambda s: ref(s) / 2.0),
    ]
    cases = lambda: [(f"step={s}", (s,), ref(s)) for s in steps]  # noqa: E731
    return run_check(
        "lr_schedule", fn, cases, mistakes, "lr = 2.0 * 0.99 ** (step / 100)", rtol=1e-4
    )


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


def _luma(img: Any) -> np.ndarray:
    return _np(img) @ np.array([0.299, 0.587, 0.114])


def _transfer(painting: Any, photo: Any) -> np.ndarray:
    return np.clip(_np(photo) + (_luma(painting) - _luma(photo))[..., None], 0, 1)


def check_luminance_transfer(fn: Any) -> CheckResult:
    """``fn(painting, photo)`` → the painting's YIQ luminance with the photo's chroma (I, Q).

    Both inputs are float ``(H, W, 3)`` in [0, 1]; the answer is compared after clipping to
    [0, 1] (tolerance 0.02). With Y = 0.299 R + 0.587 G + 0.114 B that equals
    ``photo + (Y_painting − Y_photo)`` on every channel.
    """

    def wrap(f: Callable[..., Any]) -> Callable[..., Any]:
        return lambda p, q: np.clip(_as_array(_call(f, (p.copy(), q.copy()))), 0, 1)

    def cases() -> list[Case]:
        rng = _rng()
        out = []
        for shape in [(6, 5, 3), (16, 12, 3)]:
            p, q = rng.uniform(0, 1, (2, *shape)).astype(np.float32)
            out.append((f"painting and photo of shape {shape}", (p, q), _transfer(p, q)))
        p = _images()[2][1]
        q = np.broadcast_to(np.float32([0.8, 0.3, 0.1]), p.shape).copy()
        return [*out, ("a painting and an orange photo", (p, q), _transfer(p, q))]

    mistakes = [
        (
            "the luminance comes from the painting (first argument), the colours from the photo",
            lambda p, q: _transfer(q, p),
        ),
        (
            "you returned the painting unchanged: keep its luminance, take the photo's I and Q",
            lambda p, q: _np(p),
        ),
        (
            "you returned the photo unchanged: its luminance must be the painting's",
            lambda p, q: _np(q),
        ),
        (
            "Y is the weighted sum 0.299 R + 0.587 G + 0.114 B, not the plain mean",
            lambda p, q: np.clip(_np(q) + (_np(p).mean(-1) - _np(q).mean(-1))[..., None], 0, 1),
        ),
    ]
    hint = "convert both to YIQ (skimage.color.rgb2yiq), take Y from the painting, convert back"
    return run_check("luminance_transfer", fn, cases, mistakes, hint, atol=0.02, rtol=0, wrap=wrap)


def check_deprocess(fn: Any) -> CheckResult:
    """``fn(x)`` for a VGG-space ``(H, W, 3)`` array → uint8 RGB: add the mean, BGR → RGB,
    clip to [0, 255], convert to uint8 (rounding or truncating, ±1)."""
    raw = lambda x: (_np(x) + MEAN)[..., ::-1]  # noqa: E731

    def cases() -> list[Case]:
        return [(d, (x,), np.clip(np.round(raw(x)), 0, 255)) for d, x in _vgg_arrays()]

    mistakes = [
        (
            "clip to [0, 255] before converting to uint8, or out-of-range values wrap around",
            lambda x: np.trunc(raw(x)).astype(np.int64) % 256,
        ),
        (
            "convert BGR back to RGB (reverse the last axis)",
            lambda x: np.clip(_np(x) + MEAN, 0, 255),
        ),
        (
            "add the ImageNet mean back before clipping",
            lambda x: np.clip(_np(x)[..., ::-1], 0, 255),
        ),
    ]
    hint = "np.clip((x + IMAGENET_MEAN_BGR)[..., ::-1], 0, 255).astype('uint8')"
    return run_check("deprocess", fn, cases, mistakes, hint, atol=1.01, rtol=0, dtype="uint8")
