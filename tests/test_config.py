"""The settings dataclass and presets."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from nststudy.config import PRESETS, STYLE_LAYERS, Config, get_preset


def test_presets_exist_and_are_frozen() -> None:
    assert {"article", "tutorial", "default", "preview"} <= set(PRESETS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        PRESETS["default"].style_weight = 1.0  # type: ignore[misc]


def test_article_preset_matches_the_article() -> None:
    a = PRESETS["article"]
    assert a.content_layers == ("block5_conv2",) and a.style_layers == STYLE_LAYERS
    assert (a.content_weight, a.style_weight, a.tv_weight) == (1e3, 1e2, 30.0)
    assert (a.formulas, a.space, a.optimizer) == ("article", "vgg", "adam")
    assert (a.learning_rate, a.lr_decay_steps, a.lr_decay_rate) == (2.0, 100, 0.99)


def test_tutorial_preset_matches_tensorflow_org() -> None:
    t = PRESETS["tutorial"]
    assert (t.learning_rate, t.adam_beta1, t.adam_epsilon) == (0.02, 0.99, 0.1)
    assert (t.style_weight, t.content_weight, t.tv_weight) == (1e-2, 1e4, 30.0)
    assert t.space == "pixels" and t.total_steps == 1000 and t.size == 512


def test_paper_layer_names_are_normalised() -> None:
    c = Config(content_layers=("conv4_2",), style_layers=("conv1_1", "conv2_1"))
    assert c.content_layers == ("block4_conv2",)
    assert c.style_layers == ("block1_conv1", "block2_conv1")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"content_layers": ("conv4_9",)}, "unknown VGG19 layer"),
        ({"style_weight": -1.0}, "style_weight must be >= 0"),
        ({"sizes": (256, 512), "steps": (0, 10)}, "at least 1 step"),
        ({"sizes": (0, 512), "steps": (60, 40)}, "at least 32 px"),
        ({"sizes": (512,), "steps": (1, 2)}, "equal length"),
        ({"sizes": (512, 256), "steps": (60, 40)}, r"must grow from coarse to fine"),  # aliased
        ({"optimizer": "sgd"}, "optimizer must be one of"),
        ({"style_layer_weights": (1.0,)}, "one weight per layer"),
        # NaN and inf passed `< 0` and painted nothing ("diverged", with the wrong advice)
        ({"style_weight": float("nan")}, r"style_weight must be >= 0 \(a finite number\)"),
        ({"tv_weight": float("inf")}, "tv_weight must be >= 0"),
        ({"learning_rate": float("inf")}, "learning_rate must be > 0"),
        ({"style_scale": float("inf")}, "style_scale must be > 0"),  # was OverflowError
        ({"lr_decay_rate": 0.0}, "lr_decay_rate must be > 0"),  # was a rate of 0 after step 1
        ({"adam_beta1": 1.0}, "adam_beta1 must be below 1"),  # Keras divides by 1 - β1^t
        ({"style_layer_weights": (1.0, float("nan"), 1, 1, 1)}, "style_layer_weights must"),
        ({"style_weight": "0.01"}, "style_weight must be >= 0"),  # a settings file's string
        ({"lbfgs_memory": 40.5}, "lbfgs_memory must be a whole number"),  # was a TypeError
        ({"sizes": (True,), "steps": (1,)}, "sizes must be a whole number"),
        ({"sizes": (float("inf"),), "steps": (1,)}, "sizes must be a whole number"),
        ({"style_layers": ("conv1_1", "block1_conv1")}, "names block1_conv1 twice"),  # 2× target
        ({"sizes": 512}, r"sizes must be a tuple such as \(512,\)"),  # was a TypeError
        ({"content_layers": "conv4_2"}, "content_layers must be a tuple"),  # was layer 'c'
        ({"clip": "false"}, "clip must be True or False"),  # a settings file's string: truthy
        ({"strokes": "0.5"}, "strokes must be >= 0"),  # was a TypeError
        ({"seed": -1}, "seed must be a whole number >= 0"),  # was NumPy's error, noise init
    ],
)
def test_invalid_settings_raise(changes: dict, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PRESETS["default"].replace(**changes)


def test_whole_numbers_given_as_floats_are_taken() -> None:
    c = PRESETS["default"].replace(sizes=(256.0, 512), steps=(60.0, 40), lbfgs_memory=20.0)
    assert c.sizes == (256, 512) and c.steps == (60, 40) and type(c.lbfgs_memory) is int


def test_unknown_preset_lists_valid_names() -> None:
    with pytest.raises(ValueError, match=r"did you mean 'default'.*article, tutorial, default"):
        get_preset("defualt")


def test_at_size_rescales_schedule() -> None:
    cfg = Config(sizes=(256, 512), steps=(60, 40))
    assert cfg.at_size(1024).sizes == (512, 1024)
    small = cfg.at_size(48)
    assert small.sizes == (48,) and small.steps == (40,)
    assert cfg.at_size(512, steps=10).steps == (6, 4)
    # exactly the steps asked for: early stages rounding to 0 are dropped, never topped up
    assert cfg.at_size(512, steps=1).steps == (1,) and cfg.at_size(512, steps=1).sizes == (512,)
    three = Config(sizes=(128, 256, 512), steps=(50, 30, 20))
    assert [sum(three.at_size(512, steps=n).steps) for n in (1, 2, 3, 4, 10)] == [1, 2, 3, 4, 10]
    with pytest.raises(ValueError, match="steps must be at least 1"):
        cfg.at_size(512, steps=0)
    assert PRESETS["preview"].size == 256


@pytest.mark.parametrize("weight", [float("nan"), float("inf")])
def test_a_style_blend_weight_must_be_finite(weight: float) -> None:
    from nststudy.stylize import _styles

    style = np.zeros((8, 8, 3), np.float32)
    with pytest.raises(ValueError, match="style weights must be finite"):
        _styles([(style, 1.0), (style, weight)])
