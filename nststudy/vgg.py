"""VGG19 feature taps: the frozen network and a feature extractor that returns named layers.

The network is VGG19 without its classifier (``include_top=False``), ImageNet weights. Style
transfer never trains it: it only *looks* at images through it. :class:`FeatureExtractor` is a
Keras model that returns a dict ``{layer name: activation}`` for the layers you tap.

Where the weights come from, and how they are checked, is :mod:`nststudy.weights` (its public
names are importable from here too).
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Sequence
from typing import Any

from ._cpu import resolve_precision
from .weights import (
    VGG19_MD5,
    WEIGHTS_FILENAME,
    WeightsError,
    ensure_weights,
    file_md5,
    install_weights,
    keras_cache_path,
    verify_weights,
)

__all__ = [
    "ALL_LAYERS",
    "VGG19_MD5",
    "WEIGHTS_FILENAME",
    "FeatureExtractor",
    "WeightsError",
    "canonical_layer",
    "ensure_weights",
    "file_md5",
    "install_weights",
    "keras_cache_path",
    "load_vgg19",
    "verify_weights",
]

_BLOCKS = (2, 2, 4, 4, 4)

#: Every tappable layer of VGG19 (no top), in network order: convs and pools.
ALL_LAYERS: tuple[str, ...] = tuple(
    name
    for b, n in enumerate(_BLOCKS, start=1)
    for name in [*(f"block{b}_conv{i}" for i in range(1, n + 1)), f"block{b}_pool"]
)


def canonical_layer(name: str) -> str:
    """Map a layer name to its Keras spelling.

    Accepts Keras names (``block4_conv2``) and the paper's (``conv4_2``, ``relu4_2`` — in Keras
    the ReLU lives inside the conv layer, so both mean the same output; ``pool4``).

    Raises:
        ValueError: for an unknown name, suggesting the closest valid one.
    """
    key = name.strip().lower()
    for prefix in ("conv", "relu"):
        if key.startswith(prefix) and "_" in key:
            block, _, idx = key[len(prefix) :].partition("_")
            key = f"block{block}_conv{idx}"
    if key.startswith("pool") and key[4:].isdigit():
        key = f"block{key[4:]}_pool"
    if key in ALL_LAYERS:
        return key
    close = difflib.get_close_matches(key, ALL_LAYERS, n=1)
    hint = f"did you mean {close[0]!r}? " if close else ""
    raise ValueError(f"unknown VGG19 layer {name!r}; {hint}valid names: {', '.join(ALL_LAYERS)}")


def load_vgg19(precision: str = "float32") -> Any:
    """The frozen VGG19 (no top) Keras model, built once per process and precision.

    Args:
        precision: ``"float32"`` or ``"bfloat16"`` (Keras ``mixed_bfloat16`` policy: bf16
            compute, float32 variables).

    The first call also fixes glibc's mmap threshold so that freed activation buffers go back
    to the system (``nststudy._heap.return_large_blocks``: ≈ 120 MB lower peak at 512 px).
    """
    return _load_vgg19(precision)  # (the cache's key is the value: load_vgg19() is the same)


@functools.lru_cache(maxsize=4)
def _load_vgg19(precision: str) -> Any:
    import keras

    from ._heap import return_large_blocks

    if precision not in ("float32", "bfloat16"):
        raise ValueError(f"precision must be 'float32' or 'bfloat16', got {precision!r}")
    weights = str(ensure_weights())
    return_large_blocks()
    previous = keras.config.dtype_policy()
    if precision == "bfloat16":
        keras.config.set_dtype_policy("mixed_bfloat16")
    try:
        model = keras.applications.VGG19(
            include_top=False, weights=weights, input_shape=(None, None, 3)
        )
    finally:
        keras.config.set_dtype_policy(previous)
    model.trainable = False
    return model


class FeatureExtractor:
    """A frozen VGG19 cut after the deepest tapped layer, returning named activations.

    Args:
        content_layers: layer names for content (Keras or paper spelling).
        style_layers: layer names for style.
        precision: ``"float32"``, ``"bfloat16"`` or ``"auto"`` (this machine's choice,
            :func:`nststudy._cpu.resolve_precision`; ``self.precision`` says which).

    Calling it on a VGG-preprocessed batch ``x`` of shape ``(B, H, W, 3)`` (see
    :func:`nststudy.images.to_vgg`; H and W at least 16 for taps up to ``block5_conv*``) returns
    a dict mapping each Keras layer name to a float32 tensor ``(B, H // 2**k, W // 2**k, C)``
    (the pools round down), where ``k`` is the number of pooling layers up to and including
    that layer (``block5_pool``: 5) and C is 64, 128, 256 or 512. A batch without its batch
    axis, or too small for the deepest tap, is refused with the fix. ``self.model`` is the same
    network as a Keras model (for ``summary()``); calls run its layers by hand so that the image
    gradient of each convolution is computed without TensorFlow's memory-hungry kernel where
    TensorFlow's own is that one (see ``nststudy._lean``).
    """

    def __init__(
        self,
        content_layers: Sequence[str] = ("block4_conv2",),
        style_layers: Sequence[str] = (),
        precision: str = "float32",
    ) -> None:
        self.content_layers = tuple(canonical_layer(n) for n in content_layers)
        self.style_layers = tuple(canonical_layer(n) for n in style_layers)
        self.layers = tuple(dict.fromkeys(self.content_layers + self.style_layers))
        if not self.layers:
            raise ValueError("FeatureExtractor needs at least one layer")
        self.precision = precision = resolve_precision(precision)
        self.model = _tap_model(self.layers, precision)
        self._path = [layer for layer in self.model.layers if layer.name.startswith("block")]
        self._smallest = 2 ** sum("pool" in layer.name for layer in self._path)  # ≥ 1 position

    def __call__(self, x: Any) -> dict[str, Any]:
        """Run the taps; same numbers as ``self.model(x)``, with a leaner backward pass."""
        import tensorflow as tf

        from ._lean import run_taps

        x = tf.cast(x, tf.float32)
        shape = () if x.shape.rank is None else tuple(x.shape)
        if shape and (len(shape) != 4 or shape[-1] not in (3, None)):
            fix = "; add the batch axis: x[None]" if len(shape) == 3 else ""
            raise ValueError(f"VGG19 takes a (B, H, W, 3) batch, got shape {shape}{fix}")
        if shape and None not in shape[1:3] and min(shape[1:3]) < self._smallest:
            raise ValueError(
                f"a {shape[2]}×{shape[1]} px picture is too small for {self._path[-1].name}: it "
                f"needs at least {self._smallest} px on each side"
            )
        outs = run_taps(self._path, x, self.layers)
        return {name: tf.cast(o, tf.float32) for name, o in zip(self.layers, outs, strict=True)}

    def __repr__(self) -> str:
        return f"FeatureExtractor(layers={list(self.layers)}, precision={self.precision!r})"


@functools.lru_cache(maxsize=16)
def _tap_model(layers: tuple[str, ...], precision: str) -> Any:
    """Sub-model of the cached VGG19 ending at the deepest tap (later layers are never run)."""
    import keras

    base = load_vgg19(precision)
    outputs = [base.get_layer(name).output for name in layers]
    model = keras.Model(base.input, outputs, name="vgg19_taps")
    model.trainable = False
    return model
