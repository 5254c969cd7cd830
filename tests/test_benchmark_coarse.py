"""``benchmarks.coarse_start`` on tiny images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import coarse_start


def _photo(h: int = 24, w: int = 32) -> np.ndarray:
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.stack([x / w, y / h, 0.5 + 0.4 * np.sin(x / 3) * np.cos(y / 4)], axis=-1)
    return img.astype(np.float32)


def test_the_photo_downscaled_plus_its_detail_is_the_photo() -> None:
    photo = _photo()
    small = tf.image.resize(photo[None], (12, 16), method="area").numpy()[0]
    got = coarse_start.starts(["photo", "upsampled", "upsampled+detail"], small, photo)
    assert got["photo"] is photo
    np.testing.assert_allclose(got["upsampled+detail"], photo, atol=1e-6)
    blurred = np.abs(got["upsampled"] - photo).max()
    assert blurred > 0.03  # the sine pattern is finer than the coarse size holds
    assert got["upsampled"].shape == photo.shape and got["upsampled"].min() >= 0


def test_starts_from_a_painting_need_the_painting() -> None:
    with pytest.raises(ValueError, match="coarse painting"):
        coarse_start.starts(["upsampled"], None, _photo())


def test_coarse_start_races_each_start_for_the_same_evaluations(
    weights: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "cs.json"
    args = ["--size", "64", "--coarse-size", "32", "--coarse-evaluations", "3"]
    assert coarse_start.main([*args, "--max-evaluations", "4", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    assert result["shape"] == [48, 64] and result["coarse"]["evaluations"] == 3
    starts = {name: result[name]["start_loss"] for name in coarse_start.VARIANTS}
    assert len(set(starts.values())) == 3  # three different images
    for name in coarse_start.VARIANTS:
        assert result[name]["evaluations"] == 4 and result[name]["trace"]
        assert (tmp_path / f"cs_{name.replace('+', '_')}.jpg").stat().st_size > 0
    table = capsys.readouterr().out
    assert "coarse stage: 3 evaluations at 32 px" in table and "upsampled+detail" in table


def test_unknown_start_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        coarse_start.main(["--variants", "photo,noise"])
    assert "choose from photo, upsampled, upsampled+detail" in capsys.readouterr().err
