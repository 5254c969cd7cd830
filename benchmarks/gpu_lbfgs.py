"""nststudy's L-BFGS on a GPU: the library's own optimiser, and its algorithm ported to JAX.

``benchmarks.gpu`` times recipes on a lent GPU machine that has JAX but no TensorFlow. Two of
them run the optimiser the ``default`` preset paints with (:func:`nststudy.lbfgs.minimize_box`):

* ``nststudy``: the library's module itself (NumPy, on the host, 40 float16 pairs like the
  preset), each evaluation of the loss on the GPU. ``nststudy/lbfgs.py`` imports only NumPy, so
  it is loaded from its file, without the package (whose other modules want TensorFlow).
* ``nststudy-gpu`` (``-tf32``, ``-bf16``): :func:`minimize_box_device`, the same algorithm step
  for step — projected two-loop recursion, the same line search and its constants, the same
  pair test — with the pairs and every vector operation on the device. The host keeps only the
  bookkeeping and reads three numbers per evaluation and two per iteration. The pairs are
  float32, and so are ρ, the α's and γ (float64 in the library): float16 storage
  halves host memory on a small machine, which a GPU with 80–141 GB does not need (on the CPU
  the rounding alone cost nothing measurable: 301 evaluations to ``L_ref`` against 298).

``tests/test_benchmark_gpu.py`` checks the port against the library on a box-constrained
problem: the same iterations, evaluations and result.
"""

from __future__ import annotations

import functools
import importlib.util
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

LBFGS_FILE = Path(__file__).resolve().parents[1] / "nststudy" / "lbfgs.py"


@functools.cache
def library_lbfgs() -> Any:
    """``nststudy/lbfgs.py`` as a module, loaded from its file (NumPy only, no TensorFlow)."""
    name = "nststudy_lbfgs_file"
    spec = importlib.util.spec_from_file_location(name, LBFGS_FILE)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)  # dataclasses need it
    spec.loader.exec_module(module)
    return module


@functools.cache
def _kernels() -> dict[str, Callable]:
    """The jitted pieces (made once): the direction, the trial point, its slopes, the pair."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    def dot(a: Any, b: Any) -> Any:  # a float32 sum, never a TensorFloat-32 matrix product
        return jnp.sum(a * b)

    @jax.jit
    def direction(s: Any, y: Any, rho: Any, order: Any, count: Any, g: Any, x: Any) -> tuple:
        """``(d, g·d)``: ``−H·g`` over the free pixels; ``order`` holds slots, oldest first."""
        held = ((x <= 0.0) & (g > 0)) | ((x >= 1.0) & (g < 0))
        free = jnp.where(held, 0.0, 1.0).astype(g.dtype)

        def back(k: Any, carry: tuple) -> tuple:  # newest pair first
            q, alphas = carry
            i = order[count - 1 - k]
            a = rho[i] * dot(s[i], q)
            return (q - a * y[i]) * free, alphas.at[k].set(a)

        q, alphas = lax.fori_loop(0, count, back, (g * free, jnp.zeros(len(rho), g.dtype)))
        newest = order[jnp.maximum(count - 1, 0)]
        gamma = jnp.where(count > 0, 1.0 / (rho[newest] * dot(y[newest], y[newest])), 1.0)

        def forward(k: Any, q: Any) -> Any:  # oldest pair first
            i = order[k]
            return q + (alphas[count - 1 - k] - rho[i] * dot(y[i], q)) * s[i]

        d = -lax.fori_loop(0, count, forward, q * gamma) * free
        return d, dot(g, d)

    @jax.jit
    def trial(x: Any, d: Any, t: Any) -> Any:
        return jnp.clip(x + t * d, 0.0, 1.0)

    @jax.jit
    def slopes(g: Any, x_new: Any, x: Any, g_new: Any, d: Any) -> tuple:
        """``g·(x_new − x)`` (Armijo's) and ``g_new·d`` (is the first step still steep?)."""
        return dot(g, x_new - x), dot(g_new, d)

    def add(s: Any, y: Any, rho: Any, slot: Any, x_new: Any, x: Any, g_new: Any, g: Any):
        """Write the pair into ``slot`` when ``s·y > 10⁻⁸·‖s‖‖y‖``; return the buffers, kept?"""
        ds, dy = x_new - x, g_new - g
        sy = dot(ds, dy)
        keep = sy > 1e-8 * jnp.sqrt(dot(ds, ds) * dot(dy, dy))
        s = s.at[slot].set(jnp.where(keep, ds, s[slot]))
        y = y.at[slot].set(jnp.where(keep, dy, y[slot]))
        return s, y, rho.at[slot].set(jnp.where(keep, 1.0 / sy, rho[slot])), keep

    return {
        "direction": direction,
        "trial": trial,
        "slopes": slopes,
        "add": jax.jit(add, donate_argnums=(0, 1, 2)),
    }


def minimize_box_device(
    value_and_grad: Callable[[Any], tuple[Any, Any]],
    x0: Any,
    *,
    max_iterations: int,
    memory: int = 40,
    callback: Callable[[Any, float], bool] | None = None,
    on_evaluation: Callable[[float], None] | None = None,
) -> dict[str, Any]:
    """:func:`nststudy.lbfgs.minimize_box` over the box [0, 1] with JAX arrays on the device.

    Args:
        value_and_grad: ``x -> (loss, gradient)`` as JAX arrays (jitted; ``x`` like ``x0``).
        x0: the start, a float32 JAX array of values in [0, 1] (e.g. an image ``(H, W, 3)``).
        max_iterations: accepted steps at most; evaluations at most ``2·max_iterations + 10``.
        memory: pairs kept (float32).
        callback: ``callback(x, loss)`` after each accepted step; ``True`` stops the run.
        on_evaluation: ``on_evaluation(loss)`` after every evaluation (trials included).

    Returns:
        ``{"x", "loss", "iterations", "evaluations", "stopped"}`` as the library's
        :class:`~nststudy.lbfgs.LbfgsResult` has them.
    """
    import jax.numpy as jnp

    ref = library_lbfgs()
    k = _kernels()
    budget = 2 * max_iterations + 10
    x = jnp.clip(jnp.asarray(x0, jnp.float32), 0.0, 1.0)
    f, g = value_and_grad(x)
    f = float(f)
    if on_evaluation is not None:
        on_evaluation(f)
    evaluations, iterations = 1, 0
    slots = memory  # the library takes min(memory, max_iterations): the same steps, and one
    # shape here whatever the run's length (one compiled program)
    s = jnp.zeros((slots, *x.shape), jnp.float32)
    y, rho, order = jnp.zeros_like(s), jnp.zeros(slots, jnp.float32), []

    def evaluate(point: Any) -> tuple[float, Any]:
        value, grad = value_and_grad(point)
        value = float(value)
        if on_evaluation is not None:
            on_evaluation(value)
        return value, grad

    def direction() -> tuple[Any, float]:
        slots_in_order = jnp.asarray(order + [0] * (slots - len(order)), jnp.int32)
        d, slope = k["direction"](s, y, rho, slots_in_order, jnp.int32(len(order)), g, x)
        return d, float(slope)

    def end(stopped: str) -> dict[str, Any]:
        return {"x": x, "loss": f, "iterations": iterations, "evaluations": evaluations,
                "stopped": stopped}  # fmt: skip

    while True:
        if iterations >= max_iterations:
            return end("iterations")
        d, slope = direction()
        if slope >= 0 and order:  # not downhill: forget the curvature, start afresh
            order.clear()
            d, slope = direction()
        if slope >= 0:
            return end("converged")
        first = not order
        t = 1.0 / max(float(jnp.sqrt(jnp.sum(d * d))), 1e-30) if first else 1.0
        found, used = None, 0  # found: (x, f, g) of the step taken
        for _ in range(ref._BACKTRACKS + ref._FIRST_GROWTHS):  # the library's _line_search
            if used >= budget - evaluations:
                break
            point = k["trial"](x, d, jnp.float32(t))
            ft, gt = evaluate(point)
            used += 1
            armijo, steep = (float(v) for v in k["slopes"](g, point, x, gt, d))
            if np.isfinite(ft) and ft < f and ft <= f + ref._ARMIJO * armijo:  # as the library
                if not first:
                    found = (point, ft, gt)
                    break
                if ft >= (f if found is None else found[1]):  # growing stopped paying
                    break
                found = (point, ft, gt)
                if steep >= ref._CURVATURE * slope or used > ref._FIRST_GROWTHS:
                    break
                t *= 4.0
                continue
            if found is not None:  # a longer first step overshot: keep the last good one
                break
            if np.isfinite(ft) and ft - f > slope * t:
                t_new = -slope * t * t / (2.0 * (ft - f - slope * t))
                t = min(max(t_new, 0.1 * t), 0.5 * t)
            else:
                t *= 0.1
        evaluations += used
        if found is None:
            if order:  # the curvature estimate misled us: retry along the gradient
                order.clear()
                continue
            return end("evaluations" if evaluations >= budget else "line search")
        full = len(order) == slots
        slot = order[0] if full else len(order)
        s, y, rho, kept = k["add"](s, y, rho, jnp.int32(slot), found[0], x, found[2], g)
        if bool(kept):
            if full:
                order.pop(0)
            order.append(slot)
        x, f, g = found
        iterations += 1
        if callback is not None and callback(x, f):
            return end("callback")
        if evaluations >= budget:
            return end("evaluations")


def run_device(
    loss: Any, targets: Any, photo: Any, steps: int, l_ref: Any, traj: list, memory: int
) -> tuple:
    """The ``nststudy-gpu`` recipes: :func:`minimize_box_device` on the tutorial loss."""
    import jax

    value_and_grad = jax.jit(jax.value_and_grad(loss))  # the same program as the check's
    jax.block_until_ready(value_and_grad(photo, targets))  # compile
    warm = minimize_box_device(
        lambda x: value_and_grad(x, targets), photo, max_iterations=2, memory=memory
    )
    jax.block_until_ready(warm["x"])  # compiles the kernels at the run's shapes
    start = time.perf_counter()
    result = minimize_box_device(
        lambda x: value_and_grad(x, targets), photo, max_iterations=steps, memory=memory,
        callback=lambda _x, f: l_ref is not None and f <= l_ref,
        on_evaluation=lambda f: traj.append((time.perf_counter() - start, f)),
    )  # fmt: skip
    jax.block_until_ready(result["x"])
    seconds = time.perf_counter() - start
    counts = {"evaluations": result["evaluations"], "steps": result["iterations"]}
    return result["x"], {"seconds": seconds, **counts, "stopped": result["stopped"]}


def run_library(
    loss: Any,
    targets: Any,
    photo: Any,
    steps: int,
    l_ref: Any,
    traj: list,
    memory: int,
    history: str,
) -> tuple:
    """The ``nststudy`` recipe: the library's ``minimize_box`` (host), evaluations on the GPU."""
    import jax
    import jax.numpy as jnp

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    jax.block_until_ready(value_and_grad(photo, targets))  # compile

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = value_and_grad(jnp.asarray(x), targets)
        value = float(value)
        traj.append((time.perf_counter() - start, value))
        return value, np.asarray(grad)

    start = time.perf_counter()
    result = library_lbfgs().minimize_box(
        fun, np.asarray(photo), 0.0, 1.0, max_iterations=steps, memory=memory, history=history,
        callback=lambda _x, f: l_ref is not None and f <= l_ref,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    counts = {"evaluations": result.evaluations, "steps": result.iterations}
    return jnp.asarray(result.x), {"seconds": seconds, **counts, "stopped": result.stopped}
