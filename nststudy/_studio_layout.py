"""The studio's controls and their layout: :class:`nststudy.studio.Studio` builds them here,
then its methods do the work. Labels follow :func:`nststudy.i18n.set_language`."""

from __future__ import annotations

from typing import TYPE_CHECKING

import ipywidgets as widgets

from . import samples
from ._studio_jobs import AREAS, MARKER, png_bytes
from .i18n import t

if TYPE_CHECKING:
    from .studio import Studio

__all__ = ["build", "mode_name"]


def mode_name(mode: str) -> str:
    """The button name of ``mode`` in the current language."""
    names = {
        "preview": t("studio.preview"),
        "paint": t("studio.paint"),
        "print": t("studio.print"),
    }
    return names[mode]


def _style_tips() -> dict[str, str]:
    """Each built-in style's tooltip in the current language (``samples.STYLES``' movement and
    description)."""
    return {
        "swirl": t("style.swirl"), "brush": t("style.brush"), "drip": t("style.drip"),
        "mosaic": t("style.mosaic"), "bricks": t("style.bricks"), "grass": t("style.grass"),
        "gravel": t("style.gravel"),
    }  # fmt: skip


def _style_labels() -> dict[str, str]:
    """Each built-in style's button label in the current language (its value, the name files
    and the CLI use, stays English)."""
    return {
        "swirl": t("style_name.swirl"), "brush": t("style_name.brush"),
        "drip": t("style_name.drip"), "mosaic": t("style_name.mosaic"),
        "bricks": t("style_name.bricks"), "grass": t("style_name.grass"),
        "gravel": t("style_name.gravel"),
    }  # fmt: skip


def build(s: Studio) -> None:
    """Create the studio's widgets as attributes of ``s`` (see :class:`~nststudy.studio.Studio`),
    wire them to its methods and lay them out in ``s.widget``."""
    w = widgets
    names = [s.name for s in samples.list_styles()]
    tips_by_name = _style_tips()  # movement: description, translated
    tips = [tips_by_name[name] for name in names]
    s.upload = w.FileUpload(accept="image/*", multiple=False,
                               description=t("studio.photo"))  # fmt: skip
    photos = [(t("studio.your_photo"), ""), *[(n, n) for n in samples.CONTENT_PHOTOS]]
    s.sample = w.Dropdown(options=photos, value="chelsea" if s._photo is None else "",
                          description=t("studio.sample"))  # fmt: skip
    labels = [(_style_labels()[n], n) for n in names]  # shown translated; the value: its name
    s.gallery = w.ToggleButtons(options=labels, value="swirl", tooltips=tips,
                                   description=t("studio.style"))  # fmt: skip
    thumbs = [
        w.VBox([w.Image(value=png_bytes(samples.make_style(n, 72)), width=72), w.Label(label)])
        for label, n in labels
    ]
    s.blend = w.Dropdown(options=[(t("studio.none"), None), *labels],
                            description=t("studio.blend_with"))  # fmt: skip
    s.blend_weight = w.FloatSlider(0.5, min=0.0, max=1.0, step=0.05,
                                      description=t("studio.blend"))  # fmt: skip
    s.strength = w.FloatLogSlider(1.0, base=10, min=-1, max=1, step=0.1,
                                     description=t("studio.strength"))  # fmt: skip
    s.style_scale = w.FloatSlider(1.0, min=0.5, max=2.0, step=0.1,
                                     description=t("studio.brush_size"))  # fmt: skip
    s.colors = w.Dropdown(
        options=[(t("studio.colours_painting"), None),
                 (t("studio.colours_luminance"), "luminance"),
                 (t("studio.colours_histogram"), "histogram")],
        description=t("studio.colours"),
    )  # fmt: skip
    s.strokes = w.FloatSlider(0.0, min=0.0, max=1.0, step=0.05,
                                 description=t("studio.smooth"))  # fmt: skip
    areas = {"all": t("studio.area_all"), "background": t("studio.area_background"),
             "mask": t("studio.area_mask")}  # fmt: skip
    s.area = w.Dropdown(options=[(areas[a], a) for a in AREAS], description=t("studio.area"))
    s.mask_upload = w.FileUpload(accept="image/*", multiple=False,
                                    description=t("studio.mask"))  # fmt: skip
    s.seed = w.BoundedIntText(0, min=0, max=2**31 - 1, description=t("studio.seed"))
    s.buttons = {
        m: w.Button(description=t("studio.button", mode=mode_name(m), size=s.sizes[m]), icon=icon)
        for m, icon in (("preview", "eye"), ("paint", "paint-brush"), ("print", "print"))
    }
    s.buttons["print"].tooltip = t("studio.fits")  # (for the photo shown: _show_photo)
    s.stop_button = w.Button(description=t("widget.stop"), icon="stop", disabled=True)
    s.progress = w.IntProgress(0, min=0, max=1, description=t("studio.progress"))
    s.status = w.HTML(f'<span class="{MARKER}">{t("studio.pick")}</span>')
    s.image = w.Image(format="png", width=512)
    s.download = w.HTML("")
    for mode, button in s.buttons.items():
        button.on_click(lambda _, m=mode: s.start(m))
    s.stop_button.on_click(lambda _: s.stop())
    s.upload.observe(lambda _: s._uploaded(), names="value")
    s.sample.observe(lambda _: s._new_photo(), names="value")
    s.area.observe(lambda _: s._show_photo(), names="value")
    s.mask_upload.observe(lambda _: s._show_photo(), names="value")
    s.style_scale.observe(lambda _: s._print_tip(), names="value")
    s.widget = w.VBox(
        [
            w.HTML(f'<h2 class="{MARKER}">🎨 {t("studio.title")}</h2><p>{t("studio.intro")}</p>'),
            w.HBox([s.upload, s.sample]),
            s.gallery,
            w.HBox(thumbs),
            w.HBox([s.blend, s.blend_weight]),
            w.HBox([s.strength, s.style_scale]),
            w.HBox([s.colors, s.strokes]),
            w.HBox([s.area, s.mask_upload, s.seed]),
            w.HBox([*s.buttons.values(), s.stop_button]),
            s.progress,
            s.status,
            s.image,
            s.download,
        ]
    )
    s._show_photo()
