"""L-BFGS with a per-pixel starting curvature instead of one number: fewer evaluations?

nststudy's two-loop recursion starts from ``H₀ = γ·I``, ``γ = s·y / y·y`` of the newest pair:
one inverse curvature for all 590k pixels. Textured and flat parts of a painting curve very
differently, so a *diagonal* ``H₀ = D`` might need fewer evaluations. This script tries the
diagonal BFGS update of Gilbert & Lemaréchal (1989, the ``M1QN3`` code's scaling): after each
kept pair, ``D`` is rescaled so that ``y·D·y = s·y`` (Oren–Spedicato), then its inverse ``B``
takes the diagonal of a BFGS update, ``Bᵢ ← Bᵢ − (Bᵢ sᵢ)² / s·B·s + yᵢ² / s·y``. It costs one
more image-sized vector. Both variants run nststudy's L-BFGS (40 float16 pairs, from the
photo) on the tutorial's loss; the table gives the loss after given evaluation counts.

    python -m benchmarks.lbfgs_diagonal                    # 128 px, 150 evaluations, ≈ 2 min
    python -m benchmarks.lbfgs_diagonal --size 256 --max-evaluations 400 --ref-loss 8.408e6
    python -m benchmarks.lbfgs_diagonal --size 512 --max-evaluations 400 --ref-loss 5.297e6 \
        --variants diagonal      # ≈ 15 min; the scalar γ took 255 (session 12)

Two more variants (session 24) change where the two-loop recursion zeroes held pixels: nststudy
masks ``q`` after each update of the first loop and once at the end, which makes ``−d`` not
quite a symmetric operator applied to ``g``; ``masked`` masks after every update of both loops
(the pairs restricted to the free pixels), ``projected`` only at the start and the end
(``Z·H·Z·g``, symmetric and positive semi-definite):

    python -m benchmarks.lbfgs_diagonal --size 256 --max-evaluations 400 --ref-loss 8.408e6 \
        --variants scalar,masked,projected

Writes ``benchmarks/results/lbfgs_diagonal_<size>.json`` (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from nststudy import lbfgs

from .lowrank_vgg import race, tutorial_stage
from .run import RESULTS, machine_info


class DiagonalMemory(lbfgs._Memory):
    """``nststudy.lbfgs._Memory`` whose recursion starts from a diagonal ``D``, not ``γ·I``."""

    def __init__(self, m: int, shape: tuple[int, ...], dtype: type = np.float32) -> None:
        super().__init__(m, shape, dtype)
        self.diagonal: np.ndarray | None = None

    def add(self, s: np.ndarray, y: np.ndarray) -> None:
        kept = list(self.order), self.rho.copy()
        super().add(s, y)
        if self.order == kept[0] and np.array_equal(self.rho, kept[1]):
            return  # the pair was refused (s·y not positive): D stays
        sy, yy = lbfgs._dot(s, y), lbfgs._dot(y, y)
        d = self.diagonal if self.diagonal is not None else np.full(s.shape, sy / yy, np.float32)
        d = d * np.float32(sy / lbfgs._dot(y, d * y))  # y·D·y = s·y
        b = 1.0 / d
        b = b - (b * s) ** 2 / np.float32(lbfgs._dot(s, b * s)) + y * y / np.float32(sy)
        self.diagonal = (1.0 / np.maximum(b, 1e-6 / d)).astype(np.float32)

    def start(self, q: np.ndarray) -> None:
        if self.diagonal is None or not self.order:
            super().start(q)
        else:
            q *= self.diagonal


class MaskedMemory(lbfgs._Memory):
    """The recursion with held pixels zeroed after every update of both loops."""

    def direction(self, g: np.ndarray, free: np.ndarray) -> np.ndarray:
        return _two_loop(self, g, free, every=True)


class ProjectedMemory(lbfgs._Memory):
    """``Z·H·Z·g``: held pixels zeroed only before the recursion and after it."""

    def direction(self, g: np.ndarray, free: np.ndarray) -> np.ndarray:
        return _two_loop(self, g, free, every=False)


def _two_loop(pairs: lbfgs._Memory, g: np.ndarray, free: np.ndarray, every: bool) -> np.ndarray:
    q, alphas = g * free, []
    for i in reversed(pairs.order):
        a = pairs.rho[i] * lbfgs._dot(pairs.vector(pairs.s, i), q)
        q -= np.float32(a) * pairs.vector(pairs.y, i)
        if every:
            q *= free
        alphas.append(a)
    pairs.start(q)
    for i, a in zip(pairs.order, reversed(alphas), strict=True):
        b = pairs.rho[i] * lbfgs._dot(pairs.vector(pairs.y, i), q)
        q += np.float32(a - b) * pairs.vector(pairs.s, i)
        if every:
            q *= free
    q *= free
    return np.negative(q, out=q)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.lbfgs_diagonal", description=__doc__
    )
    parser.add_argument("--size", type=int, default=128, help="longest side, px")
    parser.add_argument("--max-evaluations", type=int, default=150)
    parser.add_argument("--ref-loss", type=float, default=0.0, help="stop at this loss (L_ref)")
    parser.add_argument(
        "--variants",
        default="scalar,diagonal",
        help="which to run (scalar, diagonal, masked, projected)",
    )
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    out = args.out or RESULTS / f"lbfgs_diagonal_{args.size}.json"
    stage, photo, _ = tutorial_stage(args.size)
    result: dict[str, Any] = {"size": args.size, "shape": list(photo.shape[:2])}
    memory = lbfgs._Memory
    stage.loss_and_grad(photo[None].astype(np.float32))  # traced before either run's clock
    variants = {
        "scalar": memory, "diagonal": DiagonalMemory,
        "masked": MaskedMemory, "projected": ProjectedMemory,
    }  # fmt: skip
    chosen = [v.strip() for v in args.variants.split(",") if v.strip()]
    if not chosen or set(chosen) - set(variants):
        parser.error(f"--variants: choose from {', '.join(variants)}, got {args.variants!r}")
    for name in chosen:
        lbfgs._Memory = variants[name]
        try:
            result[name] = race(stage, stage, photo, args.ref_loss, args.max_evaluations)
        finally:
            lbfgs._Memory = memory
    result["machine"] = machine_info()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    top = args.max_evaluations
    marks = sorted({n for n in (25, 50, 100, 150, 200, 300, 400) if n < top} | {top})
    print(f"{'H0':<9}" + "".join(f"{f'loss @ {n}':>13}" for n in marks))
    for name in chosen:
        trace = result[name]["trace"]
        row = [next((t[1] for t in trace if t[0] >= n), float("nan")) for n in marks]
        hit = result[name]["to_ref"]
        reach = f"  L_ref after {hit['evaluations']} evaluations" if hit else ""
        print(f"{name:<9}" + "".join(f"{v:>13.4g}" for v in row) + reach)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
