"""``nststudy paint``'s "nothing is lost" rules around Ctrl-C, checkpoints and ``--resume``,
tested in-process on the pieces (no VGG19 pass unless marked)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nststudy import metadata
from nststudy._checkpoints import (
    checkpoint_path,
    digest,
    load_checkpoint,
    save_interrupted,
    save_result,
    steps_done,
)
from nststudy._resume import resume_state
from nststudy.cli import build_parser, main
from nststudy.config import PRESETS
from nststudy.images import to_uint8
from nststudy.paint import Job, PaintInterrupted, _key, resolve_args
from nststudy.stylize import Result

FAST = ["--style", "swirl", "--size", "32", "--steps", "2"]


def _job(tmp_path: Path, *argv: str) -> Job:
    args = build_parser().parse_args(["paint", str(tmp_path / "p.png"), *argv])
    return Job(resolve_args(args))


def _photo(path: Path, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    Image.fromarray(rng.integers(0, 255, (30, 40, 3), dtype=np.uint8)).save(path)
    return path


def _interrupt(job: Job, photo: Path) -> Path:
    """What Ctrl-C leaves: an interrupted painting and the job's checkpoint."""
    image = np.full((24, 32, 3), 0.5, np.float32)
    job.out.mkdir(exist_ok=True)
    target, ckpt = job.target("p"), checkpoint_path(job, "p", photo)
    with pytest.raises(PaintInterrupted):
        save_interrupted(job, photo, "p", target, ckpt, image, image, image, None, 0.0, 1, False)
    return ckpt


def test_another_jobs_checkpoint_is_neither_read_nor_deleted(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "p.png")
    first = _job(tmp_path, *FAST, "--out", str(tmp_path / "out"))
    ckpt = _interrupt(first, photo)
    assert ckpt.parent.name == ".nststudy" and ckpt.name.startswith("p__swirl.")
    assert resume_state(first, "p", photo) == ("checkpoint", ckpt)
    # other settings, or another photo under the same name: other checkpoints
    other = _job(tmp_path, *FAST, "--seed", "3", "--out", str(tmp_path / "out"))
    assert checkpoint_path(other, "p", photo) != ckpt
    assert checkpoint_path(first, "p", _photo(tmp_path / "q.png", seed=1)) != ckpt
    with pytest.raises(ValueError, match=r"p__swirl\.[0-9a-f]{16}\.npz: the checkpoint of p\.png"):
        resume_state(other, "p", photo)  # --resume with changed options: said, not ignored
    assert first.checkpoints("p") == [ckpt]


def test_a_print_begun_with_ten_tile_steps_resumes_with_them_and_says_so_without(
    tmp_path: Path,
) -> None:
    """Prints recorded no tile steps before they became 8: their checkpoints carry the key of
    ``--tile-steps 10``, and a resume without it is told to add it."""
    photo = _photo(tmp_path / "p.png")
    argv = (*FAST, "--print-size", "64", "--out", str(tmp_path / "out"))
    ckpt = _interrupt(_job(tmp_path, *argv, "--tile-steps", "10"), photo)
    assert resume_state(_job(tmp_path, *argv, "--tile-steps", "10"), "p", photo)[1] == ckpt
    with pytest.raises(
        ValueError, match=r"begun with 10 L-BFGS steps a tile .*; add --tile-steps 10$"
    ):
        resume_state(_job(tmp_path, *argv), "p", photo)
    with pytest.raises(ValueError, match=r"delete the checkpoint$"):  # another change: no hint
        resume_state(_job(tmp_path, *argv, "--seed", "5", "--tile-steps", "10"), "p", photo)
    with pytest.raises(ValueError, match=r"delete the checkpoint$"):  # not a print: no hint
        resume_state(_job(tmp_path, *FAST, "--out", str(tmp_path / "out")), "p", photo)


def test_a_new_run_never_replaces_an_interrupted_ones_checkpoint(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Run again without --resume, stopped early again: the first run's progress would be
    replaced by the second's. The run is refused, naming the checkpoint and both ways on."""
    photo = _photo(tmp_path / "p.png")
    argv = [str(photo), *FAST, "--out", str(tmp_path / "out")]
    ckpt = _interrupt(_job(tmp_path, *argv[1:]), photo)
    before = ckpt.read_bytes()
    assert main(["paint", *argv]) == 2
    err = capsys.readouterr().err
    assert f"{ckpt}: p.png was interrupted" in err and "add --resume" in err
    assert err.count("\n") == 1 and ckpt.read_bytes() == before


def test_an_edited_style_file_makes_another_checkpoint(tmp_path: Path) -> None:
    photo, style = _photo(tmp_path / "p.png"), tmp_path / "s.png"
    _photo(style, seed=5)
    out = ["--size", "32", "--out", str(tmp_path / "out")]
    before = checkpoint_path(_job(tmp_path, "--style", str(style), *out), "p", photo)
    _photo(style, seed=6)  # same name, same settings, other pixels
    assert checkpoint_path(_job(tmp_path, "--style", str(style), *out), "p", photo) != before


def test_the_version_is_not_a_setting(tmp_path: Path) -> None:
    job = _job(tmp_path, *FAST)
    assert _key({**job.settings, "software": "nststudy 0.0.1"}) == job.key


def test_resume_checks_every_checkpoint_before_painting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    (tmp_path / "photos").mkdir()
    a, b = _photo(tmp_path / "photos" / "a.png"), _photo(tmp_path / "photos" / "b.png", 1)
    out = tmp_path / "out"
    args = build_parser().parse_args(["paint", str(b), *FAST, "--seed", "9", "--out", str(out)])
    stale = checkpoint_path(Job(resolve_args(args)), "b", b)
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"from another run")  # b's checkpoint, other settings
    monkeypatch.setattr("nststudy.weights.ensure_weights", lambda: pytest.fail("went on"))
    assert main(["paint", str(a), str(b), *FAST, "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "the checkpoint of b.png was made with other options" in err and err.count("\n") == 1
    assert stale.read_bytes() == b"from another run"


def test_a_torn_checkpoint_is_one_line(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--out", str(tmp_path / "out"))
    ckpt = checkpoint_path(job, "p", photo)
    ckpt.parent.mkdir(parents=True)
    ckpt.write_bytes(b"PK\x03\x04 torn")
    with pytest.raises(ValueError, match=r"cannot be read .*delete it"):
        resume_state(job, "p", photo)


def test_old_and_damaged_checkpoints_are_one_line(tmp_path: Path) -> None:
    from nststudy._checkpoints import digest, load_checkpoint

    photo = _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--out", str(tmp_path / "out"))
    (tmp_path / "out" / ".nststudy").mkdir(parents=True)
    (tmp_path / "out" / ".nststudy" / "p__swirl.npz").write_bytes(b"before session 13")
    with pytest.raises(ValueError, match=r"p__swirl\.npz: .* made by an older nststudy"):
        resume_state(job, "p", photo)
    ckpt = checkpoint_path(job, "p", photo)
    meta = {"key": job.inputs_key(), "steps_done": 1, "output": "p__swirl.png"}
    np.savez(ckpt, meta=json.dumps({**meta, "photo": digest(photo)}))  # no image in it
    with pytest.raises(ValueError, match=r"cannot be read \(KeyError\)"):
        load_checkpoint(job, ckpt, photo)
    canvas = np.zeros((4, 4, 3), np.uint16)
    for bad in ({"tiles_done": -3, "tile_side": 512}, {"tiles_done": 2, "tile_side": 12.5}):
        tampered = {**meta, "photo": digest(photo), **bad}  # hand-edited: one line, no traceback
        np.savez(ckpt, meta=json.dumps(tampered), image=np.zeros((4, 4, 3)), canvas=canvas)
        with pytest.raises(ValueError, match=r"cannot be read \(ValueError\)"):
            load_checkpoint(job, ckpt, photo)


def test_overwrite_never_takes_another_formats_sidecar(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "p__swirl.png").write_bytes(b"the png")
    (out / "p__swirl.json").write_text("{}")
    job = _job(tmp_path, *FAST, "--out", str(out), "--overwrite", "--format", "jpeg")
    assert job.target("p").name == "p__swirl__2.jpg"
    (out / "p__swirl__2.jpg").write_bytes(b"the jpeg")
    assert job.target("p").name == "p__swirl__2.jpg"  # again: its own, replaced as asked
    job = _job(tmp_path, *FAST, "--out", str(out), "--overwrite")
    assert job.target("p").name == "p__swirl.png"  # its own format: replaced as asked


def test_steps_done_counts_stages_that_ended_early_whole() -> None:
    cfg = PRESETS["default"].replace(sizes=(64, 128), steps=(30, 20))

    def done(history: list[dict], stages: int) -> int:
        return steps_done(cfg, Result(np.zeros(1), history, 0.0, cfg, stages_done=stages))

    ran = [{"size": 64}] * 12 + [{"size": 128}] * 5  # stage 1 converged after 12 steps
    assert done(ran, 1) == 35  # stopped in stage 2
    assert done(ran[:12], 1) == 30  # stopped between the stages
    assert done(ran + [{"size": 128}] * 3, 2) == 50  # stage 2 converged too; stopped later
    assert done(ran[:7], 0) == 7 and done([], 0) == 0


def test_a_diverged_painting_says_so(tmp_path: Path) -> None:
    job = _job(tmp_path, *FAST, "--out", str(tmp_path / "out"))
    job.out.mkdir()
    image = np.full((24, 32, 3), 0.5, np.float32)
    result = Result(image, [], 1.0, job.config, stopped="diverged")
    saved = save_result(job, "p", job.target("p"), False, image, image, result, 0.0, None)
    assert metadata.read_settings(saved)["stopped"] == "diverged"
    assert json.loads(metadata.sidecar_path(saved).read_text())["stopped"] == "diverged"


def test_a_print_refines_the_painting_before_its_mask_blend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The working-size painting a print job refines is ``Result.raw`` (as paint_print and
    the studio refine), not the mask-blended, rounded ``Result.image``: blended twice, the
    seam would take m² of the painting instead of m."""
    from nststudy import batch

    photo = _photo(tmp_path / "p.png")
    Image.fromarray(np.full((30, 40), 255, np.uint8)).save(tmp_path / "m.png")
    mask = ["--mask", str(tmp_path / "m.png"), "--out", str(tmp_path / "out")]
    job = _job(tmp_path, *FAST, "--print-size", "64", *mask)
    job.out.mkdir()
    job.mask_image = np.asarray(Image.open(tmp_path / "m.png"))
    raw = np.full((24, 32, 3), 0.25, np.float32)

    def painted(*args: object, **kwargs: object) -> Result:
        return Result(np.zeros((24, 32, 3), np.uint8), [{"size": 32}] * 2, 1.0, job.config,
                      raw=raw)  # fmt: skip

    refined = []

    def printed(job_: Job, name: str, painting: np.ndarray, *rest: object) -> tuple:
        refined.append(painting)
        return np.zeros((48, 64, 3), np.float32), None, None

    monkeypatch.setattr(sys.modules["nststudy.stylize"], "stylize", painted)
    monkeypatch.setattr(batch, "print_tiles", printed)
    batch._paint_one(job, photo, "p", 0, ("fresh", None))
    assert refined[0] is raw


def test_ctrl_c_before_the_first_tile_keeps_the_painting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nststudy import batch

    _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--print-size", "64")

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # e.g. while the painting is upscaled to the print

    monkeypatch.setattr("nststudy.tiles.refine_tiled", interrupted)
    painting = np.full((24, 32, 3), 0.4, np.float32)
    image, stop, _ = batch.print_tiles(job, "p", painting, painting, None, None, 0)
    assert image.shape == (48, 64, 3) and np.allclose(image, 0.4, atol=0.02)
    assert stop[1] == 0  # no tile done: --resume refines them all


def test_a_second_ctrl_c_after_some_tiles_keeps_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nststudy import batch

    _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--print-size", "64")

    def two_tiles_then_ctrl_c_twice(*args: object, callback: object, **kwargs: object) -> None:
        canvas = np.full((48, 64, 3), 0.9, np.float32)  # two tiles refined: brighter
        callback(2, 4, canvas)
        raise KeyboardInterrupt  # the second Ctrl-C, while refine_tiled returned the first

    monkeypatch.setattr("nststudy.tiles.refine_tiled", two_tiles_then_ctrl_c_twice)
    painting = np.full((24, 32, 3), 0.4, np.float32)
    image, stop, _ = batch.print_tiles(job, "p", painting, painting, None, None, 0)
    assert stop[1] == 2 and np.allclose(stop[0], 0.9)  # was: 0 tiles, the plain upscale
    assert np.allclose(image, 0.9, atol=0.02)


def test_the_checkpoint_keeps_the_digest_of_the_photo_painted(tmp_path: Path) -> None:
    photo = _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST)
    job.out.mkdir(exist_ok=True)
    target, ckpt = job.target("p"), checkpoint_path(job, "p", photo)
    painted = digest(photo)
    photo.rename(tmp_path / "moved.png")  # a photo manager moved it during the painting
    image = np.full((24, 32, 3), 0.5, np.float32)
    with pytest.raises(PaintInterrupted):
        save_interrupted(
            job, photo, "p", target, ckpt, image, image, image, None, 0.0, 1, False,
            photo_digest=painted,
        )  # fmt: skip
    meta = json.loads(str(np.load(ckpt)["meta"]))
    assert meta["photo"] == painted and target.is_file()  # was: FileNotFoundError, no file


@pytest.mark.usefixtures("weights")
def test_ctrl_c_during_post_processing_returns_the_painting(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = sys.modules["nststudy.stylize"]  # (the package's `stylize` is the function)

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(module, "finish_painting", interrupted)
    photo = np.random.default_rng(0).random((32, 32, 3), dtype=np.float32)
    cfg = PRESETS["default"].replace(sizes=(32,), steps=(2,), strokes=0.5)
    result = module.stylize(photo, photo[::-1], cfg)
    assert result.stopped == "interrupt" and len(result.history) == 2
    np.testing.assert_array_equal(result.image, to_uint8(result.raw))


@pytest.mark.usefixtures("weights")
def test_a_resumed_run_leaves_a_painting_that_took_the_interrupted_ones_name(
    tmp_path: Path,
) -> None:
    """The interrupted file was deleted and another painting saved under its name: --resume
    finishes in the next free name and leaves that painting as it is."""
    photo = _photo(tmp_path / "p.png")
    argv = [str(photo), *FAST, "--out", str(tmp_path / "out")]
    _interrupt(_job(tmp_path, *argv[1:]), photo)
    taken = tmp_path / "out" / "p__swirl.png"
    other = metadata.settings_for(PRESETS["default"], [{"name": "swirl", "weight": 1.0}])
    metadata.save_painting(taken, np.full((24, 32, 3), 0.9, np.float32), other, overwrite=True)
    before = taken.read_bytes()
    assert main(["paint", *argv, "--resume"]) == 0
    assert taken.read_bytes() == before
    finished = metadata.read_settings(tmp_path / "out" / "p__swirl__2.png")
    assert "interrupted" not in finished
    assert not list((tmp_path / "out" / ".nststudy").glob("*.npz"))  # the checkpoint is done


@pytest.mark.usefixtures("weights")
def test_resume_skips_only_the_photo_it_painted_not_another_of_that_name(tmp_path: Path) -> None:
    """day1/p.png was painted; day2/p.png, another photo, shares its name and settings."""
    (tmp_path / "day1").mkdir(), (tmp_path / "day2").mkdir()
    first, second = _photo(tmp_path / "day1" / "p.png"), _photo(tmp_path / "day2" / "p.png", 1)
    out = ["--out", str(tmp_path / "out")]
    assert main(["paint", str(first), *FAST, *out]) == 0
    painted = (tmp_path / "out" / "p__swirl.png").read_bytes()
    assert main(["paint", str(second), *FAST, *out, "--resume"]) == 0  # painted, not skipped
    assert (tmp_path / "out" / "p__swirl__2.png").exists()
    assert main(["paint", str(first), *FAST, *out, "--resume"]) == 0  # this one: skipped
    assert not (tmp_path / "out" / "p__swirl__3.png").exists()
    assert (tmp_path / "out" / "p__swirl.png").read_bytes() == painted


def test_resume_paints_again_a_photo_whose_mask_file_was_edited(tmp_path: Path) -> None:
    """The settings name the mask file, not its pixels: an output painted with the old mask
    was skipped as "already painted" (while its checkpoint would have been refused)."""
    photo, mask = _photo(tmp_path / "p.png"), tmp_path / "m.png"
    Image.new("L", (40, 30), 255).save(mask)
    argv = ["paint", str(photo), *FAST, "--mask", str(mask), "--out", str(tmp_path / "out")]
    assert main(argv) == 0
    assert main([*argv, "--resume"]) == 0  # the same files: skipped
    assert not (tmp_path / "out" / "p__swirl__2.png").exists()
    Image.new("L", (40, 30), 0).save(mask)  # the mask edited: painted again
    assert main([*argv, "--resume"]) == 0
    assert (tmp_path / "out" / "p__swirl__2.png").exists()
    record = tmp_path / "out" / ".nststudy" / "finished.json"  # a record from before: by photo
    old = {k: v["photo"] for k, v in json.loads(record.read_text()).items()}
    record.write_text(json.dumps(old))
    assert main([*argv, "--resume"]) == 0
    assert not (tmp_path / "out" / "p__swirl__3.png").exists()


def test_two_runs_into_one_folder_keep_each_others_finished_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading
    import time
    import types

    from nststudy import _finished_record

    real = _finished_record.replace_atomically

    def slow(path, write):  # widens the read-modify-write window a race needs
        time.sleep(0.005)
        return real(path, write)

    monkeypatch.setattr(_finished_record, "replace_atomically", slow)
    job = types.SimpleNamespace(out=tmp_path, styles=[], mask_image=None, painting=None)

    def run(name: str) -> None:
        for i in range(20):
            (tmp_path / f"{name}{i}.png").touch()
            _finished_record.record_finished(job, tmp_path / f"{name}{i}.png", f"{name}-{i}")

    threads = [threading.Thread(target=run, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    record = _finished_record.finished_record(job)
    assert len(record) == 40
    assert record["a7.png"]["photo"] == "a-7" and record["b19.png"]["photo"] == "b-19"


def test_the_record_is_kept_where_the_folder_cannot_be_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """NFS refuses an exclusive flock on a folder opened read-only (EBADF): the record of
    finished outputs must still be written, unlocked, as where there is no fcntl."""
    import errno
    import fcntl
    import types

    from nststudy import _finished_record

    def refuse(fd: int, op: int) -> None:
        raise OSError(errno.EBADF, "Bad file descriptor")

    monkeypatch.setattr(fcntl, "flock", refuse)
    job = types.SimpleNamespace(out=tmp_path, styles=[], mask_image=None, painting=None)
    (tmp_path / "a.png").touch()
    _finished_record.record_finished(job, tmp_path / "a.png", "digest-a")
    assert _finished_record.finished_record(job)["a.png"]["photo"] == "digest-a"


def _in(precision: str, job: Job) -> Job:
    """``job`` as the machine that chose ``precision`` for the preset's "auto" made it."""
    settings = job.settings | {"config": job.settings["config"] | {"precision": precision}}
    job.settings = settings
    job.key, job._inputs_key = _key(settings), None
    return job


def test_a_painting_begun_where_auto_chose_the_other_precision_says_which_to_add(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A checkpoint made where "auto" meant bfloat16 (a CPU with AMX), resumed where it means
    float32 (or made before "auto"): the user repeated the command exactly, so say what
    differs and how to continue it."""
    monkeypatch.setattr("nststudy._cpu.auto_precision", lambda: "float32")  # a CPU without AMX
    photo = _photo(tmp_path / "p.png")
    argv = (*FAST, "--out", str(tmp_path / "out"))
    here = _job(tmp_path, *argv)
    assert here.config.precision == "float32"
    ckpt = _interrupt(_in("bfloat16", _job(tmp_path, *argv)), photo)
    with pytest.raises(ValueError, match=r"begun in bfloat16 .*; add --precision bfloat16$"):
        resume_state(here, "p", photo)
    assert resume_state(_job(tmp_path, *argv, "--precision", "bfloat16"), "p", photo) == (
        "checkpoint",
        ckpt,
    )
    with pytest.raises(ValueError, match=r"begun in bfloat16 .*; add --precision bfloat16$"):
        resume_state(_job(tmp_path, *argv, "--precision", "auto"), "p", photo)  # auto as well
    with pytest.raises(ValueError, match=r"delete the checkpoint$"):  # chosen: no hint
        resume_state(_job(tmp_path, *argv, "--precision", "float32"), "p", photo)
    tutorial = _in("bfloat16", _job(tmp_path, *argv, "--preset", "tutorial"))  # fixed float32
    ckpt = _interrupt(tutorial, photo)
    with pytest.raises(ValueError, match=r"delete the checkpoint$"):  # no "auto" there: no hint
        resume_state(_job(tmp_path, *argv, "--preset", "tutorial"), "p", photo)


def test_a_painting_finished_where_auto_chose_the_other_precision_is_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("nststudy._cpu.auto_precision", lambda: "float32")  # a CPU without AMX
    photo = _photo(tmp_path / "p.png")
    argv = (*FAST, "--out", str(tmp_path / "out"))
    there = _in("bfloat16", _job(tmp_path, *argv))
    image = np.full((24, 32, 3), 0.5, np.float32)
    there.out.mkdir()
    done = save_result(there, "p", there.target("p"), False, image, image, None, 0.0, None)
    assert resume_state(_job(tmp_path, *argv), "p", photo) == ("finished", done)
    # a precision given on the command line is a setting like any other
    assert resume_state(_job(tmp_path, *argv, "--precision", "float32"), "p", photo)[0] == "fresh"
    # and so is a preset's fixed one: a bfloat16 tutorial painting is not the tutorial's
    tutorial = ["--preset", "tutorial", *argv]
    there = _in("bfloat16", _job(tmp_path, *tutorial))
    save_result(there, "p", there.target("p"), False, image, image, None, 0.0, None)
    assert resume_state(_job(tmp_path, *tutorial), "p", photo)[0] == "fresh"


def _two_tiles_then(error: BaseException):
    def refine(*args: object, callback: object, **kwargs: object) -> None:
        callback(2, 4, np.full((48, 64, 3), 0.9, np.float32))  # two tiles refined: brighter
        raise error

    return refine


def test_an_error_after_some_tiles_raises_with_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nststudy import batch

    _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--print-size", "64")
    monkeypatch.setattr("nststudy.tiles.refine_tiled", _two_tiles_then(MemoryError()))
    painting = np.full((24, 32, 3), 0.4, np.float32)
    with pytest.raises(MemoryError) as caught:
        batch.print_tiles(job, "p", painting, painting, None, None, 0)
    canvas, done, side, overlap = caught.value.tiles_so_far
    assert done == 2 and np.allclose(canvas, 0.9) and side >= 32 and 0 <= overlap < side


def test_a_print_that_fails_in_its_tiles_keeps_the_tiles_done_for_resume(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Out of memory at tile 3 of 4 (or a full disk): the painting *and* the two refined tiles
    go to the checkpoint, so --resume goes on with tile 3 instead of refining all anew."""
    from nststudy import batch
    from nststudy._checkpoints import load_checkpoint

    photo = _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--print-size", "64", "--out", str(tmp_path / "out"))
    job.out.mkdir()
    raw = np.full((24, 32, 3), 0.25, np.float32)

    def painted(*args: object, **kwargs: object) -> Result:
        return Result(np.zeros((24, 32, 3), np.uint8), [{"size": 32}] * 2, 1.0, job.config,
                      raw=raw)  # fmt: skip

    monkeypatch.setattr(sys.modules["nststudy.stylize"], "stylize", painted)
    monkeypatch.setattr("nststudy.tiles.refine_tiled", _two_tiles_then(MemoryError()))
    with pytest.raises(MemoryError):
        batch._paint_one(job, photo, "p", 0, ("fresh", None))
    ckpt = checkpoint_path(job, "p", photo)
    image, steps, _, tiles = load_checkpoint(job, ckpt, photo)
    assert np.allclose(image, 0.25, atol=0.01) and steps == 2
    assert tiles is not None and tiles[1] == 2 and np.allclose(tiles[0], 0.9, atol=1e-3)
    assert not list(job.out.glob("p__swirl*"))  # nothing finished, nothing saved
    # resumed, and failing before any further tile: the checkpoint is left as it was
    before = ckpt.read_bytes()

    def at_once(*args: object, **kwargs: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("nststudy.tiles.refine_tiled", at_once)
    with pytest.raises(OSError):
        batch._paint_one(job, photo, "p", 0, ("checkpoint", ckpt))
    assert ckpt.read_bytes() == before
    # resumed, one more tile, then out of memory again: three tiles kept now

    def one_more(*args: object, callback: object, start: object, **kwargs: object) -> None:
        assert start[1] == 2  # went on from the two kept
        callback(3, 4, np.full((48, 64, 3), 0.8, np.float32))
        raise MemoryError

    monkeypatch.setattr("nststudy.tiles.refine_tiled", one_more)
    with pytest.raises(MemoryError):
        batch._paint_one(job, photo, "p", 0, ("checkpoint", ckpt))
    tiles = load_checkpoint(job, ckpt, photo)[3]
    assert tiles[1] == 3 and np.allclose(tiles[0], 0.8, atol=1e-3)


def test_an_error_while_finishing_the_tiles_keeps_them_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Colour and strokes at print size after hours of tiles are the likeliest place to run
    out of memory: the refined canvas goes with the error, all its tiles counted."""
    from nststudy import batch

    _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--print-size", "64")
    canvas = np.full((48, 64, 3), 0.7, np.float32)
    monkeypatch.setattr("nststudy.tiles.refine_tiled", lambda *a, **k: canvas)

    def out_of_memory(*args: object, **kwargs: object) -> None:
        raise MemoryError

    monkeypatch.setattr(sys.modules["nststudy.stylize"], "finish_painting", out_of_memory)
    painting = np.full((24, 32, 3), 0.4, np.float32)
    with pytest.raises(MemoryError) as caught:
        batch.print_tiles(job, "p", painting, painting, None, None, 0)
    kept, done, side, _ = caught.value.tiles_so_far
    assert kept is canvas and done >= 1 and side >= 32


def test_a_print_resumed_on_tiles_that_no_longer_fit_is_refused_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The memory check before a job assumes the smallest automatic tile side; a resumed
    print keeps the side its checkpoint recorded, so that side is checked too."""
    from nststudy import _tile_grid
    from nststudy._print_job import check_resumed_tiles

    photo = _photo(tmp_path / "p.png")
    argv = (*FAST, "--print-size", "64", "--out", str(tmp_path / "out"))
    job = _job(tmp_path, *argv)
    job.out.mkdir()
    image = np.full((24, 32, 3), 0.5, np.float32)
    stop = (np.full((48, 64, 3), 0.5, np.float32), 0, 384, 64)  # begun on 384 px tiles
    target, ckpt = job.target("p"), checkpoint_path(job, "p", photo)
    with pytest.raises(PaintInterrupted):
        save_interrupted(job, photo, "p", target, ckpt, image, image, image, None, 0.0, 2, False,
                         stop)  # fmt: skip
    states, shapes = {photo: ("checkpoint", ckpt)}, {photo: (30, 40)}
    monkeypatch.setattr(_tile_grid, "available_memory", lambda: 10**12)
    check_resumed_tiles(job, states, shapes)  # fits: nothing said
    monkeypatch.setattr(_tile_grid, "available_memory", lambda: 1)
    with pytest.raises(ValueError, match=r"begun with 384 px tiles, which need about .* free; "):
        check_resumed_tiles(job, states, shapes)
    check_resumed_tiles(job, {photo: ("fresh", None)}, shapes)  # nothing resumed: not this check
    all_done = (stop[0], 1, 384, 64)  # its one tile refined: only the finishing is left
    with pytest.raises(PaintInterrupted):
        save_interrupted(job, photo, "p", target, ckpt, image, image, image, None, 0.0, 2, True,
                         all_done)  # fmt: skip
    check_resumed_tiles(job, states, shapes)


def test_the_paint_command_checks_resumed_tiles_before_any_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture
) -> None:
    from nststudy import batch

    photo = _photo(tmp_path / "p.png")
    seen = []

    def refuse(job: Job, states: dict, shapes: dict) -> None:
        seen.append(states)
        raise ValueError("checked")

    monkeypatch.setattr(batch, "check_resumed_tiles", refuse)
    argv = [str(photo), *FAST, "--print-size", "64", "--out", str(tmp_path / "out"), "--resume"]
    assert main(["paint", *argv]) == 2 and "checked" in capsys.readouterr().err
    assert seen == [{photo: ("fresh", None)}]


def test_ctrl_c_on_a_full_disk_still_keeps_the_checkpoint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interrupted picture is the big file: where the disk refuses it, the checkpoint (a
    few MB at the working size) may still fit, and --resume continues from it."""
    from nststudy import _checkpoints
    from nststudy.images import ImageError

    photo = _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--out", str(tmp_path / "out"))

    def full(*args: object, **kwargs: object) -> None:
        raise ImageError("out/p__swirl.png: the disk is full (or over quota); free some space")

    monkeypatch.setattr(_checkpoints, "save_result", full)
    with pytest.raises(ValueError, match=r"disk is full.*the painting is kept in .*--resume"):
        _interrupt(job, photo)
    ckpt = checkpoint_path(job, "p", photo)
    assert resume_state(job, "p", photo) == ("checkpoint", ckpt)
    assert load_checkpoint(job, ckpt, photo)[1] == 1  # the steps done


def _no_room_for_tiles(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception
) -> tuple[Path, Job, object]:
    """A 64 px print job whose checkpoints with print tiles raise ``error`` (a full disk: the
    canvas does not fit) while those of the painting alone are written; returns the photo, the
    job and the real writer."""
    from nststudy import _checkpoints

    photo = _photo(tmp_path / "p.png")
    job = _job(tmp_path, *FAST, "--print-size", "64", "--out", str(tmp_path / "out"))
    job.out.mkdir()
    real = _checkpoints._write_checkpoint

    def no_room(job_, ckpt, image, done, target, digest_, stop=None) -> None:
        if stop is not None:
            raise error
        real(job_, ckpt, image, done, target, digest_, stop)

    monkeypatch.setattr(_checkpoints, "_write_checkpoint", no_room)
    return photo, job, real


def test_a_print_canvas_too_big_for_the_disk_still_keeps_the_painting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The print's canvas (≈ 100 MB at 30×40 cm) may not fit where the picture did not: the
    working-size painting (a few MB) is kept without it, and says so."""
    from nststudy import _checkpoints
    from nststudy.images import ImageError

    full = ImageError("the disk is full (or over quota); free some space")
    photo, job, real = _no_room_for_tiles(tmp_path, monkeypatch, full)
    painting, canvas = np.full((24, 32, 3), 0.5, np.float32), np.zeros((48, 64, 3), np.float32)
    ckpt, target = checkpoint_path(job, "p", photo), job.target("p")
    args = (job, ckpt, painting, 2, target, digest(photo))
    assert _checkpoints.keep_painting(*args, (canvas, 3, 48)) == "painting"
    assert load_checkpoint(job, ckpt, photo)[3] is None  # no tiles: --resume refines them all
    assert _checkpoints.keep_painting(*args) == "painting"
    monkeypatch.setattr(_checkpoints, "_write_checkpoint", real)
    assert _checkpoints.keep_painting(*args, (canvas, 3, 48)) == "tiles"
    assert load_checkpoint(job, ckpt, photo)[3][1] == 3


def test_ctrl_c_when_the_print_checkpoint_does_not_fit_keeps_the_painting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The interrupted print saved, then its canvas checkpoint (≈ 100 MB) hit a full disk: the
    working-size painting is kept instead and the one-line error says what --resume does; where
    even that fails, it says the picture is saved and nothing else was kept."""
    from nststudy import _checkpoints

    photo, job, _ = _no_room_for_tiles(
        tmp_path, monkeypatch, OSError(28, "No space left on device")
    )
    image, canvas = np.full((24, 32, 3), 0.5, np.float32), np.zeros((48, 64, 3), np.float32)
    target, ckpt = job.target("p"), checkpoint_path(job, "p", photo)
    args = (job, photo, "p", target, ckpt, image, image, image, None, 0.0, 2, False)
    with pytest.raises(ValueError, match=r"is saved \(interrupted\), but its print tiles .*No "
                       r"space left on device.*painting is kept in .*--resume") as err:  # fmt: skip
        save_interrupted(*args, (canvas, 3, 48, 6))
    assert "\n" not in str(err.value) and target.exists()
    assert load_checkpoint(job, ckpt, photo)[1] == 2  # the painting's steps: no repainting

    def no_room(*a: object, **k: object) -> None:
        raise MemoryError

    ckpt.unlink()
    monkeypatch.setattr(_checkpoints, "_write_checkpoint", no_room)
    with pytest.raises(ValueError, match=r"the steps so far could not be kept \(out of memory\)"):
        save_interrupted(*args[:3], job.target("p"), *args[4:])
    assert not ckpt.exists()


def test_a_print_begun_with_tile_before_it_left_the_key_resumes_on_its_grid(
    tmp_path: Path,
) -> None:
    """Checkpoints of prints made with --tile before session 23 have the side in their key:
    the very same command must still find them, and go on with that --tile's overlap."""
    from nststudy._checkpoints import _checkpoint_path

    photo = _photo(tmp_path / "p.png")
    argv = (*FAST, "--print-size", "96", "--tile", "48", "--out", str(tmp_path / "out"))
    job = _job(tmp_path, *argv)
    assert job.legacy_key() not in (None, job.inputs_key())
    old = _checkpoint_path(job, "p", photo, job.legacy_key())
    old.parent.mkdir(parents=True)
    meta = {"key": job.legacy_key(), "steps_done": 2, "output": "p__swirl.png",
            "photo": digest(photo), "tiles_done": 1, "tile_side": 48}  # fmt: skip
    canvas = np.zeros((72, 96, 3), np.uint16)
    np.savez(old, image=np.zeros((24, 32, 3), np.float32), meta=json.dumps(meta), canvas=canvas)
    assert resume_state(job, "p", photo) == ("checkpoint", old)
    *_, tiles = load_checkpoint(job, old, photo)
    assert tiles[1:] == (1, 48, 6)  # its --tile 48's overlap, 48 // 8
    assert _job(tmp_path, *FAST, "--out", str(tmp_path / "out")).legacy_key() is None


def test_two_copies_of_one_photo_do_not_claim_the_same_checkpoint(tmp_path: Path) -> None:
    from nststudy._resume import one_claim_each

    job = _job(tmp_path, *FAST, "--out", str(tmp_path / "out"))
    a, b, c = Path("a/IMG_1.jpg"), Path("b/IMG_1.jpg"), Path("c.jpg")
    names = {a: "a-IMG_1", b: "b-IMG_1", c: "c"}
    dir_ = tmp_path / "out" / ".nststudy"
    earlier = dir_ / "IMG_1__swirl.0123456789abcdef.npz"  # painted alone once: IMG_1
    own_b = dir_ / "b-IMG_1__swirl.0123456789abcdef.npz"
    states = {a: ("checkpoint", earlier), b: ("checkpoint", earlier), c: ("fresh", None)}
    one_claim_each(job, states, names)
    assert states == {a: ("checkpoint", earlier), b: ("fresh", None), c: ("fresh", None)}
    states = {a: ("checkpoint", own_b), b: ("checkpoint", own_b)}  # b's own name wins
    one_claim_each(job, states, names)
    assert states == {a: ("fresh", None), b: ("checkpoint", own_b)}
