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


class Chunked:
    """``_Memory.direction`` bit for bit, over blocks of ``chunk`` values on ``threads``
    threads (session 21): each stored vector is widened, scaled and applied block by block
    while the block is in cache, instead of pass after pass over 590k values; the dot
    products stay whole (NumPy's, as in the library), so the numbers cannot change."""

    def __init__(self, size: int, chunk: int = 1 << 14, threads: int = 1) -> None:
        from concurrent.futures import ThreadPoolExecutor

        blocks = [slice(a, min(a + chunk, size)) for a in range(0, size, chunk)]
        self.parts = [blocks[i::threads] for i in range(threads)]
        self.pool = ThreadPoolExecutor(threads) if threads > 1 else None
        self.scratch = np.empty(size, np.float32)
        self.tmp = [np.empty(chunk, np.float32) for _ in range(threads)]
        self.table = lbfgs._half_table()

    def close(self) -> None:
        """End the worker threads (if any)."""
        if self.pool is not None:
            self.pool.shutdown()

    def _widen(self, v16, k, blocks, _tmp) -> None:  # into the scratch, for a dot product
        for b in blocks:
            out = self.scratch[b]
            np.take(self.table, v16[b].view(np.uint16), out=out, mode="clip")
            out *= k

    def _apply(self, q, v16, k, a, free, blocks, tmp) -> None:  # q ← (q − a·v)·free or q + a·v
        for b in blocks:
            t = tmp[: b.stop - b.start]
            np.take(self.table, v16[b].view(np.uint16), out=t, mode="clip")
            t *= k
            t *= a
            if free is None:
                q[b] += t
            else:
                q[b] -= t
                q[b] *= free[b]

    def _run(self, fn, *args) -> None:
        if self.pool is None:
            fn(*args, self.parts[0], self.tmp[0])
            return
        jobs = [
            self.pool.submit(fn, *args, p, t) for p, t in zip(self.parts, self.tmp, strict=True)
        ]
        for job in jobs:
            job.result()

    def direction(self, m: lbfgs._Memory, g: np.ndarray, free: np.ndarray) -> np.ndarray:
        n = len(m.rho)
        s, y, fr = m.s.reshape(n, -1), m.y.reshape(n, -1), free.ravel()
        q = (g * free).ravel()
        alphas = []
        for i in reversed(m.order):
            self._run(self._widen, s[i], m.scale[i, 0])
            a = m.rho[i] * float(np.dot(self.scratch, q))
            self._run(self._apply, q, y[i], m.scale[i, 1], np.float32(a), fr)
            alphas.append(a)
        m.start(q)
        for i, a in zip(m.order, reversed(alphas), strict=True):
            self._run(self._widen, y[i], m.scale[i, 1])
            b = m.rho[i] * float(np.dot(self.scratch, q))
            self._run(self._apply, q, s[i], m.scale[i, 0], np.float32(a - b), None)
        q *= fr
        return np.negative(q, out=q).reshape(g.shape)


def measure(shape: tuple[int, ...], pairs: int, repeats: int) -> dict[str, Any]:
    """Median seconds of one direction, and mean seconds of one conversion (20 calls), with
    each widening; and the library's direction against :class:`Chunked` on one and on two
    threads."""
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
    size = int(np.prod(shape))
    chunked = {"chunked": Chunked(size), "chunked_2_threads": Chunked(size, threads=2)}
    blocks: dict[str, list[float]] = {"library": [], **{k: [] for k in chunked}}
    same = True
    try:
        for _ in range(repeats):
            for name in blocks:
                start = time.perf_counter()
                if name == "library":
                    d = memory.direction(g, free)
                else:
                    d = chunked[name].direction(memory, g, free)
                blocks[name].append(time.perf_counter() - start)
                same = same and bool(np.array_equal(d, directions["table"]))
    finally:
        for c in chunked.values():
            c.close()
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
        "blocks_s": {k: statistics.median(v) for k, v in blocks.items()},
        "blocks_identical": same,
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
    b = result["blocks_s"]
    print("in cache-sized blocks: " + ", ".join(f"{k} {v:.3f} s" for k, v in b.items()))
    print(f"  directions identical to the library's: {result['blocks_identical']}")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
