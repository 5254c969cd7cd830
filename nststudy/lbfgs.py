"""L-BFGS with box bounds, in float32: the optimiser behind ``optimizer="lbfgs"``.

Gatys et al. painted with L-BFGS. nststudy first drove scipy's L-BFGS-B, which works in
float64: at 384×512 (590k variables) its workspace alone is ≈ 120 MB, it spends ≈ 5 s per call
setting up the per-pixel box in Python loops, and every evaluation converts the image and the
gradient to float64 and back. The loss itself is float32, so this module keeps everything in
float32 and small enough to read top to bottom.

The method is *projected* L-BFGS (in the spirit of Kim, Sra & Dhillon, "Tackling
box-constrained optimization via a new projected quasi-Newton approach", 2010):

1. Pixels sitting on a bound whose gradient pushes them further out are *held*; the others
   are *free*.
2. The two-loop recursion turns the gradient of the free pixels into a step ``d`` using the
   last ``memory`` pairs ``(s, y)`` (change of ``x``, change of the gradient), scaled by
   ``γ = s·y / y·y`` of the newest pair. Held pixels do not move.
3. A projected line search tries ``x + t·d`` clipped to the box, ``t = 1`` first, and accepts
   it when the loss drops enough (Armijo: ``f_new ≤ f + 10⁻⁴ · g·(x_new − x)``); otherwise it
   shrinks ``t`` (safeguarded quadratic interpolation). The very first step has no curvature
   to go by: it starts at ``t = 1 / ‖d‖`` and grows fourfold while the loss keeps falling
   steeply (like scipy's line search does on its first iteration).
4. The pair is kept only when the loss curved upwards along the step, ``s·y > 0`` — tested
   as ``cos(s, y) > 10⁻⁸``, which does not depend on the loss's scale (painting losses run
   from 10⁶ to 10¹²) — so the implied curvature stays positive.

The pairs can be stored in float16 (``history="float16"``): each vector divided by its largest
magnitude, with that scale kept aside, so nothing overflows (values under ≈ 6·10⁻⁵ of the
largest lose bits, under ≈ 3·10⁻⁸ of it become 0: too small to move a step). Half the memory buys
more pairs, and painting uses that (``Config.lbfgs_memory=40``, ``lbfgs_history=
"float16"``): rounding the pairs alone costs nothing measurable (256 px: 301 evaluations to the
reference loss against 298 in float32), while more pairs need fewer.

Measured on the tutorial's loss (``benchmarks/README.md``): to the reference loss at 384×512,
scipy's L-BFGS-B needed 388 evaluations (1636 MiB peak), this module with 10 float32 pairs 294
(1472 MiB, session 7), with 20 float16 pairs 271 (session 8), with 40 float16 pairs 255
(session 9; 1368 MiB without JAX, with ``malloc_trim`` after every step, session 12).

Everything is a NumPy array of ``x``'s shape; the objective is any function returning the loss
and its gradient, so the module does not know about TensorFlow.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["LbfgsResult", "Objective", "minimize_box"]

#: ``fun(x) -> (loss, gradient)``: ``x`` float32 of the start's shape, gradient the same shape.
Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]

_ARMIJO = 1e-4  # sufficient decrease
_CURVATURE = 0.9  # the first step grows while the slope stays this steep
_BACKTRACKS = 12  # line-search trials (+ _FIRST_GROWTHS) before giving up on a direction
_FIRST_GROWTHS = 6  # at most 4⁶ times the first trial step


@dataclass
class LbfgsResult:
    """How a run ended.

    Attributes:
        x: the last accepted point (float32, the start's shape); the loss never rises, so it is
            also the best one.
        loss: its loss.
        iterations: accepted steps.
        evaluations: calls of the objective (line-search trials included).
        stopped: ``"iterations"``, ``"evaluations"``, ``"callback"``, ``"converged"`` (no free
            pixel has a gradient), ``"line search"`` (no step lowers the loss, even along the
            gradient) or ``"non-finite"`` (the gradient holds NaN or infinity).
        scale: ``γ = s·y / y·y`` of the newest pair kept — the inverse curvature along the
            last step — or ``None`` when no pair was kept. Pass it as ``initial_scale`` to a
            similar problem (the next tile of a print) to size its first step.
    """

    x: np.ndarray
    loss: float
    iterations: int
    evaluations: int
    stopped: str
    scale: float | None = None


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.dot(a.ravel(), b.ravel()))


def _squeeze(v: np.ndarray, dtype: type) -> tuple[np.ndarray, float]:
    """``(v, 1)`` in float32; in float16 ``(v / max|v|, max|v|)``, which always fits."""
    if dtype == np.float32:
        return v, 1.0
    peak = np.float32(np.abs(v).max() or 1.0)
    return (v * (1 / peak)).astype(np.float16), peak


@functools.cache
def _half_table() -> np.ndarray:
    """Every float16 bit pattern's float32 value (256 KB), by NumPy's own conversion."""
    return np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16).astype(np.float32)


def _widen(v: np.ndarray) -> np.ndarray:
    """``v.astype(np.float32)``; for a (native-order) float16 array bit for bit, in ≈ 60 % of
    the time.

    NumPy widens float16 one value at a time (≈ 2.0 ns each on this project's CPU); a lookup
    in a table of all 65,536 values takes ≈ 1.15 ns. The two-loop recursion widens each stored
    vector twice per iteration: with 40 pairs at 384×512 that was 0.247 s of every iteration,
    now 0.151 s (``benchmarks/lbfgs_step.py``; a 512 px painting: ≈ 8 s less).
    """
    if v.dtype != np.float16:  # e.g. a float64 gradient, with float32 pairs
        return v.astype(np.float32)
    return np.take(_half_table(), v.view(np.uint16), mode="clip")


class _Memory:
    """The last ``m`` pairs ``(s, y)`` in two preallocated ring buffers.

    ``dtype=np.float16`` halves their memory (2·m vectors of ``x``'s size): each vector is
    stored divided by its largest magnitude (so float16's range always fits) with that scale
    kept aside, and ``ρ = 1 / s·y`` is taken from the stored, rounded vectors so that the
    recursion stays consistent with what it multiplies.
    """

    def __init__(self, m: int, shape: tuple[int, ...], dtype: type = np.float32) -> None:
        self.s = np.empty((m, *shape), dtype)
        self.y = np.empty((m, *shape), dtype)
        self.scale = np.ones((m, 2), np.float32)  # (s, y) scales; 1 for float32
        self.rho = np.zeros(m)
        self.order: list[int] = []  # slots, oldest first

    def add(self, s: np.ndarray, y: np.ndarray) -> None:
        """Keep the pair when ``s·y > 0`` as stored (scale-free: cos(s, y) > 10⁻⁸)."""
        stored = [_squeeze(v, self.s.dtype) for v in (s, y)]  # [(buffer value, scale), ...]
        s, y = (v if v.dtype == np.float32 else _widen(v) * k for v, k in stored)
        sy = _dot(s, y)
        if not sy > 1e-8 * np.sqrt(_dot(s, s) * _dot(y, y)):
            return
        m = len(self.rho)
        slot = self.order.pop(0) if len(self.order) == m else len(self.order)
        (self.s[slot], self.scale[slot, 0]), (self.y[slot], self.scale[slot, 1]) = stored
        self.rho[slot] = 1.0 / sy
        self.order.append(slot)

    def gamma(self) -> float | None:
        """``s·y / y·y`` of the newest pair, or ``None`` without pairs."""
        if not self.order:
            return None
        newest = self.vector(self.y, self.order[-1])
        return float(1.0 / (self.rho[self.order[-1]] * _dot(newest, newest)))

    def vector(self, buf: np.ndarray, i: int) -> np.ndarray:
        """Pair ``i``'s ``s`` or ``y`` (``buf`` = ``self.s`` / ``self.y``) in float32."""
        if buf.dtype == np.float32:
            return buf[i]
        wide = _widen(buf[i])
        wide *= self.scale[i, 0 if buf is self.s else 1]
        return wide

    def start(self, q: np.ndarray) -> None:
        """``q ← H₀·q`` in place, between the recursion's two loops: ``H₀ = γ·I`` (a variant
        with another ``H₀`` overrides this; ``benchmarks/lbfgs_diagonal.py``)."""
        if self.order:
            q *= np.float32(self.gamma())

    def direction(self, g: np.ndarray, free: np.ndarray) -> np.ndarray:
        """``−H·g`` over the free pixels (two-loop recursion); 0 where pixels are held."""
        q = g * free
        alphas = []
        for i in reversed(self.order):
            a = self.rho[i] * _dot(self.vector(self.s, i), q)
            q -= np.float32(a) * self.vector(self.y, i)
            q *= free
            alphas.append(a)
        self.start(q)
        for i, a in zip(self.order, reversed(alphas), strict=True):
            b = self.rho[i] * _dot(self.vector(self.y, i), q)
            q += np.float32(a - b) * self.vector(self.s, i)
        q *= free
        return np.negative(q, out=q)


def minimize_box(
    fun: Objective,
    x0: np.ndarray,
    low: np.ndarray | float,
    high: np.ndarray | float,
    *,
    max_iterations: int,
    max_evaluations: int | None = None,
    memory: int = 10,
    history: str = "float32",
    callback: Callable[[np.ndarray, float], bool] | None = None,
    initial_scale: float | None = None,
) -> LbfgsResult:
    """Minimise ``fun`` over the box ``low ≤ x ≤ high`` with projected L-BFGS.

    Args:
        fun: the objective, ``x -> (loss, gradient)``.
        x0: the start, any shape (e.g. an image ``(1, H, W, 3)``); clipped into the box.
        low, high: the bounds, broadcastable to ``x0`` (e.g. per channel, shape ``(3,)``).
        max_iterations: accepted steps at most.
        max_evaluations: calls of ``fun`` at most (default: ``2 · max_iterations + 10``).
        memory: pairs kept for the curvature estimate (scipy's default, 10).
        history: ``"float32"`` or ``"float16"``: how the pairs are stored (float16: half the
            memory, so twice the pairs for the same bytes; see ``_Memory``).
        callback: ``callback(x, loss)`` after each accepted step; ``True`` stops the run.
        initial_scale: the first step's multiple of the negative gradient (the step is
            ``initial_scale · ‖g‖`` long), usually
            :attr:`LbfgsResult.scale` of a similar problem solved before (each tile of a
            print: same shape, same loss). Without it the first step starts at unit length
            and grows fourfold while the loss keeps falling steeply; with it the search
            starts where the last problem's curvature says (and still grows or shrinks from
            there). On a print's tiles that made a better first step at the same number of
            evaluations: each tile 0.7–1.5 % lower after 10 steps.

    Returns:
        An :class:`LbfgsResult`. Exceptions raised by ``fun`` (e.g. ``KeyboardInterrupt``)
        propagate; keep the best point yourself if you need it then.
    """
    if max_iterations < 0 or memory < 1:
        raise ValueError("max_iterations must be ≥ 0 and memory ≥ 1")
    if history not in ("float32", "float16"):
        raise ValueError(f'history must be "float32" or "float16", got {history!r}')
    if initial_scale is not None and not (np.isfinite(initial_scale) and initial_scale > 0):
        raise ValueError(f"initial_scale must be a positive number, got {initial_scale!r}")
    budget = 2 * max_iterations + 10 if max_evaluations is None else max_evaluations
    low, high = np.asarray(low, np.float32), np.asarray(high, np.float32)  # trials stay float32
    x = np.clip(np.asarray(x0, np.float32), low, high)
    f, g = fun(x)
    evaluations, iterations = 1, 0
    # a run of n iterations keeps at most n pairs (a 10-step print tile: 10, not 40)
    slots = min(memory, max(max_iterations, 1))
    pairs = _Memory(slots, x.shape, np.float16 if history == "float16" else np.float32)

    def end(stopped: str) -> LbfgsResult:
        return LbfgsResult(x, f, iterations, evaluations, stopped, pairs.gamma())

    while True:
        if iterations >= max_iterations:
            return end("iterations")
        held = ((x <= low) & (g > 0)) | ((x >= high) & (g < 0))
        free = (~held).astype(np.float32)
        d = pairs.direction(g, free)  # with no pairs: the negative gradient
        slope = _dot(g, d)
        if not np.isfinite(slope):  # a NaN or infinite gradient: no trial could be judged
            return end("non-finite")
        if slope >= 0 and pairs.order:  # not downhill: forget the curvature, start afresh
            pairs.order.clear()
            d = pairs.direction(g, free)
            slope = _dot(g, d)
        if slope >= 0:
            return end("converged")
        first = not pairs.order  # no curvature to size the step: search for its length
        t = 1.0 / max(np.sqrt(_dot(d, d)), 1e-30) if first else 1.0
        if first and iterations == 0 and initial_scale is not None:
            t = initial_scale  # d = −g here: the step an earlier, similar problem's γ implies
        step = _line_search(fun, x, f, g, d, slope, low, high, t, first, budget - evaluations)
        evaluations += step.evaluations
        if step.x is None:
            if pairs.order:  # the curvature estimate misled us: retry along the gradient
                pairs.order.clear()
                continue
            stopped = "evaluations" if evaluations >= budget else "line search"
            return end(stopped)
        pairs.add(step.x - x, step.g - g)
        x, f, g = step.x, step.f, step.g
        iterations += 1
        if callback is not None and callback(x, f):
            return end("callback")
        if evaluations >= budget:
            return end("evaluations")


@dataclass
class _Step:
    x: np.ndarray | None
    f: float
    g: np.ndarray | None
    evaluations: int


def _line_search(
    fun: Objective,
    x: np.ndarray,
    f: float,
    g: np.ndarray,
    d: np.ndarray,
    slope: float,
    low: np.ndarray,
    high: np.ndarray,
    t: float,
    first: bool,
    budget: int,
) -> _Step:
    """Projected backtracking along ``d`` (``slope = g·d < 0``), growing on the first step;
    ``_Step.x`` is None on failure."""
    good = _Step(None, f, None, 0)  # the best accepted trial so far (first step only)
    used = 0
    for _ in range(_BACKTRACKS + _FIRST_GROWTHS):
        if used >= budget:
            break
        trial = np.clip(x + np.float32(t) * d, low, high)
        ft, gt = fun(trial)
        used += 1
        # lower, and by Armijo's margin (a step that float32 rounds to x itself, or that the
        # box turned uphill, is no step: without `ft < f` it was taken again and again)
        if np.isfinite(ft) and ft < f and ft <= f + _ARMIJO * _dot(g, trial - x):
            if not first:
                return _Step(trial, ft, gt, used)
            if ft >= good.f:  # growing stopped paying: keep the shorter step
                break
            good = _Step(trial, ft, gt, used)
            if _dot(gt, d) >= _CURVATURE * slope or used > _FIRST_GROWTHS:
                break
            t *= 4.0  # still falling steeply along d: the step was too short
            continue
        if good.x is not None:  # a longer first step overshot: keep the last good one
            break
        if np.isfinite(ft) and ft - f > slope * t:  # minimiser of the quadratic, safeguarded
            t_new = -slope * t * t / (2.0 * (ft - f - slope * t))
            t = min(max(t_new, 0.1 * t), 0.5 * t)
        else:
            t *= 0.1
    good.evaluations = used
    return good
