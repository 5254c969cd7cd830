"""``benchmarks.precision`` on tiny images."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import precision


def test_precision_races_bfloat16_scored_in_float32(weights: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    args = ["--size", "48", "--race-size", "48", "--repeats", "1", "--max-evaluations", "3"]
    assert precision.main([*args, "--ref-loss", "0", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert set(result["conv"]["by_dtype"]) == set(precision.DTYPES)
    assert result["conv"]["by_dtype"]["float32"]["ms"] > 0
    layers = [row["layer"] for row in result["kernels"]]
    assert layers == ["block1_conv2", "block2_conv2", "block3_conv2", "block4_conv2"]
    for row in result["kernels"]:
        apart = row["float32_apart"]
        assert apart is not None and apart < 1e-5  # the two ways compute the same convolution
        timed = row["by_dtype"]["float32"]
        assert timed["forward"]["ms"] > 0 and timed["backward_data"]["ms"] > 0
    p = result["at_photo"]
    assert p["s_float32"] > 0 and p["s_bfloat16"] > 0
    # bfloat16 keeps ≈ 3 significant digits: the two losses are close, not equal
    assert 0 < abs(p["loss_bfloat16"] / p["loss_float32"] - 1) < 0.05
    assert 0.9 < p["gradient_cosine"] < 1
    for name in ("float32", "bfloat16"):
        race = result[name]
        assert race["evaluations"] == 3 and race["to_ref"] is None
        for _, exact, own, _ in race["trace"]:
            assert (exact == own) == (name == "float32")  # bfloat16 runs are scored apart


def test_precision_without_the_race_times_the_kernels_alone(weights: Path, tmp_path: Path) -> None:
    out = tmp_path / "p.json"
    assert precision.main(["--size", "48", "--repeats", "1", "--no-race", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert "float32" not in result and "bfloat16" not in result  # no race run
    assert [row["shape"] for row in result["kernels"]] == [
        [36, 48, 64], [18, 24, 128], [9, 12, 256], [4, 6, 512]
    ]  # fmt: skip


def test_block2_conv2_at_512_px_is_the_convolution_timed_alone() -> None:
    """At 512 px, kernel_times' block2_conv2 *is* CONV: its forward times are reused, not
    measured a second time (two numbers for one convolution, session 21's JSON)."""

    def row(shape: list[int], ms: float) -> dict:
        timing = {"forward": {"ms": ms, "gflops": 1.0}, "backward_data": {"ms": 9.0}}
        return {"shape": shape, "by_dtype": {"float32": timing, "float16": {"error": "x"}}}

    conv = [precision.CONV[k] for k in ("height", "width", "channels")]
    kernels = [row([384, 512, 64], 1.0), row(conv, 2.0), row([96, 128, 256], 3.0)]
    assert precision.same_conv(kernels) == {
        "float32": {"ms": 2.0, "gflops": 1.0},
        "float16": {"error": "x"},
    }
    assert precision.same_conv([row([36, 48, 64], 1.0)]) is None  # other sizes: timed alone
