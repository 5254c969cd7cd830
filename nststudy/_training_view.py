"""The widgets' shared base, and :class:`TrainingView`: a run with a live preview.

Split from :mod:`nststudy.widgets`, which re-exports :class:`TrainingView` and
:class:`Snapshots`; import them from there. Labels and status lines come from
:func:`nststudy.i18n.t` when the view is built or updated.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import numpy as np

from ._figures import figure_png
from ._loss_figures import training_figure
from ._one_job import take_over
from .config import Config
from .i18n import t
from .images import load_image, to_uint8

__all__ = ["Snapshots", "TrainingView"]


def _png(image: np.ndarray) -> bytes:
    """PNG bytes of an image (float in [0, 1] or uint8), for an ``ipywidgets.Image``."""
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(image if image.dtype == np.uint8 else to_uint8(image)).save(buf, format="PNG")
    return buf.getvalue()


class _View:
    """Shared bits: a figure shown as PNG, and Jupyter display of ``.widget``."""

    widget: w.Box
    figure: w.Image
    figure_png: bytes = b""

    def _show(self, fig: Any, target: w.Image | None = None) -> None:
        png = figure_png(fig)
        if target is None:
            self.figure_png = png
            target = self.figure
        target.value = png

    def _repr_mimebundle_(self, **kwargs: Any) -> Any:  # Jupyter shows the live widget
        return self.widget._repr_mimebundle_(**kwargs)


class Snapshots:
    """A :func:`nststudy.stylize` callback that keeps a copy of the painting every ``every``
    steps (and at step 1), for the ``snapshots``/``snapshot_steps`` of
    :class:`~nststudy.widgets.GramExplorer`.

    Example (in a notebook)::

        snaps = Snapshots(every=20)
        result = stylize(photo, style, config, callback=snaps)
        GramExplorer({"style": style}, snapshots=snaps.images, snapshot_steps=snaps.steps)
    """

    def __init__(self, every: int = 10) -> None:
        if every < 1:
            raise ValueError(f"every must be a positive number of steps, got {every}")
        self.every = every
        self.images: list[np.ndarray] = []
        self.steps: list[int] = []

    def __call__(self, step: int, losses: Mapping[str, float], image: np.ndarray) -> None:
        if step == 1 or step % self.every == 0:
            self.images.append(np.array(image, dtype=np.float32))
            self.steps.append(step)


class TrainingView(_View):
    """Run :func:`nststudy.stylize` in a background thread with a live preview, loss curves and
    a stop button that keeps the best image so far.

    Widget events are not processed while a cell runs, so :meth:`start` returns at once and the
    run happens in a thread; its callback updates the preview at most every ``interval`` s.

    Attributes: ``widget``, ``start_button``, ``stop_button``, ``preview`` (Image of the current
    painting), ``figure`` (loss curves), ``figure_png``, ``status`` (Label), ``history`` (the
    steps so far), ``result`` (the :class:`nststudy.Result`, once done), ``error``,
    ``snapshots`` (a :class:`Snapshots` when ``snapshot_every`` is given).
    """

    def __init__(
        self,
        content: Any,
        style: Any,
        config: Config,
        interval: float = 0.5,
        snapshot_every: int | None = None,
    ) -> None:
        self.content, self.style, self.config = content, style, config
        self.interval, self.snapshot_every = interval, snapshot_every
        self.snapshots: Snapshots | None = None
        self.history: list[dict[str, float]] = []
        self.result: Any = None
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._status_lock = threading.Lock()  # stop() vs the run's final status
        self._finished = False
        self._thread: threading.Thread | None = None
        self._last = 0.0
        self.start_button = w.Button(
            description=t("widget.start"), icon="play", button_style="success"
        )
        self.stop_button = w.Button(
            description=t("widget.stop"), icon="stop", button_style="danger", disabled=True
        )
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.progress = w.IntProgress(0, 0, config.total_steps, description=t("widget.steps"))
        self.status = w.Label(t("widget.ready"))
        self.preview = w.Image(format="png", layout=w.Layout(width="256px"))
        self.figure = w.Image(format="png")
        self.widget = w.VBox(
            [
                w.HBox([self.start_button, self.stop_button, self.progress, self.status]),
                w.HBox([self.preview, self.figure]),
            ]
        )
        self.widget.add_class("nststudy-training-view")
        photo = load_image(content)
        self.preview.value = _png(photo)
        take_over(self)  # a re-run cell's old view stops painting out of sight

    @property
    def running(self) -> bool:
        """True while the background run is going."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the run in a background thread (does nothing if one is running)."""
        if self.running:
            return
        take_over(self)  # another studio or view painting meanwhile stops: one at a time
        self._stop.clear()
        self._finished = False
        self.history, self.result, self.error, self._last = [], None, None, 0.0
        self.progress.value = 0  # (not the last run's full bar beside "painting…")
        self.snapshots = Snapshots(self.snapshot_every) if self.snapshot_every else None
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.status.value = t("widget.painting")
        self._thread = threading.Thread(target=self._run, name="nststudy-training", daemon=True)
        self._thread.start()

    def stop(self) -> bool:
        """Ask the run to stop after the current step; the best image so far is kept.
        Returns whether a run was still going (not yet at its final word)."""
        with self._status_lock:  # never over the run's final word (done / stopped / error)
            self._stop.set()
            going = self.running and not self._finished
            if going:
                self.status.value = t("widget.stopping")
            return going

    def wait(self, timeout: float | None = None) -> Any:
        """Block until the run ends; return its Result (re-raises the run's error).

        Raises:
            TimeoutError: when ``timeout`` seconds pass first.
        """
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                raise TimeoutError(f"the run is still going after {timeout} s; call stop() first")
        if self.error is not None:
            raise self.error
        return self.result

    def _final(self, text: str) -> None:
        with self._status_lock:
            self._finished = True
            self.status.value = text

    def _callback(self, step: int, losses: dict[str, float], image: np.ndarray) -> bool:
        self.history.append({"step": step, **losses})
        if self.snapshots is not None:
            self.snapshots(step, losses, image)
        now = time.monotonic()
        if now - self._last >= self.interval or step >= self.config.total_steps:
            self._last = now
            self.progress.value = min(step, self.progress.max)
            with self._status_lock:  # never over a "stopping…" of stop()
                if not self._stop.is_set():
                    self.status.value = t(
                        "widget.progress", step=step, loss=f"{losses['total']:.4g}"
                    )
            self.preview.value = _png(image)
            self._show(training_figure(self.history))
        return self._stop.is_set()

    def _run(self) -> None:
        from .stylize import stylize

        try:
            self.result = stylize(self.content, self.style, self.config, callback=self._callback)
            self.preview.value = _png(self.result.image)
            if self.result.history:
                self._show(training_figure(self.result.history))
            steps, seconds = len(self.result.history), f"{self.result.seconds:.1f}"
            self._final(
                t("widget.stopped", steps=steps, seconds=seconds)
                if self.result.stopped
                else t("widget.done", steps=steps, seconds=seconds)
            )
        except Exception as err:  # shown in the widget and re-raised by wait()
            self.error = err
            self._final(t("widget.error", error=f"{type(err).__name__}: {err}"))
        finally:
            self.start_button.disabled, self.stop_button.disabled = False, True
