"""The float32 projected L-BFGS (``nststudy.lbfgs``) against scipy's L-BFGS-B, on NumPy maths."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pytest
from scipy.optimize import minimize, rosen, rosen_der

from nststudy.config import Config
from nststudy.lbfgs import _widen, minimize_box

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]


def _quadratic(n: int = 300, seed: int = 0) -> Objective:
    """``x -> (½ xᵀQx − bᵀx, Qx − b)`` in float64; Q positive definite, condition ≈ 80."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, n))
    q, b = a.T @ a / n + 0.05 * np.eye(n), rng.normal(size=n) * 2
    return lambda x: (0.5 * x @ q @ x - b @ x, q @ x - b)


def _counted(fun: Objective) -> tuple[Objective, list[np.ndarray]]:
    seen: list[np.ndarray] = []

    def wrapped(x: np.ndarray) -> tuple[float, np.ndarray]:
        seen.append(x.copy())
        value, grad = fun(x.astype(np.float64))
        return float(value), np.asarray(grad, np.float32)

    return wrapped, seen


@pytest.mark.parametrize("history", ["float32", "float16"])
def test_box_quadratic_matches_scipy(history: str) -> None:
    quadratic = _quadratic(n := 300)
    fun, seen = _counted(quadratic)
    ours = minimize_box(
        fun, np.zeros(n, np.float32), -1.0, 1.0, max_iterations=200, history=history
    )
    ref = minimize(quadratic, np.zeros(n), jac=True, method="L-BFGS-B", bounds=[(-1.0, 1.0)] * n)
    at_bound = np.isclose(np.abs(ref.x), 1.0)
    assert 10 < at_bound.sum() < n - 10  # the box matters for this problem
    np.testing.assert_allclose(ours.x, ref.x, atol=2e-3)
    assert ours.loss == pytest.approx(ref.fun, rel=1e-5)
    # Every point ever evaluated lies in the box, and the ones on a bound are exactly on it.
    assert all(np.abs(x).max() <= 1.0 for x in seen)
    np.testing.assert_array_equal(np.abs(ours.x[at_bound]), 1.0)


@pytest.mark.parametrize("history", ["float32", "float16"])
def test_rosenbrock_with_box_reaches_scipys_minimum(history: str) -> None:
    x0 = np.random.default_rng(1).uniform(-1.0, 2.0, 50).astype(np.float32)
    fun, _ = _counted(lambda x: (rosen(x), rosen_der(x)))
    ours = minimize_box(
        fun, x0, -0.5, 0.8, max_iterations=400, max_evaluations=800, history=history
    )
    ref = minimize(
        lambda x: (rosen(x), rosen_der(x)),
        x0.astype(np.float64),
        jac=True,
        method="L-BFGS-B",
        bounds=[(-0.5, 0.8)] * 50,
    )
    assert ours.loss == pytest.approx(ref.fun, rel=1e-4)


def test_unit_steps_are_accepted_on_a_quadratic() -> None:
    # Once it has curvature pairs, the line search should rarely need a second trial.
    fun, _ = _counted(_quadratic(300, seed=2))
    result = minimize_box(fun, np.zeros(300, np.float32), -10.0, 10.0, max_iterations=40)
    assert result.stopped == "iterations" and result.iterations == 40
    assert result.evaluations <= result.iterations + 8


def test_losses_never_rise_and_the_callback_can_stop() -> None:
    fun, _ = _counted(_quadratic(300, seed=3))
    losses: list[float] = []

    def callback(x: np.ndarray, loss: float) -> bool:
        losses.append(loss)
        return len(losses) == 7

    start = np.zeros(300, np.float32)
    result = minimize_box(fun, start, -1.0, 1.0, max_iterations=50, callback=callback)
    assert result.stopped == "callback" and result.iterations == 7 and len(losses) == 7
    assert all(later < earlier for earlier, later in itertools.pairwise(losses))
    assert result.loss == losses[-1]


def test_evaluation_budget_is_a_hard_cap() -> None:
    fun, seen = _counted(lambda x: (rosen(x), rosen_der(x)))
    x0 = np.full(20, -0.3, np.float32)
    result = minimize_box(fun, x0, -2.0, 2.0, max_iterations=100, max_evaluations=9)
    assert len(seen) == result.evaluations <= 9 and result.stopped == "evaluations"


def test_per_channel_bounds_broadcast() -> None:
    # An "image" (1, 4, 5, 3) pulled towards 2 with per-channel upper bounds.
    target = np.full((1, 4, 5, 3), 2.0)
    fun, _ = _counted(lambda x: (((x - target) ** 2).sum(), 2 * (x - target)))
    high = np.array([0.5, 1.0, 3.0], np.float32)
    result = minimize_box(fun, np.zeros((1, 4, 5, 3), np.float32), 0.0, high, max_iterations=20)
    assert result.x.dtype == np.float32 and result.x.shape == (1, 4, 5, 3)
    np.testing.assert_allclose(result.x[..., 0], 0.5)
    np.testing.assert_allclose(result.x[..., 1], 1.0)
    np.testing.assert_allclose(result.x[..., 2], 2.0, atol=1e-4)


def test_start_outside_the_box_is_clipped_and_bad_settings_are_refused() -> None:
    fun, seen = _counted(lambda x: ((x**2).sum(), 2 * x))
    minimize_box(fun, np.full(5, 7.0, np.float32), 1.0, 2.0, max_iterations=3)
    np.testing.assert_array_equal(seen[0], 2.0)
    with pytest.raises(ValueError, match="memory"):
        minimize_box(fun, np.zeros(5, np.float32), 0.0, 1.0, max_iterations=3, memory=0)


class _WallStage:
    """A stand-in for ``nststudy.train.Stage``: a slope that ends in a steep wall at 0.3.

    From 0 the first trial step (1/√12 ≈ 0.29 per pixel) lands on the slope, the grown one
    (×4, clipped to the box's edge at 1) hits the wall, so the line search keeps the *earlier*
    trial: the losses the callback sees must be that trial's, not the last evaluation's.
    """

    low, high = np.zeros(3, np.float32), np.ones(3, np.float32)
    config = Config(clip=True)

    def loss_and_grad(self, x: object) -> tuple[dict[str, object], object]:
        import tensorflow as tf

        x = tf.convert_to_tensor(x)
        with tf.GradientTape() as tape:
            tape.watch(x)
            total = -tf.reduce_sum(x) + 1e3 * tf.reduce_sum(tf.nn.relu(x - 0.3) ** 2)
        return {"total": total}, tape.gradient(total, x)

    def to_pixels(self, x: np.ndarray) -> np.ndarray:
        return np.clip(x[0], 0.0, 1.0)


def test_run_lbfgs_reports_the_accepted_steps_losses() -> None:
    from nststudy.train import run_lbfgs

    seen: list[float] = []
    result = run_lbfgs(
        _WallStage(), np.zeros((1, 2, 2, 3), np.float32), 3,  # type: ignore[arg-type]
        callback=lambda step, losses, image: seen.append(losses["total"]),
    )  # fmt: skip
    assert seen[0] == pytest.approx(-(12**0.5))  # the accepted first step, not the wall
    assert seen == sorted(seen, reverse=True) and result.best_loss == pytest.approx(min(seen))
    assert result.evaluations > result.steps == 3


def test_float16_history_halves_the_pairs_memory_and_keeps_their_scale() -> None:
    from nststudy.lbfgs import _Memory

    rng = np.random.default_rng(4)
    half, full = _Memory(3, (1000,), np.float16), _Memory(3, (1000,))
    assert half.s.nbytes + half.y.nbytes == (full.s.nbytes + full.y.nbytes) // 2
    s = rng.normal(size=1000).astype(np.float32) * 1e9  # far outside float16's range
    y = s * 3e-7 + rng.normal(size=1000).astype(np.float32) * 1e2
    half.add(s, y)
    full.add(s, y)
    np.testing.assert_allclose(half.vector(half.s, 0), s, rtol=0, atol=1e-3 * np.abs(s).max())
    assert half.rho[0] == pytest.approx(full.rho[0], rel=1e-2)
    g, free = rng.normal(size=1000).astype(np.float32), np.ones(1000, np.float32)
    ours, exact = half.direction(g, free), full.direction(g, free)
    assert np.linalg.norm(ours - exact) < 1e-2 * np.linalg.norm(exact)
    half.add(s, -y)  # negative curvature: not kept, and the kept pair is untouched
    assert half.order == [0] and half.rho[0] == pytest.approx(full.rho[0], rel=1e-2)
    with pytest.raises(ValueError, match="history"):
        minimize_box(lambda x: (0.0, x), np.zeros(3, np.float32), 0, 1, max_iterations=1,
                     history="bfloat16")  # fmt: skip


def test_a_short_run_holds_only_the_pairs_it_can_make(monkeypatch: pytest.MonkeyPatch) -> None:
    """A 10-step print tile with ``memory=40`` keeps room for 10 pairs, not 40 (each pair is
    two copies of the tile)."""
    from nststudy import lbfgs

    slots: list[int] = []
    original = lbfgs._Memory.__init__

    def record(self, m: int, *args: object) -> None:
        slots.append(m)
        original(self, m, *args)

    monkeypatch.setattr(lbfgs._Memory, "__init__", record)
    for steps in (10, 60):
        minimize_box(
            _quadratic(), np.zeros(300, np.float32), -1, 1, max_iterations=steps, memory=40
        )
    assert slots == [10, 40]


def _first_step_evaluations(fun: Objective, n: int, **kwargs) -> tuple[int, object]:
    """Evaluations until the first accepted step, and the run's result (5 iterations)."""
    seen: list[int] = []
    counted = [0]

    def counting(x: np.ndarray) -> tuple[float, np.ndarray]:
        counted[0] += 1
        return fun(x)

    def callback(x: np.ndarray, loss: float) -> bool:
        seen.append(counted[0])
        return False

    start = np.zeros(n, np.float32)
    result = minimize_box(counting, start, -10.0, 10.0, max_iterations=5, callback=callback,
                          **kwargs)  # fmt: skip
    return seen[0] - 1, result  # minus the evaluation at the start


def test_a_similar_problems_scale_sizes_the_first_step() -> None:
    # Two quadratics with the same curvature (Q) but other targets, like two tiles of a print.
    n = 300
    rng = np.random.default_rng(4)
    a = rng.normal(size=(n, n))
    q = a.T @ a / n + 0.05 * np.eye(n)
    b1, b2 = rng.normal(size=n) * 20, rng.normal(size=n) * 20
    first, _ = _counted(lambda x: (0.5 * x @ q @ x - b1 @ x, q @ x - b1))
    second, _ = _counted(lambda x: (0.5 * x @ q @ x - b2 @ x, q @ x - b2))
    cold, done = _first_step_evaluations(first, n)
    eigenvalues = np.linalg.eigvalsh(q)
    # γ = s·y / y·y with y = Q s lies between 1 / λmax and 1 / λmin.
    assert 1 / eigenvalues[-1] <= done.scale <= 1 / eigenvalues[0]
    warm, _ = _first_step_evaluations(second, n, initial_scale=done.scale)
    unwarmed, _ = _first_step_evaluations(second, n)
    # Measured: 4, 4 and 1 evaluations.
    assert cold >= 3 and unwarmed >= 3  # grown fourfold from a unit step, several times
    assert warm == 1  # the right length at once
    with pytest.raises(ValueError, match="initial_scale"):
        minimize_box(second, np.zeros(n, np.float32), -1.0, 1.0, max_iterations=1,
                     initial_scale=-1.0)  # fmt: skip


def test_widening_float16_pairs_is_numpys_conversion_bit_for_bit() -> None:
    """The table lookup behind the float16 history gives every half value's float32 exactly:
    ±0, subnormals, the largest, infinities and NaNs included."""
    halves = np.arange(2**16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    assert _widen(halves).tobytes() == halves.astype(np.float32).tobytes()
    known = np.array([0x3C00, 0x7BFF, 0x0001, 0xFC00, 0x8000], np.uint16).view(np.float16)
    assert _widen(known).tolist() == [1.0, 65504.0, 2.0**-24, -np.inf, -0.0]
    image = np.random.default_rng(3).normal(size=(4, 6, 3)).astype(np.float16)
    for view in (image, image[:, ::2], image.transpose()):  # strided views too
        assert _widen(view).tobytes() == view.astype(np.float32).tobytes()
    doubles = np.linspace(-1, 1, 7)  # other dtypes are converted as astype does
    assert _widen(doubles).tobytes() == doubles.astype(np.float32).tobytes()


def test_a_step_the_box_cancels_is_no_step() -> None:
    """At the upper bound, pushed further up: the projected trial is x itself, with the same
    loss; it was accepted (Armijo's margin is 0 there) and the same search ran again."""
    from nststudy.lbfgs import _line_search

    x = np.ones((4, 3), np.float32)
    low, high = np.zeros_like(x), np.ones_like(x)
    g = -np.ones_like(x)  # the loss falls upwards, out of the box
    calls = []

    def fun(trial: np.ndarray) -> tuple[float, np.ndarray]:
        calls.append(trial)
        return 1.0, g

    step = _line_search(fun, x, 1.0, g, -g, float(np.vdot(g, -g)), low, high, 1.0, False, 5)
    assert step.x is None and step.evaluations == 5  # failed: the caller resets or stops
    assert all(np.array_equal(c, x) for c in calls)


def test_a_non_finite_gradient_stops_at_once() -> None:
    """A NaN in the gradient makes every trial's Armijo test False: the line search spent its
    whole budget (18 evaluations of NaN images) before it gave up as "line search"."""
    fun, seen = _counted(lambda x: (float(x @ x), np.where(np.arange(x.size) == 3, np.nan, x)))
    x0 = np.full(8, 0.5, np.float32)
    result = minimize_box(fun, x0, -1.0, 1.0, max_iterations=10)
    assert result.stopped == "non-finite" and len(seen) == result.evaluations == 1
    assert np.array_equal(result.x, x0)
