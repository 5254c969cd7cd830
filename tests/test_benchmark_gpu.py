"""``benchmarks.gpu``: the weight packing it carries to a GPU machine is lossless, and
its port of nststudy's L-BFGS takes the library's steps.

The port itself is smoke-run by ``make bench-quick`` (it refuses to time anything unless its
loss at the photo matches nststudy's).
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.gpu import pack, unpack


def test_pack_round_trips_every_float32_bit() -> None:
    rng = np.random.default_rng(0)
    kernel = rng.normal(0, 0.05, (3, 3, 8, 16)).astype(np.float32)
    kernel.flat[:4] = [np.inf, -0.0, np.finfo(np.float32).tiny, np.nan]
    planes = pack(kernel)
    assert planes.dtype == np.uint8 and planes.shape == (4, kernel.size)
    back = unpack(planes, kernel.shape)
    assert back.tobytes() == kernel.tobytes()  # bit for bit, NaN and -0 included


def test_the_gpu_port_of_nststudys_lbfgs_takes_the_librarys_steps() -> None:
    """The ``nststudy-gpu`` recipes' optimiser is the library's, step for step: on a box-bound
    problem (many pixels end on a bound) with the pairs' ring buffer wrapping around."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    from benchmarks.gpu_lbfgs import library_lbfgs, minimize_box_device

    rng = np.random.default_rng(0)
    a = rng.normal(size=(300, 300)).astype(np.float32)
    q = (a.T @ a / 300 + 0.05 * np.eye(300)).astype(np.float32)
    centre = rng.uniform(-0.5, 1.5, 300).astype(np.float32)  # half lies outside the box

    def loss(x):  # a convex quadratic plus a quartic: the curvature changes along the way
        r = x.ravel() - centre
        return 0.5 * r @ (q @ r) + 0.1 * jnp.sum(r**4)

    value_and_grad = jax.jit(jax.value_and_grad(loss))

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = value_and_grad(jnp.asarray(x))
        return float(value), np.asarray(grad)

    x0 = rng.uniform(0, 1, (10, 10, 3)).astype(np.float32)
    steps: dict[str, list] = {"library": [], "port": []}
    lib = library_lbfgs().minimize_box(
        fun, x0, 0.0, 1.0, max_iterations=14, memory=4,
        callback=lambda _x, f: steps["library"].append(f) and False,
    )  # fmt: skip
    port = minimize_box_device(
        value_and_grad, jnp.asarray(x0), max_iterations=14, memory=4,
        callback=lambda _x, f: steps["port"].append(f) and False,
    )  # fmt: skip
    assert (port["iterations"], port["evaluations"]) == (lib.iterations, lib.evaluations)
    assert lib.evaluations > lib.iterations  # the first step's search ran more than one trial
    np.testing.assert_allclose(steps["port"], steps["library"], rtol=1e-5)
    np.testing.assert_allclose(np.asarray(port["x"]), lib.x, atol=1e-4)
    assert 0.3 < np.mean((lib.x == 0) | (lib.x == 1)) < 0.7  # the bounds were in play
