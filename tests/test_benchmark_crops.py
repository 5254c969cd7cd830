"""``benchmarks.crops`` on tiny images."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from benchmarks import crops, lowrank_vgg
from nststudy.images import to_vgg
from nststudy.losses import total_variation_loss


def test_windows_keep_the_aspect_and_sit_on_the_content_grid() -> None:
    assert crops.crop_shape((192, 256), 0.25, 16) == (96, 128)
    assert crops.crop_shape((192, 256), 0.5, 16) == (128, 176)
    assert crops.crop_shape((20, 40), 0.01, 16) == (16, 16)  # at least one grid cell
    assert crops.crop_shape((47, 47), 0.99, 16) == (32, 32)  # never past the image's cells
    with pytest.raises(ValueError, match="smaller than one 16 px cell"):
        crops.crop_shape((10, 40), 0.5, 16)


@pytest.mark.parametrize(("n", "window"), [(192, 128), (256, 64), (200, 96), (48, 48)])
def test_every_grid_cell_is_painted_equally_often(n: int, window: int) -> None:
    cells = np.zeros(n // 16, int)
    for start in crops.window_starts(n, window, 16):
        first, last = max(start, 0), min(start + window, n // 16 * 16)
        assert last - first >= 16  # every window keeps at least one cell
        cells[first // 16 : last // 16] += 1
    assert (cells == window // 16).all()  # windows forced inside would favour the centre


def test_the_whole_window_is_the_tutorial_loss(weights: Path) -> None:
    stage, photo, _ = lowrank_vgg.tutorial_stage(48)
    x = photo[None].astype(np.float32)
    (layer,) = stage.extractor.content_layers
    assert crops.grid_of(stage) == 16  # block5_conv2: 4 poolings before it
    whole = crops.crop_evaluator(stage, photo.shape[0] * photo.shape[1])
    loss, grad = whole(tf.constant(x), stage.targets.content[layer])
    losses, expected = stage.loss_and_grad(x)
    np.testing.assert_allclose(float(loss), float(losses["total"]), rtol=1e-6)
    np.testing.assert_allclose(grad.numpy(), expected.numpy(), rtol=1e-5, atol=1e-6 * float(loss))


def test_a_window_counts_its_tv_times_the_area_ratio(weights: Path) -> None:
    stage, photo, _ = lowrank_vgg.tutorial_stage(48)
    (layer,) = stage.extractor.content_layers
    part = tf.constant(photo[None, :32, 16:48].astype(np.float32))
    content = stage.targets.content[layer][:, :2, 1:3]
    once = crops.crop_evaluator(stage, 32 * 32)(part, content)[0]
    thrice = crops.crop_evaluator(stage, 3 * 32 * 32)(part, content)[0]
    tv = stage.config.tv_weight * float(total_variation_loss(to_vgg(part))) / 255.0
    assert tv > 0
    # the totals are float32 sums near 1e8: their difference is good to their rounding
    np.testing.assert_allclose(float(thrice) - float(once), 2 * tv, atol=4e-6 * float(once))


def test_every_run_starts_at_the_photo_and_spends_the_budget(weights: Path, tmp_path: Path) -> None:
    out = tmp_path / "c.json"
    args = ["--size", "48", "--budget", "2", "--every", "1", "--crops", "0.5"]
    assert crops.main([*args, "--ref-loss", "1e30", "--out", str(out)]) == 0
    result = json.loads(out.read_text())
    runs = result["runs"]
    assert len(runs) == 3 and isinstance(result["lean_gradient"], bool)
    starts = {run["trace"][0][1] for run in runs.values()}
    whole, crop, lbfgs = runs.values()
    assert whole["trace"][0][0] == 0 and len(starts) == 2  # L-BFGS logs after its first step
    assert whole["steps"] == 2 and whole["trace"][-1][0] == 2
    # windows cut at the edges are smaller: at least as many steps as whole windows would take
    assert crop["window"] == [32, 32] and crop["steps"] >= int(np.ceil(2 / crop["share"]))
    assert crop["trace"][-1][0] >= 2 and crop["seconds"] > 0
    assert lbfgs["evaluations"] == 2
    assert all(run["to_ref"] == run["trace"][0][0] for run in runs.values())  # 1e30: at once
