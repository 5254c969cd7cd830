"""The ``nststudy`` command: ``demo``, ``weights install|verify`` (more arrive with the studio).

Exit codes: 0 success, 1 unexpected failure, 2 bad input (one line, no traceback),
130 interrupted.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

__all__ = ["main"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nststudy")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import samples, save_image, stylize
    from .config import PRESETS
    from .vgg import ensure_weights

    ensure_weights()
    start = time.perf_counter()
    photo = samples.content_photo(args.photo)
    style = samples.make_style(args.style, size=args.size, seed=0)
    result = stylize(photo, style, PRESETS["default"].at_size(args.size))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    save_image(out, result.image)
    print(
        f"{out}  ({result.image.shape[1]}×{result.image.shape[0]} px, "
        f"{time.perf_counter() - start:.1f} s)"
    )
    return 0


def _cmd_weights(args: argparse.Namespace) -> int:
    from .vgg import VGG19_MD5, ensure_weights, install_weights, verify_weights

    if args.action == "install":
        path = install_weights(args.path)
        print(f"installed {path} (MD5 {VGG19_MD5} verified)")
    else:
        path = verify_weights(args.path) if args.path else ensure_weights(download=False)
        print(f"ok: {path} (MD5 {VGG19_MD5})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="nststudy", description="Neural style transfer: course helpers and a DIY studio."
    )
    parser.add_argument("--version", action="version", version=f"nststudy {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="paint a bundled sample photo (writes out/demo.png)")
    demo.add_argument("--size", type=int, default=256, help="longest side in px (default 256)")
    demo.add_argument("--out", default="out/demo.png", help="output file (default out/demo.png)")
    demo.add_argument("--photo", default="chelsea", help="skimage.data photo (default chelsea)")
    demo.add_argument("--style", default="swirl", help="built-in style (default swirl)")
    demo.set_defaults(func=_cmd_demo)

    weights = sub.add_parser("weights", help="install or verify the VGG19 weights")
    weights.add_argument("action", choices=["install", "verify"])
    weights.add_argument("path", nargs="?", help="install: a local copy (else download)")
    weights.set_defaults(func=_cmd_weights)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from .vgg import WeightsError

    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (ValueError, WeightsError) as err:
        print(f"nststudy: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("nststudy: interrupted", file=sys.stderr)
        return 130
