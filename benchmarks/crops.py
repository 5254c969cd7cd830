"""Gram losses on random crops with a stochastic optimiser: cheaper steps, but enough of them?

An evaluation's cost is its pixels' (VGG19's convolutions, ≈ 90 % of it, run near this CPU's
peak), so a step on a crop of a quarter of the image costs about a quarter of a full one. The
style terms are means over positions — a crop's Gram matrix estimates the whole painting's —
so Adam, which the tutorial already uses, can follow the crop's gradient: each step paints a
random window (aligned to the content layer's grid, so that the photo's features at those
positions are the content target) and leaves the rest to Adam's momentum. Windows start
anywhere from one window before the image to its last grid cell and are cut to the image, so
that every pixel is painted equally often (windows that must lie inside would cover the centre
every step and the corners rarely); cut windows are smaller. The TV term, a sum over pixels,
is scaled up by the area ratio. Every run is scored, apart from its clock, by the
tutorial's loss of the whole image; the cost unit is one full-size evaluation (a crop step
counts its share of the area; its measured seconds are kept too).

    python -m benchmarks.crops --ref-loss 8.436e6      # 256 px, 300 evaluations' worth, ≈ 12 min
    python -m benchmarks.crops --size 128 --budget 100 --crops 0.5

Writes ``benchmarks/results/crops_<size>.json`` (or ``--out``) and prints a table: the whole
image's tutorial loss after equal cost for Adam on the whole image (the tutorial's recipe), Adam
on crops of each area, and nststudy's L-BFGS (the ``default`` preset's, 40 float16 pairs).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path
from typing import Any

import numpy as np

from .lowrank_vgg import race, tutorial_stage
from .run import RESULTS, machine_info


def crop_shape(shape: tuple[int, int], area: float, grid: int) -> tuple[int, int]:
    """A window of about ``area`` of ``shape``'s pixels, same aspect, sides whole multiples
    of ``grid`` (at least one, at most the image's)."""
    if min(shape) < grid:
        raise ValueError(f"a {shape[1]}×{shape[0]} px image is smaller than one {grid} px cell")
    side = math.sqrt(area)
    return tuple(  # type: ignore[return-value]
        min(n // grid * grid, max(grid, round(n * side / grid) * grid)) for n in shape
    )


def grid_of(stage: Any) -> int:
    """Pixels per position of the content layer: 2 ** the poolings before it (16 for
    ``block5_conv2``)."""
    (layer,) = stage.extractor.content_layers
    names = [each.name for each in stage.extractor._path]
    return 2 ** sum("pool" in name for name in names[: names.index(layer)])


def window_starts(n: int, window: int, grid: int) -> np.ndarray:
    """First rows (or columns) of the windows to draw from, equally likely: on the grid, from
    ``grid - window`` (only its last cell inside) to the last whole grid cell ``m - grid``, where
    ``m = n // grid * grid`` (only its first). A window is then cut to ``[max(start, 0),
    min(start + window, m))``, and every grid cell lies in exactly ``window / grid`` of them."""
    return np.arange(grid - window, n // grid * grid - grid + 1, grid)


def crop_evaluator(stage: Any, area: float) -> Any:
    """``f(x_crop, content_target) -> (loss, gradient)``: the tutorial's loss of one window
    (``(1, h, w, 3)`` RGB in [0, 1], any size on the grid) against the whole style Grams and the
    photo's features at the window's positions; its TV term times ``area`` / the window's."""
    import tensorflow as tf

    from nststudy.images import to_vgg
    from nststudy.objective import Targets, compute_losses

    (layer,) = stage.extractor.content_layers
    spec = tf.TensorSpec([1, None, None, 3], tf.float32)

    @tf.function(input_signature=[spec, tf.TensorSpec(None, tf.float32)])
    def loss_and_grad(x: Any, content: Any) -> tuple[Any, Any]:
        with tf.GradientTape() as tape:
            tape.watch(x)
            targets = Targets({layer: content}, stage.targets.grams)
            losses = compute_losses(to_vgg(x), stage.extractor, targets, stage.config)
            pixels = tf.cast(tf.shape(x)[1] * tf.shape(x)[2], tf.float32)
            total = losses["total"] + (area / pixels - 1.0) * losses["tv"]
        return total, tape.gradient(total, x)

    return loss_and_grad


def adam_race(
    stage: Any, photo: np.ndarray, area: float | None, budget: float, every: float, seed: int = 0
) -> dict[str, Any]:
    """The tutorial's Adam (lr 0.02, β1 0.99, ε 0.1, clipped to [0, 1]) from the photo, on the
    whole image (``area=None``) or on a fresh random window of ``area`` each step, until
    ``budget`` full-size evaluations' worth; the whole image scored every ``every`` of them."""
    import keras
    import tensorflow as tf

    from nststudy.config import get_preset

    tut = get_preset("tutorial")
    opt = keras.optimizers.Adam(tut.learning_rate, beta_1=tut.adam_beta1, epsilon=tut.adam_epsilon)
    x = tf.Variable(photo[None].astype(np.float32))
    full = photo.shape[:2]
    pixels = full[0] * full[1]
    grid = grid_of(stage)
    window = full if area is None else crop_shape(full, area, grid)
    starts = [window_starts(n, c, grid) for n, c in zip(full, window, strict=True)]
    (layer,) = stage.extractor.content_layers
    content = stage.targets.content[layer]
    evaluate = crop_evaluator(stage, pixels) if area is not None else None
    if evaluate is not None:  # traced (once: any window size) before the clock starts
        evaluate(tf.convert_to_tensor(x[:, :grid, :grid]), content[:, :1, :1])
    rng = np.random.default_rng(seed)
    cost, spent, steps, trace = 0.0, 0.0, 0, []
    next_score = 0.0
    while True:
        if cost >= next_score - 1e-9:  # scored apart from the clock
            score = stage.loss_and_grad(tf.convert_to_tensor(x))[0]["total"]
            trace.append([round(cost, 3), float(score), spent])
            next_score += every
        if cost >= budget - 1e-9:
            break
        start = time.perf_counter()
        if evaluate is None:
            grad, share = stage.loss_and_grad(tf.convert_to_tensor(x))[1], 1.0
        else:
            (top, bottom), (left, right) = (
                (max(int(first), 0), min(int(first) + c, n // grid * grid))
                for first, c, n in zip((rng.choice(a) for a in starts), window, full, strict=True)
            )
            part = x[:, top:bottom, left:right]
            cells = content[:, top // grid : bottom // grid, left // grid : right // grid]
            _, g = evaluate(tf.convert_to_tensor(part), cells)
            pad = [[0, 0], [top, full[0] - bottom], [left, full[1] - right], [0, 0]]
            grad, share = tf.pad(g, pad), (bottom - top) * (right - left) / pixels
        opt.apply_gradients([(grad, x)])
        x.assign(tf.clip_by_value(x, 0.0, 1.0))
        spent += time.perf_counter() - start
        cost += share
        steps += 1
    return {
        "window": list(window),
        "share": window[0] * window[1] / pixels,
        "steps": steps,
        "seconds": spent,
        "trace": trace,
    }


def loss_at(trace: list[list[float]], cost: float) -> float:
    """The score of the first entry at or past ``cost`` (``[cost, loss, …]`` rows)."""
    return next((t[1] for t in trace if t[0] >= cost - 1e-9), float("nan"))


def reached(trace: list[list[float]], ref: float) -> float | None:
    """The cost at which the score first reached ``ref`` (``None``: not within the run)."""
    return next((t[0] for t in trace if t[1] <= ref), None) if ref > 0 else None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.crops", description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="longest side, px")
    parser.add_argument("--budget", type=float, default=300, help="full-size evaluations' worth")
    parser.add_argument("--every", type=float, default=25, help="score every this much cost")
    parser.add_argument("--crops", default="0.5,0.25", help="window areas, as image shares")
    parser.add_argument("--ref-loss", type=float, default=0.0, help="L_ref at this size")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    areas = [float(a) for a in args.crops.split(",") if a.strip()]
    if not all(0 < a < 1 for a in areas):
        parser.error(f"--crops: image shares between 0 and 1, got {args.crops!r}")
    out = args.out or RESULTS / f"crops_{args.size}.json"
    stage, photo, _ = tutorial_stage(args.size)
    stage.loss_and_grad(photo[None].astype(np.float32))  # traced before any clock
    from nststudy._lean import lean_gradient

    result: dict[str, Any] = {"size": args.size, "shape": list(photo.shape[:2]), "runs": {}}
    result["lean_gradient"] = lean_gradient()  # which image gradient the evaluations ran
    runs = result["runs"]
    runs["adam, whole image (tutorial)"] = adam_race(stage, photo, None, args.budget, args.every)
    for area in areas:
        runs[f"adam, crops of {area:g}"] = adam_race(stage, photo, area, args.budget, args.every)
    lbfgs = race(stage, stage, photo, 0.0, int(args.budget))  # the whole budget, like the rest
    trace = [[t[0], t[1], t[3]] for t in lbfgs["trace"]]
    runs["L-BFGS (default preset's)"] = {**lbfgs, "steps": len(trace), "trace": trace}
    for run in runs.values():
        run["to_ref"] = reached(run["trace"], args.ref_loss)
    result["ref_loss"] = args.ref_loss or None
    result["machine"] = machine_info()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    marks = sorted({m for m in (25, 50, 100, 200, 300) if m < args.budget} | {args.budget})
    head = f"{'run':34}{'window':>10}{'steps':>7}{'s':>7}"
    marks_head = "".join(f"{f'@ {m:g}':>11}" for m in marks)
    print(f"{head}{marks_head}{'to L_ref':>10}   (whole-image loss after a cost)")
    for name, run in runs.items():
        window = "x".join(map(str, run.get("window", photo.shape[:2])))
        row = "".join(f"{loss_at(run['trace'], m):>11.4g}" for m in marks)
        reach = "-" if run["to_ref"] is None else f"{run['to_ref']:g}"
        print(f"{name:34}{window:>10}{run['steps']:>7}{run['seconds']:>7.0f}{row}{reach:>10}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
