"""Coarse-to-fine given a fair chance: does a converged half-size painting start L-BFGS better?

Earlier tries (README: the issue's 128→256→512 with 100/60/40 evaluations, session 3's
128 → 256 starts) only ran a *short* coarse stage and looked at the loss where the full-size
stage begins. This script gives the coarse stage enough L-BFGS evaluations for a
finished-looking painting (``--coarse-evaluations``, default 150: 1.11 of 256 px's own
``L_ref``, which takes ≈ 266), then
runs the full-size L-BFGS from each start for the same number of evaluations, on the
tutorial's loss at each size (the style image scaled with the canvas, so strokes keep their
size on the page) and the ``default`` preset's L-BFGS (40 float16 pairs):

* ``photo`` — the default's start, the baseline;
* ``upsampled`` — the coarse painting, bicubic to full size;
* ``upsampled+detail`` — the same plus the photo's detail that the coarse size cannot hold
  (the photo minus its own downscaled-and-upsampled copy).

A coarse evaluation costs a fraction of a full-size one (a fifth to a quarter at 256 vs
384×512 px); the table counts the coarse stage in full-size evaluations at the two sizes'
measured seconds per evaluation.

    python -m benchmarks.coarse_start                      # 256 → 512 px, ≈ 30 min
    python -m benchmarks.coarse_start --size 64 --coarse-size 32 --coarse-evaluations 3 \\
        --max-evaluations 3                                  # smoke

Writes ``benchmarks/results/coarse_start_<size>.json`` (or ``--out``), a thumbnail of each
variant's last image beside it, and prints a table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from .lowrank_vgg import race, tutorial_stage
from .run import RESULTS, machine_info

#: ``L_ref`` at 512 px on the tutorial's loss (session 12, README "Session 12").
REF_512 = 5.297e6
VARIANTS = ("photo", "upsampled", "upsampled+detail")


def upsample(img: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bicubic resize of ``(h, w, 3)`` in [0, 1] to ``shape``, clipped to [0, 1]."""
    import tensorflow as tf

    out = tf.image.resize(img[None], shape, method="bicubic").numpy()[0]
    return np.clip(out, 0.0, 1.0).astype(np.float32)


def detail(photo: np.ndarray, coarse_shape: tuple[int, int]) -> np.ndarray:
    """What the coarse size loses of ``photo``: photo − upsample(downsample(photo))."""
    import tensorflow as tf

    small = tf.image.resize(photo[None], coarse_shape, method="area").numpy()[0]
    return (photo - upsample(small, photo.shape[:2])).astype(np.float32)


def starts(
    variants: list[str], coarse: np.ndarray | None, photo: np.ndarray
) -> dict[str, np.ndarray]:
    """The full-size start image of each variant (RGB in [0, 1])."""
    out: dict[str, np.ndarray] = {}
    shape = photo.shape[:2]
    for name in variants:
        if name == "photo":
            out[name] = photo
            continue
        if coarse is None:
            raise ValueError(f"start {name!r} needs the coarse painting: pass it")
        img = upsample(coarse, shape)
        if name == "upsampled+detail":
            img = np.clip(img + detail(photo, coarse.shape[:2]), 0.0, 1.0)
        out[name] = img
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.coarse_start", description=__doc__)
    parser.add_argument("--size", type=int, default=512, help="output's longest side, px")
    parser.add_argument("--coarse-size", type=int, default=256, help="coarse stage, px")
    parser.add_argument("--coarse-evaluations", type=int, default=150)
    parser.add_argument("--max-evaluations", type=int, default=150, help="full size, each")
    parser.add_argument("--ref-loss", type=float, default=REF_512, help="L_ref at --size")
    parser.add_argument("--variants", default=",".join(VARIANTS), help="starts to race")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not chosen or set(chosen) - set(VARIANTS):
        parser.error(f"--variants: choose from {', '.join(VARIANTS)}, got {args.variants!r}")
    if not 32 <= args.coarse_size < args.size:
        parser.error(f"--coarse-size must be in [32, --size), got {args.coarse_size}")
    out = args.out or RESULTS / f"coarse_start_{args.size}.json"
    from nststudy.images import save_image

    result: dict[str, Any] = {"size": args.size, "coarse_size": args.coarse_size}
    coarse = None
    if set(chosen) - {"photo"}:
        small, small_photo, _ = tutorial_stage(args.coarse_size)
        small.loss_and_grad(small_photo[None].astype(np.float32))  # traced before the clock
        last: list[np.ndarray] = []
        result["coarse"] = race(small, small, small_photo, 0.0, args.coarse_evaluations, last)
        coarse = last[0]
    stage, photo, _ = tutorial_stage(args.size)
    stage.loss_and_grad(photo[None].astype(np.float32))
    result["shape"] = list(photo.shape[:2])
    for name, x0 in starts(chosen, coarse, photo).items():
        last = []
        loss = float(stage.loss_and_grad(x0[None])[0]["total"])
        run = race(stage, stage, x0, args.ref_loss, args.max_evaluations, last)
        result[name] = {"start_loss": loss, **run}
        thumb = out.with_name(f"{out.stem}_{name.replace('+', '_')}.jpg")
        out.parent.mkdir(parents=True, exist_ok=True)
        save_image(thumb, last[0] if last else x0, quality=85)
    result["machine"] = machine_info()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    print_table(result, chosen, args.max_evaluations)
    print(f"wrote {out}")
    return 0


def print_table(result: dict[str, Any], chosen: list[str], top: int) -> None:
    """Loss after given full-size evaluation counts, and the coarse stage's cost."""
    marks = sorted({n for n in (10, 25, 50, 75, 100, 150, 200, 300) if n < top} | {top})
    full = [result[n]["s_per_evaluation"] for n in chosen]
    per_full = float(np.median(full))
    coarse = result.get("coarse")
    extra = 0.0
    if coarse:
        extra = coarse["seconds"] / per_full
        print(
            f"coarse stage: {coarse['evaluations']} evaluations at {result['coarse_size']} px, "
            f"{coarse['seconds']:.0f} s = {extra:.0f} full-size evaluations "
            f"(at {per_full:.2f} s each); its own loss {coarse['final_exact']:.4g}"
        )
    head = "".join(f"{f'@ {n}':>10}" for n in marks)
    print(f"{'start':<17}{'+ coarse':>9}{'loss at start':>14}{head}")
    for name in chosen:
        r = result[name]
        row = [next((t[1] for t in r["trace"] if t[0] >= n), float("nan")) for n in marks]
        cost = 0.0 if name == "photo" else extra
        hit = r["to_ref"]
        reach = f"  L_ref after {hit['evaluations']} (+{cost:.0f})" if hit else ""
        cells = "".join(f"{v:>10.4g}" for v in row)
        print(f"{name:<17}{cost:>9.0f}{r['start_loss']:>14.4g}{cells}{reach}")


if __name__ == "__main__":
    raise SystemExit(main())
