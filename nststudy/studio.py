"""The DIY oil-painting studio: upload a photo, pick a style, preview, paint, print, download.

The same widgets serve notebook 08 and the no-code app (``nststudy studio`` runs it with
Voilà). Every button calls a plain function that tests (and curious learners) can call too:
:func:`studio_config`, :func:`print_refusal`, :func:`paint_photo`, :func:`download_html`
(they live in ``nststudy._studio_jobs``, re-exported here).
Labels and messages follow :func:`nststudy.i18n.set_language` (looked up when the studio is
built and when a message is shown).

>>> studio = Studio()
>>> studio           # in Jupyter: shows the studio
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from . import metadata
from ._one_job import take_over
from ._studio_inputs import StudioInputs
from ._studio_jobs import (
    AREAS,
    MARKER,
    MODES,
    Painted,
    download_html,
    paint_photo,
    painting_key,
    png_bytes,
    print_refusal,
    studio_config,
    studio_mask,
)
from ._studio_layout import build, mode_name
from .config import Config
from .i18n import t
from .images import load_image, resize_longest, shrink_longest
from .resources import PrintMemoryError

__all__ = [
    "AREAS",
    "MARKER",
    "MODES",
    "Painted",
    "Studio",
    "download_html",
    "paint_photo",
    "painting_key",
    "png_bytes",
    "print_refusal",
    "studio_config",
    "studio_mask",
]


class Studio(StudioInputs):
    """The studio widget: ``display(Studio())`` or just ``Studio()`` as a cell's last line.

    Args:
        sizes: longest side per button, default :data:`MODES` (smaller in fast mode/tests).
        steps: optimiser steps per button (default: the presets').
        photo: a starting photo (array); default a sample photo.

    Attributes (for tests and scripts): ``upload``, ``sample``, ``gallery``, ``blend``,
    ``blend_weight``, ``strength``, ``style_scale``, ``colors``, ``strokes``, ``area`` (what
    the style covers: :data:`AREAS`), ``mask_upload``, ``seed``, ``buttons``
    ({mode: Button}), ``stop_button``, ``progress``, ``status``, ``image``, ``download``,
    ``widget`` (the whole VBox), ``result`` (last uint8 image), ``settings``.

    "Print" right after "paint", with the same photo, styles and sliders (colours and
    strokes aside: they are applied after), refines the painting on screen instead of
    painting it again: the print is the picture the user approved, and the 512 px painting's
    minutes (≈ 5 of a 2048 px print's ≈ 14 on a 2-core CPU) are saved. The stop button works in both
    phases (while painting: the painting so far is upscaled, no tiles; during the tiles:
    after the current tile, the rest stays upscaled).
    """

    def __init__(
        self,
        sizes: dict[str, int] | None = None,
        steps: dict[str, int] | None = None,
        photo: np.ndarray | None = None,
    ) -> None:
        self.sizes = {m: s for m, (s, _) in MODES.items()} | (sizes or {})
        self.steps = steps or {}
        self._photo = photo
        self._read: dict[str, tuple[str, np.ndarray]] = {}  # upload → (sha256, what was read)
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._lock = threading.Lock()  # the job's end vs stop(): who writes the status last
        self._busy = False
        self.result: np.ndarray | None = None
        self.settings: dict[str, Any] = {}
        self.error: str | None = None
        # (painting_key, raw painting) of the last finished run: "print" refines it
        self._painted: tuple[tuple | None, np.ndarray | None] = (None, None)
        build(self)  # the controls, wired to this class's methods
        take_over(self)  # a re-run cell's old studio stops painting out of sight

    @property
    def running(self) -> bool:
        """True while a button's job runs."""
        return self._busy

    def config(self, mode: str) -> Config:
        """The settings the widgets describe now, for ``mode``: at the mode's size, or at the
        largest that fits in memory for this photo (e.g. a square photo on Binder's 2 GB)."""
        from .paint import available_memory
        from .resources import largest_fitting_size, memory_check_skipped

        size = self._working_size(mode)
        config = studio_config(
            "paint" if mode == "print" else mode,
            size=size,
            steps=self.steps.get(mode),
            strength=self.strength.value,
            style_scale=self.style_scale.value,
            preserve_colors=self.colors.value,
            strokes=self.strokes.value,
            seed=self.seed.value,
        )
        if memory_check_skipped():  # NSTSTUDY_IGNORE_MEMORY_LIMIT=1, or a GPU: as asked
            return config
        try:
            shape = self.photo().shape[:2]
        except ValueError:
            return config  # a bad upload: painting reports it
        h, w = (round(side * size / max(shape)) for side in shape)
        fits = largest_fitting_size(h, w, config, available_memory())
        return config if fits >= size else config.at_size(fits, steps=self.steps.get(mode))

    def _working_size(self, mode: str) -> int:
        """The size a button paints at before any memory limit (print: the working size)."""
        return self.sizes["paint"] if mode == "print" else self.sizes[mode]

    def styles(self) -> list[tuple[str, float]]:
        """``[(style, weight), ...]`` from the gallery and the blend controls."""
        if self.blend.value and self.blend.value != self.gallery.value and self.blend_weight.value:
            b = self.blend_weight.value
            return (
                [(self.gallery.value, 1.0 - b), (self.blend.value, b)]
                if b < 1
                else [(self.blend.value, 1.0)]
            )
        return [(self.gallery.value, 1.0)]

    def start(self, mode: str) -> bool:
        """Start painting in the background (what the buttons do); ``False`` if refused."""
        if self.running:
            return False
        try:  # what this job paints, read now: widgets changed meanwhile are the next job's
            job = (self.photo(), self.styles(), self.mask(), self.area.value)
        except Exception as err:  # a bad upload, or no memory for it: said, not raised
            self.error = f"{type(err).__name__}: {err}"
            self._say(self._why(err), error=True)
            return False
        if mode == "print" and (why := self._print_why(job[0])):
            self.error = why  # (wait() then returns None, not an earlier job's picture)
            self._say(why, error=True)
            return False
        take_over(self)  # another studio or view painting meanwhile stops: one at a time
        self._stop.clear()
        self.error, self.result = None, None
        config = self.config(mode)
        self.progress.max, self.progress.value = config.total_steps, 0
        text = (
            t("studio.painting", mode=mode_name(mode))
            if config.size >= self._working_size(mode)
            else t("studio.painting_smaller", mode=mode_name(mode), size=config.size)
        )
        self._say(text)
        self.stop_button.disabled = False
        for button in self.buttons.values():  # one job at a time: no click that does nothing
            button.disabled = True
        name = self._file_name(job[1])  # the photo and styles this job paints
        args = (mode, config, name, job)
        self._thread = threading.Thread(target=self._run, args=args, daemon=True)
        self._busy = True
        try:
            self._thread.start()
        except RuntimeError:  # no thread to be had: nothing runs, the buttons come back
            self._busy = False
            for button in self.buttons.values():
                button.disabled = False
            self.stop_button.disabled = True
            raise
        return True

    def _run(self, mode: str, config: Config, name: str, job: tuple) -> None:
        last, offset = [0.0], [config.total_steps]

        def show(img: np.ndarray) -> None:  # a preview every second at most, ≤ 1024 px
            if time.monotonic() - last[0] > 1.0:
                last[0] = time.monotonic()
                self.image.value = png_bytes(shrink_longest(img, 1024))

        def callback(step: int, losses: dict[str, float], img: np.ndarray) -> bool:
            self.progress.value = min(step, self.progress.max)
            show(img)
            return self._stop.is_set()

        def on_tile(done: int, total: int, canvas: np.ndarray) -> bool:
            self.progress.max, self.progress.value = offset[0] + total, offset[0] + done
            show(canvas)
            return self._stop.is_set()

        t0, final = time.perf_counter(), ("", False)
        try:
            photo, styles, mask, area = job
            key = painting_key(photo, styles, config, mask)
            print_size = self.sizes["print"] if mode == "print" else None
            reuse = self._painted[1] if print_size and self._painted[0] == key else None
            if reuse is not None:  # print what "paint" showed: only the tiles are left
                offset[0] = 0
                self.progress.max, self.progress.value = 1, 0  # tiles: counted once known
                text = t("studio.printing_painting", size=print_size)
                with self._lock:  # never over a "stopping…" of stop()
                    if not self._stop.is_set():
                        self._say(text)
            image, settings, stopped, raw = paint_photo(
                photo, styles, config, print_size, callback, painting=reuse,
                tile_callback=on_tile, mask=mask, area=area,
            )  # fmt: skip
            if mode == "paint":  # what "print" refines; a stopped painting is not one to print
                self._painted = (None, None) if stopped else (key, raw)
            self.result, self.settings = image, settings
            self.image.value = png_bytes(resize_longest(load_image(image), 1024))
            self.download.value = download_html(image, settings, name)
            note = t("studio.stopped_early") if stopped else ""
            final = (t("studio.done", seconds=f"{time.perf_counter() - t0:.0f}", note=note), False)
        except Exception as err:  # shown to the user instead of a silent thread death
            self.error = f"{type(err).__name__}: {err}"
            worded = isinstance(err, ValueError | OSError | MemoryError)  # written for the user
            why = self._why(err) if worded else self.error
            if isinstance(err, PrintMemoryError):  # paint_print's (Python) words: the studio's
                why = self._print_why(job[0], config.style_scale) or why
            final = (why, True)
        finally:
            with self._lock:  # after a "stopping…" of stop(), never before it
                self._busy = False
                self._say(*final)
                self.stop_button.disabled = True
                for button in self.buttons.values():
                    button.disabled = False

    def _file_name(self, styles: list[tuple[str, float]]) -> str:
        """``<photo>__<style>``, as ``nststudy paint`` names its files (and the class gallery
        reads them: a learner adds ``<name>__`` in front)."""
        if self.sample.value:
            photo = self.sample.value
        elif self.upload.value:
            photo = Path(self.upload.value[0]["name"]).stem
        else:
            photo = "photo"
        return metadata.base_name(photo, "+".join(name for name, _ in styles))

    def stop(self) -> bool:
        """Ask the running job to stop after the current step (the best image is kept; a
        print stopped while painting skips its tiles, one stopped during them keeps those
        done). Returns whether a job was running."""
        self._stop.set()
        with self._lock:
            if self._busy:
                self.stop_button.disabled = True
                self._say(t("widget.stopping"))
            return self._busy

    def wait(self, timeout: float | None = None) -> np.ndarray | None:
        """Block until the running job ends; returns its result (``None`` when the job was
        refused or failed — :attr:`error` says why — or is still running at ``timeout``)."""
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return None
        return None if self.error else self.result

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
