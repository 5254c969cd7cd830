"""When is a painting done? A preset's own loss and picture, iteration by iteration.

Runs one preset (``default`` unless ``--preset``) at one size on the benchmark's images, past
its own step count, and records after every step the time and each loss term; keeps the
picture at chosen steps. Then, for each kept step: its loss over the last step's, and how far
its pixels are from the last picture's (mean absolute difference, 0–255). A texture keeps
moving long after it looks finished, so the pixel distance never reaches 0; compare the
pictures (``results/<tag>/steps.jpg``, the same 256 px crop at each kept step, 1:1).

    python -m benchmarks.curve                         # default at 512 px, 300 steps (≈ 16 min)
    python -m benchmarks.curve --size 256 --steps 120 --keep 30,60,120 --tag curve256

Writes ``benchmarks/results/<tag>.json`` and the strip; prints a table. Session 14 used it to
set the ``default`` preset's 100 iterations (``benchmarks/README.md``).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .run import RESULTS, _load, default_images, machine_info


def _strip(pictures: dict[int, np.ndarray], path: Path, crop: int = 256) -> None:
    """The same square crop (right of centre: detail) of each picture, side by side, 1:1."""
    from PIL import Image

    h, w = next(iter(pictures.values())).shape[:2]
    side = min(crop, h, w)
    top, left = (h - side) // 2, max(0, min(w - side, w // 2))
    tiles = [Image.fromarray(p[top : top + side, left : left + side]) for p in pictures.values()]
    strip = Image.new("RGB", (len(tiles) * (side + 4) - 4, side), "white")
    for i, tile in enumerate(tiles):
        strip.paste(tile, (i * (side + 4), 0))
    path.parent.mkdir(parents=True, exist_ok=True)
    strip.save(path, quality=85)


def run(preset: str, size: int, steps: int, keep: list[int]) -> dict[str, Any]:
    """Paint and record; returns the JSON-ready result."""
    from nststudy import stylize
    from nststudy.config import get_preset
    from nststudy.images import to_uint8

    config = get_preset(preset).at_size(size, steps=steps)
    content, style = default_images()
    rows: list[dict[str, float]] = []
    pictures: dict[int, np.ndarray] = {}
    latest: list[np.ndarray] = []  # the last picture, also when L-BFGS converges early
    t0 = time.perf_counter()

    def record(step: int, losses: dict[str, float], image: np.ndarray) -> bool:
        rows.append({"step": step, "seconds": time.perf_counter() - t0, **losses})
        latest[:] = [to_uint8(image)]
        if step in keep:
            pictures[step] = latest[0]
        return False

    result = stylize(_load(content), _load(style), config, callback=record)
    by_step, last = {r["step"]: r for r in rows}, rows[-1]
    pictures[last["step"]] = latest[0]
    final = latest[0].astype(np.float64)
    kept = [
        {
            "step": s,
            "seconds": round(by_step[s]["seconds"], 1),
            "loss": by_step[s]["total"],
            "loss_over_last": by_step[s]["total"] / last["total"],
            "pixels_from_last": float(np.abs(pictures[s].astype(np.float64) - final).mean()),
        }
        for s in sorted(pictures)
    ]
    return {
        "preset": preset,
        "size": size,
        "shape": list(final.shape),
        "steps": steps,
        "evaluations": result.evaluations,
        "inputs": [content, style],
        "kept": kept,
        "trajectory": rows,
        "pictures": pictures,
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.curve", description=__doc__)
    parser.add_argument("--preset", default="default")
    parser.add_argument("--size", type=int, default=512, help="longest side, px")
    parser.add_argument("--steps", type=int, default=300, help="iterations in all")
    parser.add_argument("--keep", default="50,100,150,200,300", help="steps whose picture to keep")
    parser.add_argument("--tag", default="curve512", help="name of the results file")
    parser.add_argument("--results", type=Path, default=RESULTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    keep = sorted({int(s) for s in args.keep.split(",") if s.strip()})
    if args.steps < 1 or not keep or keep[0] < 1:
        parser.error("--steps and every --keep step must be at least 1")
    out = run(args.preset, args.size, args.steps, [s for s in keep if s <= args.steps])
    _strip(out.pop("pictures"), args.results / args.tag / "steps.jpg")
    out["machine"] = machine_info()
    args.results.mkdir(parents=True, exist_ok=True)
    (args.results / f"{args.tag}.json").write_text(json.dumps(out, indent=1))
    print(f"{'step':>5} {'s':>7} {'loss':>11} {'/ last':>7} {'pixels from last':>17}")
    for k in out["kept"]:
        print(
            f"{k['step']:5d} {k['seconds']:7.1f} {k['loss']:11.4g} {k['loss_over_last']:7.3f} "
            f"{k['pixels_from_last']:17.2f}"
        )
    print(f"wrote {args.results / (args.tag + '.json')}")
    return out


if __name__ == "__main__":
    main()
