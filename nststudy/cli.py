"""The ``nststudy`` command: ``demo``, ``weights``, ``paint``, ``styles``, ``studio``, ``gallery``.

Exit codes: 0 success, 1 unexpected failure, 2 bad input (one line, no traceback),
130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from ._studio_launch import add_parser as _add_studio
from ._studio_launch import studio_command

__all__ = ["build_parser", "main", "studio_command"]


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("nststudy")
    except PackageNotFoundError:
        return "0.0.0+unknown"


def _demo_output(path: str) -> Path:
    """``--out``, checked before painting: a writable format in a writable folder; if the file
    exists, the next free name (``demo__2.png``, ...): a demo never replaces a file."""
    from ._atomic import check_writable
    from ._image_errors import write_error
    from .images import output_format

    out = Path(path).expanduser()
    if out.is_dir():
        raise ValueError(f"{out}: is a folder; give a file name such as {out / 'demo.png'}")
    output_format(out)
    blocking = next((p for p in out.parents if p.exists()), None)
    if blocking is not None and not blocking.is_dir():
        raise ValueError(f"{out}: {blocking} is a file, not a folder; choose another output path")
    try:
        check_writable(out.parent)
    except OSError as err:
        raise write_error(out, err) from None
    return _free_name(out)


def _free_name(out: Path) -> Path:
    """``out``, or ``<stem>__2<suffix>``, ``__3`` …: the first name no file has."""
    from .metadata import first_free

    return first_free(out.with_name(out.stem), out.suffix)


def _cmd_demo(args: argparse.Namespace) -> int:
    from . import samples, save_image, stylize
    from .config import PRESETS
    from .weights import ensure_weights

    out = _demo_output(args.out)
    try:  # every option checked before the weights are fetched (80 MB)
        config = PRESETS["preview"].at_size(args.size)
    except ValueError as err:
        raise ValueError(f"--size {args.size}: {err}") from None
    photo = samples.content_photo(args.photo)
    try:
        style = samples.make_style(args.style, size=args.size, seed=0)
    except ValueError as err:
        raise ValueError(f"--size {args.size}: {err}" if "size" in str(err) else err) from None
    ensure_weights()
    start = time.perf_counter()
    result = stylize(photo, style, config)
    while True:
        try:
            save_image(out, result.image, overwrite=False)
            break
        except ValueError:
            if not out.exists():
                raise
            out = _free_name(Path(args.out).expanduser())  # another demo took the name
    if result.stopped == "interrupt":  # Ctrl-C: stylize kept the best image so far
        print(f"nststudy: interrupted; the best image so far is in {out}", file=sys.stderr)
        return 130
    print(
        f"{out}  ({result.image.shape[1]}×{result.image.shape[0]} px, "
        f"{time.perf_counter() - start:.1f} s)"
    )
    return 0


def _cmd_weights(args: argparse.Namespace) -> int:
    from .weights import VGG19_MD5, ensure_weights, install_weights, verify_weights

    if args.action == "install":
        path = install_weights(args.path)
        print(f"installed {path} (MD5 {VGG19_MD5} verified)")
    else:
        path = verify_weights(args.path) if args.path else ensure_weights(download=False)
        print(f"ok: {path} (MD5 {VGG19_MD5})")
    return 0


def _cmd_paint(args: argparse.Namespace) -> int:
    from .batch import run_paint

    return run_paint(args)


def _cmd_styles(args: argparse.Namespace) -> int:
    from .samples import list_styles

    for info in list_styles():
        print(f"{info.name:8}  {info.movement:32}  {info.description}")
    return 0


def _add_paint(sub: argparse._SubParsersAction) -> None:
    from ._tile_grid import TILE_STEPS

    paint = sub.add_parser(
        "paint",
        help="paint photos (files or folders) in one or more styles",
        description="Paint each PHOTO (or every image in a folder). Results go to "
        "OUT/<photo>__<style>.png (never overwriting: __2, __3 ...), with the settings embedded "
        "and a .json sidecar. Ctrl-C saves the best image so far; --resume continues.",
    )
    add = paint.add_argument
    add("photos", nargs="+", metavar="PHOTO", help="image files or folders of images")
    add(
        "--style",
        action="append",
        metavar="STYLE[:WEIGHT]",
        help="a style image file or a built-in name (see `nststudy styles`); repeat to blend, "
        "WEIGHT is each style's share of the blend (alone, a style's weight has no effect)",
    )
    add("--preset", help="default | article | tutorial | preview (default: default)")
    add("--size", type=int, help="longest side of the painting in px (default: the preset's)")
    add("--steps", type=int, help="optimiser steps in all (default: the preset's)")
    add("--out", default="out", help="output folder (default out/)")
    add("--format", choices=["png", "jpeg", "tiff"], help="output format (default png)")
    add(
        "--print-size",
        type=int,
        metavar="PX",
        help="refine to this longest side for print (0: no print, over --from-settings')",
    )
    add(
        "--print",
        metavar="WxH",
        help="print size such as 30x40cm or 8x10in (with --dpi); the longer side is the print's, "
        "the shape the photo's unless --crop W:H",
    )
    add("--tile", type=int, metavar="PX", help="print refinement tile side (default: auto)")
    add(
        "--tile-steps",
        type=int,
        metavar="N",
        help=f"L-BFGS steps per print tile (default {TILE_STEPS}; more: a little finer grain, "
        "slower)",
    )
    add("--dpi", type=int, help="print resolution, written into the file (default 300)")
    add(
        "--crop",
        metavar="W:H",
        help="centre-crop the photo to a frame ratio, e.g. 4:5 (turned to the photo's "
        "orientation: 4:5 on a landscape photo gives 5:4); none: no crop, over "
        "--from-settings'",
    )
    add("--preserve-colors", choices=["luminance", "histogram"], help="keep the photo's colours")
    add("--strokes", type=float, metavar="0..1", help="NL-means stroke enhancement strength")
    add("--mask", metavar="MASK.png", help="white = paint, black = keep the photo")
    add(
        "--background-only",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="paint only the background (subject guessed, or the white of --mask)",
    )
    add(
        "--strength",
        type=float,
        metavar="F",
        help="style strength: multiplies the preset's (or --from-settings') style weight "
        "(0.1 = mostly photo, 10 = mostly style; the studio's slider)",
    )
    add(
        "--style-scale",
        type=float,
        help="style size relative to the picture (>1 bigger strokes, <1 finer)",
    )
    add("--seed", type=int, help="random seed (same seed, same machine: same painting)")
    add(
        "--precision",
        choices=["auto", "float32", "bfloat16"],
        help="VGG19's arithmetic (default: the preset's; default and preview use auto: "
        "bfloat16 on CPUs with AMX, where the issue measured VGG19 1.9× faster, float32 "
        "elsewhere); bfloat16 paints as well, and is slower on CPUs without AMX (`python -m "
        "benchmarks.precision` measures yours)",
    )
    add("--from-settings", metavar="PAINTING", help="reuse the settings embedded in a painting")
    add(
        "--painting",
        metavar="PAINTING",
        help="print this earlier painting of PHOTO (with --print-size/--print) instead of "
        "painting it again; its embedded settings apply unless --from-settings is given",
    )
    add("--overwrite", action="store_true", help="replace <photo>__<style>.png if it exists")
    add("--skip-bad", action="store_true", help="paint the good photos when some are bad")
    add("--resume", action="store_true", help="continue interrupted paintings, skip done ones")
    paint.set_defaults(func=_cmd_paint)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    parser = argparse.ArgumentParser(
        prog="nststudy", description="Neural style transfer: course helpers and a DIY studio."
    )
    parser.add_argument("--version", action="version", version=f"nststudy {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="paint a bundled sample photo (writes out/demo.png)")
    demo.add_argument("--size", type=int, default=256, help="longest side in px (default 256)")
    demo.add_argument(
        "--out",
        default="out/demo.png",
        help="output file (default out/demo.png; never replaced: demo__2.png, ...)",
    )
    demo.add_argument("--photo", default="chelsea", help="skimage.data photo (default chelsea)")
    demo.add_argument("--style", default="swirl", help="built-in style (default swirl)")
    demo.set_defaults(func=_cmd_demo)

    weights = sub.add_parser("weights", help="install or verify the VGG19 weights")
    weights.add_argument("action", choices=["install", "verify"])
    weights.add_argument("path", nargs="?", help="install: a local copy (else download)")
    weights.set_defaults(func=_cmd_weights)

    _add_paint(sub)
    from .gallery import add_parser as _add_gallery

    _add_gallery(sub)
    styles = sub.add_parser("styles", help="list the built-in styles and what they evoke")
    styles.set_defaults(func=_cmd_styles)
    _add_studio(sub)
    return parser


# How a GPU's out-of-memory reads when TensorFlow raises it as an InternalError rather than
# a ResourceExhaustedError (a copy to the device, cuDNN or cuBLAS failing to allocate).
_OOM_WORDS = ("out of memory", "out_of_memory", "dst tensor is not initialized", "failed to alloc")


def _tf_out_of_memory(err: BaseException) -> bool:
    """True for TensorFlow's out-of-memory errors (never imports TensorFlow)."""
    errors = sys.modules.get("tensorflow.python.framework.errors_impl")
    if errors is None:
        return False
    if isinstance(err, errors.ResourceExhaustedError):
        return True
    text = str(err).lower()
    return isinstance(err, errors.InternalError) and any(w in text for w in _OOM_WORDS)


@contextlib.contextmanager
def _notes() -> Iterator[None]:
    """nststudy's own warnings as one ``nststudy: note: …`` line each, once per text (not
    Python's two lines pointing into the package's source); other packages' as they are."""
    package, shown = Path(__file__).resolve().parent, set()
    with warnings.catch_warnings():
        plain = warnings.showwarning

        def note(
            message: Warning | str, category: type[Warning], filename: str, lineno: int,
            file: object = None, line: str | None = None,
        ) -> None:  # fmt: skip
            if not Path(filename).resolve().is_relative_to(package):
                return plain(message, category, filename, lineno, file, line)  # type: ignore[arg-type]
            if (text := str(message)) not in shown:
                shown.add(text)
                from tqdm.auto import tqdm  # (between progress bars, not inside one)

                tqdm.write(f"nststudy: note: {text}", file=sys.stderr)

        warnings.showwarning = note
        yield


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from .weights import WeightsError

    args = build_parser().parse_args(argv)
    try:
        with _notes():
            return int(args.func(args))
    except (ValueError, WeightsError) as err:
        print(f"nststudy: error: {err}", file=sys.stderr)
        return 2
    except OSError as err:  # the file system said no: one line naming the path, no traceback
        where = f"{err.filename}: " if err.filename else ""
        fix = "check that the path exists and that you may write there"
        if err.errno == errno.ENAMETOOLONG:
            fix = "use shorter file or folder names"
        elif err.errno in (errno.ENOSPC, errno.EDQUOT):
            fix = "free some space (or write elsewhere), then repeat the command"
        print(f"nststudy: error: {where}{err.strerror or err}; {fix}", file=sys.stderr)
        return 2
    except MemoryError:  # a real out-of-memory (the estimates before a run are rough)
        print(
            "nststudy: error: out of memory; close other programs, or choose a smaller --size, "
            "--print-size or --tile",
            file=sys.stderr,
        )
        return 2
    except Exception as err:  # TensorFlow's own out-of-memory (a GPU's, or the allocator's)
        if not _tf_out_of_memory(err):
            raise
        print(
            "nststudy: error: out of memory (TensorFlow could not allocate a tensor); close "
            "other programs, or choose a smaller --size, --print-size or --tile",
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        print("nststudy: interrupted", file=sys.stderr)
        return 130
