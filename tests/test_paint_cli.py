"""``nststudy paint`` end to end on tiny images: real subprocesses where exit codes, Ctrl-C and
refusals matter; in-process runs (`paint_here`) for names and formats."""

from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageCms
from skimage import data

from nststudy import metadata
from nststudy._tile_grid import TILE_STEPS
from nststudy.config import PRESETS
from nststudy.paint import (
    available_memory,
    collect_photos,
    estimate_seconds,
    parse_style,
    remaining_stages,
)

from ._cli import interrupt_paint, paint_here, refuse_paint, run_paint

FAST = ["--size", "40", "--steps", "3"]


def _srgb(im: Image.Image) -> bool:
    profile = ImageCms.ImageCmsProfile(io.BytesIO(im.info["icc_profile"]))
    return "sRGB" in ImageCms.getProfileDescription(profile)


def _gps_jpeg(path: Path) -> Path:
    """A JPEG photo with camera and GPS EXIF, as a phone would write it."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)}  # GPS IFD
    Image.fromarray(data.chelsea()).resize((60, 40)).save(path, exif=exif)
    assert Image.open(path).getexif().get_ifd(0x8825)  # the input really has GPS
    return path


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory, weights: Path) -> tuple[Path, object]:
    """A folder of two photos (one with GPS EXIF) painted in a blend of two styles."""
    root = tmp_path_factory.mktemp("batch")
    photos = root / "photos"
    photos.mkdir()
    _gps_jpeg(photos / "cat.jpg")
    Image.fromarray(data.astronaut()).resize((40, 40)).save(photos / "astro.png")
    out = run_paint(
        str(photos), "--style", "swirl", "--style", "brush:0.5", *FAST, "--out", "o", cwd=root
    )
    return root, out


def test_batch_folder_writes_pngs_with_settings(batch: tuple[Path, object]) -> None:
    root, out = batch
    assert out.returncode == 0, out.stderr[-2000:]
    for stem in ("cat", "astro"):
        path = root / "o" / f"{stem}__swirl+brush.png"
        assert f"-> o/{stem}__swirl+brush.png" in out.stdout
        with Image.open(path) as im:
            im.verify()
        with Image.open(path) as im:
            assert im.format == "PNG" and max(im.size) == 40
            assert _srgb(im)
            text = im.info[metadata.KEY]
            assert not im.getexif()  # nothing of the photo's EXIF (GPS, camera) is carried
        assert str(root) not in text and "photos" not in text and "PhoneMaker" not in text
        settings = json.loads(text)
        assert [s["name"] for s in settings["styles"]] == ["swirl", "brush"]
        assert settings["styles"][1]["weight"] == 0.5 and "interrupted" not in settings
        side = json.loads(path.with_suffix(".json").read_text())
        assert side["seconds"] > 0 and len(side["history"]) >= 1 and side["final_loss"] > 0
    assert b"GPS" not in (root / "o" / "cat__swirl+brush.png").read_bytes()


def test_names_never_overwrite_unless_asked(batch: tuple[Path, object]) -> None:
    root, _ = batch
    photo = root / "photos" / "cat.jpg"
    first = root / "o" / "cat__swirl+brush.png"
    before = first.read_bytes()
    styles = ["--style", "swirl", "--style", "brush:0.5"]
    assert paint_here(str(photo), *styles, *FAST, "--out", "o", cwd=root) == 0
    assert (root / "o" / "cat__swirl+brush__2.png").is_file() and first.read_bytes() == before
    over = [str(photo), *styles, *FAST, "--out", "o", "--overwrite", "--seed", "3"]
    assert paint_here(*over, cwd=root) == 0
    assert not (root / "o" / "cat__swirl+brush__3.png").exists()
    assert metadata.read_settings(first)["config"]["seed"] == 3


def test_a_sidecar_that_cannot_be_written_leaves_no_older_one_beside_the_painting(
    tmp_path: Path, weights: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import errno

    Image.fromarray(data.astronaut()).resize((40, 40)).save(tmp_path / "p.png")
    assert paint_here("p.png", "--style", "swirl", *FAST, cwd=tmp_path) == 0
    painting, side = tmp_path / "out" / "p__swirl.png", tmp_path / "out" / "p__swirl.json"
    assert json.loads(side.read_text())["config"]["seed"] == 0

    def disk_full(path: Path, data: dict) -> Path:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(metadata, "write_sidecar", disk_full)
    over = ("p.png", "--style", "swirl", *FAST, "--seed", "5", "--overwrite")
    assert paint_here(*over, cwd=tmp_path) == 2
    err = capsys.readouterr().err
    assert "p__swirl.json: the settings sidecar could not be written (No space left" in err
    assert "p__swirl.png is saved, its settings embedded in it" in err
    assert metadata.read_settings(painting)["config"]["seed"] == 5
    assert not side.exists()  # was: seed 0's sidecar beside seed 5's painting


def test_an_interrupted_save_whose_sidecar_fails_still_keeps_its_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from types import SimpleNamespace

    from nststudy import _checkpoints

    photo, target = tmp_path / "p.png", tmp_path / "p__swirl.png"
    Image.fromarray(data.astronaut()).resize((8, 8)).save(photo)
    ckpt = tmp_path / ".nststudy" / "p__swirl.0123456789abcdef.npz"

    def no_sidecar(job, name, target, *args, **kwargs):  # the picture saved, not its .json
        message = f"{target.with_suffix('.json')}: could not be written; {target} is saved"
        raise _checkpoints.SidecarError(message, target)

    monkeypatch.setattr(_checkpoints, "save_result", no_sidecar)
    img = np.zeros((8, 8, 3), np.float32)
    job = SimpleNamespace(inputs_key=lambda: "k")
    with pytest.raises(ValueError, match=r"is saved \(interrupted: --resume continues it\)"):
        _checkpoints.save_interrupted(
            job, photo, "p", target, ckpt, img, img, img, None, 0.0, 3, False
        )
    assert ckpt.is_file()  # was: the error left before the checkpoint: nothing to resume


def test_bad_file_in_batch_stops_before_painting(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    Image.fromarray(data.astronaut()).resize((40, 40)).save(good)
    (tmp_path / "broken.jpg").write_bytes(b"this is not a JPEG")
    photos = (str(good), "broken.jpg", "missing.png")
    out = refuse_paint(*photos, "--style", "swirl", *FAST, cwd=tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert any("broken.jpg" in line for line in lines) and any("missing.png" in ln for ln in lines)
    assert "--skip-bad" in lines[-1] and not (tmp_path / "out").exists()


def test_skip_bad_paints_the_rest(tmp_path: Path, weights: Path) -> None:
    Image.fromarray(data.astronaut()).resize((40, 40)).save(tmp_path / "good.png")
    (tmp_path / "broken.jpg").write_bytes(b"nope")
    out = run_paint("good.png", "broken.jpg", "--style", "drip", *FAST, "--skip-bad", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "broken.jpg" in out.stderr and (tmp_path / "out" / "good__drip.png").is_file()


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--style", "swril"], "did you mean 'swirl'"),
        (["--style", "swirl:-1"], "the weight must be > 0"),
        (["--style", "swirl", "--crop", "wide"], "--crop wide: cannot read the ratio"),
        (["--style", "swirl", "--crop", "20:1"], "p.png: --crop 20:1 leaves 40×2 px"),
        (["--style", "swirl", "--seed", "-1"], "--seed -1: give a whole number from 0"),
        (["--style", "swirl", "--preset", "nope"], "unknown preset"),
        (["--style", "swirl", "--print", "30 by 40"], "30x40cm"),
    ],
)
def test_bad_options_are_one_line(tmp_path: Path, args: list[str], needle: str) -> None:
    Image.fromarray(data.astronaut()).resize((40, 40)).save(tmp_path / "p.png")
    out = refuse_paint("p.png", *args, cwd=tmp_path)
    assert out.returncode == 2 and needle in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1


def test_precision_bfloat16_paints_and_is_recorded(tmp_path: Path, weights: Path) -> None:
    Image.fromarray(data.astronaut()).resize((40, 40)).save(tmp_path / "p.png")
    args = ("p.png", "--style", "swirl", *FAST, "--precision", "bfloat16")
    assert paint_here(*args, cwd=tmp_path) == 0
    painted = tmp_path / "out" / "p__swirl.png"
    assert metadata.read_settings(painted)["config"]["precision"] == "bfloat16"
    assert np.asarray(Image.open(painted)).std() > 10  # a picture, not a flat frame
    again = ("p.png", "--from-settings", str(painted), "--overwrite")
    assert paint_here(*again, cwd=tmp_path) == 0  # the settings bring it back
    assert metadata.read_settings(painted)["config"]["precision"] == "bfloat16"


def test_formats_and_print_dpi(tmp_path: Path, weights: Path) -> None:
    Image.fromarray(data.astronaut()).resize((40, 40)).save(tmp_path / "p.png")
    out = paint_here("p.png", "--style", "mosaic", *FAST, "--format", "tiff", "--dpi", "150",
                     "--print-size", "64", cwd=tmp_path)  # fmt: skip
    assert out == 0
    with Image.open(tmp_path / "out" / "p__mosaic.tif") as im:
        assert im.format == "TIFF" and max(im.size) == 64 and _srgb(im)
        assert tuple(round(float(d)) for d in im.info["dpi"]) == (150, 150)
    assert metadata.read_settings(tmp_path / "out" / "p__mosaic.tif")["print_size"] == 64
    args = ["--style", "mosaic", *FAST, "--format", "jpeg", "--out", "j"]
    assert paint_here("p.png", *args, cwd=tmp_path) == 0
    with Image.open(tmp_path / "j" / "p__mosaic.jpg") as im:
        assert im.format == "JPEG" and _srgb(im) and "dpi" not in im.info
    assert metadata.read_settings(tmp_path / "j" / "p__mosaic.jpg")["format"] == "jpeg"


def test_from_settings_reproduces_the_painting(batch: tuple[Path, object]) -> None:
    root, _ = batch
    painted = root / "o" / "astro__swirl+brush.png"
    assert paint_here("photos/astro.png", "--from-settings", str(painted), "--out", "again",
                      cwd=root) == 0  # fmt: skip
    a = np.asarray(Image.open(painted), dtype=int)
    b = np.asarray(Image.open(root / "again" / "astro__swirl+brush.png"), dtype=int)
    # Same seed, settings and machine: measured identical (max difference 0).
    assert np.abs(a - b).max() <= 2


def test_interrupt_saves_best_image_and_resume_finishes(tmp_path: Path, weights: Path) -> None:
    Image.fromarray(data.astronaut()).resize((32, 32)).save(tmp_path / "p.png")
    args = ["p.png", "--style", "swirl", "--size", "32", "--steps", "60", "--preset", "tutorial"]
    interrupt_paint(args, tmp_path, rb"p: +\d+%\|[^|]*\| ([3-9]|\d\d+)/60")
    painted = tmp_path / "out" / "p__swirl.png"
    with Image.open(painted) as im:
        im.verify()
    settings = metadata.read_settings(painted)
    assert settings["interrupted"] is True and 3 <= settings["steps_done"] < 60
    assert len(list((tmp_path / "out" / ".nststudy").glob("p__swirl.*.npz"))) == 1
    assert paint_here(*args, "--resume", cwd=tmp_path) == 0  # (in-process: no TF start-up)
    side = json.loads(painted.with_suffix(".json").read_text())
    assert "interrupted" not in metadata.read_settings(painted)
    assert len(side["history"]) == 60 - settings["steps_done"]  # only the steps left ran
    assert not list((tmp_path / "out" / ".nststudy").glob("*.npz"))
    assert not (tmp_path / "out" / "p__swirl__2.png").exists()


# In-process unit tests of the pieces (no VGG needed).


def test_parse_style_names_files_and_weights(tmp_path: Path) -> None:
    spec = parse_style("swirl:0.25", size=32)
    assert (spec.name, spec.weight, spec.builtin, spec.image.shape) == (
        "swirl",
        0.25,
        True,
        (32, 32, 3),
    )
    Image.fromarray(data.coffee()).save(tmp_path / "my style.png")
    spec = parse_style(str(tmp_path / "my style.png:2"))
    assert (spec.name, spec.weight, spec.builtin) == ("my style", 2.0, False)
    assert spec.describe() == {"name": "my style", "weight": 2.0, "builtin": False}
    with pytest.raises(ValueError, match="nststudy styles"):
        parse_style("starry")


def test_collect_photos_expands_folders(tmp_path: Path) -> None:
    for name in ("b.jpg", "a.PNG", ".hidden.png", "notes.txt"):
        (tmp_path / name).write_bytes(b"")
    assert [p.name for p in collect_photos([str(tmp_path)])] == ["a.PNG", "b.jpg"]
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        collect_photos([str(tmp_path / "empty")])


def test_a_folders_paintings_are_not_painted_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """``nststudy paint ~/Photos --out ~/Photos`` a second time: the paintings of the first
    run (nststudy's settings embedded) are left out with a note, or ``p__swirl__swirl.png``
    would follow, and more with every run. Named one by one, a painting is painted."""
    from nststudy.cli import main
    from nststudy.metadata import save_painting, settings_for

    pixels = np.random.default_rng(0).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "p.png")
    made = tmp_path / "p__swirl.png"
    save_painting(made, pixels, settings_for(PRESETS["preview"], [{"name": "swirl"}]))
    left_out: list[Path] = []
    assert collect_photos([str(tmp_path)], left_out) == [tmp_path / "p.png"]
    assert left_out == [made]
    assert collect_photos([str(made)], []) == [made]  # named: painted again, as asked
    assert collect_photos([str(tmp_path)]) == [tmp_path / "p.png", made]  # (not asked)
    (tmp_path / "p.png").unlink()
    with pytest.raises(ValueError, match="holds only paintings nststudy made"):
        collect_photos([str(tmp_path)], [])
    Image.fromarray(pixels).save(tmp_path / "p.png")
    monkeypatch.setattr("nststudy.weights.ensure_weights", lambda: pytest.fail("went on"))
    monkeypatch.setattr("nststudy.batch.validate_photos", lambda photos, *a: ({}, []))
    assert main(["paint", str(tmp_path), "--style", "swirl", "--out", str(tmp_path)]) == 2
    assert "left out 1 painting(s) nststudy made, found among the photos (p__swirl.png" in (
        capsys.readouterr().err
    )


def test_remaining_stages_after_a_checkpoint() -> None:
    cfg = PRESETS["default"].replace(sizes=(256, 512), steps=(60, 40))
    assert remaining_stages(cfg, 0) == cfg
    assert remaining_stages(cfg, 10).steps == (50, 40)
    assert remaining_stages(cfg, 70).sizes == (512,) and remaining_stages(cfg, 70).steps == (30,)
    assert remaining_stages(cfg, 100) is None


def test_estimate_grows_with_size() -> None:
    small = estimate_seconds(PRESETS["preview"], (300, 400))
    assert 0 < small < estimate_seconds(PRESETS["default"], (300, 400))
    paint = estimate_seconds(PRESETS["default"], (384, 512))
    printed = estimate_seconds(PRESETS["default"], (384, 512), print_size=2048, tile=576)
    # 12 tiles of 576 px, TILE_STEPS steps each, on top of the painting
    steps, tile_steps = PRESETS["default"].total_steps, TILE_STEPS
    assert printed - paint == pytest.approx(paint * 12 * tile_steps * 576**2 / (steps * 384 * 512))
    assert estimate_seconds(PRESETS["default"], (384, 512), print_size=512) == paint
    small_tiles = estimate_seconds(PRESETS["default"], (384, 512), 1024, tile=48, overlap=6)
    assert small_tiles > paint  # --tile 48 comes with a 6 px overlap (tile // 8)


def test_available_memory_is_a_plausible_number() -> None:
    # cgroup limit when there is one (Binder: ~2 GB), else MemAvailable
    assert 10**8 < available_memory() < 2**50
