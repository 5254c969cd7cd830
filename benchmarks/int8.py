"""VGG19's convolutions in 8-bit integers (oneDNN's VNNI kernels): to ``L_ref`` sooner?

On a CPU without AMX, float32 is nststudy's fastest float type (session 21: bfloat16 and
float16 kernels take 1.3–1.65× as long). oneDNN also runs TensorFlow's ``QuantizedConv2D``
(unsigned 8-bit image × signed 8-bit kernel, 32-bit sums) with AVX512_VNNI's 8-bit dot products,
up to four times float32's multiplications per instruction. This script runs each 3×3
convolution from ``--from`` input channels up that way, forwards *and* for the image gradient:

* forwards, the input is a ReLU's (or a pool's) output, ``x ≥ 0``: ``u = round(x / s)`` with
  ``s = max(x) / 255``, one scale for the tensor; the kernel is ``round(k / s_k)`` with
  ``s_k = max|k| / 127``; the output is the integer sum times ``s · s_k``;
* backwards, the upstream gradient ``g`` is signed: it is padded with zeros, shifted to
  ``round(g / s) + 128`` (so the padding is exactly the zero point), convolved "valid" with the
  turned kernel, and ``128 · Σ k`` per channel is taken off the sums.

Everything else (bias, ReLU, pools, Grams, the losses) stays float32. The first layer
(3 channels, a signed image) stays float32 too. It times a value-and-gradient of the tutorial's
loss both ways, compares loss and gradient at the photo, then runs nststudy's L-BFGS (the
``default`` preset's) three ways, **scoring every iteration with the exact loss**: exact;
8-bit throughout; 8-bit until the exact loss is under ``--switch`` · ``L_ref``, then exact (a
fresh L-BFGS memory from that image):

    python -m benchmarks.int8                                   # 256 px, ≈ 10 min
    python -m benchmarks.int8 --size 64 --max-evaluations 5 --ref-loss 0   # smoke

Writes ``benchmarks/results/int8_<size>.json`` (or ``--out``) and prints a table. Needs
oneDNN's rewrite (``TF_ENABLE_ONEDNN_OPTS`` on, the default on x86); without it TensorFlow has
no fast kernel for these ops.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from .lowrank_vgg import REF_256, patched_stage, print_races, race, timed, tutorial_stage
from .run import RESULTS, machine_info


def _quantized(kernel: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``kernel`` ``(3, 3, C_in, C_out)`` in signed 8 bits, one scale per output channel:
    ``(k8, scales)`` with ``kernel ≈ k8 · scales``."""
    scales = np.abs(kernel).max(axis=(0, 1, 2)) / 127
    scales = np.where(scales > 0, scales, 1.0).astype(np.float32)
    return np.clip(np.round(kernel / scales), -127, 127).astype(np.int8), scales


def int8_conv(kernel: np.ndarray, ways: str = "both", spread: np.ndarray | None = None) -> Any:
    """``f(x)``: the 3×3 "same" convolution of ``x ≥ 0`` by ``kernel`` ``(3, 3, C_in, C_out)``
    in 8-bit integers forwards, backwards (the image gradient) or ``"both"`` (see the
    module's docstring); the other way in float32. ``spread`` ``(C_in,)``: each input
    channel's typical largest value; forwards, channel ``c`` is quantized as ``x_c / spread_c``
    (the kernel's input channel ``c`` multiplied by it instead), so that quiet channels get
    as many of the 255 levels as loud ones."""
    import tensorflow as tf

    equal = None if spread is None else tf.constant((1 / spread).astype(np.float32))
    k8, scale_k = _quantized(kernel if spread is None else kernel * spread[:, None])
    turned = np.ascontiguousarray(np.transpose(kernel[::-1, ::-1], (0, 1, 3, 2)))
    t8, scale_t = _quantized(turned)
    offset = 128.0 * t8.astype(np.int64).sum(axis=(0, 1, 2)).astype(np.float32)
    k32, t32 = tf.constant(kernel), tf.constant(turned)

    def qconv(u: Any, k: np.ndarray, padding: str) -> Any:
        out = tf.raw_ops.QuantizedConv2D(
            input=tf.bitcast(u, tf.quint8), filter=tf.bitcast(tf.constant(k), tf.qint8),
            min_input=tf.constant(0.0), max_input=tf.constant(255.0),
            min_filter=tf.constant(-127.0), max_filter=tf.constant(127.0),
            strides=[1, 1, 1, 1], padding=padding, out_type=tf.qint32,
        )  # fmt: skip
        return tf.cast(tf.bitcast(out.output, tf.int32), tf.float32)

    @tf.custom_gradient
    def conv(x: Any) -> Any:
        if ways == "backward":
            y = tf.nn.conv2d(x, k32, 1, "SAME")
        else:
            x = x if equal is None else x * equal
            s = tf.maximum(tf.reduce_max(x), 1e-30) / 255.0
            y = qconv(tf.cast(tf.round(x / s), tf.uint8), k8, "SAME") * (s * scale_k)

        def grad(dy: Any) -> Any:
            if ways == "forward":
                return tf.nn.conv2d(dy, t32, 1, "SAME")
            t = tf.maximum(tf.reduce_max(tf.abs(dy)), 1e-30) / 127.0
            padded = tf.pad(dy, [[0, 0], [1, 1], [1, 1], [0, 0]])
            u = tf.cast(tf.round(padded / t) + 128.0, tf.uint8)
            return (qconv(u, t8, "VALID") - offset) * (t * scale_t)

        return y, grad

    return conv


def spreads(layers: Any, image: np.ndarray, quantile: float = 0.999) -> dict[str, np.ndarray]:
    """Per 3×3 layer, the ``quantile`` of each input channel's values on ``image`` (RGB in
    [0, 1]; float32 network), floored at 1 % of the largest channel's: :func:`int8_conv`'s
    ``spread``."""
    import tensorflow as tf

    from nststudy.images import to_vgg

    out = {}
    x = tf.cast(to_vgg(tf.constant(image[None], tf.float32)), tf.float32)
    for layer in layers:
        if "pool" in layer.name:
            x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            continue
        flat = x.numpy().reshape(-1, x.shape[-1])
        q = np.quantile(np.abs(flat), quantile, axis=0)
        out[layer.name] = np.maximum(q, 0.01 * q.max() + 1e-12).astype(np.float32)
        x = tf.nn.relu(tf.nn.conv2d(x, layer.kernel, 1, "SAME") + layer.bias)
    return out


def int8_taps(
    layers: Any, start: int, ways: str = "both", spread: dict[str, np.ndarray] | None = None
) -> Any:
    """A drop-in for ``nststudy._lean.run_taps``: layers with ``start`` input channels or more
    run as :func:`int8_conv` (with ``spread[name]`` if given), the rest as nststudy's float32
    path."""
    import tensorflow as tf

    from nststudy._lean import image_conv

    convs = {
        layer.name: int8_conv(layer.kernel.numpy(), ways, (spread or {}).get(layer.name))
        for layer in layers
        if "pool" not in layer.name and layer.kernel.shape[2] >= start
    }

    def run_taps(layers: Any, x: Any, taps: Any) -> list[Any]:
        found = {}
        x = tf.cast(x, tf.float32)
        conv = image_conv(x.dtype)
        for layer in layers:
            if "pool" in layer.name:
                x = tf.nn.max_pool2d(x, 2, 2, "VALID")
            elif layer.name in convs:
                x = tf.nn.relu(convs[layer.name](x) + layer.bias)
            else:
                x = tf.nn.relu(conv(x, layer.kernel) + layer.bias)
            found[layer.name] = x
        return [found[n] for n in taps]

    return run_taps


def int8_stage(
    stage: Any, start: int, x: np.ndarray, ways: str = "both", equalise: bool = False
) -> Any:
    """The same loss and targets as ``stage`` (targets from the float32 network), evaluated
    through the 8-bit one; traced for inputs shaped like ``x`` (with ``equalise``, the input
    channels' spreads are measured on ``x``, :func:`spreads`)."""
    layers = stage.extractor._path
    spread = spreads(layers, x[0]) if equalise else None
    return patched_stage(stage, int8_taps(layers, start, ways, spread), x)


def hybrid(
    approx: Any, exact: Any, photo: np.ndarray, ref: float, switch: float, max_evaluations: int
) -> dict[str, Any]:
    """8-bit L-BFGS until the exact loss is under ``switch · ref``, then exact L-BFGS (a fresh
    memory) from there: evaluations and seconds of both phases together."""
    last: list[np.ndarray] = []
    first = race(approx, exact, photo, switch * ref, max_evaluations, last)
    start = last[0] if last else photo
    second = race(exact, exact, start, ref, max(max_evaluations - first["evaluations"], 1))
    n1, t1 = first["evaluations"], first["seconds"]
    trace = first["trace"] + [[n1 + n, e, o, t1 + s] for n, e, o, s in second["trace"]]
    hit = second["to_ref"]
    return {
        "evaluations": n1 + second["evaluations"],
        "seconds": t1 + second["seconds"],
        "evaluation_seconds": first["evaluation_seconds"] + second["evaluation_seconds"],
        "s_per_evaluation": (first["evaluation_seconds"] + second["evaluation_seconds"])
        / max(n1 + second["evaluations"], 1),
        "to_ref": None
        if hit is None
        else {"evaluations": n1 + hit["evaluations"], "seconds": t1 + hit["seconds"]},
        "final_exact": second["final_exact"],
        "switched_after": {"evaluations": n1, "seconds": t1, "exact": first["final_exact"]},
        "trace": trace,
    }


class Switching:
    """A stage that evaluates ``approx`` until its loss is at most ``below``, then ``exact``:
    one L-BFGS run whose memory (its curvature pairs) crosses the switch."""

    def __init__(self, approx: Any, exact: Any, below: float) -> None:
        self.approx, self.exact, self.below = approx, exact, below
        self.config, self.low, self.high = exact.config, exact.low, exact.high
        self.calls, self.switched_at = 0, None

    def loss_and_grad(self, x: Any) -> Any:
        self.calls += 1
        stage = self.approx if self.switched_at is None else self.exact
        losses, grad = stage.loss_and_grad(x)
        if self.switched_at is None and float(losses["total"]) <= self.below:
            self.switched_at = self.calls  # (this evaluation was still 8-bit)
        return losses, grad


def hybrid_kept(
    approx: Any, exact: Any, photo: np.ndarray, ref: float, switch: float, max_evaluations: int
) -> dict[str, Any]:
    """One L-BFGS run whose memory is kept across the switch, made when the 8-bit loss itself
    (any evaluation, line search included) is under ``switch · ref`` (:func:`hybrid` switches
    on the exact score of an accepted step)."""
    stage = Switching(approx, exact, switch * ref)
    out = race(stage, exact, photo, ref, max_evaluations)
    return out | {"switched_after": {"evaluations": stage.switched_at}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.int8", description=__doc__)
    parser.add_argument("--size", type=int, default=256, help="longest side, px")
    parser.add_argument("--from", dest="start", type=int, default=64,
                        help="input channels from which a layer runs in 8 bits")  # fmt: skip
    parser.add_argument("--ways", choices=("both", "forward", "backward"), default="both",
                        help="which passes run in 8 bits")  # fmt: skip
    parser.add_argument("--equalise", action=argparse.BooleanOptionalAction, default=False,
                        help="scale input channels to their spread first")  # fmt: skip
    parser.add_argument("--ref-loss", type=float, default=REF_256, help="L_ref at --size")
    parser.add_argument("--switch", type=float, default=2.0,
                        help="hybrid: 8-bit until the exact loss is < this × L_ref")  # fmt: skip
    parser.add_argument("--max-evaluations", type=int, default=400)
    parser.add_argument("--repeats", type=int, default=5, help="timed evaluations per network")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    out = args.out or RESULTS / f"int8_{args.size}.json"

    stage, photo, _ = tutorial_stage(args.size)
    x = photo[None].astype(np.float32)
    approx = int8_stage(stage, args.start, x, args.ways, args.equalise)
    t_exact, l_exact, g_exact = timed(stage, x, args.repeats)
    t_approx, l_approx, g_approx = timed(approx, x, args.repeats)
    cos = float(np.vdot(g_exact, g_approx) / np.linalg.norm(g_exact) / np.linalg.norm(g_approx))
    err = float(np.linalg.norm(g_approx - g_exact) / np.linalg.norm(g_exact))
    result: dict[str, Any] = {
        "size": args.size,
        "shape": list(photo.shape[:2]),
        "from_channels": args.start,
        "ways": args.ways,
        "equalise": args.equalise,
        "ref_loss": args.ref_loss,
        "switch": args.switch,
        "at_photo": {
            "s_exact": t_exact,
            "s_int8": t_approx,
            "loss_exact": l_exact,
            "loss_int8": l_approx,
            "gradient_cosine": cos,
            "gradient_relative_error": err,
        },
        "exact": race(stage, stage, photo, args.ref_loss, args.max_evaluations),
        "int8": race(approx, stage, photo, args.ref_loss, args.max_evaluations),
        "hybrid": hybrid(approx, stage, photo, args.ref_loss, args.switch, args.max_evaluations),
        "hybrid_kept": hybrid_kept(
            approx, stage, photo, args.ref_loss, args.switch, args.max_evaluations
        ),
        "machine": machine_info(),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1) + "\n")
    p = result["at_photo"]
    print(
        f"at the photo: exact {p['s_exact']:.3f} s, 8-bit {p['s_int8']:.3f} s a pass; loss "
        f"{p['loss_int8'] / p['loss_exact'] - 1:+.2%}, gradient cosine {cos:.4f} (error {err:.3f})"
    )
    s = result["hybrid"]["switched_after"]
    print(f"hybrid switched to float32 after {s['evaluations']} evaluations ({s['seconds']:.0f} s)")
    kept = result["hybrid_kept"]["switched_after"]["evaluations"]
    print(f"hybrid_kept (one L-BFGS memory) switched after {kept} evaluations")
    print_races(result, ("exact", "int8", "hybrid", "hybrid_kept"), "network", "exact loss at end")
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
