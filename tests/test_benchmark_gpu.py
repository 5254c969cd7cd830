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


def _bowl(jnp, rng):  # a convex quadratic plus a quartic, half its minimum outside the box
    a = rng.normal(size=(300, 300)).astype(np.float32)
    q = jnp.asarray(a.T @ a / 300 + 0.05 * np.eye(300), jnp.float32)
    centre = jnp.asarray(rng.uniform(-0.5, 1.5, 300), jnp.float32)

    def loss(x):
        r = x.ravel() - centre
        return 0.5 * r @ (q @ r) + 0.1 * jnp.sum(r**4)

    return loss, rng.uniform(0, 1, (10, 10, 3)).astype(np.float32), 14


def _slope(jnp, rng):  # nearly linear: the first step grows 4× at a time into the bounds
    c = jnp.asarray(rng.normal(size=(10, 10, 3)), jnp.float32)

    def loss(x):
        return jnp.sum(c * x) + 0.005 * jnp.sum((x - 0.3) ** 2)

    return loss, np.full((10, 10, 3), 0.5, np.float32), 6


@pytest.mark.parametrize("problem", [_bowl, _slope])
def test_the_gpu_port_of_nststudys_lbfgs_takes_the_librarys_steps(problem) -> None:
    """The ``nststudy-gpu`` recipes' optimiser is the library's, step for step, on box-bound
    problems: with the pairs' ring buffer wrapping around (bowl), and with a first step that
    grows until the box stops it and a run that ends on its evaluation budget (slope)."""
    jax = pytest.importorskip("jax")
    jnp = jax.numpy
    from benchmarks.gpu_lbfgs import library_lbfgs, minimize_box_device

    loss, x0, iterations = problem(jnp, np.random.default_rng(0))
    value_and_grad = jax.jit(jax.value_and_grad(loss))
    calls: dict[str, list] = {"library": [], "port": []}  # (evaluations so far, loss) per step

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        calls["library"].append(None)
        value, grad = value_and_grad(jnp.asarray(x))
        return float(value), np.asarray(grad)

    def on_step(name: str) -> object:
        return lambda _x, f: calls[name].append(f) and False

    lib = library_lbfgs().minimize_box(
        fun, x0, 0.0, 1.0, max_iterations=iterations, memory=4, callback=on_step("library")
    )
    port = minimize_box_device(
        value_and_grad, jnp.asarray(x0), max_iterations=iterations, memory=4,
        callback=on_step("port"), on_evaluation=lambda f: None,
    )  # fmt: skip
    assert (port["iterations"], port["evaluations"], port["stopped"]) == (
        lib.iterations, lib.evaluations, lib.stopped,
    )  # fmt: skip
    steps = [f for f in calls["library"] if f is not None]
    np.testing.assert_allclose(calls["port"], steps, rtol=1e-5)
    np.testing.assert_allclose(np.asarray(port["x"]), lib.x, atol=1e-4)
    assert np.mean((lib.x == 0) | (lib.x == 1)) > 0.3  # the bounds were in play
    if problem is _slope:  # the first step searched: several trials before it was taken
        assert lib.evaluations > 2 * lib.iterations + 1 and lib.stopped == "evaluations"
