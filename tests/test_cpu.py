"""``precision="auto"``: bfloat16 on CPUs with AMX, float32 elsewhere, and the choice recorded."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from nststudy import _cpu, metadata
from nststudy.cli import build_parser
from nststudy.config import PRESETS, Config
from nststudy.paint import build_config, resolve_args

from ._cli import paint_here

CPUINFO = """processor\t: 0
vendor_id\t: GenuineIntel
model name\t: Intel(R) Xeon(R) Platinum 8480+
flags\t\t: fpu sse2 avx2 avx512f avx512_bf16 {extra}
bugs\t\t: spectre_v1

processor\t: 1
flags\t\t: fpu sse2
"""
AMX = "amx_bf16 amx_tile amx_int8"
_read_flags = _cpu.cpu_flags


@pytest.fixture
def cpu(monkeypatch: pytest.MonkeyPatch):
    """``cpu(flags)``: this process's CPU reports ``flags`` (the choice is cached per process,
    so the cache is cleared before and after)."""

    def pretend(extra: str, onednn: str | None = None) -> None:
        _cpu.auto_precision.cache_clear()
        monkeypatch.setattr(_cpu, "cpu_flags", lambda: _read_flags(CPUINFO.format(extra=extra)))
        if onednn is None:
            monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
        else:
            monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", onednn)

    yield pretend
    _cpu.auto_precision.cache_clear()


def test_flags_are_read_from_the_first_processor() -> None:
    flags = _cpu.cpu_flags(CPUINFO.format(extra=AMX))
    assert {"avx512_bf16", "amx_bf16", "amx_tile"} <= flags and "processor" not in flags
    assert _cpu.cpu_flags("model name : x\n") == frozenset()
    assert isinstance(_cpu.cpu_flags(), frozenset)  # this machine's, whatever they are


@pytest.mark.parametrize(
    ("extra", "onednn", "expected"),
    [
        (AMX, None, "bfloat16"),
        (AMX, "1", "bfloat16"),
        (AMX, "0", "float32"),  # TensorFlow told not to use oneDNN: its bfloat16 is emulated
        (AMX, "False", "float32"),
        ("avx512_vnni", None, "float32"),  # avx512_bf16 without AMX: 0.85× (session 18)
        ("amx_tile", None, "float32"),  # tiles, but no bfloat16 in them
        ("amx_bf16", None, "float32"),  # (never seen without the tiles: not enough alone)
    ],
)
def test_auto_is_bfloat16_only_with_amx_and_onednn(cpu, extra, onednn, expected) -> None:
    cpu(extra, onednn)
    assert _cpu.resolve_precision("auto") == expected
    assert _cpu.resolve_precision("float32") == "float32"  # a given precision stays
    assert _cpu.resolve_precision("bfloat16") == "bfloat16"


def test_an_unknown_precision_is_refused_in_one_line() -> None:
    with pytest.raises(ValueError, match="float32, bfloat16, auto; got 'fp16'") as err:
        _cpu.resolve_precision("fp16")
    assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match="precision must be one of"):
        Config(precision="fp16")


def test_the_default_presets_choose_and_the_recipes_keep_float32() -> None:
    assert PRESETS["default"].precision == PRESETS["preview"].precision == "auto"
    assert PRESETS["tutorial"].precision == PRESETS["article"].precision == "float32"
    assert Config().precision == "float32"  # what the course's notebooks build


def test_resolved_makes_auto_concrete(cpu) -> None:
    cpu(AMX)
    assert PRESETS["default"].resolved().precision == "bfloat16"
    assert PRESETS["default"].resolved().replace(precision="auto") == PRESETS["default"]
    tutorial = PRESETS["tutorial"]
    assert tutorial.resolved() is tutorial
    cpu("avx512_bf16")
    assert PRESETS["preview"].resolved().precision == "float32"


def test_settings_record_the_precision_used_never_auto(cpu) -> None:
    cpu(AMX)
    assert metadata.settings_for(PRESETS["default"], [])["config"]["precision"] == "bfloat16"
    cpu("")
    assert metadata.settings_for(PRESETS["default"], [])["config"]["precision"] == "float32"


def _config(*argv: str) -> Config:
    return build_config(resolve_args(build_parser().parse_args(["paint", "p.png", *argv])))


def test_the_paint_command_resolves_auto_before_its_settings_and_keys(cpu) -> None:
    cpu(AMX)
    assert _config("--style", "swirl").precision == "bfloat16"
    assert _config("--style", "swirl", "--precision", "float32").precision == "float32"
    assert _config("--style", "swirl", "--preset", "tutorial").precision == "float32"
    cpu("avx2")
    assert _config("--style", "swirl").precision == "float32"
    assert _config("--style", "swirl", "--precision", "auto").precision == "float32"


def test_the_studio_resolves_auto(cpu) -> None:
    from nststudy.studio import studio_config

    cpu(AMX)
    assert studio_config("paint").precision == "bfloat16"
    cpu("")
    assert studio_config("preview").precision == "float32"


def test_the_feature_extractor_and_stylize_say_which_precision_ran(cpu, weights, photo) -> None:
    from nststudy import stylize
    from nststudy.vgg import FeatureExtractor

    cpu("avx2")
    assert FeatureExtractor(("block1_conv1",), precision="auto").precision == "float32"
    result = stylize(photo, photo, PRESETS["preview"].at_size(32, steps=1))
    assert result.config.precision == "float32"
    cpu(AMX)
    ext = FeatureExtractor(("block1_conv1",), precision="auto")
    assert ext.precision == "bfloat16" and ext.model.layers[-1].compute_dtype == "bfloat16"


def test_a_painting_made_on_an_amx_cpu_says_bfloat16(cpu, weights, tmp_path: Path) -> None:
    cpu(AMX)
    Image.fromarray(data.astronaut()).resize((40, 40)).save(tmp_path / "p.png")
    assert (
        paint_here("p.png", "--style", "swirl", "--size", "40", "--steps", "2", cwd=tmp_path) == 0
    )
    painted = tmp_path / "out" / "p__swirl.png"
    assert metadata.read_settings(painted)["config"]["precision"] == "bfloat16"
    assert np.asarray(Image.open(painted)).std() > 10


def test_from_settings_repeats_the_recorded_precision_and_says_when_it_is_slow(
    cpu, weights, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Image.fromarray(data.astronaut()).resize((40, 40)).save(tmp_path / "p.png")
    fast = ("--size", "40", "--steps", "2")
    cpu(AMX)  # painted on a CPU with AMX ...
    assert paint_here("p.png", "--style", "swirl", *fast, cwd=tmp_path) == 0
    made = tmp_path / "out" / "p__swirl.png"
    assert "bfloat16" not in capsys.readouterr().err  # auto chose it: nothing to say
    cpu("avx2")  # ... repeated on one without
    again = ("p.png", "--from-settings", str(made), "--out", "again")
    assert paint_here(*again, cwd=tmp_path) == 0
    assert metadata.read_settings(tmp_path / "again" / "p__swirl.png")["config"]["precision"] == (
        "bfloat16"
    )
    err = capsys.readouterr().err
    assert "note: these settings compute in bfloat16" in err and "--precision float32" in err
    assert _config("--from-settings", str(made), "--precision", "float32").precision == "float32"
    assert _cpu.precision_notes("float32") == _cpu.precision_notes("auto") == []
    cpu(AMX)  # and a float32 painting stays float32 on a CPU with AMX
    plain = ("p.png", "--style", "swirl", *fast, "--precision", "float32", "--out", "plain")
    assert paint_here(*plain, cwd=tmp_path) == 0
    painted = str(tmp_path / "plain" / "p__swirl.png")
    assert _config("--from-settings", painted).precision == "float32"
    assert _cpu.precision_notes("bfloat16") == []
