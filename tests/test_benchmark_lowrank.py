"""``benchmarks.lowrank_vgg`` and ``benchmarks.lbfgs_diagonal`` on tiny images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import nststudy._lean
from benchmarks import lbfgs_diagonal, lowrank_vgg


def test_with_every_component_kept_the_factored_network_is_the_network(weights: Path) -> None:
    stage, photo, style = lowrank_vgg.tutorial_stage(48)
    x = photo[None].astype(np.float32)
    layers = ("block3_conv2", "block4_conv1", "block5_conv1")
    full = lowrank_vgg.principal_factors(stage.extractor._path, [photo, style], layers, 1.0)
    half = lowrank_vgg.principal_factors(stage.extractor._path, [photo, style], layers, 0.5)
    assert [f[0].shape[-1] for f in full.values()] == [256, 512, 512]
    assert [f[0].shape[-1] for f in half.values()] == [128, 256, 256]
    _, exact, g = lowrank_vgg.timed(stage, x, 1)
    _, same, g_same = lowrank_vgg.timed(lowrank_vgg.lowrank_stage(stage, full, x), x, 1)
    _, approx, _ = lowrank_vgg.timed(lowrank_vgg.lowrank_stage(stage, half, x), x, 1)
    # P Pᵀ = I: the shift algebra gives back W * x + b (float32 rounding only)
    assert abs(same / exact - 1) < 1e-4
    assert np.vdot(g, g_same) / np.linalg.norm(g) / np.linalg.norm(g_same) > 0.9999
    assert abs(approx / exact - 1) > 1e-4  # half the components: a different network
    assert nststudy._lean.run_taps.__qualname__ == "run_taps"  # the patch is undone


def test_lowrank_race_scores_with_the_exact_loss(weights: Path, tmp_path: Path) -> None:
    out = tmp_path / "lr.json"
    args = ["--size", "48", "--max-evaluations", "3", "--ref-loss", "0", "--repeats", "1"]
    assert lowrank_vgg.main([*args, "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["layers"] == list(lowrank_vgg.MIDDLE)
    for name in ("exact", "lowrank"):
        race = result[name]
        assert race["evaluations"] == 3 and race["to_ref"] is None and race["trace"]
        for evaluations, exact, own, seconds in race["trace"]:
            assert 1 <= evaluations <= 3 and seconds > 0
            assert (exact == own) == (name == "exact")  # the low-rank run: scored apart
        times = [t[3] for t in race["trace"]]
        assert times == sorted(times) and times[-1] <= race["seconds"]
        # the run's time counts L-BFGS's own work too, but never the scoring
        assert race["evaluation_seconds"] < race["seconds"]
        assert race["s_per_evaluation"] == race["evaluation_seconds"] / 3


def test_diagonal_start_equal_to_gamma_gives_the_scalar_direction() -> None:
    rng = np.random.default_rng(0)
    shape = (6, 5, 3)
    scalar = lbfgs_diagonal.lbfgs._Memory(4, shape)
    diagonal = lbfgs_diagonal.DiagonalMemory(4, shape)
    for _ in range(3):
        s = rng.normal(size=shape).astype(np.float32)
        y = s * rng.uniform(0.5, 2.0, size=shape).astype(np.float32)  # curvature per pixel
        scalar.add(s, y)
        diagonal.add(s, y)
    g = rng.normal(size=shape).astype(np.float32)
    free = np.ones(shape, np.float32)
    assert diagonal.diagonal is not None and diagonal.diagonal.std() > 0  # per pixel now
    differs = diagonal.direction(g, free)
    diagonal.diagonal = np.full(shape, scalar.gamma(), np.float32)
    np.testing.assert_allclose(diagonal.direction(g, free), scalar.direction(g, free), rtol=1e-5)
    assert not np.allclose(differs, scalar.direction(g, free), rtol=1e-3)


def test_where_the_recursion_zeroes_held_pixels() -> None:
    """All pixels free: the three variants are one direction. Some held: ``projected`` is a
    symmetric operator on ``g`` (``a·D(b) = b·D(a)``), nststudy's is not quite."""
    rng = np.random.default_rng(1)
    shape = (6, 5, 3)
    kinds = (lbfgs_diagonal.lbfgs._Memory, lbfgs_diagonal.MaskedMemory)
    memories = [kind(4, shape) for kind in (*kinds, lbfgs_diagonal.ProjectedMemory)]
    for _ in range(3):
        s = rng.normal(size=shape).astype(np.float32)
        y = s * rng.uniform(0.5, 2.0, size=shape).astype(np.float32)
        for memory in memories:
            memory.add(s, y)
    a, b = (rng.normal(size=shape).astype(np.float32) for _ in range(2))
    free = np.ones(shape, np.float32)
    library, masked, projected = (m.direction(a, free) for m in memories)
    np.testing.assert_allclose(masked, library, rtol=1e-5)
    np.testing.assert_allclose(projected, library, rtol=1e-5)
    free[:2] = 0  # two rows held
    for memory in memories:
        assert np.all(memory.direction(a, free)[:2] == 0)

    def asymmetry(memory: object) -> float:
        da, db = memory.direction(a, free), memory.direction(b, free)  # type: ignore[attr-defined]
        return abs(float(np.vdot(a, db) - np.vdot(b, da))) / float(np.vdot(a, a))

    assert asymmetry(memories[2]) < 1e-5 < asymmetry(memories[0])


def test_diagonal_benchmark_runs_both(weights: Path, tmp_path: Path) -> None:
    out = tmp_path / "d.json"
    assert lbfgs_diagonal.main(["--size", "48", "--max-evaluations", "4", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["scalar"]["evaluations"] == result["diagonal"]["evaluations"] == 4
