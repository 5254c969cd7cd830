"""Layer names and the feature extractor (the weights: tests/test_weights.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from nststudy import vgg
from nststudy.vgg import (
    FeatureExtractor,
    canonical_layer,
)


@pytest.mark.parametrize(
    ("name", "keras"),
    [
        ("conv4_2", "block4_conv2"),
        ("relu1_1", "block1_conv1"),
        ("block5_conv4", "block5_conv4"),
        ("pool3", "block3_pool"),
        (" Conv5_1 ", "block5_conv1"),
    ],
)
def test_canonical_layer(name: str, keras: str) -> None:
    assert canonical_layer(name) == keras


def test_unknown_layer_suggests_closest() -> None:
    with pytest.raises(ValueError, match="did you mean 'block4_conv2'"):
        canonical_layer("block4_cnv2")


def test_feature_extractor_shapes(weights: Path) -> None:
    ex = FeatureExtractor(["conv4_2"], ["block1_conv1", "conv3_1", "block5_conv1"])
    x = np.zeros((1, 64, 96, 3), np.float32)
    out = ex(x)
    assert list(out) == ["block4_conv2", "block1_conv1", "block3_conv1", "block5_conv1"]
    assert tuple(out["block1_conv1"].shape) == (1, 64, 96, 64)
    assert tuple(out["block3_conv1"].shape) == (1, 16, 24, 256)
    assert tuple(out["block4_conv2"].shape) == (1, 8, 12, 512)
    assert tuple(out["block5_conv1"].shape) == (1, 4, 6, 512)


def test_extractor_stops_at_deepest_tap_and_is_cached(weights: Path) -> None:
    ex = FeatureExtractor(["block2_conv1"], [])
    names = [layer.name for layer in ex.model.layers]
    assert names[-1] == "block2_conv1" and "block3_conv1" not in names
    assert FeatureExtractor(["conv2_1"], []).model is ex.model  # built once per process
    assert vgg.load_vgg19() is vgg.load_vgg19("float32")  # one network, however asked
    assert ex.model.get_layer("block1_conv1") is vgg.load_vgg19().get_layer("block1_conv1")


def test_lean_backward_matches_keras_gradient(weights: Path) -> None:
    # The extractor runs the convs by hand, with their image gradient as a forward conv with
    # the turned kernel or TensorFlow's own (lean_gradient(); both are tested apart below);
    # values and gradients must equal the Keras model's own.
    import tensorflow as tf

    ex = FeatureExtractor(["conv2_1"], ["conv1_1", "conv1_2"])
    x = tf.constant(np.random.default_rng(1).uniform(-120, 130, (1, 20, 28, 3)), tf.float32)

    def loss_and_grad(fn):  # a loss that weighs every tap and every position differently
        with tf.GradientTape() as tape:
            tape.watch(x)
            outs = fn(x)
            loss = sum(tf.reduce_sum(tf.square(o) * (i + 1)) for i, o in enumerate(outs))
        return loss.numpy(), tape.gradient(loss, x).numpy()

    lean, lean_grad = loss_and_grad(lambda t: list(ex(t).values()))
    keras_loss, keras_grad = loss_and_grad(lambda t: ex.model(t, training=False))
    assert lean == pytest.approx(keras_loss, rel=1e-5)
    assert np.abs(lean_grad).max() > 0
    np.testing.assert_allclose(
        lean_grad, keras_grad, rtol=1e-3, atol=1e-3 * np.abs(keras_grad).max()
    )


@pytest.mark.parametrize("lean", [True, False])
def test_either_image_gradient_is_the_keras_gradient(
    weights: Path, monkeypatch: pytest.MonkeyPatch, lean: bool
) -> None:
    # run_taps turns the kernel (lean) or leaves the gradient to TensorFlow (where oneDNN's
    # rewrite makes that faster); both give Keras's numbers, and the graph shows which ran.
    import tensorflow as tf

    import nststudy._lean

    monkeypatch.setattr(nststudy._lean, "lean_gradient", lambda: lean)
    ex = FeatureExtractor(["conv2_1"], ["conv1_2"])
    x = tf.constant(np.random.default_rng(2).uniform(-120, 130, (1, 20, 28, 3)), tf.float32)

    def traced(fn):  # the gradient of a loss weighing every tap differently, as a graph
        @tf.function
        def grad(t: tf.Tensor) -> tf.Tensor:
            with tf.GradientTape() as tape:
                tape.watch(t)
                loss = sum(tf.reduce_sum(tf.square(o) * (i + 1)) for i, o in enumerate(fn(t)))
            return tape.gradient(loss, t)

        return grad.get_concrete_function(x)

    expected = traced(lambda t: ex.model(t, training=False))(x).numpy()
    taps = traced(lambda t: list(ex(t).values()))
    ops = {op.type for op in taps.graph.get_operations()}
    assert ("Conv2DBackpropInput" in ops) is not lean
    np.testing.assert_allclose(
        taps(x).numpy(), expected, rtol=1e-3, atol=1e-3 * abs(expected).max()
    )


def test_the_gradient_choice_follows_tensorflows_onednn_switch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    util_port = pytest.importorskip("tensorflow.python.util._pywrap_util_port")

    import tensorflow as tf

    from nststudy._lean import conv3x3_same, image_conv, lean_gradient

    try:
        for forced, expected in (("1", True), ("0", False)):
            monkeypatch.setenv("NSTSTUDY_LEAN_GRADIENT", forced)
            lean_gradient.cache_clear()
            assert lean_gradient() is expected
            assert (image_conv(tf.float32) is conv3x3_same) is expected
            assert image_conv(tf.bfloat16) is conv3x3_same  # bfloat16: the turned kernel always
        monkeypatch.delenv("NSTSTUDY_LEAN_GRADIENT")
        lean_gradient.cache_clear()
        assert lean_gradient() is not util_port.IsMklEnabled()
        monkeypatch.setenv("NSTSTUDY_LEAN_GRADIENT", "yes")
        lean_gradient.cache_clear()
        with pytest.raises(ValueError, match=r"set it to 1 .* or 0"):
            lean_gradient()
    finally:
        monkeypatch.undo()
        lean_gradient.cache_clear()


def test_without_onednn_tensorflows_own_gradient_never_runs_a_forward_transposed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``NSTSTUDY_LEAN_GRADIENT=0`` where oneDNN does not run: TensorFlow's Eigen
    backward-data kernel builds the large scratch matrix, so no layer may run forwards as it."""
    import tensorflow as tf

    import nststudy._lean as lean

    monkeypatch.setattr(lean, "lean_gradient", lambda: False)
    for running, expected in ((True, lean._onednn_conv), (False, lean._tf_conv)):
        monkeypatch.setattr(lean, "onednn_running", lambda running=running: running)
        assert lean.image_conv(tf.float32) is expected
    assert lean.image_conv(tf.bfloat16) is lean.conv3x3_same


def test_the_transposed_convolution_is_conv2d_forwards_and_backwards() -> None:
    import tensorflow as tf

    from nststudy._lean import conv3x3_transposed

    rng = np.random.default_rng(3)
    x = tf.constant(rng.standard_normal((2, 7, 9, 5)), tf.float32)  # odd sizes, 5 → 4 channels
    kernel = tf.constant(rng.standard_normal((3, 3, 5, 4)), tf.float32)
    weight = tf.constant(rng.standard_normal((2, 7, 9, 4)), tf.float32)  # every output differs

    def value_and_grad(conv):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = conv(x, kernel)
            loss = tf.reduce_sum(y * weight)
        return y.numpy(), tape.gradient(loss, x).numpy()

    y, dx = value_and_grad(conv3x3_transposed)
    y_ref, dx_ref = value_and_grad(lambda a, k: tf.nn.conv2d(a, k, 1, "SAME"))
    assert y.shape == (2, 7, 9, 4)
    np.testing.assert_allclose(y, y_ref, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, dx_ref, rtol=1e-5, atol=1e-5)


def test_under_onednn_layers_of_128_channels_and_up_run_transposed(
    weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tensorflow as tf

    import nststudy._lean

    monkeypatch.setattr(nststudy._lean, "lean_gradient", lambda: False)  # oneDNN's choice
    monkeypatch.setattr(nststudy._lean, "onednn_running", lambda: True)
    ex = FeatureExtractor(["conv3_1"], ["conv1_1"])  # 3, 64, 64, 128 and 128 input channels
    x = tf.constant(np.random.default_rng(4).uniform(-120, 130, (1, 20, 28, 3)), tf.float32)

    @tf.function
    def grad(t: tf.Tensor) -> tf.Tensor:
        with tf.GradientTape() as tape:
            tape.watch(t)
            loss = sum(tf.reduce_sum(tf.square(o) * (i + 1)) for i, o in enumerate(ex(t).values()))
        return tape.gradient(loss, t)

    ops = [op.type for op in grad.get_concrete_function(x).graph.get_operations()]
    assert ops.count("Conv2D") == 3  # conv1_1, conv1_2, conv2_1 forwards
    assert ops.count("Conv2DBackpropInput") == 2 + 5  # conv2_2, conv3_1 forwards; 5 gradients
    with tf.GradientTape() as tape:
        tape.watch(x)
        outs = ex.model(x, training=False)
        loss = sum(tf.reduce_sum(tf.square(o) * (i + 1)) for i, o in enumerate(outs))
    expected = tape.gradient(loss, x).numpy()
    np.testing.assert_allclose(
        grad(x).numpy(), expected, rtol=1e-3, atol=1e-3 * abs(expected).max()
    )


def test_pretrained_weights_are_loaded(weights: Path) -> None:
    # Random initialisation gives tiny activations; the real weights respond strongly to edges.
    img = np.zeros((1, 64, 64, 3), np.float32)
    img[:, :, 32:] = 100.0
    out = FeatureExtractor(["block5_conv2"], [])(img)["block5_conv2"].numpy()
    assert out.max() > 5.0


def test_bfloat16_precision_close_to_float32(weights: Path) -> None:
    rng = np.random.default_rng(0)
    x = (rng.uniform(0, 1, (1, 32, 32, 3)).astype(np.float32) * 255) - 120
    f32 = FeatureExtractor(["conv3_1"], [])(x)["block3_conv1"].numpy()
    bf16 = FeatureExtractor(["conv3_1"], [], precision="bfloat16")(x)["block3_conv1"]
    assert bf16.dtype.name == "float32"  # cast back for the losses
    rel = np.abs(bf16.numpy() - f32).mean() / np.abs(f32).mean()
    assert 0 < rel < 0.05  # bf16 has ~3 significant digits: different, but close


def test_extractor_refuses_a_picture_without_batch_axis_or_too_small(weights: Path) -> None:
    ext = FeatureExtractor(style_layers=["conv5_1"])
    with pytest.raises(ValueError, match=r"got shape \(32, 32, 3\); add the batch axis: x\[None\]"):
        ext(np.zeros((32, 32, 3), np.float32))
    with pytest.raises(ValueError, match=r"8×8 px picture is too small for block5_conv1: .* 16 px"):
        ext(np.zeros((1, 8, 8, 3), np.float32))  # was: an empty map, and a NaN Gram matrix
    assert ext(np.zeros((1, 16, 16, 3), np.float32))["block5_conv1"].shape == (1, 1, 1, 512)
    pool = FeatureExtractor(style_layers=["block5_pool"])
    with pytest.raises(ValueError, match=r"too small for block5_pool: .* 32 px"):
        pool(np.zeros((1, 16, 40, 3), np.float32))
