"""`nststudy paint`: which name each photo's outputs get, and what is refused before any work.

Two photos with one stem, names files cannot hold, a name another run took meanwhile, a
checkpoint of another photo, numbers out of range, a mask drawn on the uncropped photo.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from nststudy import metadata
from nststudy.cli import build_parser, main
from nststudy.paint import Job, photo_names, resolve_args

from ._cli import paint_here, refuse_paint, run_paint

FAST = ["--style", "swirl", "--size", "32", "--steps", "2"]


def _args(*argv: str) -> argparse.Namespace:
    return resolve_args(build_parser().parse_args(["paint", *argv]))


def _photo(path: Path, seed: int = 0, size: tuple[int, int] = (40, 30)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)
    Image.fromarray(pixels).save(path)
    return path


def test_photo_names_tell_clashing_stems_apart() -> None:
    a, b, c = Path("a/IMG_0001.JPG"), Path("b/img_0001.png"), Path("c/other.png")
    assert photo_names([a, b, c]) == {a: "a-IMG_0001", b: "b-img_0001", c: "other"}
    assert photo_names([c, c]) == {c: "other"}  # the same file twice is one photo
    # a folder-made name that another photo already has gets a counter
    clash = Path("x/a-IMG_0001.png")
    names = photo_names([a, b, clash])
    assert names[clash] == "a-IMG_0001" and names[a] == "a-IMG_0001-2"
    assert len({metadata.base_name(n, "s").casefold() for n in names.values()}) == 3


def test_a_quoted_tilde_in_out_is_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The shell leaves ``--out "~/My Paintings"`` (and ``--out=~/x``) as typed: the paintings,
    their settings and checkpoints all go to the home folder, not to a folder named ``~``
    beside the photos (where --resume would not look, and ``rm -rf ~`` would be a disaster)."""
    from nststudy.cli import _demo_output

    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)
    (tmp_path / "home").mkdir()
    job = Job(_args(str(_photo(tmp_path / "p.png")), *FAST, "--out", "~/My Paintings"))
    assert job.out == tmp_path / "home" / "My Paintings"
    assert _demo_output("~/demo.png") == tmp_path / "home" / "demo.png"
    assert not (tmp_path / "~").exists()


def test_clashing_and_unsafe_names_resume_and_overwrite(
    tmp_path: Path, weights: Path, capsys: pytest.CaptureFixture
) -> None:
    """One batch: two photos with one stem, and a name files cannot hold. Then ``--resume``
    finds all three, and ``--overwrite`` replaces in place."""
    _photo(tmp_path / "a" / "IMG_0001.png", seed=1)
    _photo(tmp_path / "b" / "IMG_0001.png", seed=2)
    _photo(tmp_path / "Holiday 2023 (1).png", seed=3)
    photos = ("a", "b", "Holiday 2023 (1).png")
    out = run_paint(*photos, *FAST, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    made = ["Holiday-2023-1__swirl.png", "a-IMG_0001__swirl.png", "b-IMG_0001__swirl.png"]
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == made
    assert paint_here(*photos, *FAST, "--resume", cwd=tmp_path) == 0  # (in-process: faster)
    assert capsys.readouterr().out.count("already painted") == 3
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == made
    painted = tmp_path / "out" / made[0]
    before = painted.stat().st_mtime_ns
    time.sleep(0.01)
    assert paint_here("Holiday 2023 (1).png", *FAST, "--overwrite", cwd=tmp_path) == 0
    assert sorted(p.name for p in (tmp_path / "out").glob("*.png")) == made
    assert painted.stat().st_mtime_ns > before  # replaced in place, as asked


@pytest.mark.parametrize(
    ("extra", "needle"),
    [
        (["--steps", "0"], "--steps 0: give at least 1 step"),
        (["--steps", "-5"], "--steps -5"),
        (["--size", "0"], "--size 0: the painting needs at least 32 px"),
        (["--preset", "preview", "--size", "8"], "leave it out for the preset's 256"),
        (["--style-scale", "0"], "--style-scale 0.0: give a factor above 0"),
        (["--strength", "0"], "--strength 0.0: give a factor above 0"),
        (["--print-size", "2048", "--dpi", "-300"], "--dpi -300"),
        (["--print", "30x40cm", "--dpi", "0"], "--dpi 0"),
        (["--print-size", "-1"], "--print-size -1"),  # (0: no print, for --from-settings)
        (["--print-size", "512"], "a 512 px print: prints are refined from the 512 px"),
        (["--print", "1x1in", "--dpi", "300"], "a 300 px print: prints are refined"),
        (["--size", "32", "--print-size", "36", "--crop", "2:1"], "at least 64"),
        (["--print-size", "2048", "--tile-steps", "0"], "--tile-steps 0: give 1 to 1000"),
        (["--tile-steps", "3"], "--tile-steps 3: it applies to prints; add --print-size"),
        (["--tile", "256"], "--tile 256: it applies to prints; add --print-size"),
        (["--tile", "16"], "--tile 16: it applies to prints; add --print-size"),
        (["--dpi", "150"], "--dpi 150: it applies to prints; add --print WxH"),  # was: ignored
        (["--style", "swirl:1e999"], "--style swirl:1e999: the weight must be > 0 and finite"),
    ],
)
def test_numbers_out_of_range_are_refused_first(
    tmp_path: Path, extra: list[str], needle: str
) -> None:
    _photo(tmp_path / "p.png")
    out = refuse_paint("p.png", "--style", "swirl", *extra, cwd=tmp_path)
    assert out.returncode == 2 and needle in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


def test_a_photo_name_too_long_for_its_paintings_is_refused_before_painting(
    tmp_path: Path,
) -> None:
    stem = "p" * 225  # a file name this file system takes; its checkpoint's would not be
    _photo(tmp_path / f"{stem}.png")
    out = refuse_paint(f"{stem}.png", "--style", "swirl", cwd=tmp_path)
    assert out.returncode == 2 and out.stderr.count("\n") == 1  # was: painted, then lost
    assert f"{stem}.png: its paintings would be named ppp" in out.stderr
    assert "too long for this file system (at most 219); rename the photo" in out.stderr
    _photo(tmp_path / f"{stem[:212]}.png")  # 219 bytes with "__swirl": it goes on to paint
    shorter = refuse_paint(f"{stem[:212]}.png", "--style", "swirl", cwd=tmp_path)
    assert "too long" not in shorter.stderr


def test_an_out_that_names_a_file_is_refused_before_it_becomes_a_folder(tmp_path: Path) -> None:
    _photo(tmp_path / "p.png")
    out = refuse_paint("p.png", "--style", "swirl", "--out", "painting.png", cwd=tmp_path)
    assert out.returncode == 2 and "--out painting.png: give a folder" in out.stderr
    assert not (tmp_path / "painting.png").exists()  # was: a folder of that name, and paintings


def test_heic_in_a_folder_is_reported_not_skipped(tmp_path: Path) -> None:
    _photo(tmp_path / "phone" / "a.jpg")
    (tmp_path / "phone" / "b.HEIC").write_bytes(b"\x00\x00\x00\x18ftypheic" + bytes(64))
    out = refuse_paint("phone", "--style", "swirl", cwd=tmp_path)
    assert out.returncode == 2 and "b.HEIC" in out.stderr and "HEIC" in out.stderr
    assert "--skip-bad" in out.stderr.splitlines()[-1]


def test_print_keeps_the_paintings_crop_and_format(tmp_path: Path) -> None:
    from nststudy.config import PRESETS

    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    painting = tmp_path / "painted.png"
    extra = {"crop": "4:5", "format": "jpeg", "print_size": 2048}
    settings = metadata.settings_for(PRESETS["default"], styles, **extra)
    metadata.save_painting(painting, np.zeros((40, 32, 3), np.float32), settings)
    args = _args("p.png", "--painting", str(painting), "--print", "30x40cm")
    assert (args.crop, args.format, args.print_size) == ("4:5", "jpeg", None)


def test_a_print_records_its_tile_steps_and_repeats_older_prints_with_ten(
    tmp_path: Path,
) -> None:
    from nststudy.config import PRESETS
    from nststudy.tiles import TILE_STEPS

    _photo(tmp_path / "p.png")
    base = ["--style", "swirl", "--out", str(tmp_path / "out")]
    printed = Job(_args(str(tmp_path / "p.png"), *base, "--print-size", "2048"))
    assert printed.settings["tile_steps"] == printed.tile_steps == TILE_STEPS
    own = Job(_args(str(tmp_path / "p.png"), *base, "--print-size", "2048", "--tile-steps", "3"))
    assert own.settings["tile_steps"] == 3 and own.key != printed.key
    assert "tile_steps" not in Job(_args(str(tmp_path / "p.png"), *base)).settings  # no print
    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    for stored, expected in [
        ({"print_size": 2048}, 10),
        ({"print_size": 2048, "tile_steps": 5}, 5),
    ]:
        made = tmp_path / f"made{expected}.png"
        settings = metadata.settings_for(PRESETS["default"], styles, **stored)
        metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
        again = Job(_args(str(tmp_path / "p.png"), "--from-settings", str(made), "--out", "o"))
        assert again.tile_steps == expected  # a print from before tile_steps was kept took 10


@pytest.mark.parametrize(
    ("field", "stored"),
    [
        *(("tile_steps", v) for v in ("8", True, 8.7, 0, 2000, [8])),
        ("dpi", "300"),
        ("dpi", 0),
        ("tile", 8),
        ("print_size", "2048"),
        ("format", "gif"),
    ],
)
def test_a_prints_stored_settings_that_cannot_be_used_are_refused_naming_the_file(
    tmp_path: Path, field: str, stored: object
) -> None:
    from nststudy.config import PRESETS

    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    made = tmp_path / "made.png"
    settings = metadata.settings_for(PRESETS["default"], styles, print_size=2048, tile_steps=8)
    settings[field] = stored
    metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
    option = {"tile_steps": "--tile-steps", "dpi": "--dpi", "tile": "--tile"}.get(field)
    option = option or {"print_size": "--print-size", "format": "--format"}[field]
    with pytest.raises(ValueError, match=rf"made\.png: its nststudy settings have {field}="):
        _args("p.png", "--from-settings", str(made))
    value = {"--format": "png", "--print-size": "1024"}.get(option, "64")
    again = _args("p.png", "--from-settings", str(made), option, value)  # the command wins
    assert str(getattr(again, field)) == value


def test_a_stored_null_tile_steps_is_an_older_prints_ten_and_not_on_a_painting(
    tmp_path: Path,
) -> None:
    from nststudy.config import PRESETS

    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    for extra, expected in (({"print_size": 2048, "tile_steps": None}, 10), ({}, None)):
        made = tmp_path / "made.png"
        settings = metadata.settings_for(PRESETS["default"], styles, **extra)
        metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
        assert _args("p.png", "--from-settings", str(made)).tile_steps == expected
    settings = metadata.settings_for(PRESETS["default"], styles, tile_steps=8)  # no print
    metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
    with pytest.raises(ValueError, match=r"made\.png: its nststudy settings have tile_steps=8"):
        _args("p.png", "--from-settings", str(made))


def test_unusable_stored_styles_are_refused_naming_the_file(tmp_path: Path) -> None:
    from nststudy.config import PRESETS

    swirl = {"name": "swirl", "builtin": True}
    for styles in ([swirl], ["swirl"], [swirl | {"weight": "1"}], {"swirl": 1}):
        made = tmp_path / "made.png"
        settings = metadata.settings_for(PRESETS["default"], [], crop=None) | {"styles": styles}
        metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
        with pytest.raises(ValueError, match=r"made\.png: its nststudy settings have styles="):
            _args("p.png", "--from-settings", str(made))


def test_a_print_with_ten_tile_steps_keeps_the_key_of_prints_from_before_they_recorded_it(
    tmp_path: Path,
) -> None:
    """So ``--resume --tile-steps 10`` finds an older print's checkpoint and finished output."""
    from nststudy.paint import _key

    _photo(tmp_path / "p.png")
    base = [str(tmp_path / "p.png"), "--style", "swirl", "--print-size", "2048"]
    ten = Job(_args(*base, "--tile-steps", "10"))
    older = {k: v for k, v in ten.settings.items() if k != "tile_steps"}
    assert ten.settings["tile_steps"] == 10 and ten.key == _key(older)
    assert Job(_args(*base)).key != ten.key  # 8 steps: another job


def test_print_of_a_masked_painting_keeps_its_mask(tmp_path: Path) -> None:
    """A background-only painting is printed background-only; one painted with a mask file
    asks for the file again instead of stylizing the subject in every tile."""
    from nststudy.config import PRESETS

    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    for extra in ({"background_only": True}, {"mask": "file", "background_only": True}):
        painting = tmp_path / "painted.png"
        settings = metadata.settings_for(PRESETS["default"], styles, **extra)
        metadata.save_painting(painting, np.zeros((30, 40, 3), np.float32), settings)
        argv = ("p.png", "--painting", str(painting), "--print-size", "2048")
        if extra.get("mask"):
            with pytest.raises(ValueError, match="give the same mask again with --mask"):
                _args(*argv)
            args = _args(*argv, "--mask", "m.png")
            assert args.mask == "m.png" and args.background_only
        else:
            assert _args(*argv).background_only
            assert not _args(*argv, "--no-background-only").background_only  # yours wins
        again = ("p.png", "--from-settings", str(painting))  # other photos, same settings
        if extra.get("mask"):  # the drawn mask, not the automatic guess in its place
            with pytest.raises(ValueError, match="give the same mask again with --mask"):
                _args(*again)
        else:
            assert _args(*again).background_only
    assert not _args("p.png", "--style", "swirl").background_only


def test_unwritable_out_is_refused_before_painting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    _photo(tmp_path / "p.png")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("tempfile.TemporaryFile", denied)
    monkeypatch.setattr("nststudy.weights.ensure_weights", lambda: pytest.fail("went on"))
    code = main(["paint", str(tmp_path / "p.png"), *FAST, "--out", str(tmp_path / "ro")])
    err = capsys.readouterr().err
    assert code == 2 and "cannot write the results there (Permission denied)" in err


def test_a_name_taken_meanwhile_is_not_overwritten(tmp_path: Path) -> None:
    from nststudy._checkpoints import save_result

    job = Job(_args(str(_photo(tmp_path / "p.png")), *FAST, "--out", str(tmp_path / "out")))
    target = job.target("p")
    (tmp_path / "out").mkdir()
    target.write_bytes(b"another run's painting")  # taken after the name was chosen
    image = np.full((30, 40, 3), 0.5, np.float32)
    saved = save_result(job, "p", target, False, image, image, None, time.perf_counter(), None)
    assert saved.name == "p__swirl__2.png" and target.read_bytes() == b"another run's painting"
    assert json.loads(metadata.sidecar_path(saved).read_text())["image"]["width"] == 40


def test_a_checkpoint_of_another_photo_is_refused(tmp_path: Path) -> None:
    from nststudy._checkpoints import digest, load_checkpoint

    photo = _photo(tmp_path / "p.png")
    job = Job(_args(str(photo), *FAST, "--out", str(tmp_path / "out")))
    ckpt = tmp_path / "p__swirl.npz"
    meta = {"key": job.inputs_key(), "steps_done": 1, "output": "p__swirl.png", "photo": "0" * 16}
    np.savez(ckpt, image=np.zeros((30, 40, 3), np.float32), meta=json.dumps(meta))
    with pytest.raises(ValueError, match=r"p__swirl\.npz: this checkpoint belongs to another job"):
        load_checkpoint(job, ckpt, photo)
    meta["photo"] = digest(photo)  # this photo's: accepted
    np.savez(ckpt, image=np.zeros((30, 40, 3), np.float32), meta=json.dumps(meta))
    assert load_checkpoint(job, ckpt, photo)[1] == 1


def test_a_mask_is_cropped_with_the_photo(tmp_path: Path) -> None:
    from nststudy.batch import _mask

    photo = _photo(tmp_path / "p.png", size=(80, 60))
    mask = np.ones((60, 80), np.uint8) * 255
    mask[:, :20] = 0  # keep the photo's left quarter
    Image.fromarray(mask).save(tmp_path / "m.png")
    job = Job(_args(str(photo), *FAST, "--mask", str(tmp_path / "m.png"), "--crop", "1:1"))
    job.mask_image = np.asarray(Image.open(tmp_path / "m.png"))
    cropped = _mask(job, np.zeros((60, 60, 3), np.float32), (60, 80, 3))
    assert cropped.shape == (60, 60)
    # the 1:1 crop starts 10 px in: 10 black columns, not the 15 a stretched mask would have
    assert cropped[:, :9].max() < 0.1 and cropped[:, 12:].min() > 0.9


def test_gallery_out_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    Image.fromarray(data.astronaut()[:64, :64]).save(tmp_path / "ann__cat__swirl.png")
    (tmp_path / "taken").write_text("not a folder")
    assert main(["gallery", str(tmp_path), "--out", str(tmp_path / "taken")]) == 2
    assert main(["gallery", str(tmp_path), "--out", str(tmp_path / "taken" / "g")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "is a file" in err[0] and "taken" in err[1]
    assert all(line.startswith("nststudy: error: ") for line in err)


def test_ctrl_c_while_a_finished_print_is_post_processed_keeps_every_tile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nststudy import batch
    from nststudy.tiles import count_tiles

    photo = _photo(tmp_path / "p.png")
    job = Job(_args(str(photo), *FAST, "--print-size", "64", "--strokes", "0.5"))
    canvas = np.full((48, 64, 3), 0.3, np.float32)
    blended, calls = np.full((48, 64, 3), 0.6, np.float32), []

    def interrupted(image: np.ndarray, photo: object, config: object, mask: object, *a: object):
        calls.append((config, mask))
        if len(calls) == 1:  # Ctrl-C during the colours and strokes
            raise KeyboardInterrupt
        return blended  # then the mask's blend alone, for the picture saved

    monkeypatch.setattr("nststudy.tiles.refine_tiled", lambda *a, **k: canvas)
    monkeypatch.setattr(sys.modules["nststudy.stylize"], "finish_painting", interrupted)
    painting, mask = np.zeros((24, 32, 3), np.float32), np.ones((48, 64), np.float32)
    image, stop, _ = batch.print_tiles(job, "p", painting, painting, mask, None, 0)
    total = count_tiles(painting.shape, 64, stop[2], job.overlap)
    assert stop[0] is canvas and stop[1] == total  # resume: finish only
    assert image is blended and calls[0][0].strokes == 0.5  # (a --mask's blend was left out)
    assert calls[1][0].strokes == 0 and not calls[1][0].preserve_colors and calls[1][1] is mask


def test_print_memory_check_uses_the_photos_shape(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A 4:3 photo's 4724 px print holds 3/4 of a square one's canvas: the pre-check must not
    refuse it for the memory a square print would need."""
    from nststudy.resources import estimate_print_memory

    class WentOn(Exception):
        pass

    def stop() -> None:
        raise WentOn

    _photo(tmp_path / "p.png", size=(40, 30))
    need = estimate_print_memory(4724, 384, 0.75)
    assert need < estimate_print_memory(4724, 384, 1.0)
    monkeypatch.setattr("nststudy.weights.ensure_weights", stop)
    monkeypatch.setattr("nststudy._tile_grid.resident_bytes", lambda: 0)  # (a fresh process)
    argv = ["paint", str(tmp_path / "p.png"), *FAST, "--print-size", "4724", "--out"]
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: need + 2**26)
    with pytest.raises(WentOn):  # fits: on to painting
        main([*argv, str(tmp_path / "out")])
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: need - 2**26)
    assert main([*argv, str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err  # the style resized to 4724 px sets the peak, not a tile
    assert f"needs about {need / 2**30:.1f} GiB" in err and "smaller --print-size" in err
    assert "--tile" not in err and "--style-scale" not in err
    # the style resized to 2 × the print needs more still: a --style-scale nearer 1 helps
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: need + 2**26)
    assert main([*argv[:-1], "--style-scale", "2", "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "--style-scale nearer 1" in err and "--tile" not in err
    # a 1536 px print in 768 px tiles: the tile sets the peak, and --print is named as given
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: 10**8)
    argv = ["paint", str(tmp_path / "p.png"), *FAST, "--print", "10x13cm", "--tile", "768"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "smaller --tile, or a smaller --print or --dpi" in err


def test_print_in_cm_says_when_the_photo_will_not_fill_the_frame(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    class WentOn(Exception):
        pass

    def stop() -> None:
        raise WentOn

    monkeypatch.setattr("nststudy.weights.ensure_weights", stop)
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: 2**40)
    _photo(tmp_path / "wide.png", size=(64, 36))  # 16:9
    _photo(tmp_path / "four_three.png", size=(40, 30))
    argv = ["paint", str(tmp_path / "wide.png"), str(tmp_path / "four_three.png"), *FAST]
    with pytest.raises(WentOn):
        main([*argv, "--print", "30x40cm", "--dpi", "100", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert "wide.png: a 64×36 photo makes a 22.5×40 cm print, not 30×40 cm" in err
    assert "add --crop 30:40 to fill the frame" in err and "four_three.png" not in err
    with pytest.raises(WentOn):  # cropped to the frame: nothing to say
        main([*argv, "--print", "30x40cm", "--crop", "3:4", "--out", str(tmp_path / "o")])
    assert "note" not in capsys.readouterr().err
    with pytest.raises(WentOn):  # cropped to another ratio: said once, for every photo
        main([*argv, "--print", "30x40cm", "--crop", "4:5", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert err.count("note") == 1
    assert "--crop 4:5 makes a 32×40 cm print, not 30×40 cm; use --crop 30:40" in err


def test_a_paintings_own_strokes_are_not_applied_again_to_its_print(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, weights: Path
) -> None:
    """``--painting`` starts from the saved file, whose strokes are already in it: the print
    is finished without smoothing it a second time (colours still follow the settings)."""
    import sys

    import nststudy.tiles
    from nststudy.config import PRESETS
    from nststudy.images import load_image, resize_longest
    from nststudy.tiles import TILE_STEPS

    tile_steps: list[int] = []

    def upscale(painting, photo, styles, config, size, *args, **kwargs):  # no VGG: the test
        tile_steps.append(kwargs["steps"])  # is about what comes after
        return resize_longest(load_image(painting), size)

    seen: list[tuple[float, str | None, int | None]] = []

    def finish(image, photo, config, mask=None, work_size=None):
        seen.append((config.strokes, config.preserve_colors, work_size))
        return image

    monkeypatch.setattr(nststudy.tiles, "refine_tiled", upscale)
    monkeypatch.setattr(sys.modules["nststudy.stylize"], "finish_painting", finish)
    _photo(tmp_path / "p.png", size=(48, 32))
    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    for strokes, expect in ((0.4, 0.0), (0.0, 0.0)):
        cfg = PRESETS["default"].replace(strokes=strokes, preserve_colors="luminance")
        painting = tmp_path / f"painted{strokes}.png"
        settings = metadata.settings_for(cfg, styles)
        metadata.save_painting(painting, np.zeros((32, 48, 3), np.float32), settings)
        argv = ["paint", str(tmp_path / "p.png"), "--painting", str(painting)]
        out = str(tmp_path / f"out{strokes}")
        assert main([*argv, "--print-size", "96", "--out", out]) == 0
        assert seen[-1] == (expect, "luminance", 48)  # strokes at the painting's own size
    assert main([*argv, "--print-size", "96", "--out", out, "--tile-steps", "3"]) == 0
    assert tile_steps == [TILE_STEPS, TILE_STEPS, 3]  # the job's count reaches the tiles
    assert main([*argv, "--print-size", "96", "--strokes", "0.3", "--out", out]) == 0
    assert seen[-1] == (0.3, "luminance", 48)  # none in it yet: asked for, applied once
    argv[-1] = str(tmp_path / "painted0.4.png")  # has strokes: a different --strokes is refused
    assert main([*argv, "--print-size", "96", "--strokes", "0.3", "--out", out]) == 2
    assert "--strokes 0.3: " in capsys.readouterr().err and len(seen) == 4


def test_strength_scales_the_style_weight_like_the_studio_slider(tmp_path: Path) -> None:
    from nststudy.config import PRESETS
    from nststudy.paint import build_config

    base = PRESETS["default"]
    half = build_config(_args("p.png", "--style", "swirl", "--strength", "0.5"))
    assert half.style_weight == pytest.approx(base.style_weight * 0.5)
    assert build_config(_args("p.png", "--style", "swirl")).style_weight == base.style_weight


def test_from_settings_of_a_sidecar_or_a_missing_file_says_what_to_give(tmp_path: Path) -> None:
    sidecar = tmp_path / "cat__swirl.json"
    sidecar.write_text("{}")
    with pytest.raises(ValueError, match=r"cat__swirl\.json: this is a painting's settings "):
        _args("p.png", "--from-settings", str(sidecar))
    with pytest.raises(ValueError, match=r"cat__swirl\.pgn: no such file \(did you mean"):
        _args("p.png", "--from-settings", str(tmp_path / "cat__swirl.pgn"))
    with pytest.raises(ValueError, match=r"cat__swirl\.json: this is a painting's settings "):
        _args("p.png", "--painting", str(sidecar), "--print-size", "2048")


def test_a_blend_with_a_style_file_asks_for_every_style_again(tmp_path: Path) -> None:
    from nststudy.config import PRESETS

    styles = [
        {"name": "swirl", "weight": 1.0, "builtin": True},
        {"name": "my.jpg", "weight": 0.5, "builtin": False},
    ]
    made = tmp_path / "made.png"
    metadata.save_painting(
        made, np.zeros((30, 40, 3), np.float32), metadata.settings_for(PRESETS["default"], styles)
    )
    # was: "give it again with --style FILE:0.5", and that one --style dropped swirl
    with pytest.raises(ValueError, match=r"'my\.jpg'; give all its styles again, each file by "
                       r"its path: --style swirl:1\.0 --style FILE:0\.5"):  # fmt: skip
        _args("p.png", "--from-settings", str(made))


def test_a_preset_or_painting_options_that_would_be_ignored_are_refused(tmp_path: Path) -> None:
    from nststudy.config import PRESETS
    from nststudy.paint import build_config

    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    made = tmp_path / "made.png"
    settings = metadata.settings_for(PRESETS["default"], styles, print_size=None)
    metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
    assert build_config(_args("p.png", "--from-settings", str(made))).name == "default"
    with pytest.raises(ValueError, match=r"--preset tutorial: .*made\.png brings its own settings"):
        build_config(_args("p.png", "--from-settings", str(made), "--preset", "tutorial"))
    with pytest.raises(ValueError, match=r"--preset preview: .*made\.png brings its own"):
        build_config(_args("p.png", "--painting", str(made), "--print-size", "96", "--preset",
                           "preview"))  # fmt: skip
    for option in ("--size", "--steps"):  # the painting is done: they would be recorded only
        with pytest.raises(ValueError, match=rf"{option} 64: .*made\.png is already painted"):
            _args("p.png", "--painting", str(made), "--print-size", "96", option, "64")


def test_settings_whose_config_cannot_be_used_are_one_line(tmp_path: Path) -> None:
    from nststudy.config import PRESETS
    from nststudy.paint import build_config

    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    made = tmp_path / "made.png"
    settings = metadata.settings_for(PRESETS["default"], styles)
    for bad in ({"sizes": 512}, {"steps": "many"}, "not a dict"):  # hand-edited sidecars
        settings["config"] = bad if isinstance(bad, str) else {**settings["config"], **bad}
        metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
        with pytest.raises(ValueError, match=r"made\.png: its nststudy settings cannot be used"):
            build_config(_args("p.png", "--from-settings", str(made)))
        settings = metadata.settings_for(PRESETS["default"], styles)


def test_a_print_from_a_given_painting_asks_for_the_painting_again(tmp_path: Path) -> None:
    from nststudy.config import PRESETS

    styles = [{"name": "swirl", "weight": 1.0, "builtin": True}]
    made = tmp_path / "made.png"
    settings = metadata.settings_for(PRESETS["default"], styles, print_size=2048, tile_steps=8)
    settings["painting"] = "file"
    metadata.save_painting(made, np.zeros((30, 40, 3), np.float32), settings)
    with pytest.raises(ValueError, match=r"made\.png: was printed from a --painting file"):
        _args("p.png", "--from-settings", str(made))  # was: painted anew, another picture


def test_resume_finds_a_photos_work_under_the_name_another_batch_gave_it(
    tmp_path: Path, weights: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Output names depend on the batch: IMG_1 alone, a-IMG_1 once b/IMG_1 joins. --resume
    then missed the checkpoint and the finished painting made under the other name, and
    painted the photo again (the checkpoint's key, and finished.json, do not depend on it)."""
    module = sys.modules["nststudy.stylize"]
    a, b = _photo(tmp_path / "a" / "IMG_1.png", 1), _photo(tmp_path / "b" / "IMG_1.png", 2)
    real = module.stylize
    painted: list[int] = []

    def ctrl_c_at_step_1(*args: object, callback: object = None, **kwargs: object) -> object:
        def stop(step: int, *rest: object) -> None:
            callback(step, *rest)  # type: ignore[operator]
            if step == 1:
                raise KeyboardInterrupt

        painted.append(1)
        return real(*args, callback=stop, **kwargs)

    monkeypatch.setattr(module, "stylize", ctrl_c_at_step_1)
    assert paint_here(str(a), *FAST, cwd=tmp_path) == 130  # alone: called IMG_1
    out = tmp_path / "out"
    assert {p.name for p in out.glob("*.png")} == {"IMG_1__swirl.png"}  # (interrupted)
    monkeypatch.setattr(module, "stylize", real)
    capsys.readouterr()
    assert paint_here(str(b), str(a), *FAST, cwd=tmp_path) == 2  # the work would be lost
    assert "IMG_1.png was interrupted with these settings" in capsys.readouterr().err
    assert paint_here(str(a), str(b), *FAST, "--resume", cwd=tmp_path) == 0
    names = {p.name for p in out.glob("*.png")}
    assert names == {"IMG_1__swirl.png", "b-IMG_1__swirl.png"}  # a continued under its name
    assert "interrupted" not in metadata.read_settings(out / "IMG_1__swirl.png")
    assert not list((out / ".nststudy").glob("*.npz"))
    # and alone again: both are finished, whatever the names
    monkeypatch.setattr(module, "stylize", ctrl_c_at_step_1)
    assert paint_here(str(b), "--resume", *FAST, cwd=tmp_path) == 0
    assert paint_here(str(a), "--resume", *FAST, cwd=tmp_path) == 0
    assert painted == [1] and capsys.readouterr().out.count("(already painted)") == 2


def test_from_settings_can_switch_off_a_stored_print_and_crop(tmp_path: Path) -> None:
    """A 30x40 cm print's settings made every photo painted from them a 4724 px print (hours
    each), with no way to say "no print" or "no crop"."""
    settings = metadata.settings_for(
        Job(_args(str(_photo(tmp_path / "p.png")), *FAST)).config,
        [{"name": "swirl", "weight": 1.0, "builtin": True}],
        print_size=4724, tile=512, tile_steps=8, dpi=300, crop="4:5",
    )  # fmt: skip
    made = tmp_path / "print.png"
    metadata.save_painting(made, np.zeros((8, 8, 3), np.uint8), settings)
    again = _args("x.png", "--from-settings", str(made))
    assert (again.print_size, again.tile, again.crop) == (4724, 512, "4:5")
    plain = _args("x.png", "--from-settings", str(made), "--print-size", "0", "--crop", "none")
    assert (plain.print_size, plain.tile, plain.tile_steps, plain.crop) == (None,) * 4
    assert Job(plain).print_size is None


def test_a_painting_too_big_for_memory_is_refused_before_the_weights(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The squarest photo of a batch sets the painting's memory: refused before the weights
    are fetched and before any photo is painted, not when its turn comes hours later."""
    from nststudy import resources

    monkeypatch.delenv(resources.IGNORE_ENV, raising=False)
    monkeypatch.setattr(resources, "_on_gpu", lambda: False)
    monkeypatch.setattr("nststudy.weights.ensure_weights", lambda: pytest.fail("went on"))
    wide, square = _photo(tmp_path / "wide.png", size=(80, 20)), _photo(tmp_path / "sq.png")
    style = ["--style", str(_photo(tmp_path / "style.png", size=(64, 64)))]  # (no 2048 px swirl)
    config = Job(_args(str(square), *style, "--size", "2048")).config
    need = resources.estimate_stylize_memory(1536, 2048, config)  # the square one's frame
    assert need > resources.estimate_stylize_memory(512, 2048, config)  # (the wide one's)
    monkeypatch.setattr(resources, "available_memory", lambda: need - 2**20)
    argv = ["paint", str(wide), str(square), *style, "--size", "2048"]
    assert main([*argv, "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "2048×1536 px" in err and err.count("\n") == 1
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_resume_with_every_photo_painted_does_no_set_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """Nothing left to paint: no weights looked for (an 80 MB check, or a download, or an
    error offline) and no time estimate; each photo says where its painting is."""
    from nststudy import batch

    photos = [_photo(tmp_path / f"p{i}.png", seed=i) for i in range(2)]
    monkeypatch.setattr(batch, "resume_state", lambda job, name, p: ("finished", p))
    monkeypatch.setattr("nststudy.weights.ensure_weights", lambda: pytest.fail("went on"))
    argv = [*map(str, photos), *FAST, "--out", str(tmp_path / "out"), "--resume"]
    assert main(["paint", *argv]) == 0
    captured = capsys.readouterr()
    assert captured.out.count("(already painted)") == 2 and "estimated" not in captured.out


def test_a_style_too_thin_at_its_painting_size_is_refused_before_any_work(
    tmp_path: Path,
) -> None:
    """A 400 × 20 px strip is fine as a file, but resized to 256 px its short side would be 13
    px: refused when the options are read (named, with --style-scale among the fixes), not
    after the weights, with "the style image" for a name."""
    Image.fromarray(np.zeros((20, 400, 3), np.uint8)).save(tmp_path / "strip.png")
    photo = str(_photo(tmp_path / "p.png"))
    with pytest.raises(ValueError, match=r"strip\.png: .*at 256 px .*larger --style-scale"):
        Job(_args(photo, "--style", str(tmp_path / "strip.png"), "--size", "256"))
    Job(_args(photo, "--style", str(tmp_path / "strip.png"), "--size", "512"))  # 26 px: fine
