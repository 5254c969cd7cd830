"""``benchmarks.curve`` on a tiny image: losses per step, kept pictures, the strip."""

from __future__ import annotations

import json
from pathlib import Path

from benchmarks import curve


def test_curve_records_every_step_and_compares_kept_pictures(weights: Path, tmp_path: Path) -> None:
    out = curve.main(
        ["--size", "48", "--steps", "4", "--keep", "2,9", "--tag", "t", "--results", str(tmp_path)]
    )
    saved = json.loads((tmp_path / "t.json").read_text())
    assert [r["step"] for r in saved["trajectory"]] == [1, 2, 3, 4]
    assert [k["step"] for k in out["kept"]] == [2, 4]  # 9 is past the end: the last step instead
    assert out["kept"][-1]["loss_over_last"] == 1.0 and out["kept"][-1]["pixels_from_last"] == 0
    assert out["kept"][0]["loss_over_last"] > 1.0  # L-BFGS lowers the loss from step 2 to 4
    assert (tmp_path / "t" / "steps.jpg").stat().st_size > 0
