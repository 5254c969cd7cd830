"""A cheaper, approximate VGG19 for L-BFGS's evaluations: does it reach ``L_ref`` sooner?

An evaluation is ≈ 80 % convolutions running near this CPU's speed, so a cheaper evaluation
needs fewer multiplications. The responses of VGG19's middle convolutions are close to
low-rank (Zhang et al., "Accelerating very deep convolutional networks", 2015): at 384×512 on
tubingen + starry_night, half of the principal components of ``block3_conv2…block4_conv4``'s
pre-activations keep 98.7–99.95 % of their variance. Projecting a layer's output onto its top
``K`` components ``P`` (computed once, from the photo's and the style image's responses)
factors the layer into a 3×3 convolution to ``K`` channels (``W·P``) and a 1×1 expansion
(``Pᵀ``) — fewer multiplications forward and in the image gradient.

This script builds that network (the pre-activation ``z = W * x + b`` replaced by
``P Pᵀ (z − μ) + μ``, ``μ`` the mean response), times a value-and-gradient of the tutorial's
loss both ways, then runs nststudy's L-BFGS (the ``default`` preset's: 40 float16 pairs, from
the photo) on each, **scoring every iteration with the exact loss**, and counts evaluations
and seconds to ``L_ref``:

    python -m benchmarks.lowrank_vgg                       # 256 px, ≈ 10 min
    python -m benchmarks.lowrank_vgg --size 64 --max-evaluations 5 --ref-loss 0   # smoke

Writes ``benchmarks/results/lowrank_vgg_<size>.json`` (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .run import LOSS_FIELDS, RESULTS, default_images, machine_info

#: The layers factored by default: the wide middle of VGG19, where most multiplications are.
MIDDLE = tuple(f"block{b}_conv{c}" for b in (3, 4) for c in (2, 3, 4))
#: L_ref at 256 px on the tutorial's loss (session 7's measurement, README "Session 7").
REF_256 = 8.408e6


def tutorial_stage(size: int, precision: str = "float32") -> tuple[Any, np.ndarray, np.ndarray]:
    """``(stage, photo, style)``: the tutorial's loss at ``size`` with the default's L-BFGS
    settings (``nststudy.train.Stage``), and the two images resized, RGB float32 in [0, 1].
    ``precision`` is VGG19's compute type (``"float32"`` or ``"bfloat16"``)."""
    from nststudy.config import get_preset
    from nststudy.images import resize_longest
    from nststudy.train import Stage, make_targets
    from nststudy.vgg import FeatureExtractor

    from .run import _load

    tut = get_preset("tutorial")
    cfg = get_preset("default").replace(
        **{f: getattr(tut, f) for f in LOSS_FIELDS}, style_scale=1.0
    )
    cfg = cfg.at_size(size).replace(precision=precision)
    content, style = (_load(p) for p in default_images())
    photo, style = resize_longest(content, size), resize_longest(style, size)
    ext = FeatureExtractor(cfg.content_layers, cfg.style_layers, precision)
    return Stage(ext, make_targets(ext, photo, [(style, 1.0)]), cfg), photo, style


def principal_factors(
    layers: list[Any], images: list[np.ndarray], names: tuple[str, ...], ratio: float
) -> dict[str, tuple[Any, Any, Any]]:
    """Per factored layer ``(W·P, Pᵀ, shift)``: ``P`` the top ``round(ratio·C)`` principal
    directions of its pre-activations over ``images`` (RGB in [0, 1]); ``shift`` makes
    ``relu(conv(x, W·P) @ Pᵀ + shift)`` equal ``relu(P Pᵀ (z − μ) + μ)``."""
    import tensorflow as tf

    from nststudy.images import to_vgg

    stats: dict[str, list[np.ndarray]] = {n: [] for n in names}
    for img in images:
        x = tf.cast(to_vgg(tf.constant(img[None], tf.float32)), tf.float32)
        for layer in layers:
            if "pool" in layer.name:
                x = tf.nn.max_pool2d(x, 2, 2, "VALID")
                continue
            z = tf.nn.conv2d(x, layer.kernel, 1, "SAME") + layer.bias
            if layer.name in stats:
                stats[layer.name].append(z.numpy().reshape(-1, z.shape[-1]))
            x = tf.nn.relu(z)
    out = {}
    for layer in layers:
        if layer.name not in stats:
            continue
        z = np.concatenate(stats[layer.name]).astype(np.float64)
        mu = z.mean(0)
        _, vectors = np.linalg.eigh(np.cov((z - mu).T))  # ascending eigenvalues
        p = vectors[:, ::-1][:, : max(1, round(ratio * z.shape[1]))]
        b = layer.bias.numpy().astype(np.float64)
        shift = mu - p @ (p.T @ mu) + p @ (p.T @ b)
        wp = np.einsum("hwio,ok->hwik", layer.kernel.numpy().astype(np.float64), p)
        out[layer.name] = tuple(tf.constant(a.astype(np.float32)) for a in (wp, p.T, shift))
    return out


def lowrank_taps(factors: dict[str, tuple[Any, Any, Any]]) -> Any:
    """A drop-in for ``nststudy._lean.run_taps`` that runs the factored layers."""
    import tensorflow as tf

    from nststudy._lean import image_conv

    def run_taps(layers: Any, x: Any, taps: Any) -> list[Any]:
        found = {}
        x = tf.cast(x, tf.float32)
        conv = image_conv(x.dtype)  # the exact network's choice: a fair race
        for layer in layers:
            if "pool" in layer.name:
                x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            elif layer.name in factors:
                wp, pt, shift = factors[layer.name]
                x = tf.nn.relu(tf.tensordot(conv(x, wp), pt, 1) + shift)
            else:
                x = tf.nn.relu(conv(x, layer.kernel) + layer.bias)
            found[layer.name] = x
        return [found[n] for n in taps]

    return run_taps


def lowrank_stage(stage: Any, factors: dict[str, tuple[Any, Any, Any]], x: np.ndarray) -> Any:
    """The same loss and targets as ``stage`` (targets from the exact network), evaluated
    through the factored one; traced for inputs shaped like ``x`` (another shape would
    retrace through the exact network)."""
    return patched_stage(stage, lowrank_taps(factors), x)


def patched_stage(stage: Any, run_taps: Any, x: np.ndarray) -> Any:
    """A ``Stage`` with ``stage``'s loss and targets whose network is ``run_taps`` (a drop-in
    for ``nststudy._lean.run_taps``), traced for inputs shaped like ``x`` while patched."""
    import nststudy._lean as lean
    from nststudy.train import Stage

    exact = lean.run_taps
    lean.run_taps = run_taps
    try:
        approx = Stage(stage.extractor, stage.targets, stage.config)
        approx.loss_and_grad(x)  # traced while patched
    finally:
        lean.run_taps = exact
    return approx


def race(
    stage: Any,
    scorer: Any,
    photo: np.ndarray,
    ref: float,
    max_evaluations: int,
    last: list[np.ndarray] | None = None,
) -> dict[str, Any]:
    """nststudy's L-BFGS on ``stage`` from ``photo`` (any start image, RGB in [0, 1]), each
    iteration scored by ``scorer`` (excluded from the time): evaluations and seconds when the
    score first reaches ``ref``. The latest iterate, ``(H, W, 3)``, goes into ``last`` if given.

    ``seconds`` (and the trace's times) are the whole run's wall time less the scoring: the
    evaluations *and* L-BFGS's own work between them; ``evaluation_seconds`` is the
    evaluations' alone (``s_per_evaluation`` is that per evaluation)."""
    from nststudy.lbfgs import minimize_box

    count, spent, scoring, trace = [0], [0.0], [0.0], []
    began = time.perf_counter()

    def fun(x: np.ndarray) -> tuple[float, np.ndarray]:
        start = time.perf_counter()
        losses, grad = stage.loss_and_grad(x)
        out = float(losses["total"]), grad.numpy()
        spent[0] += time.perf_counter() - start
        count[0] += 1
        return out

    def on_iteration(x: np.ndarray, loss: float) -> bool:
        now = time.perf_counter()
        exact = loss if scorer is stage else float(scorer.loss_and_grad(x)[0]["total"])
        trace.append([count[0], exact, loss, now - began - scoring[0]])
        if last is not None:
            last[:] = [x[0].copy()]
        scoring[0] += time.perf_counter() - now
        return exact <= ref

    cfg = stage.config
    minimize_box(
        fun, photo[None].astype(np.float32), stage.low, stage.high, max_iterations=10**6,
        max_evaluations=max_evaluations, memory=cfg.lbfgs_memory, history=cfg.lbfgs_history,
        callback=on_iteration,
    )  # fmt: skip
    total = time.perf_counter() - began - scoring[0]
    hit = next((t for t in trace if t[1] <= ref), None)
    return {
        "evaluations": count[0],
        "seconds": total,
        "evaluation_seconds": spent[0],
        "s_per_evaluation": spent[0] / max(count[0], 1),
        "to_ref": None if hit is None else {"evaluations": hit[0], "seconds": hit[3]},
        "final_exact": trace[-1][1] if trace else None,
        "trace": trace,  # [evaluations, exact loss, own loss, seconds so far] per iteration
    }


def print_races(result: dict[str, Any], names: tuple[str, ...], label: str, last: str) -> None:
    """The table of :func:`race` results ``result[name]``: evaluations, seconds per
    evaluation, evaluations and seconds to ``L_ref``, and the scored loss at the end."""
    width = max(len(label), *map(len, names))
    print(f"{label:<{width}} {'evals':>6} {'s/eval':>7} {'to L_ref':>16} {last:>20}")
    for name in names:
        r = result[name]
        hit = r["to_ref"]
        reach = "not reached" if hit is None else f"{hit['evaluations']} / {hit['seconds']:.0f} s"
        print(f"{name:<{width}} {r['evaluations']:>6} {r['s_per_evaluation']:>7.3f} {reach:>16} "
              f"{r['final_exact'] or float('nan'):>20.4g}")  # fmt: skip


def timed(stage: Any, x: np.ndarray, repeats: int) -> tuple[float, float, np.ndarray]:
    """Median seconds of a value-and-gradient, the loss, and the gradient."""
    stage.loss_and_grad(x)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        losses, grad = stage.loss_and_grad(x)
        g = grad.numpy()
        times.append(time.perf_counter() - start)
    return float(np.median(times)), float(losses["total"]), g


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.lowrank_vgg", description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="longest side, px")
    parser.add_argument("--ratio", type=float, default=0.5, help="components kept per layer")
    parser.add_argument("--layers", default=",".join(MIDDLE), help="layers to factor")
    parser.add_argument("--ref-loss", type=float, default=REF_256, help="L_ref at --size")
    parser.add_argument("--max-evaluations", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5, help="timed evaluations per network")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    if not 0 < args.ratio <= 1:
        parser.error(f"--ratio must be in (0, 1], got {args.ratio}")
    out = args.out or RESULTS / f"lowrank_vgg_{args.size}.json"
    names = tuple(n.strip() for n in args.layers.split(",") if n.strip())

    stage, photo, style = tutorial_stage(args.size)
    start = time.perf_counter()
    factors = principal_factors(stage.extractor._path, [photo, style], names, args.ratio)
    x = photo[None].astype(np.float32)
    approx = lowrank_stage(stage, factors, x)
    setup = time.perf_counter() - start
    t_exact, l_exact, g_exact = timed(stage, x, args.repeats)
    t_approx, l_approx, g_approx = timed(approx, x, args.repeats)
    cos = float(np.vdot(g_exact, g_approx) / np.linalg.norm(g_exact) / np.linalg.norm(g_approx))
    result: dict[str, Any] = {
        "size": args.size,
        "shape": list(photo.shape[:2]),
        "ratio": args.ratio,
        "layers": list(factors),
        "ref_loss": args.ref_loss,
        "setup_s": setup,
        "at_photo": {
            "s_exact": t_exact,
            "s_lowrank": t_approx,
            "loss_exact": l_exact,
            "loss_lowrank": l_approx,
            "gradient_cosine": cos,
        },
        "exact": race(stage, stage, photo, args.ref_loss, args.max_evaluations),
        "lowrank": race(approx, stage, photo, args.ref_loss, args.max_evaluations),
        "machine": machine_info(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    p = result["at_photo"]
    change = p["loss_lowrank"] / p["loss_exact"] - 1
    print(
        f"at the photo: exact {p['s_exact']:.3f} s, low-rank {p['s_lowrank']:.3f} s a pass; "
        f"loss {change:+.2%}, gradient cosine {cos:.4f}"
    )
    print_races(result, ("exact", "lowrank"), "network", "exact loss at end")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
