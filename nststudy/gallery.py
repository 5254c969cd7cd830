"""The class gallery: every learner's painting on one contact sheet and one web page.

Learners save (or hand in) their paintings into one folder, named

- ``<learner>__<photo>__<style>.png`` — e.g. ``mei__chelsea__swirl.png``, or
- ``<photo>__<style>.png`` — what ``nststudy paint`` and the studio write (no learner),

optionally followed by ``__2``, ``__3`` … (a second try). The settings the painting was made
with are read from the file itself (the ``nststudy`` PNG text chunk, see
:mod:`nststudy.metadata`); files without them are shown too, captioned from their name.

>>> from nststudy.gallery import make_gallery
>>> result = make_gallery("handed_in/")            # → handed_in/gallery/
>>> result.contact_sheet, result.html              # contact_sheet.png, index.html
>>> result                                         # in Jupyter: the gallery itself

Privacy: learners' names (and photo names, which can be personal too) appear only with
``names=True`` (``--names``); otherwise captions say "Learner 1", "Learner 2" …, numbered in
file-name order. Thumbnails are embedded in ``index.html`` (base64, re-encoded without EXIF),
so the page links to no file whose name could give a learner away and can be mailed or put on
a school website as it is. The command line: ``nststudy gallery DIR [--out OUT] [--names]``.
"""

from __future__ import annotations

import argparse
import html
import os
import shutil
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PIL import Image
from PIL.PngImagePlugin import PngInfo

from ._gallery_files import GENERATOR, OUTPUTS, check_replaceable, ours, read, style_text, weights
from ._gallery_layout import CSS, contact_sheet, html_figure
from .i18n import get_language, t

__all__ = [
    "GENERATOR",
    "SUFFIXES",
    "Entry",
    "GalleryResult",
    "add_parser",
    "make_gallery",
    "parse_name",
]

#: Image files the gallery picks up (top level of the folder only).
SUFFIXES = (".png", ".jpg", ".jpeg", ".tif", ".tiff")


@dataclass(frozen=True)
class Entry:
    """One painting in the gallery.

    Attributes:
        path: the image file.
        learner: the learner's name from the file name, or ``None``.
        photo: the photo's name from the file name.
        style: the style(s): from the embedded settings, else from the file name.
        weights: ``{"content", "style", "tv"}`` from the settings (empty without settings).
        settings: the embedded settings, or ``None``.
    """

    path: Path
    learner: str | None
    photo: str
    style: str
    weights: dict[str, float] = field(default_factory=dict)
    settings: dict[str, Any] | None = None


@dataclass(frozen=True)
class GalleryResult:
    """What :func:`make_gallery` wrote. In Jupyter it shows as the gallery itself.

    Attributes:
        out: the output folder.
        contact_sheet: ``out/contact_sheet.png``.
        html: ``out/index.html``.
        entries: the paintings shown, in order.
        captions: the caption lines of each entry, as shown.
        skipped: files that could not be read as images (with the reason).
    """

    out: Path
    contact_sheet: Path
    html: Path
    entries: tuple[Entry, ...]
    captions: tuple[tuple[str, ...], ...]
    skipped: tuple[str, ...]
    fragment: str = field(repr=False, default="")

    def _repr_html_(self) -> str:
        return self.fragment


def parse_name(path: str | os.PathLike) -> tuple[str | None, str, str]:
    """``(learner, photo, style)`` from a file name (see the module docstring).

    >>> parse_name("mei__chelsea__swirl__2.png")
    ('mei', 'chelsea', 'swirl')
    >>> parse_name("chelsea__swirl.png")
    (None, 'chelsea', 'swirl')
    """
    parts = [p for p in Path(path).stem.split("__") if p]
    if len(parts) > 2 and parts[-1].isdigit():
        parts = parts[:-1]  # __2, __3: another try of the same picture
    if len(parts) >= 3:
        return parts[0], "__".join(parts[1:-1]), parts[-1]
    if len(parts) == 2:
        return None, parts[0], parts[1]
    return None, Path(path).stem, ""


def _captions(entries: list[Entry], names: bool) -> list[tuple[str, ...]]:
    numbers: dict[str, int] = {}
    out = []
    for i, e in enumerate(entries):
        who = e.learner if e.learner is not None else f"\0{i}"
        n = numbers.setdefault(who, len(numbers) + 1)
        if names:
            first = f"{e.learner} — {e.photo}" if e.learner else e.photo
        else:
            first = t("gallery.learner", n=n)
        w = e.weights
        if {"content", "style", "tv"} <= w.keys():
            second = t("gallery.weights", **{k: f"{w[k]:g}" for k in ("content", "style", "tv")})
        else:
            second = t("gallery.no_settings")
        out.append((first, e.style or "?", second))
    return out


def _collect(folder: Path, out: Path) -> tuple[list[Entry], list[Image.Image], list[str]]:
    entries, thumbs, skipped = [], [], []
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUFFIXES),
        key=lambda p: p.name.lower(),
    )
    for path in files:
        if path.parent.resolve() == out.resolve() and path.name in OUTPUTS and ours(path):
            continue  # our own earlier output
        try:
            thumb, settings = read(path)
        except Exception as err:  # one broken file must not cost the class its gallery
            skipped.append(f"{path.name}: {err}")
            warnings.warn(f"{path}: not readable as an image, left out ({err})", stacklevel=3)
            continue
        learner, photo, style = parse_name(path)
        entries.append(
            Entry(path, learner, photo, style_text(settings, style), weights(settings), settings)
        )
        thumbs.append(thumb)
    return entries, thumbs, skipped


def make_gallery(
    folder: str | os.PathLike,
    out: str | os.PathLike | None = None,
    names: bool = False,
    title: str | None = None,
) -> GalleryResult:
    """Gather the paintings in ``folder`` into ``contact_sheet.png`` and ``index.html``.

    Both files are written to a temporary folder first and moved into ``out`` only when both
    are complete: a failure leaves ``out`` as it was.

    Args:
        folder: the folder of paintings (top level only; PNG, JPEG or TIFF).
        out: output folder (default ``folder/gallery``); created if missing.
        names: show learners' and photos' names from the file names (default: anonymous).
        title: heading of the sheet and the page (default "Class gallery", translated).

    Raises:
        ValueError: ``folder`` is not a folder or holds no readable image, ``out`` is a
            file, or ``out`` holds a ``contact_sheet.png`` / ``index.html`` this gallery did not
            write (checked before any work; nothing is replaced).
    """
    folder = Path(folder).expanduser()
    if not folder.is_dir():
        raise ValueError(f"{folder}: not a folder; give the folder of the learners' paintings")
    out = Path(out).expanduser() if out is not None else folder / "gallery"
    if out.exists() and not out.is_dir():
        raise ValueError(f"{out}: is a file; give --out a folder for the gallery")
    check_replaceable(out)
    title = t("gallery.title") if title is None else str(title)
    entries, thumbs, skipped = _collect(folder, out)
    if not entries:
        raise ValueError(
            f"{folder}: no readable images ({', '.join(SUFFIXES)}); copy the learners' "
            "paintings there, named <learner>__<photo>__<style>.png"
        )
    captions = _captions(entries, names)
    figures = "".join(html_figure(*z, names) for z in zip(thumbs, captions, entries, strict=True))
    fragment = f'<div class="grid">{figures}</div>'
    page = (
        '<!DOCTYPE html>\n<html lang="{lang}"><head><meta charset="utf-8">'
        f'<meta name="generator" content="{GENERATOR}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CSS}</style></head><body>"
        f"<h1>{html.escape(title)}</h1>{fragment}</body></html>\n"
    ).replace("{lang}", get_language())
    sheet = contact_sheet(thumbs, captions, title)

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}-", suffix=".part", dir=out.parent))
    try:
        mark = PngInfo()
        mark.add_text("Software", GENERATOR)
        sheet.save(tmp / "contact_sheet.png", optimize=True, pnginfo=mark)
        (tmp / "index.html").write_text(page, encoding="utf-8")
        out.mkdir(exist_ok=True)
        check_replaceable(out)  # again: a file may have arrived while the gallery was made
        for name in OUTPUTS:
            os.replace(tmp / name, out / name)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return GalleryResult(
        out=out,
        contact_sheet=out / "contact_sheet.png",
        html=out / "index.html",
        entries=tuple(entries),
        captions=tuple(captions),
        skipped=tuple(skipped),
        fragment=f"<style>{CSS}</style>{fragment}",
    )


def _cmd_gallery(args: argparse.Namespace) -> int:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # skipped files are reported below
        result = make_gallery(args.folder, out=args.out, names=args.names, title=args.title)
    for line in result.skipped:
        print(f"skipped {line}")
    print(f"{len(result.entries)} paintings → {result.contact_sheet} and {result.html}")
    return 0


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``nststudy gallery DIR [--out OUT] [--names] [--title T]``."""
    parser = subparsers.add_parser(
        "gallery",
        help="gather learners' paintings into a contact sheet and a web page",
        description="Read every PNG/JPEG/TIFF in DIR (named <learner>__<photo>__<style>.png or "
        "<photo>__<style>.png) and write OUT/contact_sheet.png and OUT/index.html with each "
        "painting's style and weights. Learners are anonymous (Learner 1, 2, ...) unless --names.",
    )
    parser.add_argument("folder", metavar="DIR", help="folder of the learners' paintings")
    parser.add_argument("--out", metavar="OUT", help="output folder (default DIR/gallery)")
    parser.add_argument(
        "--names", action="store_true", help="show learners' names (ask them first)"
    )
    parser.add_argument("--title", metavar="T", help='heading (default "Class gallery")')
    parser.set_defaults(func=_cmd_gallery)
    return parser
