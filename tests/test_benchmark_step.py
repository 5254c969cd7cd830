"""``benchmarks.step`` on a tiny image: the profile and the matmul-vs-einsum Gram A/B."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import step
from nststudy._lean import lean_gradient


def test_step_profiles_and_compares_the_two_grams(weights: Path, tmp_path: Path) -> None:
    out = step.main(["--size", "64", "--evals", "1", "--out", str(tmp_path / "s.json")])
    assert json.loads((tmp_path / "s.json").read_text())["size"] == 64
    ops = out["ops_ms_per_evaluation"]
    # nststudy's step: convolutions and the Gram as batched matrix products, no einsum left;
    # the image gradients are forward convolutions (lean) or TensorFlow's own (under oneDNN)
    backward = "Conv2D" if lean_gradient() else "Conv2DBackpropInput"
    assert {backward, "BatchMatMulV2"} <= set(ops) and "Einsum" not in ops
    assert set(out["alternating"]) == {"matmul", "einsum"}
    assert out["agreement"]["loss_rel"] < 1e-5 and out["agreement"]["grad_rel"] < 1e-4


def test_op_types_are_named_as_tensorflow_names_them_with_or_without_onednn() -> None:
    # AVX-512 VNNI / bfloat16 CPUs run oneDNN's rewritten ops: the same op types in the table
    assert step._plain_op("_MklNativeConv2D") == "Conv2D"
    assert step._plain_op("_MklBatchMatMulV2") == "BatchMatMulV2"
    assert step._plain_op("_MklNativeFusedConv2D") == "_FusedConv2D"
    assert step._plain_op("MaxPoolGrad") == "MaxPoolGrad"
