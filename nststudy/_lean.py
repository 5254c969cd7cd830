"""Keeping a style-transfer step lean in memory: the convolutions' image gradient.

**The convolutions.** Style transfer differentiates the loss with respect to the *image*, never
the weights. For a 3×3 "same" convolution with stride 1, that gradient is itself a convolution:
the upstream gradient convolved with the kernel turned by 180° and its input and output
channels swapped. TensorFlow's own CPU kernel for it (``Conv2DBackpropInput``) unfolds the
image into a large scratch matrix: at 384×512 px, ``block1_conv2`` alone needs ≈ 450 MB, which
set the peak memory of a whole step. Computing the same gradient as an ordinary forward
convolution (which oneDNN runs without that scratch) gives the same numbers to float32
rounding, and a 512 px painting peaks ≈ 330 MB lower and runs ≈ 13 % faster
(``benchmarks/README.md``).

Where TensorFlow runs oneDNN's graph rewrite (it does by default on CPUs with AVX512_VNNI,
AVX512_BF16, AVX_VNNI or AMX; ``TF_ENABLE_ONEDNN_OPTS`` overrides), its own image gradient is
oneDNN's backward-data convolution, which needs no scratch matrix either and was ≈ 10 % faster
than the turned-kernel convolution (Intel Xeon with AVX-512, 384×512 px, session 19 in
``benchmarks/README.md``): :func:`run_taps` then leaves the float32 gradient to TensorFlow
(:func:`lean_gradient`; ``NSTSTUDY_LEAN_GRADIENT=1`` or ``0`` forces a choice; bfloat16 keeps
the turned kernel). There the *forward* convolution has a twin problem: TensorFlow hands
oneDNN's forward kernel the weights in its own layout, and from 128 input channels up it ran
1.2–2.4× slower than oneDNN's backward-data kernel, which gets a blocked copy of them. So those
layers run forwards as that kernel too (:func:`conv3x3_transposed`, the same numbers to float32
rounding): 7–13 % less time per evaluation at 384×512 px and 8 % at 256 px, alternating in
one process, and a painting to the tutorial's loss 8–12 % sooner (session 20 in
``benchmarks/README.md``). ``NSTSTUDY_LEAN_GRADIENT=1`` turns this off too (every layer then
takes the turned-kernel path); ``0`` without oneDNN leaves every layer to TensorFlow's own
``Conv2D`` and gradient.

The heap's part of it is :mod:`nststudy._heap` (:func:`return_large_blocks` is re-exported
here, where it lived first).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from ._heap import MMAP_THRESHOLD, return_large_blocks

__all__ = [
    "MMAP_THRESHOLD",
    "TRANSPOSED_FROM",
    "conv3x3_same",
    "conv3x3_transposed",
    "image_conv",
    "lean_gradient",
    "onednn_running",
    "return_large_blocks",
    "run_taps",
]


def _turned(kernel: tf.Tensor) -> tf.Tensor:
    """``(3, 3, C_in, C_out)`` → ``(3, 3, C_out, C_in)``, turned by 180°: the kernel of the
    convolution that carries a gradient back through ``kernel``'s."""
    return tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])


@tf.custom_gradient
def conv3x3_same(x: tf.Tensor, kernel: tf.Tensor) -> Any:
    """A stride-1 "same" convolution whose input gradient is a forward convolution.

    Args:
        x: activations ``(B, H, W, C_in)``.
        kernel: ``(3, 3, C_in, C_out)``, a constant (no gradient is returned for it).

    Returns:
        ``(B, H, W, C_out)``, exactly ``tf.nn.conv2d(x, kernel, 1, "SAME")``.
    """
    y = tf.nn.conv2d(x, kernel, 1, "SAME")

    def grad(dy: tf.Tensor) -> tuple[tf.Tensor, None]:
        return tf.nn.conv2d(dy, _turned(kernel), 1, "SAME"), None

    return y, grad


@functools.cache
def lean_gradient() -> bool:
    """Whether float32 convolutions take their image gradient as a turned-kernel convolution.

    Fixed for the process at the first call (functions traced before keep their choice).

    Returns:
        ``True`` (use :func:`conv3x3_same`) unless TensorFlow runs oneDNN's graph rewrite, whose
        own gradient is faster; ``NSTSTUDY_LEAN_GRADIENT=1`` or ``0`` decides instead.

    Raises:
        ValueError: ``NSTSTUDY_LEAN_GRADIENT`` is set to something other than 1 or 0.
    """
    forced = os.environ.get("NSTSTUDY_LEAN_GRADIENT", "").strip()
    if forced in ("0", "1"):
        return forced == "1"
    if forced:
        raise ValueError(
            f"NSTSTUDY_LEAN_GRADIENT={forced!r}: set it to 1 (turned kernel) or 0 "
            "(TensorFlow's own gradient), or unset it to let nststudy choose"
        )
    return not onednn_running()


@functools.cache
def onednn_running() -> bool:
    """Whether TensorFlow runs oneDNN's graph rewrite in this process (its own private switch;
    ``False`` when it cannot say). Only then do the deep layers run forwards as
    :func:`conv3x3_transposed`: without oneDNN, TensorFlow's backward-data kernel is the one
    with the large scratch matrix."""
    try:
        from tensorflow.python.util import _pywrap_util_port  # TF's own switch, private

        return bool(_pywrap_util_port.IsMklEnabled())
    except (ImportError, AttributeError):
        return False


def _backward_data(dy: tf.Tensor, kernel: tf.Tensor, channels: tf.Tensor) -> tf.Tensor:
    """TensorFlow's ``Conv2DBackpropInput``: ``dy`` carried back through a 3×3 "same"
    convolution by ``kernel``, to ``channels`` channels."""
    sizes = tf.concat([tf.shape(dy)[:3], tf.reshape(channels, [1])], 0)
    return tf.raw_ops.Conv2DBackpropInput(
        input_sizes=sizes, filter=kernel, out_backprop=dy, strides=[1, 1, 1, 1], padding="SAME"
    )


@tf.custom_gradient
def conv3x3_transposed(x: tf.Tensor, kernel: tf.Tensor) -> Any:
    """A stride-1 "same" convolution run, forwards and backwards, as oneDNN's backward-data
    kernel.

    The convolution of ``x`` with ``kernel`` is the backward-data convolution of ``x`` through
    the turned kernel (:func:`_turned`); its image gradient is the backward-data convolution of
    the upstream gradient through ``kernel`` itself (TensorFlow's own gradient).

    Args:
        x: activations ``(B, H, W, C_in)``.
        kernel: ``(3, 3, C_in, C_out)``, a constant (no gradient is returned for it).

    Returns:
        ``(B, H, W, C_out)``: ``tf.nn.conv2d(x, kernel, 1, "SAME")`` to float32 rounding.
    """
    y = _backward_data(x, _turned(kernel), tf.shape(kernel)[3])
    y.set_shape(x.shape[:-1].concatenate(kernel.shape[3:]))  # (shape inference loses C_out)

    def grad(dy: tf.Tensor) -> tuple[tf.Tensor, None]:
        return _backward_data(dy, kernel, tf.shape(kernel)[2]), None

    return y, grad


#: Under oneDNN, float32 layers with this many input channels or more run as
#: :func:`conv3x3_transposed` (measured at 384×512 px: 128-channel layers and up gain, the
#: 64-channel ones of block 1 and ``block2_conv1`` do not).
TRANSPOSED_FROM = 128


def _tf_conv(x: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    return tf.nn.conv2d(x, kernel, 1, "SAME")


def _onednn_conv(x: tf.Tensor, kernel: tf.Tensor) -> tf.Tensor:
    if kernel.shape[2] is not None and kernel.shape[2] >= TRANSPOSED_FROM:
        return conv3x3_transposed(x, kernel)
    return _tf_conv(x, kernel)


def image_conv(dtype: tf.DType = tf.float32) -> Any:
    """The 3×3 "same" convolution ``f(x, kernel)`` to run at ``dtype``: :func:`conv3x3_same`
    where :func:`lean_gradient` says so; else, under oneDNN (:func:`onednn_running`),
    ``tf.nn.conv2d`` below :data:`TRANSPOSED_FROM` input channels and
    :func:`conv3x3_transposed` from there up; else (``NSTSTUDY_LEAN_GRADIENT=0`` without
    oneDNN) ``tf.nn.conv2d`` with TensorFlow's own gradient everywhere. bfloat16 always gets
    the turned kernel (what session 18 measured, and no CPU here to check oneDNN's bfloat16
    kernels on)."""
    if lean_gradient() or dtype != tf.float32:
        return conv3x3_same
    return _onednn_conv if onednn_running() else _tf_conv


def run_taps(layers: Sequence[Any], x: tf.Tensor, taps: Sequence[str]) -> list[tf.Tensor]:
    """Run VGG19's Keras conv and pool layers in order by hand; return the tapped outputs.

    Each convolution's image gradient is the turned-kernel convolution or TensorFlow's own,
    as :func:`image_conv` chooses (the same numbers to float32 rounding).

    Args:
        layers: the model's ``Conv2D`` (3×3, stride 1, same, ReLU) and ``MaxPooling2D`` layers in
            network order, ending at the deepest tap.
        x: a VGG-preprocessed batch ``(B, H, W, 3)``.
        taps: layer names to return, in the order wanted.

    Returns:
        One tensor per tap, in the layers' compute dtype.
    """
    found: dict[str, tf.Tensor] = {}
    x = tf.cast(x, layers[0].compute_dtype)
    conv = image_conv(x.dtype)
    for layer in layers:
        if "pool" in layer.name:
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
        else:
            kernel = tf.cast(tf.convert_to_tensor(layer.kernel), x.dtype)
            bias = tf.cast(tf.convert_to_tensor(layer.bias), x.dtype)
            x = tf.nn.relu(conv(x, kernel) + bias)
        if layer.name in taps:  # (eagerly, keeping every layer's output would hold them all)
            found[layer.name] = x
    return [found[name] for name in taps]
