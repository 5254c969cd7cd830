"""Losses against explicit numpy references and TensorFlow's own functions."""

from __future__ import annotations

import numpy as np
import pytest
import tensorflow as tf

from nststudy.losses import (
    article_style_loss,
    article_total_variation_loss,
    content_loss,
    gram_matrix,
    gram_sum,
    style_layer_losses,
    style_loss,
    total_variation_loss,
)

RNG = np.random.default_rng(42)


def _gram_loop(f: np.ndarray) -> np.ndarray:
    b, h, w, c = f.shape
    out = np.zeros((b, c, c))
    for n in range(b):
        for i in range(c):
            for j in range(c):
                out[n, i, j] = np.sum(f[n, :, :, i] * f[n, :, :, j]) / (h * w)
    return out


def test_gram_matches_numpy_loop() -> None:
    f = RNG.normal(size=(2, 5, 7, 4)).astype(np.float32)
    np.testing.assert_allclose(gram_matrix(f).numpy(), _gram_loop(f), rtol=1e-5, atol=1e-5)


def test_gram_is_symmetric_and_size_independent() -> None:
    f = RNG.uniform(size=(1, 4, 4, 3)).astype(np.float32)
    tiled = np.tile(f, (1, 3, 3, 1))  # same statistics, 9× the positions
    g = gram_matrix(f).numpy()
    np.testing.assert_allclose(g, np.swapaxes(g, 1, 2), atol=1e-6)
    np.testing.assert_allclose(gram_matrix(tiled).numpy(), g, rtol=1e-5)


def test_losses_take_float_tensors_of_any_precision() -> None:
    """A float64 tensor (tf.constant of NumPy's default) or a bfloat16 network's outputs were
    TensorFlow's "Tensor conversion requested dtype float32" from inside the function."""
    f = np.random.default_rng(0).random((1, 4, 5, 3))
    want = gram_matrix(f.astype(np.float32)).numpy()
    for dtype in (tf.float64, tf.bfloat16, tf.float16):
        got = gram_matrix(tf.constant(f, dtype)).numpy()
        assert got.dtype == np.float32 and np.allclose(got, want, atol=0.02), dtype
    assert float(content_loss(tf.constant(f), f)) == pytest.approx(0.0)
    assert float(total_variation_loss(tf.constant(f))) == pytest.approx(
        float(total_variation_loss(f.astype(np.float32))), rel=1e-5
    )
    with pytest.raises(ValueError, match="got a uint8 tensor; cast it first"):
        gram_matrix(tf.constant(f, tf.uint8))


def test_content_loss_is_mse() -> None:
    a, b = RNG.normal(size=(2, 1, 3, 4, 5)).astype(np.float32)
    assert float(content_loss(a, b)) == pytest.approx(np.mean((a - b) ** 2), rel=1e-5)
    assert float(content_loss(a, a)) == 0.0


def test_style_losses_match_formulas() -> None:
    f = RNG.normal(size=(1, 6, 5, 8)).astype(np.float32)
    target = _gram_loop(RNG.normal(size=(1, 6, 5, 8))).astype(np.float32)
    diff = (_gram_loop(f) - target) ** 2
    assert float(style_loss(f, target)) == pytest.approx(diff.mean(), rel=1e-4)
    # The article: reduce_mean((S - G)^2) / (4 C^2) with C = 8.
    assert float(article_style_loss(f, target)) == pytest.approx(diff.mean() / (4 * 64), rel=1e-4)


def test_tv_matches_tensorflow() -> None:
    img = RNG.uniform(size=(2, 9, 11, 3)).astype(np.float32)
    expected = float(tf.reduce_sum(tf.image.total_variation(tf.constant(img))))
    assert float(total_variation_loss(img)) == pytest.approx(expected, rel=1e-5)
    assert float(total_variation_loss(np.ones((1, 5, 5, 3), np.float32))) == 0.0


def test_article_tv_is_mean_of_squared_gradients() -> None:
    img = RNG.uniform(size=(1, 6, 7, 3)).astype(np.float32)
    dy = np.zeros_like(img)
    dx = np.zeros_like(img)
    dy[:, :-1] = img[:, 1:] - img[:, :-1]
    dx[:, :, :-1] = img[:, :, 1:] - img[:, :, :-1]
    expected = np.mean(dy**2) + np.mean(dx**2)
    assert float(article_total_variation_loss(img)) == pytest.approx(expected, rel=1e-5)


def test_style_layer_losses_weights_and_sum() -> None:
    feats = {n: RNG.normal(size=(1, 4, 4, 3)).astype(np.float32) for n in "ab"}
    grams = {n: gram_matrix(RNG.normal(size=(1, 4, 4, 3)).astype(np.float32)) for n in "ab"}
    equal = style_layer_losses(feats, grams)
    raw = {n: float(style_loss(feats[n], grams[n])) for n in "ab"}
    assert list(equal) == ["a", "b"]
    assert float(equal["a"]) == pytest.approx(raw["a"] / 2, rel=1e-5)
    only_b = style_layer_losses(feats, grams, {"a": 0.0, "b": 3.0})
    assert float(only_b["a"]) == 0.0 and float(only_b["b"]) == pytest.approx(raw["b"], rel=1e-5)
    with pytest.raises(ValueError):
        style_layer_losses(feats, grams, formula="nope")


def test_no_style_layers_means_no_style_loss() -> None:
    assert style_layer_losses({}, {}) == {}


def test_gram_gradient_matches_closed_form() -> None:
    # L = mean((G - A)²) over C×C with G = FᵀF / N  ⇒  dL/dF = 4 F (G - A) / (C² N).
    f = RNG.normal(size=(1, 5, 7, 6)).astype(np.float32)
    target = _gram_loop(RNG.normal(size=(1, 3, 4, 6))).astype(np.float32)
    x = tf.constant(f)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = style_loss(x, target)
    flat = f.reshape(35, 6).astype(np.float64)
    expected = 4 * flat @ (_gram_loop(f)[0] - target[0]) / (6**2 * 35)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy().reshape(35, 6), expected, rtol=1e-4)


def test_gram_sum_is_the_undivided_gram() -> None:
    f = RNG.normal(size=(2, 3, 5, 4)).astype(np.float32)
    np.testing.assert_allclose(gram_sum(f).numpy(), _gram_loop(f) * 15, rtol=1e-5, atol=1e-4)


def test_gram_of_one_pictures_maps_says_to_add_the_batch_axis() -> None:
    one = np.ones((4, 4, 8), np.float32)  # F = features[layer].numpy()[0]
    with pytest.raises(ValueError, match=r"got shape \(4, 4, 8\); add the batch axis: F\[None\]"):
        gram_matrix(one)  # was: "slice index 3 of dimension 0 out of bounds"
    with pytest.raises(ValueError, match=r"F\[None\]"):
        style_loss(one, np.ones((1, 8, 8), np.float32))
    with pytest.raises(ValueError, match="have no positions"):
        gram_matrix(np.ones((1, 0, 4, 8), np.float32))  # was: 0 / 0 = NaN
    assert gram_matrix(one[None]).shape == (1, 8, 8)


def test_style_layer_weights_take_paper_names_and_refuse_negative_or_unknown_layers() -> None:
    rng = np.random.default_rng(0)
    names = ("block1_conv1", "block2_conv1")
    feats = {n: rng.normal(size=(1, 4, 4, 3)).astype(np.float32) for n in names}
    grams = {n: gram_matrix(rng.normal(size=(1, 4, 4, 3))) for n in feats}
    keras = style_layer_losses(feats, grams, {"block1_conv1": 4.0, "block2_conv1": 1.0})
    paper = style_layer_losses(feats, grams, {"conv1_1": 4.0, "conv2_1": 1.0})  # was: conv1_1 → 0
    for name in feats:
        assert float(paper[name]) == pytest.approx(float(keras[name]))
    with pytest.raises(ValueError, match=r"style weight block2_conv1=-1\.0: give a number >= 0"):
        style_layer_losses(feats, grams, {"block1_conv1": 2.0, "block2_conv1": -1.0})
    with pytest.raises(ValueError, match="style weight for 'conv3_1': no style target there"):
        style_layer_losses(feats, grams, {"conv1_1": 1.0, "conv3_1": 1.0})
