"""Embedded settings, colour profile, DPI, sidecars and output names (no network, no VGG)."""

from __future__ import annotations

import io
import json
import math
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms

from nststudy import metadata
from nststudy.config import PRESETS

IMG = (np.arange(24 * 32 * 3) % 251).astype(np.uint8).reshape(24, 32, 3)


def _settings(**extra: object) -> dict:
    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    return metadata.settings_for(PRESETS["preview"].replace(seed=7), styles, **extra)


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".tif"])
def test_round_trip_profile_and_dpi(tmp_path: Path, suffix: str) -> None:
    path = metadata.save_painting(tmp_path / f"a{suffix}", IMG, _settings(strokes=0.3), dpi=300)
    with Image.open(path) as im:
        assert im.size == (32, 24) and im.mode == "RGB"
        desc = ImageCms.getProfileDescription(
            ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
        )
        assert "sRGB" in desc
        assert tuple(round(float(d)) for d in im.info["dpi"]) == (300, 300)
        if suffix != ".jpg":  # lossless formats keep the pixels exactly
            np.testing.assert_array_equal(np.asarray(im), IMG)
    settings = metadata.read_settings(path)
    assert settings["strokes"] == 0.3 and settings["styles"][0]["name"] == "swirl"
    # (the preset's precision "auto" is stored as the one this machine used)
    assert metadata.config_from_settings(settings) == PRESETS["preview"].replace(seed=7).resolved()


def test_png_chunk_is_itxt_under_the_key(tmp_path: Path) -> None:
    path = metadata.save_painting(tmp_path / "a.png", IMG, _settings())
    raw = path.read_bytes()
    assert b"iTXt" + metadata.KEY.encode() in raw
    assert json.loads(Image.open(path).info[metadata.KEY])["config"]["seed"] == 7
    assert path.stat().st_mode & 0o044  # readable by others, like any saved picture


def test_no_paths_and_no_folder_style_names(tmp_path: Path) -> None:
    from nststudy.paint import parse_style

    (tmp_path / "secret_folder").mkdir()
    Image.fromarray(IMG).resize((64, 64)).save(tmp_path / "secret_folder" / "my style.png")
    style = parse_style(str(tmp_path / "secret_folder" / "my style.png:2"))  # a file in a folder
    settings = metadata.settings_for(PRESETS["preview"], [style.describe()], crop="4:5")
    path = metadata.save_painting(tmp_path / "a.png", IMG, settings)
    chunk = Image.open(path).info[metadata.KEY]
    assert "my style" in chunk and "secret_folder" not in chunk and str(tmp_path) not in chunk
    with pytest.raises(ValueError, match="folder"):
        metadata.settings_for(PRESETS["default"], [{"name": "/home/me/secret.jpg", "weight": 1}])


def test_read_settings_refuses_foreign_files(tmp_path: Path) -> None:
    Image.fromarray(IMG).save(tmp_path / "plain.png")
    with pytest.raises(ValueError, match=r"plain\.png: carries no nststudy settings"):
        metadata.read_settings(tmp_path / "plain.png")
    (tmp_path / "x.png").write_bytes(b"junk")
    with pytest.raises(ValueError) as err:
        metadata.read_settings(tmp_path / "x.png")
    said = str(err.value)  # one line: the file once, why, and what to give instead
    assert said.count("x.png") == 1 and "\n" not in said
    assert "not an image format Pillow knows" in said and "painting nststudy made" in said
    with pytest.raises(ValueError, match=r": is a folder; give one painting"):
        metadata.read_settings(tmp_path)


def test_paths_starting_with_a_tilde_are_the_home_folder(tmp_path: Path, monkeypatch) -> None:
    """``load_image("~/Pictures/cat.jpg")`` in a notebook looked for a folder named "~"."""
    from nststudy.images import load_image, save_image

    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "pics").mkdir()
    saved = save_image("~/pics/a.png", IMG)
    assert saved == tmp_path / "pics" / "a.png" and saved.is_file()
    assert load_image("~/pics/a.png").shape == IMG.shape
    metadata.save_painting("~/pics/b.png", IMG, {"config": {}})
    assert "config" in metadata.read_settings("~/pics/b.png")


def test_output_names_never_collide(tmp_path: Path) -> None:
    first = metadata.output_path(tmp_path, "cat", "swirl")
    assert first.name == "cat__swirl.png"
    first.write_bytes(b"")
    second = metadata.output_path(tmp_path, "cat", "swirl")
    assert second.name == "cat__swirl__2.png"
    metadata.write_sidecar(second, {"a": 1})  # a sidecar alone reserves the name too
    assert metadata.output_path(tmp_path, "cat", "swirl").name == "cat__swirl__3.png"
    assert metadata.output_path(tmp_path, "my cat/../x", "a+b", "jpeg").name == "my-cat-x__a+b.jpg"
    with pytest.raises(ValueError, match="format"):
        metadata.output_path(tmp_path, "cat", "swirl", "gif")


def test_unknown_config_fields_are_dropped() -> None:
    settings = _settings()
    settings["config"]["from_the_future"] = 1
    assert metadata.config_from_settings(settings).seed == 7


def test_settings_from_before_the_history_setting_get_its_old_value() -> None:
    settings = metadata.settings_for(PRESETS["default"], [{"name": "swirl", "weight": 1.0}])
    now = PRESETS["default"].resolved()  # (its precision "auto" recorded as the one used)
    assert metadata.config_from_settings(settings) == now  # written now: as is
    for key in ("lbfgs_memory", "lbfgs_history"):  # what a file from session 7's code held
        del settings["config"][key]
    old = metadata.config_from_settings(settings)
    assert (old.lbfgs_memory, old.lbfgs_history) == (10, "float32")
    assert old == now.replace(lbfgs_memory=10, lbfgs_history="float32")


def test_sidecars_and_embedded_settings_are_strict_json_without_nan(tmp_path: Path) -> None:
    def refuse(token: str) -> None:
        raise AssertionError(f"not JSON: {token}")

    losses = {"total": float("nan"), "style": np.float32("inf"), "content": 2.5}
    side = metadata.write_sidecar(tmp_path / "p.png", {"best": math.inf, "history": [losses]})
    found = json.loads(side.read_text(), parse_constant=refuse)  # was: NaN, Infinity
    assert found == {"best": None, "history": [{"total": None, "style": None, "content": 2.5}]}
    settings = metadata.settings_for(PRESETS["default"], [], initial_loss=float("nan"))
    metadata.save_painting(tmp_path / "q.png", np.zeros((4, 4, 3), np.float32), settings)
    raw = Image.open(tmp_path / "q.png").info[metadata.KEY]
    assert json.loads(raw, parse_constant=refuse)["initial_loss"] is None


def test_jpeg_keeps_full_colour_resolution(tmp_path: Path) -> None:
    from PIL import JpegImagePlugin

    path = metadata.save_painting(tmp_path / "a.jpg", IMG, _settings())
    with Image.open(path) as im:
        assert JpegImagePlugin.get_sampling(im) == 0  # 4:4:4, not Pillow's default 4:2:0


def test_a_fractional_dpi_is_rounded_not_truncated(tmp_path: Path) -> None:
    path = metadata.save_painting(tmp_path / "a.png", IMG, _settings(), dpi=299.9)
    with Image.open(path) as im:
        assert tuple(round(float(d)) for d in im.info["dpi"]) == (300, 300)


def test_settings_of_a_print_beyond_pillows_pixel_limit_are_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A 100 × 140 cm print at 300 dpi is 195 Mpx, over Pillow's decompression-bomb limit:
    reading its settings decodes no pixel, so it must not be refused (it was a traceback)."""
    path = metadata.save_painting(tmp_path / "a.png", IMG, _settings())
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # this 32 × 24 image is then "huge"
    assert metadata.read_settings(path)["styles"][0]["name"] == "swirl"
    assert Image.MAX_IMAGE_PIXELS == 100  # the limit is back afterwards


def test_painting_bytes_checks_the_picture_as_a_saved_file_is_checked(tmp_path: Path) -> None:
    """The studio's download is made by painting_bytes: a NaN or a 0–255 float image was
    encoded silently (garbage, or an all-white PNG) where save_painting refuses it."""
    data = metadata.painting_bytes(IMG, {"config": {}})
    np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(data))), IMG)
    with pytest.raises(ValueError, match=r"^painting: the image contains NaN"):
        metadata.painting_bytes(np.full((4, 4, 3), np.nan, np.float32), {})
    with pytest.raises(ValueError, match=r"^painting: float values span .*divide by 255"):
        metadata.painting_bytes(IMG.astype(np.float32), {})
