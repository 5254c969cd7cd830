"""Peak memory of ``nststudy.stylize`` against the model in ``nststudy.resources``.

Each size runs in its own child process: ``import tensorflow`` and nststudy, note the resident
memory (the floor), then paint with the ``default`` preset for a few L-BFGS iterations (the
default 45 fill its 40-pair history) and read the peak (``ru_maxrss``). The growth over the
floor is what :func:`nststudy.resources.estimate_stylize_memory` predicts; the table shows both.

    python -m benchmarks.memory                       # square 128, 256, 384, 512 px (minutes)
    python -m benchmarks.memory --sizes 256x256 384x512 --steps 45 --tag mine
    python -m benchmarks.memory --sizes 384x512 --steps 45 --mask --tag masked

``--mask`` paints with a mask (left half kept as the photo), whose masked style Grams hold a
scaled copy of every style layer's features.

Writes ``benchmarks/results/<tag>.json`` (default ``memory``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .run import machine_info

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_SIZES = ("128x128", "256x256", "384x384", "512x512", "384x512")


def _child(height: int, width: int, steps: int, masked: bool = False) -> dict[str, Any]:
    import resource

    import numpy as np
    import tensorflow as tf

    from nststudy import get_preset, stylize
    from nststudy.resources import estimate_stylize_memory

    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)

    def rss_mb() -> float:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20

    floor = rss_mb()
    rng = np.random.default_rng(0)  # a textured photo and style: the sizes are what matter
    photo = rng.uniform(0, 1, (height, width, 3)).astype(np.float32)
    style = rng.uniform(0, 1, (max(height, width),) * 2 + (3,)).astype(np.float32)
    config = get_preset("default").at_size(max(height, width), steps=steps)
    mask = None
    if masked:
        mask = np.ones((height, width), np.float32)
        mask[:, : width // 2] = 0.0
    start = time.process_time()
    result = stylize(photo, style, config, mask=mask)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "shape": [height, width],
        "steps": steps,
        "masked": masked,
        "evaluations": result.evaluations,
        "cpu_s_per_evaluation": (time.process_time() - start) / max(result.evaluations, 1),
        "floor_mb": floor,
        "peak_mb": peak,
        "growth_mb": peak - floor,
        "estimate_mb": estimate_stylize_memory(height, width, config) / 2**20,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.memory", description=__doc__)
    parser.add_argument("--sizes", nargs="+", default=DEFAULT_SIZES, help="HxW, e.g. 384x512")
    parser.add_argument(
        "--steps", type=int, default=45, help="L-BFGS iterations per size (> 40: history full)"
    )
    parser.add_argument("--tag", default="memory", help="name of the results file")
    parser.add_argument("--mask", action="store_true", help="paint with a half mask")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        height, width, steps, masked = json.loads(args.child)
        print(json.dumps(_child(height, width, steps, masked)))
        return 0
    rows = []
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
    for size in args.sizes:
        height, width = (int(v) for v in size.lower().split("x"))
        cmd = [sys.executable, "-m", "benchmarks.memory", "--child"]
        cmd.append(json.dumps([height, width, args.steps, args.mask]))
        done = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        rows.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print("| H×W | peak RSS MB | floor MB | growth MB | model MB | model / growth | CPU s/eval |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        h, w = r["shape"]
        print(
            f"| {h}×{w} | {r['peak_mb']:.0f} | {r['floor_mb']:.0f} | {r['growth_mb']:.0f} | "
            f"{r['estimate_mb']:.0f} | {r['estimate_mb'] / r['growth_mb']:.2f} | "
            f"{r['cpu_s_per_evaluation']:.2f} |"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / f"{args.tag}.json"
    out.write_text(json.dumps({"machine": machine_info(), "rows": rows}, indent=1) + "\n")
    print(f"wrote {out.relative_to(Path.cwd()) if out.is_relative_to(Path.cwd()) else out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
