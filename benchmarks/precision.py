"""bfloat16 on this CPU: is an evaluation cheaper, and does L-BFGS still converge with it?

The issue measured a VGG19 value-and-gradient at 384×512 in 0.67 s in float32 and 0.35 s
under Keras's ``mixed_bfloat16`` on a CPU with ``avx512_bf16``. Whether that pays depends on
the CPU (oneDNN's bfloat16 kernels are fast with AMX, and emulated without any bfloat16
instructions) and on the optimiser (a bfloat16 gradient is ≈ 10 % off the float32 one). This
script measures the three things that decide it, in one process:

1. **One convolution** (3×3, 128 → 128 channels, 192×256: ``block2_conv2`` at 384×512) in
   float32, bfloat16 and float16, alternately: milliseconds and GFLOP/s, and which oneDNN
   kernel runs is printed by ``ONEDNN_VERBOSE=1`` if you want it. And one layer of each of
   VGG19's widths (64 to 512 channels, at ``--size``) both ways oneDNN can run it: the
   forward convolution, and the backward-data kernel through the turned kernel (how nststudy
   runs the deep float32 layers under oneDNN: does that rescue the lower precisions too?).
2. **One value-and-gradient** of the tutorial's loss (``nststudy.train.Stage``, the lean
   gradient) at ``--size`` with VGG19 in float32 and in bfloat16, alternately: median seconds,
   how far the loss and the gradient are apart.
3. **The race** at ``--race-size``: nststudy's L-BFGS (the ``default`` preset's: 40 float16
   pairs, from the photo) with float32 evaluations and with bfloat16 evaluations, **both
   scored with the float32 loss** after every iteration (scoring time excluded): evaluations
   to ``L_ref`` and the loss reached.

    python -m benchmarks.precision                     # 512 px timing, 256 px race, ≈ 10 min
    python -m benchmarks.precision --no-race           # the timings alone, ≈ 2 min
    python -m benchmarks.precision --size 64 --race-size 48 --repeats 1 \\
        --max-evaluations 3 --ref-loss 0               # smoke

Writes ``benchmarks/results/precision_<size>.json`` (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

import numpy as np

from .lowrank_vgg import REF_256, print_races, race, tutorial_stage
from .run import RESULTS, machine_info

#: The convolution timed alone: ``block2_conv2`` of a 384×512 picture.
CONV = {"height": 192, "width": 256, "channels": 128}
DTYPES = ("float32", "bfloat16", "float16")


def conv_times(repeats: int) -> dict[str, dict[str, Any]]:
    """Median milliseconds and GFLOP/s of :data:`CONV` in each of :data:`DTYPES`, alternately;
    a dtype TensorFlow cannot run here gets its error instead."""
    import tensorflow as tf

    h, w, c = CONV["height"], CONV["width"], CONV["channels"]
    x32 = tf.random.stateless_normal((1, h, w, c), (1, 2))
    k32 = tf.random.stateless_normal((3, 3, c, c), (3, 4)) * 0.05
    conv = tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME"))
    runs: dict[str, tuple[Any, Any]] = {}
    out: dict[str, dict[str, Any]] = {}
    for name in DTYPES:
        dtype = getattr(tf, name)
        x, k = tf.cast(x32, dtype), tf.cast(k32, dtype)
        try:
            conv(x, k).numpy()  # trace, and find out whether this dtype runs here at all
        except (tf.errors.OpError, TypeError, ValueError) as exc:
            out[name] = {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"}
            continue
        runs[name] = (x, k)
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, (x, k) in runs.items():
            start = time.perf_counter()
            conv(x, k).numpy()
            times[name].append(time.perf_counter() - start)
    flops = 2 * h * w * c * c * 9
    for name, t in times.items():
        median = float(np.median(t))
        out[name] = {"ms": median * 1e3, "gflops": flops / median / 1e9}
    return out


#: VGG19's four widths, one 3×3 layer of each: (name, channels, shrink from the canvas).
LAYERS = (("block1_conv2", 64, 1), ("block2_conv2", 128, 2), ("block3_conv2", 256, 4),
          ("block4_conv2", 512, 8))  # fmt: skip


def kernel_times(size: int, repeats: int) -> list[dict[str, Any]]:
    """Each of :data:`LAYERS` at a ``size`` px 3:4 canvas, in each of :data:`DTYPES`, run both
    ways oneDNN offers: TensorFlow's forward convolution and the backward-data kernel through
    the turned kernel (:func:`nststudy._lean.conv3x3_transposed`, how nststudy runs float32
    layers of 128 channels and up under oneDNN). Median ms and GFLOP/s, alternately per layer;
    a dtype that cannot run here gets its error instead."""
    import tensorflow as tf

    from nststudy._lean import conv3x3_transposed

    ways = {
        "forward": tf.function(lambda x, k: tf.nn.conv2d(x, k, 1, "SAME")),
        "backward_data": tf.function(conv3x3_transposed),
    }
    out = []
    for name, c, shrink in LAYERS:
        h, w = max(1, size * 3 // 4 // shrink), max(1, size // shrink)
        x32 = tf.random.stateless_normal((1, h, w, c), (1, 2))
        k32 = tf.random.stateless_normal((3, 3, c, c), (3, 4)) * 0.05
        runs, row = {}, {"layer": name, "shape": [h, w, c], "by_dtype": {}}
        for dtype in DTYPES:
            x, k = tf.cast(x32, dtype), tf.cast(k32, dtype)
            try:
                for fn in ways.values():
                    fn(x, k).numpy()  # trace (and warm oneDNN's caches)
            except (tf.errors.OpError, TypeError, ValueError) as exc:  # neither way is timed
                row["by_dtype"][dtype] = {"error": f"{type(exc).__name__}: {str(exc)[:200]}"}
                continue
            runs.update({(dtype, way): (fn, x, k) for way, fn in ways.items()})
            if dtype == "float32":  # both ways are the same convolution: say how far apart
                a, b = (fn(x, k).numpy() for fn in ways.values())
                same = a.shape == b.shape
                # (None: different shapes, so not the same convolution)
                row["float32_apart"] = (
                    float(np.abs(a - b).max() / np.abs(a).max()) if same else None
                )
        times: dict[tuple[str, str], list[float]] = {key: [] for key in runs}
        for _ in range(repeats):
            for key, (fn, x, k) in runs.items():
                start = time.perf_counter()
                fn(x, k).numpy()
                times[key].append(time.perf_counter() - start)
        for (dtype, way), t in times.items():
            median = float(np.median(t))
            flops = 2 * h * w * c * c * 9
            entry = {"ms": median * 1e3, "gflops": flops / median / 1e9}
            row["by_dtype"].setdefault(dtype, {})[way] = entry
        out.append(row)
    return out


def same_conv(kernels: list[dict[str, Any]]) -> dict[str, dict[str, Any]] | None:
    """:data:`CONV`'s timings, taken from :func:`kernel_times`' forward way when one of its
    layers is that very convolution (``block2_conv2`` at 512 px); ``None`` otherwise."""
    for row in kernels:
        if row["shape"] == [CONV["height"], CONV["width"], CONV["channels"]]:
            return {d: r if "error" in r else r["forward"] for d, r in row["by_dtype"].items()}
    return None


def evaluation_times(size: int, repeats: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """The float32 and bfloat16 tutorial-loss stages at ``size``, each timed over ``repeats``
    alternating value-and-gradients at the photo; ``(stages, summary)``."""
    stages = {p: tutorial_stage(size, p) for p in ("float32", "bfloat16")}
    x = stages["float32"][1][None].astype(np.float32)
    results = {}
    for stage, _, _ in stages.values():
        losses, grad = stage.loss_and_grad(x)  # traced, and the answer to compare
        results[stage.extractor.precision] = (float(losses["total"]), grad.numpy())
    times: dict[str, list[float]] = {p: [] for p in stages}
    for _ in range(repeats):
        for p, (stage, _, _) in stages.items():
            start = time.perf_counter()
            stage.loss_and_grad(x)[1].numpy()
            times[p].append(time.perf_counter() - start)
    (l32, g32), (l16, g16) = results["float32"], results["bfloat16"]
    summary = {
        "shape": list(x.shape[1:3]),
        "s_float32": float(np.median(times["float32"])),
        "s_bfloat16": float(np.median(times["bfloat16"])),
        "loss_float32": l32,
        "loss_bfloat16": l16,
        "gradient_relative_error": float(np.linalg.norm(g16 - g32) / np.linalg.norm(g32)),
        "gradient_cosine": float(np.vdot(g32, g16) / np.linalg.norm(g32) / np.linalg.norm(g16)),
    }
    return stages, summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.precision", description=__doc__)
    parser.add_argument("--size", type=int, default=512, help="longest side of the timing, px")
    parser.add_argument("--race-size", type=int, default=256, help="longest side of the race")
    parser.add_argument("--ref-loss", type=float, default=REF_256, help="L_ref at --race-size")
    parser.add_argument("--max-evaluations", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=6, help="timed runs of each variant")
    parser.add_argument(
        "--race", action=argparse.BooleanOptionalAction, default=True,
        help="run the L-BFGS race (--no-race: the timings alone, ≈ 2 min)",
    )  # fmt: skip
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    if args.repeats < 1 or min(args.size, args.race_size) < 32 or args.max_evaluations < 1:
        parser.error("--repeats and --max-evaluations must be >= 1, sizes >= 32")
    out = args.out or RESULTS / f"precision_{args.size}.json"

    kernels = kernel_times(args.size, max(3, args.repeats))
    convs = same_conv(kernels)  # at 512 px, block2_conv2 is that convolution: not timed twice
    conv_repeats = max(3, args.repeats if convs is not None else 2 * args.repeats)
    if convs is None:
        convs = conv_times(conv_repeats)
    _, at_photo = evaluation_times(args.size, args.repeats)
    result: dict[str, Any] = {
        "size": args.size,
        "race_size": args.race_size,
        "ref_loss": args.ref_loss,
        "conv": {"shape": CONV, "by_dtype": convs},
        "kernels": kernels,
        "repeats": {
            "conv": conv_repeats,
            "kernels": max(3, args.repeats),
            "at_photo": args.repeats,
        },
        "at_photo": at_photo,
        "machine": machine_info(),
    }
    if args.race:
        s32, photo, _ = tutorial_stage(args.race_size, "float32")
        s16, _, _ = tutorial_stage(args.race_size, "bfloat16")
        result["float32"] = race(s32, s32, photo, args.ref_loss, args.max_evaluations)
        result["bfloat16"] = race(s16, s32, photo, args.ref_loss, args.max_evaluations)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")

    print(f"one 3x3 convolution {CONV['channels']}->{CONV['channels']} channels at "
          f"{CONV['height']}x{CONV['width']}:")  # fmt: skip
    for name, r in convs.items():
        line = r["error"] if "error" in r else f"{r['ms']:8.1f} ms {r['gflops']:7.0f} GFLOP/s"
        print(f"  {name:<9} {line}")
    print(f"each VGG19 width at {args.size} px, ms forward / as the backward-data kernel:")
    print(f"  {'layer':<13}" + "".join(f"{d:>18}" for d in DTYPES))
    for row in kernels:
        cells = []
        for dtype in DTYPES:
            r = row["by_dtype"].get(dtype, {})
            cells.append("error" if "error" in r else
                         f"{r['forward']['ms']:.1f} / {r['backward_data']['ms']:.1f}")  # fmt: skip
        print(f"  {row['layer']:<13}" + "".join(f"{c:>18}" for c in cells))
    p = at_photo
    apart = p["loss_bfloat16"] / p["loss_float32"] - 1
    print(f"value and gradient at {p['shape'][0]}x{p['shape'][1]}: float32 {p['s_float32']:.3f} s, "
          f"bfloat16 {p['s_bfloat16']:.3f} s ({p['s_float32'] / p['s_bfloat16']:.2f}x); loss "
          f"{apart:+.2%}, gradient {p['gradient_relative_error']:.1%} off "
          f"(cosine {p['gradient_cosine']:.4f})")  # fmt: skip
    if args.race:
        print_races(result, ("float32", "bfloat16"), "evaluations", "float32 loss at end")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
