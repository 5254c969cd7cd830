"""``--from-settings PAINTING`` and ``--painting``: the options a painting's stored settings
fill in for ``nststudy paint``, each checked before it is used (:func:`resolve_args`)."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path
from typing import Any

from . import metadata

__all__ = ["resolve_args"]


def resolve_args(args: argparse.Namespace) -> argparse.Namespace:
    """Fill options left out from ``--from-settings PAINTING`` (styles, crop, print, format,
    background only) and the defaults; the command line wins over the stored settings. A
    painting made with a ``--mask`` file needs the file again (its path is not stored)."""
    painting = getattr(args, "painting", None)
    dpi_given = args.dpi is not None
    if painting:  # already painted: the options of painting do not apply
        for option, value in (("--size", args.size), ("--steps", args.steps)):
            if value is not None:
                raise ValueError(
                    f"{option} {value}: {painting} is already painted, so it does not apply; "
                    "leave it out, or leave out --painting to paint anew"
                )
    stored = metadata.read_settings(args.from_settings) if args.from_settings else {}
    if painting and not args.from_settings:
        if Path(painting).suffix.lower() == ".json":  # its sidecar: say which file to give
            metadata.read_settings(painting)
        # A painting nststudy made is printed with the settings it was painted with; any
        # other picture (no settings: ValueError) with the command line's.
        with contextlib.suppress(ValueError):
            stored, args.from_settings = metadata.read_settings(painting), painting
    if not args.style and stored:
        try:
            kept = []  # (name, weight, built-in)
            for style in stored.get("styles", []):
                weight = style["weight"]
                if isinstance(weight, bool) or not isinstance(weight, int | float):
                    raise TypeError(weight)
                kept.append((style["name"], weight, bool(style.get("builtin"))))
        except (KeyError, TypeError, AttributeError):
            raise _stored_error(args.from_settings, "styles", stored.get("styles")) from None
        if files := [name for name, _, builtin in kept if not builtin]:
            # a --style replaces all stored styles: name every one, or the blend loses some
            again = " ".join(
                f"--style {name if builtin else 'FILE'}:{weight}" for name, weight, builtin in kept
            )
            raise ValueError(
                f"{args.from_settings}: was painted with the style file"
                f"{'s' if len(files) > 1 else ''} {', '.join(map(repr, files))}; give all its "
                f"styles again, each file by its path: {again}"
            )
        args.style = [f"{name}:{weight}" for name, weight, _ in kept]
    if not args.style:
        raise ValueError("give at least one --style (a file, or a name from `nststudy styles`)")
    # --print-size 0 and --crop none switch off a stored print or crop
    no_print = getattr(args, "print_size", None) == 0 and not args.print
    no_crop = isinstance(args.crop, str) and args.crop.strip().lower() == "none"
    for field in ("crop", "format", "dpi", "print_size", "tile", "tile_steps"):
        if field == "print_size" and args.print:  # --print WxH replaces a stored print size
            continue
        if (no_print and field in ("dpi", "print_size", "tile", "tile_steps")) or (
            no_crop and field == "crop"
        ):
            continue
        if getattr(args, field, None) is None and stored.get(field) is not None:
            value = stored[field]
            if not _usable(field, value, stored):
                raise _stored_error(args.from_settings, field, value)
            setattr(args, field, value)
    args.print_size = None if no_print else args.print_size
    args.crop = None if no_crop else args.crop
    if (
        stored.get("print_size")
        and args.print_size is not None
        and stored.get("tile_steps") is None
        and getattr(args, "tile_steps", None) is None
    ):
        args.tile_steps = 10  # a print made before prints recorded it: they all took 10
    if getattr(args, "background_only", None) is None:  # --[no-]background-only wins
        args.background_only = bool(stored.get("background_only"))
    if stored.get("painting") == "file" and not painting:  # else painted anew: another picture
        raise ValueError(
            f"{args.from_settings}: was printed from a --painting file; give the same painting "
            "again with --painting FILE (the file's path is not stored)"
        )
    if stored.get("mask") == "file" and not args.mask:  # the drawn mask, not a guess
        raise ValueError(
            f"{args.from_settings}: was painted with a --mask file; give the same mask again "
            "with --mask MASK.png (the file's path is not stored)"
        )
    if dpi_given and not args.print and args.print_size is None:
        raise ValueError(
            f"--dpi {args.dpi}: it applies to prints; add --print WxH (e.g. 30x40cm) or "
            "--print-size PX"
        )
    args.format = args.format or "png"
    args.dpi = 300 if args.dpi is None else args.dpi
    return args


def _usable(field: str, value: object, stored: dict[str, Any]) -> bool:
    """A value ``--from-settings`` may take from a painting's stored settings."""
    whole = isinstance(value, int) and not isinstance(value, bool)
    if field == "format":
        return value in metadata.FORMATS
    if field == "crop":
        return isinstance(value, str)
    lowest = {"dpi": 1, "tile": 32, "print_size": 32, "tile_steps": 1}[field]
    if field in ("tile", "tile_steps") and not stored.get("print_size"):
        return False  # only prints have them
    return whole and lowest <= value <= (1000 if field == "tile_steps" else 10**6)


def _stored_error(path: str | Path, field: str, value: object) -> ValueError:
    option = {
        "styles": "--style NAME", "tile_steps": "--tile-steps N", "dpi": "--dpi N",
        "tile": "--tile PX", "print_size": "--print-size PX", "format": "--format png",
        "crop": "--crop W:H",
    }[field]  # fmt: skip
    fix = f"give {option} on the command line"
    return ValueError(
        f"{path}: its nststudy settings have {field}={value!r}, which nststudy cannot use; "
        f"{fix}, or paint it again"
    )
