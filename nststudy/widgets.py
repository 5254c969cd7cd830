"""Interactive views for the course (ipywidgets 8 + matplotlib), testable without a browser.

- :class:`GramExplorer` — a Gram matrix as a heatmap, the feature maps behind one entry, and
  how a painting's Gram approaches the style's during a run.
- :class:`LayerContributions` — each style layer's share of the loss, with weight sliders.
- :class:`TrainingView` — a run in a background thread: live preview, loss curves, stop button.

Each widget calls a pure function from :mod:`nststudy._figures` (re-exported here) that
returns data or a matplotlib ``Figure``; the figure is rendered to PNG with Agg and shown in an
``ipywidgets.Image``, so it works headless and tests can compare the bytes (``.figure_png``).
Show a widget by making it the last expression of a cell, or with ``display(view.widget)``.

Labels, titles and status lines are looked up with :func:`nststudy.i18n.t` when a widget is
built or redrawn, so ``set_language("zh-CN")`` before building one gives Chinese controls.
:class:`TrainingView` and :class:`Snapshots` live in :mod:`nststudy._training_view`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import ipywidgets as w
import numpy as np

from ._figures import (
    channel_pair_figure,
    explorer_figure,
    feature_maps,
    figure_png,
    gram_data,
    gram_distance,
    gram_figure,
    short_name,
)
from ._loss_figures import (
    contributions_figure,
    contributions_over_steps_figure,
    layer_contributions,
    training_figure,
)
from ._training_view import Snapshots, TrainingView, _View
from .config import STYLE_LAYERS, Config
from .i18n import t
from .images import load_image
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


class GramExplorer(_View):
    """Pick an image and a layer; see its Gram matrix, the channel pair behind one entry and,
    with snapshots of a run, how the painting's Gram approaches the style's.

    Args:
        images: ``{name: image}`` (float ``(H, W, 3)`` in [0, 1] or uint8), e.g.
            ``{"content": photo, "style": painting}``; the names ``"content"`` and ``"style"``
            are shown translated (the dropdown's values stay the keys).
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
        known = {"content": t("widget.content"), "style": t("widget.style")}
        names = [(known.get(n, n), n) for n in self.images]
        names += [(t("widget.result"), "result")] if self.snapshots else []
        self.image_dropdown = w.Dropdown(
            options=names, value=names[-1][1], description=t("widget.image")
        )
        self.layer_dropdown = w.Dropdown(
            options=[(short_name(n), n) for n in self.layers],
            value=self.layers[0],
            description=t("widget.layer"),
        )
        style = dict(description_width="initial")
        self.c1 = w.IntSlider(
            0, 0, 63, description=t("widget.channel_c"), style=style, continuous_update=False
        )
        self.c2 = w.IntSlider(
            1, 0, 63, description=t("widget.channel_d"), style=style, continuous_update=False
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
                description=t("widget.snapshot"),
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
        layer = self.layer_dropdown.value
        cache = self.__dict__.setdefault("_distances", {})  # the channel sliders move often
        key = (layer, len(self.snapshots), id(self.images[self.style_key]))
        if key not in cache:
            cache[key] = gram_distance(self.snapshots, self.images[self.style_key], layer)
        return cache[key]

    def refresh(self) -> None:
        """Redraw the figure for the current controls."""
        if self._updating:
            return
        name, layer = self.image_dropdown.label, self.layer_dropdown.value
        current = self.step_slider.value if self.step_slider else None
        if self.image_dropdown.value == "result" and current is not None:
            name = t("widget.result_at", step=self.snapshot_steps[current])
        fig = explorer_figure(
            self.current_image(),
            layer,
            self.c1.value,
            self.c2.value,
            self.distances(),
            self.snapshot_steps,
            current,
            title=t("fig.explorer_title", image=name, layer=short_name(layer)),
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
    (log10 of style weight / content weight; disabled when either weight is 0), ``figure``,
    ``figure_png``, ``data`` (the last :func:`layer_contributions` dict), ``steps_figure``
    (Image, over steps; None without history).
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
        # The ratio means something only when both weights are > 0 (notebook 04's texture
        # has no content term): otherwise the slider is shown, disabled, and not applied.
        self._ratio_on = config.style_weight > 0 and config.content_weight > 0
        ratio = math.log10(max(config.style_weight, 1e-12) / max(config.content_weight, 1e-12))
        self.ratio_slider = w.FloatSlider(
            round(ratio, 2),
            min=round(ratio) - 4,
            max=round(ratio) + 4,
            step=0.1,
            description=t("widget.ratio"),
            disabled=not self._ratio_on,
            **slider,
        )
        self._ratio_start = self.ratio_slider.value  # the config's ratio, exactly
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
        weights = {n: s.value for n, s in self.weight_sliders.items()}  # all 0: no style term
        ratio = None  # the config's own ratio until the slider moves
        if self._ratio_on and self.ratio_slider.value != self._ratio_start:
            moved = 10.0 ** (self.ratio_slider.value - self._ratio_start)
            ratio = moved * self.config.style_weight / self.config.content_weight
        self.data = layer_contributions(
            self.image, self.style, self.content, self.config, weights, ratio
        )
        self._show(contributions_figure(self.data))
