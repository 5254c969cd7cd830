"""The widget studio (driven without a browser) and the Voilà app (started for real)."""

from __future__ import annotations

import base64
import datetime
import io
import re
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from nststudy import metadata, studio
from nststudy.config import PRESETS

from ._servers import free_port, serve


def _upload(name: str, content: bytes) -> tuple[dict, ...]:
    """What FileUpload.value holds after the browser sent one file."""
    now = datetime.datetime.now(datetime.timezone.utc)
    return ({"name": name, "type": "image/png", "size": len(content), "content": content,
             "last_modified": now},)  # fmt: skip


def _png(size: tuple[int, int] = (40, 30)) -> bytes:
    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(buf, "PNG")
    return buf.getvalue()


def test_studio_config_follows_the_sliders() -> None:
    cfg = studio.studio_config("preview", strength=10.0, preserve_colors="luminance", strokes=0.4)
    assert cfg.size == 256 and cfg.preserve_colors == "luminance" and cfg.strokes == 0.4
    assert cfg.style_weight == pytest.approx(PRESETS["preview"].style_weight * 10)
    assert studio.studio_config("print").size == 512  # printing paints at 512, then tiles
    assert studio.studio_config("paint", size=64, steps=5).total_steps == 5
    with pytest.raises(ValueError, match="mode"):
        studio.studio_config("poster")


def test_print_is_refused_with_the_numbers_when_memory_is_short() -> None:
    binder = int(1.5 * 2**30)  # Binder's 2 GB, less the kernel with TensorFlow loaded
    why = studio.print_refusal(2048, available=binder)
    assert why is not None and "2048 px" in why and "1.5 GiB is free" in why
    need = float(re.search(r"about ([\d.]+) GiB", why).group(1))
    assert need > 1.5
    assert studio.print_refusal(2048, available=10**12) is None


def test_print_refusal_suggests_a_paint_size_that_fits() -> None:
    from nststudy.resources import largest_fitting_size

    def suggested(why: str | None) -> int:
        return int(re.search(r"“paint” \((\d+) px\)", why or "").group(1))

    small = 10**9  # a painting at 512 px does not fit in 1 GB: suggest what does
    fits = largest_fitting_size(512, 512, studio.studio_config("paint"), small)
    assert fits < 512 and suggested(studio.print_refusal(2048, available=small)) == fits
    assert suggested(studio.print_refusal(20000, available=8 * 10**9)) == 512
    # a studio whose Paint button paints at 256 px: never more than that is suggested
    assert suggested(studio.print_refusal(20000, available=8 * 10**9, paint_size=256)) == 256


def test_upload_sample_and_styles() -> None:
    s = studio.Studio()
    assert s.photo().shape[2] == 3 and max(s.photo().shape[:2]) <= 1024  # the sample photo
    s.upload.value = _upload("me.png", _png())
    assert s.photo().shape == (30, 40, 3)
    assert bytes(s.image.value).startswith(b"\x89PNG")  # the photo is shown
    s.gallery.value, s.blend.value, s.blend_weight.value = "drip", "brush", 0.25
    assert s.styles() == [("drip", 0.75), ("brush", 0.25)]
    s.blend.value = None
    assert s.styles() == [("drip", 1.0)]
    s.upload.value = _upload("bad.png", b"no")
    with pytest.raises(ValueError, match=r"bad\.png"):
        s.photo()


def test_upload_too_large_or_unreadable_says_so_as_text(monkeypatch: pytest.MonkeyPatch) -> None:
    s = studio.Studio()
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 40×30 = 1200 px: over twice that
    s.upload.value = _upload("huge.png", _png())
    assert "huge.png: declares" in s.status.value and "decompression bomb" in s.status.value
    with pytest.raises(ValueError, match=r"huge\.png"):
        s.photo()
    monkeypatch.undo()
    s.upload.value = _upload("<b>me</b>.png", b"<html>a saved web page</html>")
    assert "&lt;b&gt;me&lt;/b&gt;.png: is a web page" in s.status.value  # shown, not rendered
    s.upload.value = _upload("me.png", _png())
    first = s.photo()
    assert s.photo() is first  # decoded once per upload
    assert not first.flags.writeable  # shared with the job thread, so nobody edits it
    s.upload.value = ()  # cleared: its decoded picture is not kept
    assert "photo" not in s._read


def test_a_refused_job_leaves_no_earlier_picture_for_wait() -> None:
    s = studio.Studio()
    s.result = np.zeros((4, 4, 3), np.uint8)  # an earlier job's painting
    s.upload.value = _upload("bad.png", b"no")
    assert not s.start("preview")
    assert s.wait() is None and "bad.png" in s.error  # was: the earlier painting


def test_no_memory_is_said_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    s = studio.Studio()

    def no_memory(*args: object) -> None:
        raise MemoryError  # a bare one has no text: the status line was an empty red line

    s.upload.value = _upload("me.png", _png())
    monkeypatch.setattr(s, "_uploaded_file", no_memory)
    s.upload.value = _upload("big.png", _png((60, 40)))
    assert "Not enough memory" in s.status.value
    assert not s.start("preview") and "Not enough memory" in s.status.value


def test_an_idle_studio_drops_its_decoded_upload_when_another_is_built(monkeypatch) -> None:
    """ipywidgets keeps every widget (and IPython its Out[n]): a re-run cell's old studio
    kept its decoded photo (up to 150 MB at 4096 px) for the kernel's life."""
    import weakref

    from nststudy import _one_job

    monkeypatch.setattr(_one_job, "_LIVE", weakref.WeakSet())
    old = studio.Studio()
    old.upload.value = _upload("me.png", _png())
    assert "photo" in old._read
    studio.Studio()  # the cell run again
    assert old._read == {}
    assert old.photo().shape == (30, 40, 3)  # read again from the upload when needed


def test_your_photo_without_an_upload_shows_no_earlier_picture() -> None:
    s = studio.Studio()
    assert bytes(s.image.value).startswith(b"\x89PNG")  # the sample photo
    s.sample.value = ""  # "(your photo)", nothing uploaded yet
    assert bytes(s.image.value) == b"" and "Upload a photo first" in s.status.value


def test_a_huge_upload_obeys_allow_huge_images(monkeypatch: pytest.MonkeyPatch) -> None:
    s = studio.Studio()
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)  # 40×30 = 1200 px: over twice that
    monkeypatch.setenv("NSTSTUDY_ALLOW_HUGE_IMAGES", "1")  # as the refusal says to
    s.upload.value = _upload("huge.png", _png())
    assert s.photo().shape == (30, 40, 3) and "decompression" not in s.status.value


def test_a_refusal_with_numbers_keeps_them_on_the_status_line() -> None:
    from nststudy.resources import PrintMemoryError

    refusal = PrintMemoryError("a 2048 px print with 384 px tiles needs about 3.1 GiB but ...")
    assert studio.Studio._why(refusal) == str(refusal)  # was: "Not enough memory for this"
    assert "Not enough memory" in studio.Studio._why(MemoryError())


def test_a_sample_chosen_after_an_upload_frees_the_upload() -> None:
    s = studio.Studio()
    s.upload.value = _upload("me.png", _png())
    assert "photo" in s._read
    s.sample.value = "chelsea"
    assert "photo" not in s._read  # 192 MiB at 4096 px, on Binder's 2 GB


def test_print_button_refuses_when_it_does_not_fit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: 5 * 10**8)
    s = studio.Studio()
    s.buttons["print"].click()
    assert "needs about" in s.status.value and s._thread is None


def test_print_check_counts_the_kernel_once_and_can_be_overridden(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The print estimate is a whole process's peak; a notebook's kernel already holds
    TensorFlow and VGG19, so what it holds of that is not asked for again."""
    from nststudy.resources import PRINT_BASE_BYTES
    from nststudy.tiles import estimate_memory, print_shortfall

    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: 10**8)
    monkeypatch.setattr("nststudy._tile_grid.resident_bytes", lambda: 7 * 10**8)
    need, have, _ = print_shortfall(2048, 512, 0.75)
    assert need == estimate_memory(2048, 512, 0.75) - 7 * 10**8 and have == 10**8
    monkeypatch.setattr("nststudy._tile_grid.resident_bytes", lambda: 5 * 10**9)
    assert print_shortfall(2048, 512)[0] == estimate_memory(2048, 512) - PRINT_BASE_BYTES
    with monkeypatch.context() as m:  # before TensorFlow (the CLI's check): no credit
        m.delitem(sys.modules, "tensorflow")
        assert print_shortfall(2048, 512)[0] == estimate_memory(2048, 512)
    monkeypatch.setenv("NSTSTUDY_IGNORE_MEMORY_LIMIT", "1")
    assert print_shortfall(2048, 512) is None and studio.print_refusal(2048) is None


def test_buttons_wait_for_the_running_job_and_stop_says_so(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import threading

    entered = threading.Event()

    def slow_paint(photo, styles, config, *args, **kwargs):  # runs until stopped
        entered.set()
        for _ in range(2000):
            if s._stop.is_set():
                break
            threading.Event().wait(0.01)
        settings = metadata.settings_for(config, [{"name": "swirl", "weight": 1.0}])
        return studio.Painted(np.zeros((8, 8, 3), np.uint8), settings, True, None)

    monkeypatch.setattr(studio, "paint_photo", slow_paint)
    s = studio.Studio()
    s.upload.value = _upload("first.png", _png())
    assert s.start("paint") and entered.wait(10)
    assert all(b.disabled for b in s.buttons.values()) and not s.stop_button.disabled
    assert not s.start("preview")  # one job at a time
    s.download.value = "the last painting's link"
    s.upload.value = _upload("second.png", _png((20, 20)))  # chosen while the first paints
    assert s.download.value == "the last painting's link"  # the job's result still comes
    s.stop()
    assert s.stop_button.disabled and "stopping" in s.status.value
    s.wait(timeout=30)
    assert not any(b.disabled for b in s.buttons.values()) and "Done" in s.status.value
    assert 'download="first__swirl.png"' in s.download.value  # the photo it painted
    assert s.photo().shape == (20, 20, 3) and s.sample.value == ""  # "(your photo)"
    s.sample.value = "chelsea"  # the sample shown before the upload: picked again
    assert s.photo().shape != (20, 20, 3) and "Pick a photo" in s.status.value
    assert 'download="first__swirl.png"' in s.download.value  # was: gone, the work with it
    assert s._file_name(s.styles()) == "chelsea__swirl"
    s.upload.value = _upload("third.png", _png((20, 20)))
    assert s.photo().shape == (20, 20, 3) and s._file_name(s.styles()) == "third__swirl"


def test_preview_paints_and_offers_a_download(weights: Path) -> None:
    s = studio.Studio(sizes={"preview": 48}, steps={"preview": 3})
    s.upload.value = _upload("me.png", _png())
    s.colors.value = "histogram"
    s.buttons["preview"].click()
    image = s.wait(timeout=600)
    assert s.error is None and image is not None and max(image.shape[:2]) == 48
    assert s.progress.value == s.progress.max == 3 and "Done" in s.status.value
    link = s.download.value
    assert 'download="me__swirl.png"' in link  # <photo>__<style>, as `nststudy paint` names it
    data = base64.b64decode(re.search(r"base64,([^\"]+)", link).group(1))
    settings = metadata.read_settings(data)
    assert settings["config"]["preserve_colors"] == "histogram"
    assert settings["styles"] == [{"name": "swirl", "weight": 1.0, "builtin": True}]


@pytest.mark.slow
def test_voila_serves_the_studio(tmp_path: Path) -> None:
    from nststudy.cli import studio_command

    port = free_port()
    cmd = studio_command(port, "127.0.0.1", browser=False)  # what `nststudy studio` runs
    # The first answer runs the notebook, then returns the page (HTTP 200).
    url, log = f"http://127.0.0.1:{port}/", tmp_path / "voila.log"
    with serve(cmd, url, log, timeout=300, request_timeout=240, cwd=tmp_path) as page:
        assert studio.MARKER in page  # the studio's title widget was rendered
        assert "application/vnd.jupyter.widget-view+json" in page  # as live widgets
        assert "Traceback" not in page and "application/vnd.jupyter.stderr" not in page


def test_paint_shrinks_to_what_fits_in_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    from nststudy.resources import largest_fitting_size

    small = 9 * 10**8  # a 512 px painting of this 3:4 photo does not fit
    monkeypatch.setattr("nststudy.paint.available_memory", lambda: small)
    s = studio.Studio(photo=np.zeros((300, 400, 3), np.float32))
    fits = largest_fitting_size(384, 512, studio.studio_config("paint"), small)
    assert 64 <= fits < 512 and s.config("paint").size == fits
    monkeypatch.setattr(s, "_run", lambda *args: None)  # no painting: just the start
    assert s.start("paint")
    assert f"at {fits} px, the most this machine's memory holds" in s.status.value
    monkeypatch.setattr("nststudy.paint.available_memory", lambda: 10**13)
    assert s.config("paint").size == 512
    monkeypatch.setattr("nststudy.paint.available_memory", lambda: small)
    monkeypatch.setenv("NSTSTUDY_IGNORE_MEMORY_LIMIT", "1")  # "try anyway", as asked
    assert s.config("paint").size == 512
    s._busy = False  # (its _run never ran)


def test_print_after_paint_refines_the_painting_on_screen(
    weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    s = studio.Studio(sizes={"paint": 48, "print": 80}, steps={"paint": 3, "print": 3})
    s.upload.value = _upload("me.png", _png())
    s.strokes.value = 0.3
    s.buttons["paint"].click()
    s.wait(timeout=600)
    assert s.error is None and s._painted[1] is not None
    seen, real = [], studio.paint_photo

    def spy(*args, **kwargs):
        seen.append((kwargs.get("painting"), s.status.value))
        return real(*args, **kwargs)

    monkeypatch.setattr(studio, "paint_photo", spy)
    module = sys.modules["nststudy.stylize"]  # `nststudy.stylize` is also the function
    monkeypatch.setattr(module, "stylize", lambda *a, **k: pytest.fail("repainted"))
    s.strokes.value = 0.0  # post-processing comes after: the painting still holds
    s.buttons["print"].click()
    image = s.wait(timeout=600)
    assert s.error is None and image.shape == (60, 80, 3)
    assert seen[0][0] is s._painted[1] and "Printing the painting above" in seen[0][1]
    assert s.progress.value == s.progress.max == 1  # one tile, no painting steps

    def refuse(*args, **kwargs):  # records what print was given, then ends the job
        seen.append(kwargs)
        raise RuntimeError("not painting in this test")

    s.strength.value = 2.0  # another painting: print paints anew
    monkeypatch.setattr(studio, "paint_photo", refuse)
    s.buttons["print"].click()
    s.wait(timeout=60)
    assert seen[-1]["painting"] is None and "not painting in this test" in s.error


def test_stop_ends_a_print_after_the_current_tile(weights: Path, monkeypatch) -> None:
    monkeypatch.setattr("nststudy.tiles.auto_tile", lambda *a, **k: 144)  # 2 tiles at 160 px
    raw = np.full((36, 48, 3), 0.5, np.float32)
    cfg = studio.studio_config("paint", size=48, steps=2)
    tiles = []
    with pytest.warns(RuntimeWarning, match="stopped after 1 of 2 tiles"):
        out = studio.paint_photo(
            raw, [("swirl", 1.0)], cfg, 160, painting=raw,
            tile_callback=lambda done, total, canvas: tiles.append(done) or True,
        )  # fmt: skip
    assert out.stopped and out.settings["interrupted"] and tiles == [1]
    assert out.image.shape == (120, 160, 3) and out.raw is None
    with pytest.raises(ValueError, match=r"painting: 48×48 px does not have the photo's aspect"):
        studio.paint_photo(raw, [("swirl", 1.0)], cfg, 160, painting=np.zeros((48, 48, 3)))


def test_a_stop_on_the_last_tile_is_a_complete_print(weights: Path, monkeypatch) -> None:
    """Stop asked when the last tile was done: nothing was left out, so the print is not
    marked "interrupted" (nor shown as "stopped early")."""
    monkeypatch.setattr("nststudy.tiles.auto_tile", lambda *a, **k: 144)  # 2 tiles at 160 px
    raw = np.full((36, 48, 3), 0.5, np.float32)
    cfg = studio.studio_config("paint", size=48, steps=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no TilingStopped
        out = studio.paint_photo(
            raw, [("swirl", 1.0)], cfg, 160, painting=raw,
            tile_callback=lambda done, total, canvas: done == total,
        )  # fmt: skip
    assert not out.stopped and "interrupted" not in out.settings


def test_a_diverged_painting_is_recorded_as_the_cli_records_it(
    weights: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from nststudy.stylize import Result

    def diverged(photo: np.ndarray, style: object, config: object, **k: object) -> Result:
        return Result(photo, [], 0.0, config, raw=photo, stopped="diverged")  # type: ignore[arg-type]

    monkeypatch.setattr(sys.modules["nststudy.stylize"], "stylize", diverged)
    photo = np.full((36, 48, 3), 0.5, np.float32)
    out = studio.paint_photo(photo, [("swirl", 1.0)], studio.studio_config("paint", size=48))
    assert not out.stopped and out.settings["stopped"] == "diverged"
    assert "interrupted" not in out.settings


def test_stop_while_painting_a_print_skips_the_tiles(weights: Path, monkeypatch) -> None:
    monkeypatch.setattr("nststudy.tiles.refine_tiled", lambda *a, **k: pytest.fail("tiles"))
    photo = np.random.default_rng(1).random((36, 48, 3), dtype=np.float32)
    cfg = studio.studio_config("paint", size=48, steps=5)
    with pytest.warns(RuntimeWarning, match="stopped after 0 of"):
        out = studio.paint_photo(photo, [("swirl", 1.0)], cfg, 160, callback=lambda *a: True)
    assert out.stopped and out.settings["interrupted"] and out.image.shape == (120, 160, 3)


def _subject_photo() -> bytes:
    """A red disc (the subject) on a plain grey-blue background, 64 × 48."""
    yy, xx = np.mgrid[:48, :64]
    img = np.empty((48, 64, 3), np.uint8)
    img[:] = (90, 110, 140)
    img[(yy - 24) ** 2 + (xx - 32) ** 2 < 14**2] = (220, 40, 30)
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, "PNG")
    return buf.getvalue()


def test_a_notice_reaches_the_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings while a photo or mask is read (no clear subject: an ellipse instead) are shown
    in the status line: in the no-code app nobody reads the kernel's log."""

    def no_subject(photo: np.ndarray) -> np.ndarray:
        import warnings

        warnings.warn("<b>x</b>.png: no clear subject found; a centred ellipse", UserWarning, 2)
        return np.ones(photo.shape[:2], np.float32)

    monkeypatch.setattr("nststudy.masks.auto_foreground_mask", no_subject)
    s = studio.Studio()
    s.area.value = "background"
    assert "no clear subject found" in s.status.value and "color:#b00" not in s.status.value
    assert "&lt;b&gt;x&lt;/b&gt;.png" in s.status.value  # a file's name: text, not markup
    s.sample.value = ""  # "(your photo)" before any upload: a hint, not an error
    assert "Upload a photo first" in s.status.value and "color:#b00" not in s.status.value
    assert not s.start("preview") and "Upload a photo first" in s.error


def test_background_only_own_mask_and_seed_reach_the_painting(weights: Path) -> None:
    s = studio.Studio(sizes={"preview": 64}, steps={"preview": 3})
    s.upload.value = _upload("me.png", _subject_photo())
    assert s.mask() is None  # the whole photo
    s.area.value = "mask"
    with pytest.raises(ValueError, match="Upload a mask first"):
        s.mask()
    assert "Upload a mask first" in s.status.value
    left = np.zeros((30, 40), np.uint8)
    left[:, :20] = 255  # paint the left half (another size than the photo: fitted)
    buf = io.BytesIO()
    Image.fromarray(left).save(buf, "PNG")
    s.mask_upload.value = _upload("left.png", buf.getvalue())
    assert "color:#b00" not in s.status.value  # the problem shown is gone with it
    mask = s.mask()
    assert mask.shape == (48, 64) and mask[:, :28].min() > 0.9 and mask[:, 36:].max() < 0.1
    s.area.value, s.seed.value = "background", 7
    assert "color:#b00" not in s.status.value  # a clear subject: no notice
    mask = s.mask()  # the guessed subject, the disc, is kept as photo
    assert mask[20:28, 28:36].max() < 0.1 and mask[:6, :6].min() > 0.9
    s.buttons["preview"].click()
    image = s.wait(timeout=600)
    assert s.error is None and image.shape == (48, 64, 3)
    data = re.search(r"base64,([^\"]+)", s.download.value).group(1)
    settings = metadata.read_settings(base64.b64decode(data))
    assert settings["background_only"] is True and settings["mask"] is None
    assert settings["config"]["seed"] == 7
    centre = image[20:28, 28:36].astype(int)  # the subject: still the photo's red
    assert centre[..., 0].mean() > 180 and centre[..., 1].mean() < 80


def test_studio_command_uses_this_environment_and_names_what_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib.util

    from nststudy.cli import studio_command

    cmd = studio_command(8901, "0.0.0.0", browser=False)
    assert cmd[:3] == [sys.executable, "-m", "voila"] and cmd[3].endswith("studio.ipynb")
    assert cmd[4:6] == ["--port=8901", "--Voila.ip=0.0.0.0"] and cmd[-1] == "--no-browser"
    big = '--Voila.tornado_settings={"websocket_max_message_size": 209715200}'
    assert big in cmd  # a 20 MB phone photo reaches the kernel (tornado's default: 10 MiB)
    real = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "ipykernel" else real(name)
    )
    with pytest.raises(ValueError, match=r"ipykernel not installed .*nststudy\[studio\]"):
        studio_command()
    monkeypatch.undo()
    calls = []

    class Server:  # stands in for Voilà
        def __init__(self, cmd: list[str], env: dict | None = None) -> None:
            calls.append((cmd, env))

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr("subprocess.Popen", Server)
    from nststudy.cli import main

    assert main(["studio", "--no-browser", "--lang", "zh-CN", "--port", str(_free_port())]) == 0
    assert calls[0][1]["NSTSTUDY_LANG"] == "zh-CN"
    assert "--Voila.port_retries=0" in calls[0][0]  # Voilà must not move to another port
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    extra = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())
    studio_extra = extra["project"]["optional-dependencies"]["studio"]
    assert {r.split(">")[0] for r in studio_extra} >= {"voila", "ipykernel"}  # Voilà needs both


def test_studio_on_the_network_says_so_and_a_sigterm_stops_voila(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """--ip 0.0.0.0 (a classroom's server) serves everyone who can reach it, with no password:
    said once at the start. A SIGTERM (a service manager, `kill`) reaches only nststudy, not
    Voilà: it is terminated, not left serving."""
    import signal

    from nststudy.cli import main

    events = []

    class Server:  # stands in for Voilà
        pid = 12345

        def __init__(self, cmd: list[str], env: dict | None = None) -> None:
            pass

        def wait(self, timeout: float | None = None) -> int:
            if not events:
                events.append("serving")
                signal.raise_signal(signal.SIGTERM)
                time.sleep(5)  # (the handler raises before this ends)
            return 0

        def terminate(self) -> None:
            events.append("terminated")

        def kill(self) -> None:
            events.append("killed")

    monkeypatch.setattr("subprocess.Popen", Server)
    before = signal.getsignal(signal.SIGTERM)
    port = str(_free_port())
    assert main(["studio", "--no-browser", "--ip", "0.0.0.0", "--port", port]) == 143
    assert events == ["serving", "terminated"] and signal.getsignal(signal.SIGTERM) == before
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--ip 0.0.0.0: anyone who can reach this computer" in err
    events.clear()
    events.append("served")  # (a plain run: no signal)
    assert main(["studio", "--no-browser", "--port", str(_free_port())]) == 0
    assert "anyone" not in capsys.readouterr().err  # 127.0.0.1: this computer only


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_studio_refuses_a_busy_port_and_a_bad_one(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from nststudy.cli import main

    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen(1)
        port = other.getsockname()[1]
        assert main(["studio", "--no-browser", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert f"port {port} on 127.0.0.1 is in use" in err and err.count("\n") == 1
    # an address this machine does not have (TEST-NET-3): one line, not an OSError
    assert main(["studio", "--no-browser", "--ip", "203.0.113.5", "--port", "8999"]) == 2
    err = capsys.readouterr().err
    assert "cannot serve on 203.0.113.5 port 8999" in err and err.count("\n") == 1
    for bad in ("70000", "-1", "http"):
        with pytest.raises(SystemExit) as exit_:
            main(["studio", "--port", bad])
        assert exit_.value.code == 2
        assert "is not a port number (1–65535)" in capsys.readouterr().err


def test_ctrl_c_lets_the_studio_shut_down(tmp_path: Path) -> None:
    """Ctrl-C reaches Voilà and nststudy alike: nststudy waits for Voilà's own shutdown (here
    a stand-in that takes 1 s to tidy up) instead of killing it, and exits 0."""
    import os
    import signal
    import subprocess

    tidy = tmp_path / "tidied"
    server = (
        "import signal, sys, time\n"
        "def stop(*_):\n"
        f"    time.sleep(1); open({str(tidy)!r}, 'w').close(); sys.exit(0)\n"
        "signal.signal(signal.SIGINT, stop)\n"
        "print('serving', flush=True)\n"
        "time.sleep(60)\n"
    )
    script = (
        "import sys\n"
        "from nststudy import _studio_launch, cli\n"
        f"_studio_launch.studio_command = lambda *a, **k: [sys.executable, '-c', {server!r}]\n"
        f"sys.exit(cli.main(['studio', '--no-browser', '--port', '{_free_port()}']))\n"
    )
    run = subprocess.Popen(
        [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert run.stdout is not None
    lines = [run.stdout.readline() for _ in range(2)]  # "starting the studio", "serving"
    assert "serving" in lines[1], lines
    os.killpg(run.pid, signal.SIGINT)  # what the terminal does on Ctrl-C
    out, _ = run.communicate(timeout=60)
    assert run.returncode == 0 and "studio stopped" in out
    assert tidy.exists()


def test_a_refused_job_says_its_message_without_the_exception_class(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise ValueError("photo.png: is only 8×8 px; use a larger photo")

    monkeypatch.setattr(studio, "paint_photo", refuse)
    s = studio.Studio()
    s.upload.value = _upload("photo.png", _png())
    assert s.start("preview")
    assert s.wait(timeout=60) is None
    assert s.status.value.count("photo.png: is only 8×8 px; use a larger photo") == 1
    assert "ValueError" not in s.status.value  # was: "ValueError: photo.png: ..."
    assert s.error == "ValueError: photo.png: is only 8×8 px; use a larger photo"  # (bug reports)


def _paint_until_stopped(entered):
    """A stand-in for ``paint_photo`` that runs until its studio's Stop, like a long painting."""
    import threading

    def paint(photo, styles, config, print_size=None, callback=None, **kwargs):
        entered.set()
        for step in range(2000):
            if callback(step, {"total": 1.0}, photo):
                break
            threading.Event().wait(0.01)
        settings = metadata.settings_for(config, [{"name": "swirl", "weight": 1.0}])
        return studio.Painted(np.zeros((8, 8, 3), np.uint8), settings, True, None)

    return paint


def test_a_new_studio_stops_the_old_one_painting_out_of_sight(monkeypatch) -> None:
    import threading
    import warnings
    import weakref

    from nststudy import _one_job

    monkeypatch.setattr(_one_job, "_LIVE", weakref.WeakSet())  # not other tests' studios
    entered = threading.Event()
    monkeypatch.setattr(studio, "paint_photo", _paint_until_stopped(entered))
    old = studio.Studio()  # the cell as first run ...
    assert old.start("paint") and entered.wait(10)
    with pytest.warns(UserWarning, match="one painting at a time"):
        new = studio.Studio()  # ... and run again while it paints
    assert old.wait(timeout=30) is not None and not old.running  # stopped, its picture kept
    assert "stopped early" in old.status.value and not new.running
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        studio.Studio()  # nothing painting: nothing to stop, no warning


def test_starting_an_older_studio_stops_the_newer_one_painting(monkeypatch) -> None:
    import weakref

    from nststudy import _one_job

    monkeypatch.setattr(_one_job, "_LIVE", weakref.WeakSet())
    first, second = studio.Studio(), studio.Studio()  # two cells, nothing painting yet
    second._busy = True  # the second one paints ...
    monkeypatch.setattr(first, "_run", lambda *args: None)  # (no painting: only the start)
    with pytest.warns(UserWarning, match="one painting at a time"):
        assert first.start("paint")  # ... when the first one's Paint is clicked
    assert second._stop.is_set() and "stopping" in second.status.value
    second._busy = False


def test_stopping_is_not_overwritten_by_the_print_message(monkeypatch) -> None:
    from nststudy.i18n import t

    s = studio.Studio()
    photo, styles, config = s.photo(), s.styles(), s.config("print")
    raw = np.zeros((*photo.shape[:2], 3), np.float32)
    s._painted = (studio.painting_key(photo, styles, config, None), raw)  # "print" reuses it
    seen = []

    def record(*args, **kwargs):
        seen.append((kwargs["painting"] is raw, s.status.value))
        raise RuntimeError("not printing in this test")

    monkeypatch.setattr(studio, "paint_photo", record)
    s._busy = True
    s.stop()  # Stop clicked before the job got to its first message
    s._run("print", config, "photo__swirl", (photo, styles, None, s.area.value))
    assert seen == [(True, seen[0][1])] and t("widget.stopping") in seen[0][1]


def test_a_print_refused_in_paint_print_is_said_in_the_studios_words(monkeypatch) -> None:
    """paint_print's own refusal speaks Python (tile=, print_size=): the studio says its own,
    with the numbers, and — where the style resized to the print sets the need — the Brush."""
    from nststudy.resources import PrintMemoryError

    free = [10**13]
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: free[0])
    monkeypatch.setattr("nststudy._tile_grid.resident_bytes", lambda: 0)

    def refuse(*args, **kwargs):
        free[0] = 10**9  # another program took the memory while the painting ran
        raise PrintMemoryError("a 2048 px print with 384 px tiles needs about 9 GiB; pass tile=")

    monkeypatch.setattr(studio, "paint_photo", refuse)
    s = studio.Studio(photo=np.zeros((300, 400, 3), np.float32))
    assert s.start("print")
    s.wait(timeout=60)
    assert "A 2048 px print needs about" in s.status.value and "tile=" not in s.status.value
    why = studio.print_refusal(2048, available=2 * 10**9, style_scale=1.5)
    assert why is not None and "Brush size" not in why  # the tiles set the need
    big = studio.print_refusal(8000, available=2 * 10**9, style_scale=2.0)
    assert big is not None and "A smaller Brush size needs less" in big


def test_the_print_tooltip_is_for_the_photo_shown(monkeypatch) -> None:
    """It was computed once, for a square photo: "fits" could stay on while a click was
    refused, or the other way round."""
    from nststudy.tiles import AUTO_TILES, estimate_memory

    wide_need = estimate_memory(2048, AUTO_TILES[0], 0.75)
    assert estimate_memory(2048, AUTO_TILES[0], 1.0) > wide_need + 10**7
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: wide_need + 10**7)
    monkeypatch.setattr("nststudy._tile_grid.resident_bytes", lambda: 0)
    s = studio.Studio(photo=np.zeros((300, 400, 3), np.float32))  # 4:3: fits
    assert s.buttons["print"].tooltip == "fits in memory"
    s.upload.value = _upload("square.png", _png((40, 40)))  # a square one needs more
    assert s.buttons["print"].tooltip.startswith("A 2048 px print needs about")
    s.style_scale.value = 2.0  # (the Brush is read too: no error, still refused)
    assert s.buttons["print"].tooltip.startswith("A 2048 px print needs about")
