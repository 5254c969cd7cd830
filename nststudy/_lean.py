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

The heap's part of it is :mod:`nststudy._heap` (:func:`return_large_blocks` is re-exported
here, where it lived first).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import tensorflow as tf

from ._heap import MMAP_THRESHOLD, return_large_blocks

__all__ = ["MMAP_THRESHOLD", "conv3x3_same", "return_large_blocks", "run_taps"]


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
        turned = tf.transpose(tf.reverse(kernel, [0, 1]), [0, 1, 3, 2])
        return tf.nn.conv2d(dy, turned, 1, "SAME"), None

    return y, grad


def run_taps(layers: Sequence[Any], x: tf.Tensor, taps: Sequence[str]) -> list[tf.Tensor]:
    """Run VGG19's Keras conv and pool layers in order by hand; return the tapped outputs.

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
    for layer in layers:
        if "pool" in layer.name:
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
        else:
            kernel = tf.cast(tf.convert_to_tensor(layer.kernel), x.dtype)
            bias = tf.cast(tf.convert_to_tensor(layer.bias), x.dtype)
            x = tf.nn.relu(conv3x3_same(x, kernel) + bias)
        found[layer.name] = x
    return [found[name] for name in taps]
