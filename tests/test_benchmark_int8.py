"""``benchmarks.int8`` on tiny images: 8-bit convolutions that stay close to float32."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import tensorflow as tf

import nststudy._lean
from benchmarks import int8


def test_an_8_bit_convolution_and_its_gradient_are_near_float32s() -> None:
    rng = np.random.default_rng(0)
    kernel = (rng.normal(size=(3, 3, 16, 24)) * 0.1).astype(np.float32)
    x = tf.constant(np.maximum(rng.normal(size=(1, 12, 10, 16)), 0).astype(np.float32))
    up = tf.constant(rng.normal(size=(1, 12, 10, 24)).astype(np.float32))

    def traced(conv):  # oneDNN's 8-bit kernel wants its filter a graph constant: traced
        @tf.function
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = conv(x)
                loss = tf.reduce_sum(y * up)
            return y, tape.gradient(loss, x)

        return [a.numpy() for a in run(x)]

    want = traced(lambda v: tf.nn.conv2d(v, kernel, 1, "SAME"))
    for got, ref in zip(traced(int8.int8_conv(kernel)), want, strict=True):
        apart = np.linalg.norm(got - ref) / np.linalg.norm(ref)
        assert 0 < apart < 0.03, apart  # 8 bits: close, never equal
    # forwards only (the gradient in float32): the gradient is float32's to rounding
    grad = traced(int8.int8_conv(kernel, "forward"))[1]
    np.testing.assert_allclose(grad, want[1], rtol=1e-4, atol=1e-4)


def test_the_int8_race_is_scored_with_the_exact_loss(weights: Path, tmp_path: Path) -> None:
    out = tmp_path / "i8.json"
    args = ["--size", "48", "--max-evaluations", "2", "--ref-loss", "0", "--repeats", "1"]
    assert int8.main([*args, "--from", "128", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    p = result["at_photo"]
    assert 0.9 < p["gradient_cosine"] < 1 and abs(p["loss_int8"] / p["loss_exact"] - 1) < 0.05
    for name in ("exact", "int8", "hybrid", "hybrid_kept"):
        race = result[name]
        assert race["to_ref"] is None and race["trace"] and race["evaluation_seconds"] > 0
    for name in ("exact", "int8", "hybrid_kept"):  # (L_ref 0: the hybrid never switches)
        for _, exact, own, _ in result[name]["trace"]:
            assert (exact == own) == (name == "exact")  # 8-bit evaluations: scored apart
    assert nststudy._lean.run_taps.__qualname__ == "run_taps"  # the patch is undone
