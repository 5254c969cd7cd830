"""The optimiser's own time per L-BFGS iteration, without the loss: how float16 pairs widen.

The ``default`` preset keeps 40 curvature pairs in float16 (``nststudy.lbfgs``). Every
iteration's two-loop recursion widens each stored vector to float32 twice (4 vectors per
pair): at 384×512 that is 161 conversions of 590k values. NumPy's ``astype`` converts float16
one value at a time; ``nststudy.lbfgs._widen`` looks every value up in a 256 KB table instead,
bit for bit the same. This script times one direction (``_Memory.direction``) with full
memory both ways, *alternately* in one process so machine noise hits both alike, checks the
directions are identical, and times one conversion of each kind.

    python -m benchmarks.lbfgs_step                  # 384×512, 40 float16 pairs, ≈ 5 s
    python -m benchmarks.lbfgs_step --shape 192 256 --repeats 3

Writes ``benchmarks/results/lbfgs_step_<H>x<W>.json`` (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

import numpy as np

from nststudy import lbfgs

from .run import RESULTS, machine_info


def _astype(v: np.ndarray) -> np.ndarray:
    """NumPy's own widening: what ``nststudy.lbfgs`` did before session 15's table lookup."""
    return v.astype(np.float32)


def measure(shape: tuple[int, ...], pairs: int, repeats: int) -> dict[str, Any]:
    """Median seconds of one direction, and mean seconds of one conversion (20 calls), with
    each widening."""
    rng = np.random.default_rng(0)
    memory = lbfgs._Memory(pairs, shape, np.float16)
    for _ in range(pairs):  # curvature pairs like a painting's: y ≈ s plus noise
        s = rng.normal(size=shape).astype(np.float32)
        memory.add(s, s + 0.1 * rng.normal(size=shape).astype(np.float32))
    g = rng.normal(size=shape).astype(np.float32)
    free = (rng.uniform(size=shape) > 0.02).astype(np.float32)  # a few pixels held
    widen = lbfgs._widen
    times: dict[str, list[float]] = {"astype": [], "table": []}
    directions = {}
    try:
        for _ in range(repeats):
            for name, fn in (("astype", _astype), ("table", widen)):
                lbfgs._widen = fn
                start = time.perf_counter()
                directions[name] = memory.direction(g, free)
                times[name].append(time.perf_counter() - start)
    finally:
        lbfgs._widen = widen
    half = memory.s[0]
    convert = {}
    for name, fn in (("astype", _astype), ("table", widen)):
        start = time.perf_counter()
        for _ in range(20):
            fn(half)
        convert[name] = (time.perf_counter() - start) / 20
    return {
        "shape": list(shape),
        "pairs": pairs,
        "repeats": repeats,
        "direction_s": {k: statistics.median(v) for k, v in times.items()},
        "direction_all_s": times,
        "conversion_s": convert,
        "identical": bool(np.array_equal(directions["astype"], directions["table"])),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lbfgs_step", description=__doc__)
    parser.add_argument("--shape", type=int, nargs=2, default=[384, 512], help="H W")
    parser.add_argument("--pairs", type=int, default=40, help="float16 pairs kept")
    parser.add_argument("--repeats", type=int, default=7, help="directions per variant")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    out = args.out or RESULTS / f"lbfgs_step_{args.shape[0]}x{args.shape[1]}.json"
    result = measure((*args.shape, 3), args.pairs, args.repeats)
    result["machine"] = machine_info()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    d, c = result["direction_s"], result["conversion_s"]
    print(f"{'widening':<10} {'one direction':>14} {'one conversion':>15}")
    for name in ("astype", "table"):
        print(f"{name:<10} {d[name]:>12.3f} s {c[name] * 1e3:>12.2f} ms")
    print(f"directions identical: {result['identical']}; speed-up {d['astype'] / d['table']:.2f}×")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
