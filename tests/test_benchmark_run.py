"""The benchmark's arithmetic: the tutorial's extrapolated time and what counts as L_ref."""

from __future__ import annotations

import pytest

from benchmarks.run import summarise, tutorial_1000


def test_tutorial_1000_is_extrapolated_from_the_steps_alone() -> None:
    """Adam's evaluation after its last step is in ``wall_s``: it must not be spread over the
    steps that ran (that made the tutorial 3.5-7.4 % slower than it is)."""
    traj = [(2.0 + 4.0 * i, 1e7 - i, 3.0 + 7.0 * i) for i in range(20)]
    row = {"steps": 20, "wall_s": traj[-1][0] + 4.0, "cpu_s": traj[-1][2] + 7.0}
    secs, cpu, extrapolated = tutorial_1000({**row, "trajectory": traj})
    assert extrapolated and secs == pytest.approx(2.0 + 999 * 4.0)
    assert cpu == pytest.approx(3.0 + 999 * 7.0)
    full = {"steps": 1000, "wall_s": 4000.0, "cpu_s": 7000.0, "trajectory": traj}
    assert tutorial_1000(full) == (4000.0, 7000.0, False)


def test_a_shortened_tutorials_loss_is_no_reference() -> None:
    row = {"size": 128, "final_loss": 5.0, "trajectory": [(1.0, 4.0, 1.5)], "wall_s": 2.0}
    summarise([row], {128: {"loss": 6.0, "seconds": 10.0, "provisional": True}})
    assert "loss_vs_ref" not in row and "speedup_to_ref" not in row
    summarise([row], {128: {"loss": 6.0, "seconds": 10.0, "cpu_seconds": 15.0}})
    assert row["loss_vs_ref"] == pytest.approx(5 / 6)
    assert row["speedup_to_ref"] == 10.0 and row["cpu_speedup_to_ref"] == 10.0
