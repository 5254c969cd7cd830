"""``nststudy paint --print-size``: Ctrl-C while tiles are refined, then ``--resume``."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from skimage import data

from nststudy import metadata
from nststudy.images import load_image
from nststudy.postprocess import resize_to

from ._cli import interrupt_paint, paint_here, refuse_paint

# A 48 × 32 photo painted at 32 px (32 × 21), printed at 128 × 85 (the photo's shape, not the
# painting's rounded one) in 48 px tiles (6 px overlap): tile rows start at 0 and 37, columns
# at 0, 42 and 80 — six tiles, a few seconds each.
CMD = ["p.png", "--style", "swirl", "--size", "32", "--steps", "3",
       "--print-size", "128", "--tile", "48"]  # fmt: skip
TILE_BAR = rb"p tiles: +\d+%\|[^|]*\| ([1-5])/6"


def _files(folder: Path) -> set[str]:
    return {str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_ctrl_c_while_tiles_are_refined_then_resume(
    tmp_path: Path, weights: Path, capsys: pytest.CaptureFixture
) -> None:
    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "p.png")
    proc, _ = interrupt_paint(CMD, tmp_path, TILE_BAR, poll=0.1)
    out = tmp_path / "out"
    painted, (ckpt,) = out / "p__swirl.png", (out / ".nststudy").glob("p__swirl.*.npz")
    # a complete file, its sidecar and the checkpoint; nothing partial or temporary
    assert _files(out) == {"p__swirl.png", "p__swirl.json", f".nststudy/{ckpt.name}"}
    with Image.open(painted) as im:
        im.verify()
    with Image.open(painted) as im:
        assert im.format == "PNG" and im.size == (128, 85)
    settings = metadata.read_settings(painted)
    assert settings["interrupted"] is True and settings["steps_done"] == 3
    done = settings["tiles_done"]
    assert 1 <= done <= 4, done  # SIGINT came while tile 2..5 ran
    assert f"interrupted after {done} tiles" in proc.stdout.read().decode()
    # The best so far: the refined canvas (the default preset has no post-processing) whose
    # unrefined tiles are the working-size painting upscaled. Tile 6 alone covers y ≥ 48,
    # x ≥ 90, and it was never started.
    saved = load_image(painted)
    with np.load(ckpt) as data_:
        working = data_["image"]
        canvas = data_["canvas"].astype(np.float32) / 65535
        meta = json.loads(str(data_["meta"]))
    assert meta["tiles_done"] == done and meta["steps_done"] == 3
    assert meta["tile_side"] == 48  # --resume continues on the same grid
    assert np.abs(saved - canvas).max() <= 1 / 255 + 1e-6
    upscaled = resize_to(load_image(working), (85, 128), "lanczos")
    assert np.abs(canvas[48:, 90:] - upscaled[48:, 90:]).max() < 1e-4
    assert np.abs(canvas[:36, :42] - upscaled[:36, :42]).mean() > 0.01  # tile 1: refined

    capsys.readouterr()
    assert paint_here(*CMD, "--resume", cwd=tmp_path) == 0  # (in-process: no TF start-up)
    resumed = capsys.readouterr().err
    bars = re.findall(r"p tiles: +\d+%\|[^|]*\| (\d)/6", resumed)
    assert bars[0] == str(done) and bars[-1] == "6"  # continued after `done` tiles
    assert "p: " not in resumed  # the working-size painting was not repeated
    assert _files(out) == {"p__swirl.png", "p__swirl.json", ".nststudy/finished.json"}  # no __2
    final = metadata.read_settings(painted)
    assert "interrupted" not in final and "tiles_done" not in final and "tile_side" not in final
    # tile 1 was kept as it was, not refined again
    np.testing.assert_array_equal(load_image(painted)[:30, :36], saved[:30, :36])


@pytest.mark.parametrize("tile", ["16", "0"])
def test_bad_tile_is_one_line(tmp_path: Path, tile: str) -> None:
    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "p.png")
    out = refuse_paint(*CMD[:-1], tile, cwd=tmp_path)
    assert out.returncode == 2 and "--tile" in out.stderr and "Traceback" not in out.stderr
    assert out.stderr.count("\n") == 1 and not (tmp_path / "out").exists()


@pytest.mark.slow
def test_print_from_an_earlier_painting(
    tmp_path: Path, weights: Path, capsys: pytest.CaptureFixture
) -> None:
    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "p.png")
    assert paint_here(*CMD[:7], cwd=tmp_path) == 0  # the working-size painting alone
    # Mark the painting with a red square, keeping its embedded settings: the print must
    # start from this very picture (a print painted anew would have no red square).
    made = tmp_path / "out" / "p__swirl.png"
    marked = load_image(made)
    marked[4:12, 4:12] = (1.0, 0.0, 0.0)
    metadata.save_painting(tmp_path / "marked.png", marked, metadata.read_settings(made))
    # No --style: a painting nststudy made brings its settings along.
    capsys.readouterr()
    assert paint_here(
        "p.png", "--painting", "marked.png", "--print-size", "128", "--tile", "48",
        "--out", "prints", cwd=tmp_path,
    ) == 0  # fmt: skip
    printed = capsys.readouterr().err
    assert "p: " not in printed  # no working-size painting: the tiles alone
    assert re.search(r"p tiles: +100%\|[^|]*\| 6/6", printed)
    result = tmp_path / "prints" / "p__swirl.png"
    settings = metadata.read_settings(result)
    assert settings["painting"] == "file" and settings["print_size"] == 128
    assert settings["styles"][0]["name"] == "swirl"
    assert "history" not in json.loads(result.with_suffix(".json").read_text())
    out = load_image(result)
    assert out.shape == (85, 128, 3)
    square = out[20:44, 20:44]  # the red square, 4× (its feathered rim left out)
    assert (square[..., 0] - square[..., 1:].max(axis=-1)).mean() > 0.5  # measured: 0.72


def test_painting_option_is_checked_before_any_work(tmp_path: Path) -> None:
    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "p.png")
    Image.fromarray(data.astronaut()).resize((32, 32)).save(tmp_path / "square.png")
    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "q.png")
    style, big = ["--style", "swirl"], ["--print-size", "128"]
    cases = [
        (["p.png", "--painting", "square.png", *style], "--print-size"),
        (["p.png", "q.png", "--painting", "p.png", *style, *big], "one photo"),
        (["p.png", "--painting", "p.png", *style, "--print-size", "40"], "above 48"),
        (["p.png", "--painting", "missing.png", *style, *big], "missing.png"),
        (
            ["p.png", "--painting", "square.png", *style, *big],
            "square.png: 32×32 px does not have the photo's aspect (48×32)",
        ),
    ]
    for args, expected in cases:
        out = refuse_paint(*args, cwd=tmp_path)
        assert out.returncode == 2 and expected in out.stderr, (args, out.stderr)
        assert out.stderr.count("\n") == 1 and "Traceback" not in out.stderr
        assert not list((tmp_path / "out").glob("*"))  # nothing written


def test_a_print_that_fails_after_the_painting_keeps_the_painting_for_resume(
    tmp_path: Path, weights: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    import nststudy.tiles

    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "p.png")
    real = nststudy.tiles.refine_tiled

    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(nststudy.tiles, "refine_tiled", out_of_memory)
    assert paint_here(*CMD, cwd=tmp_path) == 2
    said = capsys.readouterr()
    assert "out of memory" in said.err and "p.png: its painting is kept; --resume" in said.out
    assert not list((tmp_path / "out").glob("p__swirl*"))  # nothing finished, nothing saved
    monkeypatch.setattr(nststudy.tiles, "refine_tiled", real)
    assert paint_here(*CMD, cwd=tmp_path) == 2  # a new run would replace it: refused
    assert "add --resume to continue it" in capsys.readouterr().err
    painted: list[object] = []
    module = sys.modules["nststudy.stylize"]
    stylize = module.stylize
    monkeypatch.setattr(module, "stylize", lambda *a, **k: painted.append(a) or stylize(*a, **k))
    assert paint_here(*CMD, "--resume", cwd=tmp_path) == 0
    assert painted == []  # was: the painting lost, painted again
    assert metadata.read_settings(tmp_path / "out" / "p__swirl.png")["print_size"] == 128
    assert not list((tmp_path / "out" / ".nststudy").glob("*.npz"))


def test_a_print_that_cannot_be_saved_keeps_its_tiles_and_a_resume_saves_it(
    tmp_path: Path, weights: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """A full disk at the final save (the job's largest file): the painting and every refined
    tile stay in the checkpoint, and --resume only finishes and saves. A sidecar that cannot
    be written after that leaves a finished print: recorded, its checkpoint gone."""
    import nststudy.tiles
    from nststudy.images import ImageError

    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "p.png")
    real_save, real_refine = metadata.save_painting, nststudy.tiles.refine_tiled

    def full(path: Path, *args: object, **kwargs: object) -> None:
        raise ImageError(f"{path}: the disk is full (or over quota); free some space")

    monkeypatch.setattr(metadata, "save_painting", full)
    assert paint_here(*CMD, cwd=tmp_path) == 2
    err = capsys.readouterr().err
    assert "the painting and its print tiles are kept in" in err and "or write elsewhere" not in err
    assert err.endswith("repeat the command with --resume\n")  # (after the progress bars)
    assert not list((tmp_path / "out").glob("p__swirl*"))
    monkeypatch.setattr(metadata, "save_painting", real_save)
    starts: list[object] = []

    def refine(*args: object, **kwargs: object) -> np.ndarray:
        starts.append(kwargs["start"][1])
        return real_refine(*args, **kwargs)

    def no_sidecar(*args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nststudy.tiles, "refine_tiled", refine)
    monkeypatch.setattr(metadata, "write_sidecar", no_sidecar)
    assert paint_here(*CMD, "--resume", cwd=tmp_path) == 2
    assert "sidecar could not be written" in capsys.readouterr().err
    assert starts == [6]  # all six tiles came from the checkpoint: none refined again
    assert metadata.read_settings(tmp_path / "out" / "p__swirl.png")["print_size"] == 128
    assert not list((tmp_path / "out" / ".nststudy").glob("*.npz"))  # was: kept, spent
    assert paint_here(*CMD, "--resume", cwd=tmp_path) == 0
    assert "(already painted)" in capsys.readouterr().out


def test_out_of_memory_in_the_tiles_then_resume_with_smaller_tiles(
    tmp_path: Path, weights: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    """The advice after running out of memory is a smaller --tile; --resume with one was
    refused ("made with other options"), so the painting and its tiles could not be kept.
    Now the tiles start again on the new grid, from the canvas so far; resumed on the same
    side, the grid (and its overlap, 48 // 8 = 6 px) is the one the print was begun on."""
    import nststudy.tiles

    Image.fromarray(data.astronaut()).resize((48, 32)).save(tmp_path / "p.png")
    real = nststudy.tiles.refine_tiled
    calls: list[tuple[object, ...]] = []
    starts: list[np.ndarray] = []

    def after_two_tiles(*args: object, **kwargs: object) -> np.ndarray:
        calls.append((args[5], args[6], kwargs["start"] and kwargs["start"][1]))
        starts.append(kwargs["start"] and kwargs["start"][0])
        given = kwargs.pop("callback")

        def callback(done: int, total: int, canvas: np.ndarray) -> None:
            given(done, total, canvas)
            if done == 2 and len(calls) == 1:
                raise MemoryError

        return real(*args, callback=callback, **kwargs)

    monkeypatch.setattr(nststudy.tiles, "refine_tiled", after_two_tiles)
    small = [*CMD[:7], "--print-size", "96", "--tile", "48", "--tile-steps", "2"]  # 6 tiles
    assert paint_here(*small, cwd=tmp_path) == 2
    said = capsys.readouterr()
    assert "its painting and 2 print tiles are kept; --resume goes on" in said.out
    assert "--resume --tile with a side under 48 px" in said.out
    ckpt = next((tmp_path / "out" / ".nststudy").glob("*.npz"))
    with np.load(ckpt) as kept:
        meta = json.loads(str(kept["meta"]))
        canvas = kept["canvas"].astype(np.float32) / 65535
    assert (meta["tiles_done"], meta["tile_side"], meta["tile_overlap"]) == (2, 48, 6)
    smaller = [*small[:-3], "40", *small[-2:]]
    assert paint_here(*smaller, "--resume", cwd=tmp_path) == 0
    assert calls[1] == (40, 5, 0)  # another grid: all its tiles, from the kept canvas
    np.testing.assert_allclose(starts[1], canvas, atol=1e-6)  # (its two refined tiles)
    assert metadata.read_settings(tmp_path / "out" / "p__swirl.png")["tile"] == 40
    assert not list((tmp_path / "out" / ".nststudy").glob("*.npz"))


def test_a_resume_without_tile_keeps_the_grid_it_was_begun_on(tmp_path: Path) -> None:
    """print_tiles' choice of grid for a resumed print (no painting: the choice alone)."""
    from types import SimpleNamespace

    import nststudy.tiles
    from nststudy._print_job import print_tiles
    from nststudy.config import get_preset

    seen: list[tuple[object, ...]] = []

    class Stop(Exception):
        pass

    def refine(*args: object, **kwargs: object) -> None:
        seen.append((args[5], args[6], kwargs["start"][1]))
        raise Stop

    painting, canvas = np.zeros((21, 32, 3), np.float32), np.zeros((84, 128, 3), np.float32)
    cfg = get_preset("default")
    job = SimpleNamespace(styles=[], config=cfg, painting=None, painted_strokes=0.0,
                          print_size=128, tile_steps=3)  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(nststudy.tiles, "refine_tiled", refine)
        for tile, overlap, start, want in (
            (None, 64, (canvas, 2, 48, 6), (48, 6, 2)),  # plain --resume: --tile 48's grid
            (48, 6, (canvas, 2, 48, 6), (48, 6, 2)),  # the same --tile again
            (40, 5, (canvas, 2, 48, 6), (40, 5, 0)),  # a smaller one: every tile again
            (None, 64, (canvas, 3, 656), (656, 64, 3)),  # recorded before the overlap was
        ):
            job.tile, job.overlap = tile, overlap
            with pytest.raises(Stop):
                print_tiles(job, "p", painting, painting, None, start, 0)
            assert seen[-1] == want


def test_frame_notes_give_large_prints_in_plain_numbers() -> None:
    from types import SimpleNamespace

    from nststudy._print_job import frame_notes

    job = SimpleNamespace(args=SimpleNamespace(print="841x1189mm", crop="4:5"))
    (note,) = frame_notes(job, {})
    assert note.startswith("--crop 4:5 makes a 951.2×1189 mm print, not 841×1189 mm")
    job.args.crop = None
    (note,) = frame_notes(job, {Path("wide.png"): (36, 64)})
    assert "wide.png: a 64×36 photo makes a 668.8×1189 mm print" in note


def test_the_smaller_tile_advice_is_for_running_out_in_the_tiles_only() -> None:
    from types import SimpleNamespace

    from nststudy.batch import _smaller_tiles

    job = SimpleNamespace(print_size=128, overlap=64)
    photo = np.zeros((32, 48, 3), np.float32)  # 128 × 85 in 48 px tiles (6 px): six tiles
    canvas = np.zeros((85, 128, 3), np.float32)
    said = _smaller_tiles(job, photo, (canvas, 2, 48, 6))
    assert "--resume --tile with a side under 48 px" in said
    assert _smaller_tiles(job, photo, (canvas, 6, 48, 6)) == ""  # all done: while finishing
