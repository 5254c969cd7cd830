"""The class gallery's files: reading a painting (thumbnail and settings) and guarding the
output folder, so that a gallery replaces only the files an earlier gallery wrote."""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

from PIL import Image

from ._gallery_layout import CSS, THUMB

__all__ = ["GENERATOR", "OUTPUTS", "check_replaceable", "ours", "read", "style_text", "weights"]

#: Written into both output files (HTML ``<meta name="generator">``, PNG ``Software`` text), so
#: that a gallery replaces only its own earlier files, never a teacher's page or a learner's
#: painting that happens to share a name.
GENERATOR = "nststudy gallery"
OUTPUTS = ("contact_sheet.png", "index.html")


def read(path: Path) -> tuple[Image.Image, dict[str, Any] | None]:
    """The image (RGB thumbnail) and its embedded settings, if any; decoded like a photo
    (16-bit, transparency, colour profiles, EXIF orientation: :mod:`nststudy._decode`)."""
    from ._decode import flatten_to_rgb, upright
    from .images import to_uint8
    from .metadata import KEY, decode_settings

    with Image.open(path) as im:
        text = im.info.get(KEY) or im.info.get("comment")
        if text is None and hasattr(im, "tag_v2"):
            text = im.tag_v2.get(270)
        if im.format == "JPEG":
            im.draft(im.mode, (2 * THUMB, 2 * THUMB))  # decode a camera JPEG at 1/2 … 1/8
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # a thumbnail: an unreadable EXIF block is fine
            rgb = Image.fromarray(to_uint8(flatten_to_rgb(upright(im, path), path)))
    rgb.thumbnail((THUMB, THUMB), Image.Resampling.LANCZOS)
    return rgb, decode_settings(text)


def style_text(settings: dict[str, Any] | None, fallback: str) -> str:
    styles = (settings or {}).get("styles") or []
    if not isinstance(styles, list):
        return fallback
    named = [s for s in styles if isinstance(s, dict) and s.get("name")]
    if not named:
        return fallback
    if len(named) == 1:
        return str(named[0]["name"])
    try:
        shares = [float(s.get("weight", 1.0)) for s in named]
    except (TypeError, ValueError):  # settings edited by hand: show the names alone
        return " + ".join(str(s["name"]) for s in named)
    total = sum(shares) or 1.0
    return " + ".join(f"{s['name']} {w / total:.0%}" for s, w in zip(named, shares, strict=True))


def weights(settings: dict[str, Any] | None) -> dict[str, float]:
    config = (settings or {}).get("config") or {}
    keys = {"content": "content_weight", "style": "style_weight", "tv": "tv_weight"}
    try:
        return {k: float(config[v]) for k, v in keys.items() if v in config}
    except (TypeError, ValueError):
        return {}


def ours(path: Path) -> bool:
    """Whether ``path`` (an output's name) was written by this gallery: it carries
    :data:`GENERATOR`, or — from before the mark — the page starts with this gallery's own head
    (doctype, title, stylesheet), or the sheet sits beside such an unmarked page (a marked
    page's sheet is marked too: an unmarked one there is someone's own file)."""
    try:
        if path.suffix == ".html":
            return _page(path) is not None
        with Image.open(path) as im:
            if im.info.get("Software") == GENERATOR:
                return True
        return _page(path.with_name("index.html")) == "older"
    except (OSError, ValueError, Image.DecompressionBombError):
        return False


def _page(path: Path) -> str | None:
    """``"marked"`` for this gallery's page, ``"older"`` for one from before the mark (this
    gallery's own head, not a page quoting it), else ``None``."""
    text = path.read_text(encoding="utf-8", errors="replace")
    if f'<meta name="generator" content="{GENERATOR}">' in text:
        return "marked"
    head = f"</title><style>{CSS}</style></head><body><h1>"
    return "older" if text.startswith("<!DOCTYPE html>\n<html lang=") and head in text else None


def check_replaceable(out: Path) -> None:
    """Refuse, before any work, an ``out`` folder whose output names hold someone else's file."""
    for name in OUTPUTS:
        path = out / name
        if path.exists() and (not path.is_file() or not ours(path)):
            raise ValueError(
                f"{path}: exists and is not an earlier nststudy gallery; choose another --out "
                "(or move that file away)"
            )
