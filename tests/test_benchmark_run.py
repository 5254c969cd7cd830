"""The benchmark's arithmetic: the tutorial's extrapolated time and what counts as L_ref."""

from __future__ import annotations

import pytest

from benchmarks.run import DEFAULT_RECIPES, RECIPES, failures, summarise, tutorial_1000
from nststudy.config import get_preset


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


def test_a_crashed_or_retraced_recipe_fails_the_run() -> None:
    """``make bench-quick`` is CI's smoke test: a child that crashed, timed out or retraced
    must make it fail, not just show up as a row."""
    good = {"recipe": "default", "size": 128, "traces": [1]}
    assert failures([good, {**good, "traces": [1, 1]}]) == []
    error = "Traceback (most recent call last): | File ... | ValueError: x"  # run_child's
    crashed = {"recipe": "article", "size": 128, "error": error}
    retraced = {"recipe": "preview", "size": 128, "traces": [2]}
    said = failures([good, crashed, retraced])
    assert said == [
        "article @ 128 px: ValueError: x",
        "preview @ 128 px: traced [2] times per stage (must be 1 each)",
    ]


def test_the_full_run_skips_only_the_recipe_that_repeats_the_headline() -> None:
    assert set(RECIPES) - set(DEFAULT_RECIPES) == {"long-m40h16@tutorial-loss"}
    repeat = RECIPES["long-m40h16@tutorial-loss"]["overrides"]
    default = get_preset("default")  # what long@tutorial-loss runs
    assert repeat["lbfgs_memory"] == default.lbfgs_memory
    assert repeat["lbfgs_history"] == default.lbfgs_history


def test_a_one_step_tutorial_is_refused_with_the_fix() -> None:
    row = {"steps": 1, "wall_s": 3.0, "cpu_s": 5.0, "trajectory": [(2.0, 1e7, 3.0)]}
    with pytest.raises(ValueError, match="--tutorial-steps 2 or more"):  # (was ZeroDivisionError)
        tutorial_1000(row)


def test_each_row_records_its_whole_process_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """``wall_s`` is the run alone; a user waits for Python, TensorFlow and the weights too."""
    import subprocess

    import benchmarks.run as run

    def child(cmd: list[str], **kwargs: object) -> subprocess.CompletedProcess:
        return subprocess.CompletedProcess(cmd, 0, '{"recipe": "preview", "wall_s": 1.0}\n', "")

    monkeypatch.setattr(run.subprocess, "run", child)
    row = run.run_child({"recipe": "preview", "size": 128}, timeout=10)
    assert row["wall_s"] == 1.0 and 0 <= row["process_s"] < 5


def test_a_one_step_tutorial_is_refused_before_any_work(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from benchmarks.run import main

    with pytest.raises(SystemExit):
        main(["--tutorial-steps", "1", "--recipes", "tutorial", "--sizes", "64"])
    assert "--tutorial-steps: give 2 or more" in capsys.readouterr().err
