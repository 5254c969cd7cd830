"""Interactive views for the course (ipywidgets 8 + matplotlib), testable without a browser.

- :class:`GramExplorer` — a Gram matrix as a heatmap, the feature maps behind one entry, and
  how a painting's Gram approaches the style's during a run.
- :class:`LayerContributions` — each style layer's share of the loss, with weight sliders.
- :class:`TrainingView` — a run in a background thread: live preview, loss curves, stop button.

Each widget calls a pure function from :mod:`nststudy._figures` (re-exported here) that
returns data or a matplotlib ``Figure``; the figure is rendered to PNG with Agg and shown in an
``ipywidgets.Image``, so it works headless and tests can compare the bytes (``.figure_png``).
Show a widget by making it the last expression of a cell, or with ``display(view.widget)``.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as w
import numpy as np

from ._figures import (
    channel_pair_figure,
    contributions_figure,
    contributions_over_steps_figure,
    explorer_figure,
    feature_maps,
    figure_png,
    gram_data,
    gram_distance,
    gram_figure,
    layer_contributions,
    short_name,
    training_figure,
)
from .config import STYLE_LAYERS, Config
from .images import load_image, to_uint8
from .vgg import canonical_layer

__all__ = [
    "GramExplorer",
    "LayerContributions",
    "Snapshots",
    "TrainingView",
    "channel_pair_figure",
    "contributions_figure",
    "contributions_over_steps_figure",
    "explorer_figure",
    "feature_maps",
    "figure_png",
    "gram_data",
    "gram_distance",
    "gram_figure",
    "layer_contributions",
    "training_figure",
]


def _png(image: np.ndarray) -> bytes:
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


class GramExplorer(_View):
    """Pick an image and a layer; see its Gram matrix, the channel pair behind one entry and,
    with snapshots of a run, how the painting's Gram approaches the style's.

    Args:
        images: ``{name: image}`` (float ``(H, W, 3)`` in [0, 1] or uint8), e.g.
            ``{"content": photo, "style": painting}``.
        layers: layers offered in the dropdown.
        snapshots: images of a painting during a run; adds ``"result"`` to the image choices,
            a step slider and the distance curve to ``images[style_key]``.
        snapshot_steps: the step of each snapshot (x axis); default 0, 1, 2, ...
        style_key: which entry of ``images`` is the style.

    Attributes: ``widget`` (VBox), ``image_dropdown``, ``layer_dropdown``, ``c1``, ``c2``
    (IntSliders), ``step_slider`` (None without snapshots), ``figure`` (Image), ``figure_png``.
    """

    def __init__(
        self,
        images: Mapping[str, Any],
        layers: Sequence[str] = STYLE_LAYERS,
        snapshots: Sequence[Any] | None = None,
        snapshot_steps: Sequence[int] | None = None,
        style_key: str = "style",
    ) -> None:
        self.images = {k: load_image(v) for k, v in images.items()}
        self.snapshots = [load_image(s) for s in snapshots] if snapshots else []
        if not self.images and not self.snapshots:
            raise ValueError("GramExplorer needs at least one image or snapshot")
        self.snapshot_steps = list(snapshot_steps or range(len(self.snapshots)))
        if len(self.snapshot_steps) != len(self.snapshots):
            raise ValueError("give one snapshot step per snapshot")
        self.style_key = style_key
        self.layers = [canonical_layer(n) for n in layers]
        names = list(self.images) + (["result"] if self.snapshots else [])
        self.image_dropdown = w.Dropdown(options=names, value=names[-1], description="image")
        self.layer_dropdown = w.Dropdown(
            options=[(short_name(n), n) for n in self.layers],
            value=self.layers[0],
            description="layer",
        )
        style = dict(description_width="initial")
        self.c1 = w.IntSlider(
            0, 0, 63, description="channel c", style=style, continuous_update=False
        )
        self.c2 = w.IntSlider(
            1, 0, 63, description="channel d", style=style, continuous_update=False
        )
        self.step_slider: w.IntSlider | None = None
        rows: list[w.Widget] = [
            w.HBox([self.image_dropdown, self.layer_dropdown]),
            w.HBox([self.c1, self.c2]),
        ]
        if self.snapshots:
            self.step_slider = w.IntSlider(
                len(self.snapshots) - 1,
                0,
                len(self.snapshots) - 1,
                description="snapshot",
                continuous_update=False,
            )
            rows.append(self.step_slider)
        self.figure = w.Image(format="png")
        self.widget = w.VBox([*rows, self.figure])
        self.widget.add_class("nststudy-gram-explorer")
        self._updating = False
        self._set_channel_range()
        for control in (self.image_dropdown, self.c1, self.c2, self.step_slider):
            if control is not None:
                control.observe(lambda _: self.refresh(), names="value")
        self.layer_dropdown.observe(self._on_layer, names="value")
        self.refresh()

    def current_image(self) -> np.ndarray:
        """The image being explored (a snapshot when ``"result"`` is chosen)."""
        if self.image_dropdown.value == "result":
            return self.snapshots[self.step_slider.value if self.step_slider else -1]
        return self.images[self.image_dropdown.value]

    def _set_channel_range(self) -> None:
        channels = feature_maps(self.current_image(), self.layer_dropdown.value).shape[-1]
        self._updating = True
        try:
            for slider in (self.c1, self.c2):
                slider.max = channels - 1
        finally:
            self._updating = False

    def _on_layer(self, _: Any) -> None:
        self._set_channel_range()
        self.refresh()

    def distances(self) -> list[float] | None:
        """Style loss of each snapshot at the current layer, or None without them/a style."""
        if not self.snapshots or self.style_key not in self.images:
            return None
        return gram_distance(self.snapshots, self.images[self.style_key], self.layer_dropdown.value)

    def refresh(self) -> None:
        """Redraw the figure for the current controls."""
        if self._updating:
            return
        name, layer = self.image_dropdown.value, self.layer_dropdown.value
        current = self.step_slider.value if self.step_slider else None
        if name == "result" and current is not None:
            name = f"result at step {self.snapshot_steps[current]}"
        fig = explorer_figure(
            self.current_image(),
            layer,
            self.c1.value,
            self.c2.value,
            self.distances(),
            self.snapshot_steps,
            current,
            title=f"{name}, {short_name(layer)}",
        )
        self._show(fig)


class LayerContributions(_View):
    """Bar chart of each style layer's weighted loss for one image, with sliders for the layer
    weights and the style/content ratio; plus the same over the steps of a run.

    Args:
        content: the photo.
        style: the style image.
        image: the painting to analyse, or a :class:`nststudy.Result` (its image and history).
        config: the settings of the run.
        history: ``Result.history`` for the over-steps chart (taken from ``image`` if it is a
            Result).

    Attributes: ``widget``, ``weight_sliders`` ``{layer: FloatSlider}``, ``ratio_slider``
    (log10 of style weight / content weight), ``figure``, ``figure_png``, ``data`` (the last
    :func:`layer_contributions` dict), ``steps_figure`` (Image, over steps; None without history).
    """

    def __init__(
        self,
        content: Any,
        style: Any,
        image: Any,
        config: Config,
        history: Sequence[Mapping[str, float]] | None = None,
    ) -> None:
        if hasattr(image, "image") and hasattr(image, "history"):
            image, history = image.image, history or image.history
        self.content, self.style, self.image = (load_image(x) for x in (content, style, image))
        self.config = config
        slider = dict(continuous_update=False, style=dict(description_width="initial"))
        self.weight_sliders = {
            n: w.FloatSlider(
                v, min=0.0, max=max(2.0, 2 * v), step=0.05, description=short_name(n), **slider
            )
            for n, v in config.layer_weights().items()
        }
        ratio = math.log10(max(config.style_weight, 1e-12) / max(config.content_weight, 1e-12))
        self.ratio_slider = w.FloatSlider(
            round(ratio, 2),
            min=round(ratio) - 4,
            max=round(ratio) + 4,
            step=0.1,
            description="log₁₀ style/content",
            **slider,
        )
        self.figure = w.Image(format="png")
        self.steps_figure: w.Image | None = None
        parts: list[w.Widget] = [
            w.VBox(list(self.weight_sliders.values())),
            self.ratio_slider,
            self.figure,
        ]
        if history:
            self.steps_figure = w.Image(format="png")
            self._show(contributions_over_steps_figure(history), self.steps_figure)
            parts.append(self.steps_figure)
        self.widget = w.VBox(parts)
        self.widget.add_class("nststudy-layer-contributions")
        self.data: dict[str, dict[str, float]] = {}
        for control in [*self.weight_sliders.values(), self.ratio_slider]:
            control.observe(lambda _: self.refresh(), names="value")
        self.refresh()

    def refresh(self) -> None:
        """Recompute the contributions for the slider values and redraw."""
        weights = {n: s.value for n, s in self.weight_sliders.items()}
        if sum(weights.values()) <= 0:
            weights = dict.fromkeys(weights, 1.0)
        self.data = layer_contributions(
            self.image,
            self.style,
            self.content,
            self.config,
            weights,
            10.0**self.ratio_slider.value,
        )
        self._show(contributions_figure(self.data))


class Snapshots:
    """A :func:`nststudy.stylize` callback that keeps a copy of the painting every ``every``
    steps (and at step 1), for :class:`GramExplorer`'s ``snapshots``/``snapshot_steps``.

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
        self._thread: threading.Thread | None = None
        self._last = 0.0
        self.start_button = w.Button(description="Start", icon="play", button_style="success")
        self.stop_button = w.Button(
            description="Stop", icon="stop", button_style="danger", disabled=True
        )
        self.start_button.on_click(lambda _: self.start())
        self.stop_button.on_click(lambda _: self.stop())
        self.progress = w.IntProgress(0, 0, config.total_steps, description="steps")
        self.status = w.Label("ready")
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

    @property
    def running(self) -> bool:
        """True while the background run is going."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the run in a background thread (does nothing if one is running)."""
        if self.running:
            return
        self._stop.clear()
        self.history, self.result, self.error, self._last = [], None, None, 0.0
        self.snapshots = Snapshots(self.snapshot_every) if self.snapshot_every else None
        self.start_button.disabled, self.stop_button.disabled = True, False
        self.status.value = "painting…"
        self._thread = threading.Thread(target=self._run, name="nststudy-training", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Ask the run to stop after the current step; the best image so far is kept."""
        self._stop.set()
        if self.running:
            self.status.value = "stopping…"

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

    def _callback(self, step: int, losses: dict[str, float], image: np.ndarray) -> bool:
        self.history.append({"step": step, **losses})
        if self.snapshots is not None:
            self.snapshots(step, losses, image)
        now = time.monotonic()
        if now - self._last >= self.interval or step >= self.config.total_steps:
            self._last = now
            self.progress.value = min(step, self.progress.max)
            self.status.value = f"step {step}: loss {losses['total']:.4g}"
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
            how = "stopped; kept the best image" if self.result.stopped else "done"
            self.status.value = (
                f"{how} after {len(self.result.history)} steps, {self.result.seconds:.1f} s"
            )
        except Exception as err:  # shown in the widget and re-raised by wait()
            self.error = err
            self.status.value = f"error: {type(err).__name__}: {err}"
        finally:
            self.start_button.disabled, self.stop_button.disabled = False, True
