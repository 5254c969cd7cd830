"""Where one painting step's time goes, and the Gram matrix as matmul vs einsum, side by side.

One value-and-gradient of the tutorial's loss (what every recipe of ``benchmarks.run`` is
scored on) at one size, in this process:

1. **Profile**: TensorFlow's profiler over a few evaluations, summed by op type (convolutions,
   Gram products, max-pool gradients, ...).
2. **A/B**: two traced steps, identical but for the Gram matrix — nststudy's one matrix
   product ``FᵀF`` and the tutorial's ``tf.einsum("bijc,bijd->bcd")`` — evaluated *alternately*
   on the same image, so machine noise hits both alike (separate processes differ by ±7 %
   here). Medians, CPU time, and how far apart their losses and gradients are.

    python -m benchmarks.step                   # 512 px (384×512 for tubingen), ≈ 2 min
    python -m benchmarks.step --size 128 --evals 2 --out /tmp/step.json

Writes ``benchmarks/results/step_<size>.json`` (or ``--out``) and prints a table.
"""

from __future__ import annotations

import argparse
import collections
import json
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from .run import RESULTS, _load, default_images, einsum_gram, machine_info


def _stage(size: int, gram: Any = None) -> tuple[Any, Any]:
    """A tutorial-loss ``Stage`` at ``size`` and its start image; ``gram`` replaces the Gram
    while it is traced (the traced step keeps it)."""
    import nststudy.losses
    import nststudy.objective
    from nststudy.config import get_preset
    from nststudy.images import resize_longest
    from nststudy.train import Stage, make_targets
    from nststudy.vgg import FeatureExtractor

    content, style = default_images()
    cfg = get_preset("tutorial").at_size(size)
    photo = resize_longest(_load(content), size)
    ext = FeatureExtractor(cfg.content_layers, cfg.style_layers, "float32")
    saved = nststudy.losses.gram_matrix
    if gram is not None:
        nststudy.losses.gram_matrix = nststudy.objective.gram_matrix = gram
    try:
        stage = Stage(
            ext, make_targets(ext, photo, [(resize_longest(_load(style), size), 1.0)]), cfg
        )
        x = stage.from_pixels(photo)
        stage.loss_and_grad(x)  # trace now, with this Gram
    finally:
        nststudy.losses.gram_matrix = nststudy.objective.gram_matrix = saved
    return stage, x


def _plain_op(op: str) -> str:
    """TensorFlow's op type without oneDNN's renaming: where oneDNN's graph rewrite is on (by
    default on CPUs with ``avx512_vnni``, ``avx512_bf16`` or AMX), ``Conv2D`` runs as
    ``_MklNativeConv2D``, ``_FusedConv2D`` as ``_MklNativeFusedConv2D`` and ``BatchMatMulV2``
    as ``_MklBatchMatMulV2``."""
    return re.sub(r"^_Mkl(Native)?", "", re.sub(r"^_Mkl(Native)?Fused", "_Fused", op))


def profile(stage: Any, x: Any, evals: int) -> dict[str, float]:
    """Milliseconds per evaluation by TensorFlow op type, largest first."""
    import tensorflow as tf
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    with tempfile.TemporaryDirectory() as logdir:
        tf.profiler.experimental.start(logdir)
        for _ in range(evals):
            float(stage.loss_and_grad(x)[0]["total"])
        tf.profiler.experimental.stop()
        space = xplane_pb2.XSpace()
        space.ParseFromString(next(Path(logdir).rglob("*.xplane.pb")).read_bytes())
    by_op: collections.Counter[str] = collections.Counter()
    for plane in space.planes:
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = plane.event_metadata[event.metadata_id].name
                op = name.rsplit(":", 1)[-1]
                if ":" in name and op != "Process":  # "node:OpType": ops, not executor frames
                    by_op[_plain_op(op)] += event.duration_ps / 1e9 / evals
    return dict(by_op.most_common())


def alternate(stages: dict[str, tuple[Any, Any]], evals: int) -> dict[str, dict[str, float]]:
    """Evaluate the stages in turn ``evals`` times; median wall and CPU seconds of each."""
    wall: dict[str, list[float]] = {k: [] for k in stages}
    cpu: dict[str, list[float]] = {k: [] for k in stages}
    for _ in range(evals):
        for name, (stage, x) in stages.items():
            t, c = time.perf_counter(), time.process_time()
            float(stage.loss_and_grad(x)[0]["total"])
            wall[name].append(time.perf_counter() - t)
            cpu[name].append(time.process_time() - c)
    return {
        k: {
            "median_s": statistics.median(wall[k]),
            "min_s": min(wall[k]),
            "cpu_s": statistics.median(cpu[k]),
        }
        for k in stages
    }


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", type=int, default=512, help="longest side, px")
    parser.add_argument("--evals", type=int, default=8, help="evaluations per variant")
    parser.add_argument("--out", type=Path, default=None, help="JSON path")
    args = parser.parse_args(argv)
    if args.evals < 1 or args.size < 32:
        parser.error("--evals must be >= 1 and --size >= 32")

    import tensorflow as tf

    stages = {"matmul": _stage(args.size), "einsum": _stage(args.size, einsum_gram)}
    ops = profile(*stages["matmul"], evals=min(3, args.evals))
    times = alternate(stages, args.evals)
    (la, ga), (lb, gb) = (s.loss_and_grad(x) for s, x in stages.values())
    agree = {
        "loss_rel": abs(float(lb["total"]) / float(la["total"]) - 1.0),
        "grad_rel": float(tf.norm(gb - ga) / tf.norm(ga)),
    }
    speedup = times["einsum"]["median_s"] / times["matmul"]["median_s"]
    print(f"{'op type':24} {'ms / evaluation':>16}")
    for op, ms in list(ops.items())[:10]:
        print(f"{op:24} {ms:16.1f}")
    print(f"\n{'Gram':8} {'median s':>9} {'min s':>7} {'CPU s':>7}")
    for name, t in times.items():
        print(f"{name:8} {t['median_s']:9.3f} {t['min_s']:7.3f} {t['cpu_s']:7.2f}")
    apart = f"loss {agree['loss_rel']:.1e}, grad {agree['grad_rel']:.1e} apart"
    print(f"matmul vs einsum: {speedup:.2f}x; {apart}")
    out = {
        "machine": machine_info(),
        "size": args.size,
        "shape": list(stages["matmul"][1].shape[1:3]),
        "evals": args.evals,
        "ops_ms_per_evaluation": ops,
        "alternating": times,
        "speedup_matmul_vs_einsum": speedup,
        "agreement": agree,
    }
    path = args.out or RESULTS / f"step_{args.size}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1))
    print(f"wrote {path}")
    return out


if __name__ == "__main__":
    import tensorflow as tf

    # As benchmarks.run's children: 2 intra-op threads, 1 inter-op (settable only before
    # TensorFlow's first op, so here and not in main(), which a test calls after other tests).
    tf.config.threading.set_intra_op_parallelism_threads(2)
    tf.config.threading.set_inter_op_parallelism_threads(1)
    main()
