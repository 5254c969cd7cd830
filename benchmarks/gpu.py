"""The benchmark's headline comparison on a GPU: the tutorial recipe against L-BFGS, same loss.

nststudy runs on TensorFlow for the CPU. The GPU machines this project is sometimes lent have
JAX and PyTorch but no TensorFlow, cannot reach PyPI, and take at most 64 MiB along (the VGG19
weight file alone is 80 MB). So this module ports *the loss and the optimisers* — not the
package — to JAX, and checks the port against nststudy before it times anything:

1. ``python -m benchmarks.gpu prepare DIR`` (here, with TensorFlow): writes ``DIR/inputs.npz``
   (the photo and style image at 256 and 512 px exactly as the CPU benchmark resizes them, and
   nststudy's tutorial loss and gradient at the photo) and ``DIR/vgg19.npz`` (VGG19's weights
   up to ``block5_conv2``, losslessly packed: 52 MB).
2. ``python -m benchmarks.gpu run DIR --out OUT`` (on the GPU machine, JAX only): refuses to
   time anything unless its loss at the photo matches nststudy's (relative 1e-4 in float32;
   the gradient 5e-3: max-pool ties may send a gradient to another of equal inputs);
   then runs each recipe in its own child process (its own peak GPU memory) and writes
   ``OUT/gpu.json``, printing a table.

Recipes, all scored on the tutorial's loss in float32: ``tutorial`` (Keras's Adam formula,
lr 0.02, β1 0.99, ε 0.1, 1000 steps, clipped to [0, 1]: its final loss is ``L_ref``),
``tutorial-tf32``, ``lbfgs`` (scipy's L-BFGS-B — nststudy's optimiser up to session 6, before
``nststudy.lbfgs`` — 10 pairs, box [0, 1], on the host in float64, each evaluation on the
GPU), ``lbfgs-tf32`` and ``lbfgs-bf16`` (the same with TensorFloat-32 or bfloat16
convolutions), ``lbfgs-gpu`` (optax's L-BFGS, everything on the GPU, pixels clipped after each
step), and the optimiser the ``default`` preset paints with since session 7 (its pairs as
``prepare`` read them from the preset; see :mod:`benchmarks.gpu_lbfgs`): ``nststudy`` (the
library's ``nststudy.lbfgs`` itself, on the host) and ``nststudy-gpu`` (``-tf32``, ``-bf16``:
the same algorithm ported to JAX, all on the GPU).
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.gpu_lbfgs import run_device, run_library

LAYERS = (
    *("block1_conv1", "block1_conv2", "pool", "block2_conv1", "block2_conv2", "pool"),
    *("block3_conv1", "block3_conv2", "block3_conv3", "block3_conv4", "pool"),
    *("block4_conv1", "block4_conv2", "block4_conv3", "block4_conv4", "pool"),
    *("block5_conv1", "block5_conv2"),
)
RECIPES = (
    *("tutorial", "lbfgs", "lbfgs-gpu", "lbfgs-tf32", "tutorial-tf32", "lbfgs-bf16"),
    *("nststudy", "nststudy-gpu", "nststudy-gpu-tf32", "nststudy-gpu-bf16"),
)
LBFGS_RECIPES = tuple(r for r in RECIPES if not r.startswith("tutorial"))
SIZES = (256, 512)


def pack(array: np.ndarray) -> np.ndarray:
    """float32 → its four byte planes ``(4, n)`` uint8: deflate shrinks them 15 % (exponents)."""
    return np.ascontiguousarray(array.astype("<f4").view(np.uint8).reshape(-1, 4).T)


def unpack(planes: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The inverse of :func:`pack`."""
    return np.ascontiguousarray(planes.T).view("<f4").reshape(shape)


# --------------------------------------------------------------------------- prepare (here)


def prepare(out: Path, content: str, style: str, sizes: tuple[int, ...] = SIZES) -> dict:
    """Write the inputs and nststudy's reference numbers for the JAX port (needs TensorFlow)."""
    import tensorflow as tf

    from benchmarks.run import _load
    from nststudy.config import get_preset
    from nststudy.images import IMAGENET_MEAN_BGR, resize_longest, to_vgg
    from nststudy.train import compute_losses, make_targets
    from nststudy.vgg import FeatureExtractor

    out.mkdir(parents=True, exist_ok=True)
    tut = get_preset("tutorial")
    ext = FeatureExtractor(tut.content_layers, tut.style_layers, "float32")
    # The loss's definition travels with the inputs (the check at the photo, where the content
    # term is 0, could not catch a wrong content layer or weight).
    arrays: dict[str, np.ndarray] = {
        "content_layers": np.array(tut.content_layers),
        "style_layers": np.array(tut.style_layers),
        "weights": np.array([tut.content_weight, tut.style_weight, tut.tv_weight]),
        "mean_bgr": np.asarray(IMAGENET_MEAN_BGR, np.float32),
        # the pairs the default preset's L-BFGS keeps (the nststudy recipes use them)
        "lbfgs_memory": np.int64(get_preset("default").lbfgs_memory),
        "lbfgs_history": np.array(get_preset("default").lbfgs_history),
    }
    photo, painting = _load(content), _load(style)
    for size in sizes:
        work, sty = resize_longest(photo, size), resize_longest(painting, size)
        targets = make_targets(ext, work, [(sty, 1.0)])
        x = tf.constant(work[None])
        with tf.GradientTape() as tape:
            tape.watch(x)
            losses = compute_losses(to_vgg(x), ext, targets, tut.at_size(size))
        grad = tape.gradient(losses["total"], x).numpy()[0]
        arrays |= {f"photo_{size}": work, f"style_{size}": sty, f"grad_{size}": grad}
        for term in ("total", "content", "style", "tv"):
            arrays[f"ref_{size}_{term}"] = np.float64(losses[term].numpy())
    np.savez_compressed(out / "inputs.npz", **arrays)
    weights = {}
    for name in LAYERS:
        if name != "pool":
            kernel, bias = ext.model.get_layer(name).get_weights()
            weights |= {f"{name}/kernel": pack(kernel), f"{name}/bias": bias}
            weights[f"{name}/shape"] = np.array(kernel.shape)
    np.savez_compressed(out / "vgg19.npz", **weights)
    return {k: float(v) for k, v in arrays.items() if k.startswith("ref_")}


# --------------------------------------------------------------------------- the port (JAX)


def build(data: Path, size: int, precision: str = "float32") -> tuple[Any, Any, Any]:
    """``(loss, targets, photo)``: the tutorial loss ``loss(x, targets)`` of an ``(H, W, 3)``
    image in [0, 1], its targets, and the photo. ``precision``: ``float32`` (full),
    ``tf32`` (TensorFloat-32 convolutions) or ``bf16`` (bfloat16 inputs, float32 sums)."""
    import jax
    import jax.numpy as jnp
    from jax import lax

    inputs = np.load(data / "inputs.npz")
    content_layers, style_layers = list(inputs["content_layers"]), list(inputs["style_layers"])
    w_content, w_style, w_tv = (float(w) for w in inputs["weights"])
    mean_bgr = inputs["mean_bgr"]
    raw = np.load(data / "vgg19.npz")
    params = {
        n: (jnp.asarray(unpack(raw[f"{n}/kernel"], tuple(raw[f"{n}/shape"]))), raw[f"{n}/bias"])
        for n in LAYERS
        if n != "pool"
    }
    conv_precision = lax.Precision.HIGHEST if precision == "float32" else lax.Precision.DEFAULT
    cast = jnp.bfloat16 if precision == "bf16" else jnp.float32

    def features(x: Any) -> dict[str, Any]:
        h, taps = (x[None, ..., ::-1] * 255.0 - mean_bgr), {}
        for name in LAYERS:
            if name == "pool":
                h = lax.reduce_window(h, -jnp.inf, lax.max, (1, 2, 2, 1), (1, 2, 2, 1), "VALID")
                continue
            kernel, bias = params[name]
            h = lax.conv_general_dilated(
                h.astype(cast), kernel.astype(cast), (1, 1), "SAME",
                dimension_numbers=("NHWC", "HWIO", "NHWC"),
                precision=conv_precision, preferred_element_type=jnp.float32,
            )  # fmt: skip
            h = jax.nn.relu(h + bias)
            taps[name] = h
        return taps

    def gram(f: Any) -> Any:
        flat = f.reshape(-1, f.shape[-1])
        return jnp.matmul(flat.T, flat, precision=lax.Precision.HIGHEST) / flat.shape[0]

    def loss(x: Any, targets: dict[str, Any]) -> Any:
        taps = features(x)
        content = sum(jnp.mean(jnp.square(taps[n] - targets[n])) for n in content_layers)
        style = sum(jnp.mean(jnp.square(gram(taps[n]) - targets[n])) for n in style_layers)
        tv = jnp.sum(jnp.abs(jnp.diff(x, axis=0))) + jnp.sum(jnp.abs(jnp.diff(x, axis=1)))
        return (
            w_content * content / len(content_layers)
            + w_style * style / len(style_layers)
            + w_tv * tv
        )

    photo = jnp.asarray(inputs[f"photo_{size}"])
    with jax.default_matmul_precision("highest"):
        taps_of = jax.jit(features)
        taps, style_taps = taps_of(photo), taps_of(jnp.asarray(inputs[f"style_{size}"]))
        targets = {n: taps[n] for n in content_layers}
        targets |= {n: gram(style_taps[n]) for n in style_layers}
    return loss, targets, photo


def check(data: Path, size: int) -> dict[str, float]:
    """The port's loss and gradient at the photo against nststudy's (relative differences)."""
    import jax

    loss, targets, photo = build(data, size)
    value, grad = jax.jit(jax.value_and_grad(loss))(photo, targets)
    inputs = np.load(data / "inputs.npz")
    ref_value, ref_grad = float(inputs[f"ref_{size}_total"]), inputs[f"grad_{size}"]
    grad = np.asarray(grad)
    return {
        "loss_rel_diff": abs(float(value) - ref_value) / ref_value,
        "grad_rel_diff": float(np.linalg.norm(grad - ref_grad) / np.linalg.norm(ref_grad)),
    }


def child(data: Path, recipe: str, size: int, l_ref: float | None, steps: int) -> dict:
    """Run one recipe at one size in this process; return its measurements."""
    import jax
    import jax.numpy as jnp

    precision = {"tf32": "tf32", "bf16": "bf16"}.get(recipe.rsplit("-", 1)[-1], "float32")
    loss, targets, photo = build(data, size, precision)
    # the score: the tutorial's loss in float32, with float32 targets (a reduced-precision
    # recipe's own loss and targets are what it optimises, not what it is judged by)
    score_loss, score_targets, _ = (
        build(data, size) if precision != "float32" else (loss, targets, None)
    )
    score = jax.jit(score_loss)
    trajectory: list[tuple[float, float]] = []  # (seconds since start, loss)
    if recipe.startswith("tutorial"):
        x, result = _adam(loss, targets, photo, steps, trajectory)
    elif recipe == "lbfgs-gpu":
        x, result = _optax_lbfgs(loss, targets, photo, steps, l_ref, trajectory)
    elif recipe.startswith("nststudy"):
        inputs = np.load(data / "inputs.npz")
        memory, history = int(inputs["lbfgs_memory"]), str(inputs["lbfgs_history"])
        if recipe == "nststudy":
            x, result = run_library(loss, targets, photo, steps, l_ref, trajectory, memory, history)
        else:
            x, result = run_device(loss, targets, photo, steps, l_ref, trajectory, memory)
    else:
        x, result = _scipy_lbfgs(loss, targets, photo, steps, l_ref, trajectory)
    final = float(score(x, score_targets))
    trajectory.append((result["seconds"], final))  # the result itself, scored in float32
    reached = next((t for t, v in trajectory if l_ref is not None and v <= l_ref), None)
    if precision != "float32":  # its trajectory is its own loss: only the float32 score counts
        reached = result["seconds"] if l_ref is not None and final <= l_ref else None
    stats = jax.devices()[0].memory_stats() or {}
    return result | {
        "recipe": recipe,
        "size": size,
        "shape": list(photo.shape[:2]),
        "precision": precision,
        "final_loss": final,
        "seconds_to_l_ref": reached,
        "trajectory": trajectory[:: max(1, len(trajectory) // 200)] + trajectory[-1:],
        "peak_device_mb": stats.get("peak_bytes_in_use", 0) / 2**20,
        "image": np.asarray(jnp.clip(x, 0, 1) * 255 + 0.5).astype(np.uint8),
    }


def _adam(loss: Any, targets: Any, photo: Any, steps: int, trajectory: list) -> tuple:
    """The tutorial's loop: Keras's Adam update (ε added to √v), then clip to [0, 1]."""
    import jax
    import jax.numpy as jnp

    lr, b1, b2, eps = 0.02, 0.99, 0.999, 0.1

    @jax.jit
    def step(x: Any, m: Any, v: Any, t: Any, targets: Any) -> tuple:
        value, g = jax.value_and_grad(loss)(x, targets)
        m, v = m + (g - m) * (1 - b1), v + (g * g - v) * (1 - b2)
        alpha = lr * jnp.sqrt(1 - b2**t) / (1 - b1**t)
        return jnp.clip(x - alpha * m / (jnp.sqrt(v) + eps), 0.0, 1.0), m, v, value

    zeros = jnp.zeros_like(photo)
    jax.block_until_ready(step(photo, zeros, zeros, jnp.float32(1), targets))  # compile
    x, m, v, values = photo, zeros, zeros, []
    start = time.perf_counter()
    for t in range(1, steps + 1):
        x, m, v, value = step(x, m, v, jnp.float32(t), targets)
        values.append(value)
    jax.block_until_ready(x)
    seconds = time.perf_counter() - start
    per_step = seconds / steps
    trajectory += [((i + 1) * per_step, float(v)) for i, v in enumerate(values)]
    return x, {"seconds": seconds, "evaluations": steps, "steps": steps}


def _scipy_lbfgs(loss: Any, targets: Any, photo: Any, steps: int, l_ref: Any, traj: list) -> tuple:
    """scipy's L-BFGS-B on the host (float64; nststudy's until session 7), evaluations on GPU."""
    import jax
    import jax.numpy as jnp
    from scipy.optimize import Bounds, minimize

    value_and_grad = jax.jit(jax.value_and_grad(loss))
    jax.block_until_ready(value_and_grad(photo, targets))  # compile
    shape, best = photo.shape, [np.inf, np.asarray(photo)]

    class Reached(Exception):
        pass

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        x = jnp.asarray(z.reshape(shape), jnp.float32)
        value, grad = value_and_grad(x, targets)
        value = float(value)
        traj.append((time.perf_counter() - start, value))
        if value < best[0]:
            best[:] = [value, z]
        if l_ref is not None and value <= l_ref:
            raise Reached
        return value, np.asarray(grad, np.float64).ravel()

    start = time.perf_counter()
    with contextlib.suppress(Reached):
        minimize(
            fun, np.asarray(photo, np.float64).ravel(), jac=True, method="L-BFGS-B",
            bounds=Bounds(0.0, 1.0),
            options={"maxiter": steps, "maxfun": steps * 2, "ftol": 0.0, "gtol": 0.0},
        )  # fmt: skip
    seconds = time.perf_counter() - start
    x = jnp.asarray(np.reshape(best[1], shape), jnp.float32)
    return x, {"seconds": seconds, "evaluations": len(traj), "steps": len(traj)}


def _optax_lbfgs(loss: Any, targets: Any, photo: Any, steps: int, l_ref: Any, traj: list) -> tuple:
    """optax's L-BFGS (zoom line search), all on the GPU; pixels clipped to [0, 1] after each
    step, so the value and gradient the line search kept are recomputed at the clipped point."""
    import functools

    import jax
    import jax.numpy as jnp
    import optax

    opt = optax.lbfgs(memory_size=10)

    @jax.jit
    def step(x: Any, state: Any, targets: Any) -> tuple:
        fn = functools.partial(loss, targets=targets)
        value, grad = jax.value_and_grad(fn)(x)
        updates, state = opt.update(grad, state, x, value=value, grad=grad, value_fn=fn)
        tries = optax.tree_utils.tree_get(state, "num_linesearch_steps")
        return jnp.clip(optax.apply_updates(x, updates), 0.0, 1.0), state, value, tries

    state = opt.init(photo)
    first = step(photo, state, targets)  # compile: the state after one step needs a 2nd trace
    jax.block_until_ready(step(first[0], first[1], targets))
    x, start, done, evaluations = photo, time.perf_counter(), 0, 0
    while done < steps:
        values = []
        for _ in range(10):  # look at the loss every 10 steps: fewer host round trips
            x, state, value, tries = step(x, state, targets)
            values.append((value, tries))
        jax.block_until_ready(x)  # the steps run asynchronously: wait before reading the clock
        now = time.perf_counter() - start
        traj += [(now, float(v)) for v, _ in values]
        done += len(values)
        evaluations += sum(1 + int(t) for _, t in values)  # the step's own + line search's
        if l_ref is not None and min(float(v) for v, _ in values) <= l_ref:
            break
    seconds = time.perf_counter() - start
    return x, {"seconds": seconds, "evaluations": evaluations, "steps": done}


# --------------------------------------------------------------------------- parent


def device_info() -> dict[str, Any]:
    """The accelerator's name and the library versions (in a child: the parent never starts JAX)."""
    import platform

    import jax

    dev = jax.devices()[0]
    info = {"device": dev.device_kind, "platform": dev.platform, "jax": jax.__version__}
    try:
        import optax

        info["optax"] = optax.__version__
    except ImportError:
        pass
    info["python"], info["host_cpu_count"] = platform.python_version(), os.cpu_count()
    with contextlib.suppress(OSError, StopIteration):
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        info["host_cpu"] = next(ln for ln in lines if ln.startswith("model name")).split(":")[1]
    return info


def _spawn(data: Path, out: Path, args: list[str]) -> dict[str, Any]:
    env = dict(
        os.environ,
        XLA_PYTHON_CLIENT_PREALLOCATE="false",  # so the peak GPU memory is the recipe's own
        JAX_COMPILATION_CACHE_DIR=str(_scratch(out) / "cache"),  # children share compilations
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
    )
    cmd = [sys.executable, "-m", "benchmarks.gpu", "child", str(data), "--out", str(out), *args]
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def run(
    data: Path, out: Path, sizes: tuple[int, ...], recipes: tuple[str, ...], steps: int
) -> dict:
    """Every recipe at every size, one child process each; ``OUT/gpu.json`` after each row."""
    out.mkdir(parents=True, exist_ok=True)
    for stale in _scratch(out).glob("*.npy"):  # images of an earlier run into the same OUT
        stale.unlink()
    report: dict[str, Any] = {"machine": None, "rows": [], "checks": {}}
    for size in sizes:
        check_row = _spawn(data, out, ["--check", "--size", str(size)])
        report["machine"] = check_row.pop("machine")
        report["checks"][str(size)] = check_row
        if check_row["loss_rel_diff"] > 1e-4 or check_row["grad_rel_diff"] > 5e-3:
            raise RuntimeError(f"the JAX port disagrees with nststudy at {size} px: {check_row}")
        l_ref = None
        for recipe in ("tutorial", *(r for r in recipes if r != "tutorial")):
            n = 2 * steps if recipe in LBFGS_RECIPES and recipe != "lbfgs-gpu" else steps
            args = ["--recipe", recipe, "--size", str(size), "--steps", str(n)]
            row = _spawn(data, out, args + (["--l-ref", repr(l_ref)] if l_ref else []))
            if recipe == "tutorial":  # the reference: L_ref is its end, by definition
                l_ref = row["l_ref"] = row["final_loss"]
                row["seconds_to_l_ref"] = row["seconds"]
            reached = row.get("seconds_to_l_ref")
            tutorial = row if recipe == "tutorial" else _tutorial_row(report, size)
            row["speedup_vs_tutorial"] = tutorial["seconds"] / reached if reached else None
            report["rows"].append(row)
            print(_line(row), flush=True)
            (out / "gpu.json").write_text(json.dumps(report, indent=1))
            images = {p.stem: np.load(p) for p in sorted(_scratch(out).glob("*.npy"))}
            np.savez_compressed(out / "images.npz", **images)  # one file: few come back
    return report


def _scratch(out: Path) -> Path:
    """Where children leave their images: outside ``out`` (the device returns ≤ 8 files)."""
    digest = hashlib.sha1(str(out.resolve()).encode()).hexdigest()[:12]
    path = Path(os.environ.get("TMPDIR", "/tmp")) / f"nststudy-gpu-{digest}"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _tutorial_row(report: dict[str, Any], size: int) -> dict[str, Any]:
    return next(r for r in report["rows"] if r["recipe"] == "tutorial" and r["size"] == size)


def _line(row: dict[str, Any]) -> str:
    reach = row.get("seconds_to_l_ref")
    speed = row.get("speedup_vs_tutorial")
    return (
        f"{row['recipe']:<18} {row['size']:>4}  steps {row['steps']:>5}  {row['seconds']:7.2f} s  "
        f"final {row['final_loss']:.4g}  to L_ref {'-' if reach is None else f'{reach:.2f} s'}  "
        f"{'' if speed is None else f'{speed:.1f}x'}"
        + (f"  GPU peak {row['peak_device_mb']:.0f} MB" if row["peak_device_mb"] else "")
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.gpu", description=__doc__)
    parser.add_argument("mode", choices=("prepare", "run", "child"))
    parser.add_argument("data", type=Path, help="folder of inputs.npz and vgg19.npz")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/gpu"))
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES))
    parser.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=RECIPES)
    parser.add_argument("--steps", type=int, default=1000, help="tutorial steps (L-BFGS: 2×)")
    parser.add_argument("--content", default=None)
    parser.add_argument("--style", default=None)
    # child only
    parser.add_argument("--check", action="store_true")
    parser.add_argument("--recipe", choices=RECIPES)
    parser.add_argument("--size", type=int)
    parser.add_argument("--l-ref", type=float, default=None)
    args = parser.parse_args(argv)
    if args.mode == "prepare":
        from benchmarks.run import default_images

        content, style = default_images()
        refs = prepare(args.data, args.content or content, args.style or style, tuple(args.sizes))
        print(json.dumps(refs))
    elif args.mode == "run":
        run(args.data, args.out, tuple(args.sizes), tuple(args.recipes), args.steps)
    elif args.check:
        print(json.dumps(check(args.data, args.size) | {"machine": device_info()}))
    else:
        row = child(args.data, args.recipe, args.size, args.l_ref, args.steps)
        image = row.pop("image")
        np.save(_scratch(args.out) / f"{args.recipe}_{args.size}.npy", image)
        print(json.dumps(row))
    return 0


if __name__ == "__main__":
    sys.exit(main())
