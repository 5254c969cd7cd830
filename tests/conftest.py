"""Shared fixtures: weights from ../shared when present, small test images."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
_WEIGHTS = SHARED / "weights" / "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5"
if "NSTSTUDY_VGG19_WEIGHTS" not in os.environ and _WEIGHTS.is_file():
    os.environ["NSTSTUDY_VGG19_WEIGHTS"] = str(_WEIGHTS)
if "NSTSTUDY_SAMPLES_DIR" not in os.environ and (SHARED / "images").is_dir():
    os.environ["NSTSTUDY_SAMPLES_DIR"] = str(SHARED / "images")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# The memory checks are under test: a developer's override must not switch them off here.
os.environ.pop("NSTSTUDY_IGNORE_MEMORY_LIMIT", None)


@pytest.fixture(scope="session")
def weights() -> Path:
    """Path of verified VGG19 weights; skips (or fails, under CI) when there are none."""
    from nststudy.weights import WeightsError, ensure_weights

    try:
        return ensure_weights(download=False)
    except WeightsError as err:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"VGG19 weights not available here: {err}")


@pytest.fixture(scope="session")
def photo() -> np.ndarray:
    """A small real photo (skimage's chelsea the cat), float32 (H, W, 3) in [0, 1]."""
    from skimage import data

    from nststudy.images import load_image

    return load_image(data.chelsea(), max_dim=96)


@pytest.fixture(scope="session")
def texture() -> np.ndarray:
    """A colourful style image (skimage's astronaut), float32 in [0, 1]."""
    from skimage import data

    from nststudy.images import load_image

    return load_image(data.coffee(), max_dim=96)


@pytest.fixture(autouse=True)
def _no_painting_outlives_its_test(monkeypatch: pytest.MonkeyPatch):
    """Stop any studio or training view a test left painting, and forget it: its background
    thread would slow the next tests and make their first widget warn that it took over.
    (``monkeypatch`` is undone after this: the widgets of a test's own ``_LIVE`` count too.)"""
    yield
    one_job = sys.modules.get("nststudy._one_job")
    if one_job is None:
        return
    for widget in list(one_job._LIVE):
        thread = getattr(widget, "_thread", None)
        if widget.running:
            widget.stop()
        if thread is not None:
            thread.join(60)
        one_job._LIVE.discard(widget)
