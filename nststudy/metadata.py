"""Paintings that remember how they were made: embedded settings, colour profile, file names.

Every file the studio writes carries

- its settings as JSON: a PNG ``iTXt`` chunk with the key ``nststudy``; in JPEG the comment
  segment; in TIFF the ``ImageDescription`` tag. No input paths or other personal data go in
  (a style file is named by its file name only, the photo not at all), and nothing of the
  photo's EXIF (camera, GPS position, date) is carried over: the painting is a new image;
- an sRGB ICC profile, so colour-managed viewers and print shops show the colours we meant;
- its DPI when it was made for print (``--print 30x40cm --dpi 300``);
- a sidecar ``<same name>.json`` with the settings plus timings and losses.

>>> settings = read_settings("out/chelsea__swirl.png")
>>> config = config_from_settings(settings)   # the Config that made it: paint it again
"""

from __future__ import annotations

import dataclasses
import io
import json
import math
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageCms, UnidentifiedImageError

from ._atomic import replace_atomically
from .config import Config
from .images import save_image

__all__ = [
    "FORMATS",
    "KEY",
    "base_name",
    "config_from_settings",
    "decode_settings",
    "first_free",
    "output_path",
    "painting_bytes",
    "read_settings",
    "save_painting",
    "settings_for",
    "sidecar_path",
    "srgb_profile",
    "write_sidecar",
]

#: The metadata key (PNG text chunk keyword) under which the settings JSON is stored.
KEY = "nststudy"

#: Output formats: name → file suffix.
FORMATS = {"png": ".png", "jpeg": ".jpg", "tiff": ".tif"}

_TIFF_DESCRIPTION = 270  # TIFF tag ImageDescription
_UNSAFE = re.compile(r"[^\w+-]+")


def srgb_profile() -> bytes:
    """The bytes of an sRGB ICC profile (Little CMS's built-in one, via Pillow)."""
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _safe(name: str) -> str:
    """A file-name-safe version of ``name`` (letters, digits, ``+ - _``; nothing else)."""
    return _UNSAFE.sub("-", name).strip("-") or "image"


def base_name(photo: str, style: str) -> str:
    """``<photo>__<style>``, made file-name safe: every name of an output, its ``__2`` … and
    its checkpoint start with it (``"Holiday 2023"``, ``"swirl"`` → ``"Holiday-2023__swirl"``)."""
    return f"{_safe(photo)}__{_safe(style)}"


def output_path(out_dir: str | os.PathLike, photo: str, style: str, fmt: str = "png") -> Path:
    """Where a painting goes: ``<out_dir>/<photo>__<style>.<ext>``, never an existing file.

    If the name is taken, ``__2``, ``__3``, … are appended (a sidecar ``.json`` of that name
    counts as taken too). Use the plain name directly when you mean to overwrite.

    Args:
        out_dir: folder of the results.
        photo: the photo's name (its file stem, e.g. ``"chelsea"``).
        style: the style's name, e.g. ``"swirl"`` or ``"swirl+brush"`` for a blend.
        fmt: one of :data:`FORMATS`.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    taken = lambda p: p.exists() or sidecar_path(p).exists()  # noqa: E731
    return first_free(Path(out_dir) / base_name(photo, style), FORMATS[fmt], taken)


def first_free(stem: Path, suffix: str, taken: Callable[[Path], bool] = Path.exists) -> Path:
    """``stem + suffix`` unless ``taken`` says so, else ``stem__2 + suffix``, ``__3`` …:
    how nststudy never replaces a file (paintings, their sidecars, the demo)."""
    n = 1
    while True:
        path = stem.with_name(stem.name + ("" if n == 1 else f"__{n}") + suffix)
        if not taken(path):
            return path
        n += 1


def sidecar_path(path: str | os.PathLike) -> Path:
    """The JSON sidecar beside a painting: same name, suffix ``.json``."""
    return Path(path).with_suffix(".json")


def settings_for(config: Config, styles: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    """The settings to embed: the full config, the styles and any extra options.

    Args:
        config: the settings of the run.
        styles: ``[{"name": "swirl", "weight": 1.0, "builtin": True, "seed": 0}, ...]``; for
            a style file give only its file name, never its folder.
        **extra: more JSON-serialisable facts (``preserve_colors``, ``print``, ``interrupted`` …).
    """
    from . import __version__

    for style in styles:
        if any(sep in str(style.get("name", "")) for sep in ("/", "\\")):
            raise ValueError(f"style name {style['name']!r} contains a folder; give the name only")
    return {
        "software": f"nststudy {__version__}",
        "config": dataclasses.asdict(config.resolved()),  # the precision used, never "auto"
        "styles": styles,
        **extra,
    }


def _finite(value: Any) -> Any:
    """``value`` with every NaN or infinite float (a diverged run's loss, a best loss never
    set) as ``None``: JSON has no NaN, and other tools refuse Python's ``NaN`` extension."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _json(settings: dict[str, Any]) -> str:
    return json.dumps(
        _finite(settings), sort_keys=True, separators=(",", ":"), default=_default, allow_nan=False
    )


def _default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _encoder_options(suffix: str, settings: dict[str, Any], dpi: int | None) -> dict[str, Any]:
    """Pillow ``save`` keywords that embed ``settings``, the sRGB profile and the DPI."""
    from PIL import PngImagePlugin

    text = _json(settings)
    kwargs: dict[str, Any] = {"icc_profile": srgb_profile()}
    if dpi:
        kwargs["dpi"] = (round(dpi), round(dpi))
    if suffix == ".png":
        info = PngImagePlugin.PngInfo()
        info.add_itxt(KEY, text)
        kwargs["pnginfo"] = info
    elif suffix in (".jpg", ".jpeg"):
        # full-resolution colour (4:4:4): Pillow's default 4:2:0 halves the strokes' colour
        kwargs.update(quality=95, subsampling=0, comment=text.encode())
    elif suffix in (".tif", ".tiff"):
        kwargs.update(compression="tiff_deflate", tiffinfo={_TIFF_DESCRIPTION: text})
    else:
        raise ValueError(f"unsupported image suffix {suffix!r}; use .png, .jpg or .tif")
    return kwargs


def save_painting(
    path: str | os.PathLike,
    image: np.ndarray,
    settings: dict[str, Any],
    dpi: int | None = None,
    *,
    overwrite: bool = True,
) -> Path:
    """Write ``image`` with its settings, an sRGB profile and (optionally) its DPI, atomically.

    Args:
        path: destination; ``.png``, ``.jpg``/``.jpeg`` or ``.tif``/``.tiff``.
        image: uint8 ``(H, W, 3)`` or float in [0, 1].
        settings: JSON-serialisable dict (see :func:`settings_for`).
        dpi: dots per inch to record (print jobs), or ``None``.
        overwrite: replace a file already at ``path`` (default); ``False`` refuses, atomically
            (``ImageError``), e.g. when another run took the name since it was chosen.

    Returns:
        The path written. Nothing else from any input file (EXIF, GPS) is written.
    """
    path = Path(path)
    options = _encoder_options(path.suffix.lower(), settings, dpi)
    return save_image(path, image, overwrite=overwrite, **options)


def painting_bytes(
    image: np.ndarray, settings: dict[str, Any], fmt: str = "png", dpi: int | None = None
) -> bytes:
    """The file :func:`save_painting` would write, as bytes (for a download button); the
    image is checked as :func:`~nststudy.images.save_image` checks it."""
    from .images import as_uint8_picture

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    arr = as_uint8_picture(image, "painting")
    buf = io.BytesIO()
    pil_format = {"png": "PNG", "jpeg": "JPEG", "tiff": "TIFF"}[fmt]
    Image.fromarray(arr).save(
        buf, format=pil_format, **_encoder_options(FORMATS[fmt], settings, dpi)
    )
    return buf.getvalue()


def write_sidecar(path: str | os.PathLike, data: dict[str, Any]) -> Path:
    """Write ``data`` as pretty JSON to the sidecar of the painting at ``path``."""
    side = sidecar_path(path)
    text = json.dumps(_finite(data), indent=2, sort_keys=True, default=_default, allow_nan=False)
    text += "\n"
    return replace_atomically(side, lambda fh: fh.write(text.encode()))


def _reason(err: Exception) -> str:
    """Why Pillow could not open a file, without the path it repeats."""
    if isinstance(err, UnidentifiedImageError):
        return "not an image format Pillow knows"
    return getattr(err, "strerror", None) or str(err)


def read_settings(source: str | os.PathLike | bytes) -> dict[str, Any]:
    """The settings embedded in a painting made by nststudy.

    Args:
        source: a PNG, JPEG or TIFF path (or its bytes).

    Raises:
        ValueError: the file is not an image or carries no nststudy settings.
    """
    name = "image" if isinstance(source, bytes) else str(source)
    if not isinstance(source, bytes):
        path = source = Path(source).expanduser()
        if not path.exists():
            from ._image_errors import missing_file

            raise missing_file(path)
        if path.is_dir():
            raise ValueError(f"{name}: is a folder; give one painting nststudy made (.png)")
        if path.suffix.lower() == ".json":
            raise ValueError(
                f"{name}: this is a painting's settings sidecar; give the painting itself "
                f"({path.with_suffix('.png').name} or its .jpg/.tif)"
            )
    from ._decode import _pixel_limit

    try:  # no pixel is decoded here: Pillow's decompression-bomb limit guards nothing
        with (
            _pixel_limit(True),
            Image.open(io.BytesIO(source) if isinstance(source, bytes) else source) as im,
        ):
            text = im.info.get(KEY) or im.info.get("comment")
            if text is None and hasattr(im, "tag_v2"):
                text = im.tag_v2.get(_TIFF_DESCRIPTION)
    except (OSError, ValueError) as err:
        raise ValueError(
            f"{name}: cannot read it as an image ({_reason(err)}); give a PNG, JPEG or TIFF "
            "painting nststudy made"
        ) from None
    settings = decode_settings(text)
    if settings is None or "config" not in settings:
        raise ValueError(f"{name}: carries no nststudy settings; pick a painting nststudy made")
    return settings


def config_from_settings(settings: dict[str, Any]) -> Config:
    """Rebuild the :class:`~nststudy.config.Config` stored by :func:`settings_for`.

    Fields this version does not know are dropped (a newer nststudy wrote them); missing
    ones keep their defaults, except the L-BFGS history: settings written before it was a
    field were painted with 10 float32 pairs, and get them back.
    """
    known = {f.name for f in dataclasses.fields(Config)}
    fields = {k: v for k, v in settings["config"].items() if k in known}
    if "lbfgs_memory" not in fields:  # painted before the history was a setting
        fields.setdefault("lbfgs_history", "float32")
        fields["lbfgs_memory"] = 10
    for key, value in fields.items():
        if isinstance(value, list):
            fields[key] = tuple(value)
    return Config(**fields)


def decode_settings(text: str | bytes | None) -> dict[str, Any] | None:
    """The settings dict from an embedded text chunk, or ``None`` if it is absent or not JSON."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    try:
        settings = json.loads(text) if text else None
    except json.JSONDecodeError:
        return None
    return settings if isinstance(settings, dict) else None
