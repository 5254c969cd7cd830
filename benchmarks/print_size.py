"""Print-size benchmark: time and peak memory of a tiled print job.

    python -m benchmarks.print_size --size 2048   # → benchmarks/results/print_2048.json
    python -m benchmarks.print_size --size 3000 --tile 512
    python -m benchmarks.print_size --save-painting /tmp/p.png --max-tiles 1   # paint once...
    python -m benchmarks.print_size --painting /tmp/p.png --max-tiles 4        # ...time tiles
    python -m benchmarks.print_size --painting /tmp/p.png --max-tiles 4 --first-step unit

The job runs in a child process so its peak resident memory (``ru_maxrss``) is its own: paint
at the working size with :func:`nststudy.stylize`, then :func:`nststudy.tiles.refine_tiled` up
to ``--size`` (tile side from :func:`nststudy.tiles.auto_tile` unless ``--tile``). Photo and
style are ``$NSTSTUDY_SAMPLES_DIR/{tubingen,starry_night}.jpg`` when present, else skimage's
astronaut and nststudy's procedural "swirl". Wall time depends on what else runs on the
machine: the load average and CPU seconds are recorded too, and per tile its evaluations and
loss before/after (``--first-step unit`` turns off the warm first step of each tile's L-BFGS,
to compare).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import platform
import queue as queue_module
import resource
import sys
import time
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def _inputs() -> tuple[object, object, str]:
    from nststudy.images import load_image

    folder = Path(os.environ.get("NSTSTUDY_SAMPLES_DIR", "/nonexistent"))
    photo, style = folder / "tubingen.jpg", folder / "starry_night.jpg"
    if photo.is_file() and style.is_file():
        return load_image(photo), load_image(style), "tubingen + starry_night"
    from skimage import data

    from nststudy.samples import make_style

    return load_image(data.astronaut()), make_style("swirl", 512), "astronaut + swirl"


def _job(args: argparse.Namespace, queue: mp.Queue) -> None:
    try:
        queue.put(_paint(args))
    except BaseException as err:
        queue.put({"error": f"{type(err).__name__}: {err}"})
        raise


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _paint(args: argparse.Namespace) -> dict:
    from nststudy import tiles
    from nststudy.config import PRESETS
    from nststudy.images import load_image, save_image
    from nststudy.stylize import stylize
    from nststudy.tiles import auto_tile, refine_tiled

    real, per_tile = tiles.run_lbfgs, []

    def counted(stage, init, steps, *rest, **kwargs):  # the tile optimiser, observed
        if args.first_step == "unit":
            kwargs.pop("initial_scale", None)
        t = time.perf_counter()
        out = real(stage, init, steps, *rest, **kwargs)
        per_tile.append({
            "seconds": round(time.perf_counter() - t, 1), "evaluations": out.evaluations,
            "initial_loss": out.initial_loss, "final_loss": out.best_loss,
            "initial_scale": kwargs.get("initial_scale"),
        })  # fmt: skip
        return out

    tiles.run_lbfgs = counted

    photo, style, names = _inputs()
    config = PRESETS[args.preset]
    if args.work or args.paint_steps:
        config = config.at_size(args.work or config.size, steps=args.paint_steps)
    t0 = time.perf_counter()
    if args.painting:  # an earlier run's painting: time the tiles only
        painting = load_image(args.painting)
    else:
        painting = stylize(photo, style, config).image
        if args.save_painting:
            save_image(args.save_painting, painting)
    t1, cpu_paint = time.perf_counter(), _cpu()
    print(f"painted at {config.size} px in {t1 - t0:.0f} s", file=sys.stderr, flush=True)
    tile = args.tile or auto_tile(painting.shape, args.size, args.overlap)
    marks: list[tuple[float, float]] = []  # (wall, cpu) after each tile
    n_tiles = [0]

    def progress(done: int, total: int, canvas: object) -> bool:
        marks.append((time.perf_counter(), _cpu()))
        n_tiles[0] = total
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        last = per_tile[-1] if per_tile else {}
        print(
            f"tile {done}/{total}  {marks[-1][0] - t1:.0f} s  cpu {marks[-1][1]:.0f} s  "
            f"peak RSS {peak / 1e9:.2f} GB  evaluations {last.get('evaluations')}  loss "
            f"{last.get('initial_loss', 0):.4g} -> {last.get('final_loss', 0):.4g}",
            file=sys.stderr,
            flush=True,
        )
        return bool(args.max_tiles) and done >= args.max_tiles

    out = refine_tiled(
        painting,
        photo,
        style,
        config,
        args.size,
        tile=tile,
        overlap=args.overlap,
        steps=args.steps,
        callback=progress,
    )
    t2 = time.perf_counter()
    if args.save_print:  # to compare prints made with other settings (not timed)
        save_image(args.save_print, out)
    # Tile 1 also pays for the whole-image style Grams and the trace; later tiles are steady.
    steady = len(marks) - 1
    per_tile_cpu = (marks[-1][1] - marks[0][1]) / steady if steady else float("nan")
    per_tile_wall = (marks[-1][0] - marks[0][0]) / steady if steady else float("nan")
    first_tile_cpu = marks[0][1] - cpu_paint
    return {
        "inputs": names,
        "tile": tile,
        "painting_from": str(args.painting) if args.painting else None,
        "output_shape": list(out.shape),
        "working_size": config.size,
        "precision": config.resolved().precision,
        "working_steps": list(config.steps),
        "tiles_done": len(marks),
        "tiles_total": n_tiles[0],
        "paint_seconds": None if args.painting else round(t1 - t0, 1),
        "refine_seconds": round(t2 - t1, 1),
        "paint_cpu_seconds": round(cpu_paint, 1),
        "first_tile_cpu_seconds": round(first_tile_cpu, 1),
        "cpu_seconds_per_tile": round(per_tile_cpu, 1),
        "wall_seconds_per_tile": round(per_tile_wall, 1),
        "cpu_seconds": round(_cpu(), 1),
        "full_refine_cpu_seconds_estimate": round(
            first_tile_cpu + per_tile_cpu * (n_tiles[0] - 1), 1
        ),
        "first_step": args.first_step,
        "per_tile": per_tile,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048, help="print's longest side, px")
    parser.add_argument("--tile", type=int, default=None, help="tile side (default: auto)")
    parser.add_argument("--overlap", type=int, default=64)
    parser.add_argument(
        "--steps", type=int, default=None, help="L-BFGS steps per tile (default: nststudy's)"
    )
    parser.add_argument("--preset", default="default")
    parser.add_argument("--work", type=int, default=None, help="working size (preset's if unset)")
    parser.add_argument("--threads", type=int, default=2, help="TensorFlow/BLAS threads")
    parser.add_argument("--paint-steps", type=int, default=None, help="working-size steps")
    parser.add_argument("--max-tiles", type=int, default=0, help="stop after N tiles (>= 2)")
    parser.add_argument("--painting", type=Path, help="use this working-size painting")
    parser.add_argument("--save-painting", type=Path, help="save the painting here (PNG)")
    parser.add_argument("--save-print", type=Path, help="save the refined print here (PNG)")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    parser.add_argument(
        "--first-step",
        choices=["warm", "unit"],
        default="warm",
        help="each tile's first L-BFGS step: from the last tile's curvature (as nststudy "
        "does) or from a unit step (as before session 9)",
    )
    args = parser.parse_args(argv)
    if args.steps is None:
        from nststudy._tile_grid import TILE_STEPS  # (no TensorFlow in this process)

        args.steps = TILE_STEPS
    for var in ("OMP_NUM_THREADS", "TF_NUM_INTRAOP_THREADS", "TF_NUM_INTEROP_THREADS"):
        os.environ[var] = str(args.threads if "INTEROP" not in var else 1)
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    load_before = os.getloadavg()[0]
    start = time.perf_counter()
    child = ctx.Process(target=_job, args=(args, queue))
    child.start()
    result = None
    while result is None:  # a child killed (the OOM killer: SIGKILL) puts nothing on the queue
        try:
            result = queue.get(timeout=5)
        except queue_module.Empty:
            if child.exitcode is not None:  # (its last words may have come meanwhile)
                try:
                    result = queue.get(timeout=1)
                except queue_module.Empty:
                    result = {"error": f"the child process died (exit code {child.exitcode})"}
    child.join()
    if "error" in result:
        raise SystemExit(f"the print job failed: {result['error']}")
    wall = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024  # Linux: KiB
    from nststudy.tiles import estimate_memory

    h, w = result["output_shape"][:2]
    record = {
        "size": args.size,
        "overlap": args.overlap,
        "steps_per_tile": args.steps,
        "preset": args.preset,
        "threads": args.threads,
        **result,
        "wall_seconds": round(wall, 1),
        "peak_rss_bytes": peak,
        "peak_rss_gb": round(peak / 1e9, 2),
        "estimate_gb": round(
            estimate_memory(args.size, result["tile"], min(h, w) / max(h, w)) / 1e9, 2
        ),
        "load_average_before": round(load_before, 1),
        "load_average_after": round(os.getloadavg()[0], 1),
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
    }
    rows = [(k, v) for k, v in record.items() if k != "per_tile"]
    width = max(len(k) for k, _ in rows)
    print("\n".join(f"{k:<{width}}  {v}" for k, v in rows))
    out = args.out or RESULTS / f"print_{args.size}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=2) + "\n")
    print(f"wrote {out}")
    return record


if __name__ == "__main__":
    main()
