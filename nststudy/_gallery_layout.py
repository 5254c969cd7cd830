"""How the class gallery looks: the contact sheet (Pillow) and each painting's card on the web
page (HTML). :mod:`nststudy.gallery` gathers the paintings and writes both."""

from __future__ import annotations

import base64
import html
import io
import json
import math
from typing import TYPE_CHECKING, Any

from PIL import Image, ImageDraw, ImageFont

from .i18n import find_cjk_font, t

if TYPE_CHECKING:
    from .gallery import Entry

__all__ = ["CSS", "THUMB", "contact_sheet", "html_figure"]

THUMB = 256  # thumbnail box, px
_PAD, _LINE, _COLS = 12, 18, 6


def _font(size: int, text: str) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    if not text.isascii():
        hit = find_cjk_font()
        if hit is not None:
            try:
                return ImageFont.truetype(str(hit[1]), size)
            except OSError:
                pass
    return ImageFont.load_default(size)


def _fit(draw: ImageDraw.ImageDraw, text: str, font: Any, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def contact_sheet(
    thumbs: list[Image.Image], captions: list[tuple[str, ...]], title: str
) -> Image.Image:
    """All thumbnails on one white sheet, under ``title``, each with its caption lines."""
    cols = min(_COLS, max(1, math.ceil(math.sqrt(len(thumbs)))))
    rows = math.ceil(len(thumbs) / cols)
    cell_w, cell_h = THUMB + _PAD, THUMB + _PAD + _LINE * 3
    head = 2 * _LINE + _PAD
    sheet = Image.new("RGB", (cols * cell_w + _PAD, head + rows * cell_h + _PAD), "white")
    draw = ImageDraw.Draw(sheet)
    everything = title + "".join("".join(c) for c in captions)
    big, small = _font(22, everything), _font(13, everything)
    draw.text((_PAD, _PAD), _fit(draw, title, big, sheet.width - 2 * _PAD), fill="black", font=big)
    for i, (thumb, caption) in enumerate(zip(thumbs, captions, strict=True)):
        x = _PAD + (i % cols) * cell_w
        y = head + (i // cols) * cell_h
        sheet.paste(thumb, (x + (THUMB - thumb.width) // 2, y + (THUMB - thumb.height) // 2))
        for j, line in enumerate(caption):
            colour = "black" if j < 2 else "dimgray"
            draw.text(
                (x, y + THUMB + 4 + j * _LINE), _fit(draw, line, small, THUMB), fill=colour,
                font=small,
            )  # fmt: skip
    return sheet


CSS = (
    "body{font-family:system-ui,'Noto Sans CJK SC',sans-serif;margin:1.5em;background:#fafafa}"
    ".grid{display:flex;flex-wrap:wrap;gap:1em}"
    "figure{margin:0;width:256px;background:#fff;padding:8px;border-radius:6px;"
    "box-shadow:0 1px 3px #0003}figure img{display:block;margin:auto;max-width:256px}"
    "figcaption{font-size:.85em;line-height:1.4}figcaption .w{color:#555}"
    "details{font-size:.75em;color:#555}pre{white-space:pre-wrap;word-break:break-all}"
)


def html_figure(thumb: Image.Image, caption: tuple[str, ...], entry: Entry, names: bool) -> str:
    """One painting's card on the page: the thumbnail (JPEG, no metadata), its caption and,
    folded, its settings (the photo's name only with ``names``)."""
    buf = io.BytesIO()
    thumb.save(buf, format="JPEG", quality=85)  # re-encoded: no EXIF, no text chunks
    src = "data:image/jpeg;base64," + base64.b64encode(buf.getvalue()).decode("ascii")
    who, style, weights = (html.escape(c) for c in caption)
    alt = html.escape(f"{caption[1]} ({caption[0]})")
    details = ""
    if entry.settings is not None:
        shown = {k: v for k, v in entry.settings.items() if k != "photo" or names}
        text = html.escape(json.dumps(shown, indent=1, sort_keys=True, ensure_ascii=False))
        details = f"<details><summary>{html.escape(t('gallery.settings'))}</summary>"
        details += f"<pre>{text}</pre></details>"
    return (
        f'<figure><img src="{src}" alt="{alt}"><figcaption><b>{style}</b><br>{who}<br>'
        f'<span class="w">{weights}</span>{details}</figcaption></figure>'
    )
