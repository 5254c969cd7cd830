"""Benchmark the recipes side by side: speed, quality on one loss, and peak memory.

``python -m benchmarks.run`` (``make bench``) runs every recipe at 256 and 512 px on the same
content/style pair (``../shared/images/tubingen.jpg`` + ``starry_night.jpg`` when present, the
bundled samples otherwise) and scores each on the same loss: the tensorflow.org tutorial's
(content ``block5_conv2`` 1e4, style ``conv1_1…conv5_1`` 1e-2, TV 30, pixels in [0, 1], style
image at the output size). The tutorial recipe's final loss is the reference ``L_ref``.

Each recipe runs in its own child process (``--child``), so its peak RSS (``ru_maxrss``) is its
own and environment levers (``TF_ENABLE_ONEDNN_OPTS``, thread counts) are set before TensorFlow
is imported. The parent prints a table and writes ``benchmarks/results/<tag>.json`` with the
machine's description; output thumbnails go to ``benchmarks/results/<tag>/``.

``--quick`` is a smoke run for CI (a few minutes, 128 px, short schedules): not headline numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).resolve().parent / "results"
SHARED_IMAGES = ROOT.parent / "shared" / "images"

#: Config fields that define the loss (copied from ``loss_from`` for a fair comparison).
LOSS_FIELDS = (
    "content_layers",
    "style_layers",
    "style_layer_weights",
    "content_weight",
    "style_weight",
    "tv_weight",
    "formulas",
)


def _history(memory: int, history: str, about: str) -> dict[str, Any]:
    """long@tutorial-loss with another L-BFGS history (pairs kept, their storage)."""
    return {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"steps": (400,), "lbfgs_memory": memory, "lbfgs_history": history},
        "about": f"long@tutorial-loss, L-BFGS history: {about}",
    }


#: name -> preset, overrides, loss_from (preset whose loss fields replace the recipe's),
#: env (set before TensorFlow starts), threads ((intra, inter) or None = TF's choice),
#: live (score the tutorial loss after each final-size step, excluding that time),
#: keras_model (compute as the tutorial's and the article's code do: VGG19 called as a Keras
#: model and the einsum Gram, instead of nststudy's hand-run layers with the lean image
#: gradient, ``nststudy._lean``, and its one-matmul Gram).
RECIPES: dict[str, dict[str, Any]] = {
    "tutorial": {
        "preset": "tutorial",
        "keras_model": True,
        "about": "tensorflow.org recipe: Adam, 1000 steps, VGG19 called as a Keras model",
    },
    "article": {
        "preset": "article",
        "keras_model": True,
        "live": 10,
        "about": "source article: its loss, Adam(2.0, decay 0.99/100) in VGG space",
    },
    "default": {"preset": "default", "about": "nststudy default preset, its own loss (look)"},
    "preview": {"preset": "preview", "sizes": (256,), "about": "nststudy preview preset"},
    "default@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"steps": (200,)},
        "about": "default's optimiser/init/precision on the tutorial loss, 200 iterations "
        "(the default's count until session 14; L_ref takes ≈ 255 at 512 px, 258-266 at 256: "
        "the headline is long@)",
    },
    "long@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"steps": (400,)},
        "about": "the headline recipe with up to 400 iterations: time to L_ref at 512 px",
    },
    "long-f32@tutorial-loss": _history(10, "float32", "session 7's: 10 pairs in float32"),
    "long-h16@tutorial-loss": _history(10, "float16", "10 pairs in float16 (rounding alone)"),
    "long-m20h16@tutorial-loss": _history(
        20, "float16", "20 pairs in float16 (the default in sessions 8-12)"
    ),
    "long-m30h16@tutorial-loss": _history(30, "float16", "30 pairs in float16 (+24 MB)"),
    "long-m40h16@tutorial-loss": _history(
        40, "float16", "40 pairs in float16 (the default since session 13: = long@tutorial-loss)"
    ),
    "c2f@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"sizes": (256, 512), "steps": (50, 200)},
        "about": "default@tutorial-loss plus a half-size L-BFGS stage first (coarse-to-fine)",
    },
    "naive-c2f@tutorial-loss": {
        "preset": "tutorial",
        "overrides": {"optimizer": "lbfgs", "sizes": (128, 256, 512), "steps": (100, 60, 40)},
        "about": "the issue's naive coarse-to-fine 128/256/512, 100/60/40",
    },
    "default-noise@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"init": "noise"},
        "about": "headline recipe started from noise instead of the photo",
    },
    "default-bf16@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"precision": "bfloat16", "steps": (10,)},
        "live": 1,
        "about": "mixed_bfloat16, 10 iterations: time per evaluation only",
    },
    "default-onednn-off@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"steps": (30,)},
        "env": {"TF_ENABLE_ONEDNN_OPTS": "0"},
        "about": "oneDNN disabled (so precision auto is float32), 30 iterations: time only",
    },
    "default-lean@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"steps": (30,)},
        "env": {"NSTSTUDY_LEAN_GRADIENT": "1"},
        "about": "the turned-kernel image gradient even where oneDNN's is used, 30 iterations",
    },
    "default-threads-tf@tutorial-loss": {
        "preset": "default",
        "loss_from": "tutorial",
        "overrides": {"steps": (30,)},
        "threads": None,
        "about": "TensorFlow's own thread pools (not 2/1), 30 iterations: time per evaluation",
    },
}

#: every recipe but the one that repeats ``long@tutorial-loss`` (40 float16 pairs since session 13)
DEFAULT_RECIPES = tuple(r for r in RECIPES if r != "long-m40h16@tutorial-loss")
QUICK_RECIPES = ("tutorial", "article", "default", "preview", "default@tutorial-loss")


# --------------------------------------------------------------------------- machine


def machine_info() -> dict[str, Any]:
    """CPU model, core count, the SIMD flags that matter, memory and library versions."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        "cpu_model": platform.processor() or "unknown",
    }
    try:
        text = Path("/proc/cpuinfo").read_text()
        for line in text.splitlines():
            if line.startswith("model name"):
                info["cpu_model"] = line.split(":", 1)[1].strip()
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                wanted = (
                    "avx2", "fma", "avx512f", "avx512_bf16", "avx512_vnni", "amx_tile", "amx_bf16"
                )  # fmt: skip
                info["cpu_flags"] = {f: f in flags for f in wanted}
                break
        mem = Path("/proc/meminfo").read_text().splitlines()[0].split()
        info["mem_total_gb"] = round(int(mem[1]) / 2**20, 1)
    except OSError:
        pass
    from importlib import metadata

    for dist in ("tensorflow-cpu", "tensorflow", "keras", "numpy", "scipy"):
        try:
            info[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            continue
    info["TF_ENABLE_ONEDNN_OPTS"] = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "(unset: on)")
    from nststudy._cpu import auto_precision

    info["auto_precision"] = auto_precision()  # what the default and preview presets run
    info["git"] = _git_state()
    return info


def _git_state() -> str:
    """The commit the benchmark ran (``+dirty`` with uncommitted changes), or ``unknown``."""
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
            capture_output=True, text=True, timeout=10, check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def default_images() -> tuple[str, str]:
    """Paths (or sample names) of the content and style images."""
    content, style = SHARED_IMAGES / "tubingen.jpg", SHARED_IMAGES / "starry_night.jpg"
    if content.is_file() and style.is_file():
        return str(content), str(style)
    return "sample:chelsea", "sample:swirl"


# --------------------------------------------------------------------------- child


def _load(src: str) -> Any:
    from nststudy import samples
    from nststudy.images import load_image

    if src.startswith("sample:"):
        name = src.split(":", 1)[1]
        if name in samples.STYLES:
            return samples.make_style(name, 512)
        return samples.content_photo(name)
    return load_image(src)


def einsum_gram(features: Any) -> Any:
    """The tutorial's Gram matrix ``(B, C, C)``: the same numbers as nststudy's, by einsum."""
    import tensorflow as tf

    features = tf.convert_to_tensor(features, tf.float32)
    positions = tf.cast(tf.shape(features)[1] * tf.shape(features)[2], tf.float32)
    return tf.einsum("bijc,bijd->bcd", features, features) / positions


def _run_as_the_tutorials_code() -> None:
    """Make this process compute as the tutorial's (and the article's) code does: every
    FeatureExtractor calls its Keras model (TensorFlow's own convolution gradient: more memory,
    ≈ 13 % more time per evaluation) and the Gram matrix is their ``tf.einsum`` (≈ 16 % more
    time, ≈ 120 MB more memory at 512 px than nststudy's one matrix product)."""
    import tensorflow as tf

    import nststudy.losses
    import nststudy.objective
    from nststudy.vgg import FeatureExtractor

    def keras_call(self: Any, x: Any) -> dict[str, Any]:
        outs = self.model(x, training=False)
        outs = [outs] if len(self.layers) == 1 else outs
        return {n: tf.cast(o, tf.float32) for n, o in zip(self.layers, outs, strict=True)}

    FeatureExtractor.__call__ = keras_call  # type: ignore[method-assign]
    nststudy.losses.gram_matrix = nststudy.objective.gram_matrix = einsum_gram


def _child(spec: dict[str, Any]) -> dict[str, Any]:
    """Run one recipe at one size in this (fresh) process; return its measurements."""
    import resource

    import numpy as np
    import tensorflow as tf

    if spec.get("threads"):
        intra, inter = spec["threads"]
        tf.config.threading.set_intra_op_parallelism_threads(intra)
        tf.config.threading.set_inter_op_parallelism_threads(inter)

    import importlib

    stylize_mod = importlib.import_module("nststudy.stylize")
    train_mod = importlib.import_module("nststudy.train")
    from nststudy._lean import lean_gradient
    from nststudy.config import get_preset
    from nststudy.images import resize_longest, save_image, to_vgg
    from nststudy.train import compute_losses, make_targets
    from nststudy.vgg import FeatureExtractor

    if spec.get("keras_model"):
        _run_as_the_tutorials_code()
    size = spec["size"]
    photo, style = _load(spec["content"]), _load(spec["style"])
    cfg = get_preset(spec["preset"])
    if spec.get("loss_from"):
        ref = get_preset(spec["loss_from"])
        cfg = cfg.replace(**{f: getattr(ref, f) for f in LOSS_FIELDS}, style_scale=1.0)
    overrides = dict(spec.get("overrides") or {})
    for key in ("sizes", "steps"):
        if key in overrides:
            overrides[key] = tuple(overrides[key])
    # precision "auto" (the default's): this machine's choice, recorded in the row's config
    cfg = cfg.replace(**overrides).at_size(size, steps=spec.get("steps")).resolved()

    # The yardstick: the tutorial loss at the output size (style image at the output size),
    # built on first use: after the run for recipes on that loss, so its memory is not theirs.
    tut = get_preset("tutorial").at_size(size)
    work = resize_longest(photo, size)
    scorer: list[Any] = []

    def score(img: tf.Tensor) -> tf.Tensor:
        if not scorer:
            ext = FeatureExtractor(tut.content_layers, tut.style_layers, "float32")
            targets = make_targets(ext, work, [(resize_longest(style, size), 1.0)])
            scorer.append(tf.function(lambda x: compute_losses(to_vgg(x)[None], ext, targets, tut)))
        return scorer[0](img)["total"]

    same_loss = (
        all(getattr(cfg, f) == getattr(tut, f) for f in LOSS_FIELDS)
        and cfg.style_scale == 1.0
        and cfg.precision == "float32"
    )
    live_every = int(spec.get("live", 0) or 0)
    if spec.get("loss_from") and cfg.precision != "float32" and not live_every:
        live_every = 1  # bfloat16 (auto, on a CPU with AMX): score every iterate in float32
    stages: list[Any] = []

    class CountingStage(train_mod.Stage):  # counts traces per size: one each, no retracing
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            stages.append(self)

    train_mod.Stage = CountingStage  # type: ignore[misc]  # stylize imports it per call
    if hasattr(stylize_mod, "Stage"):
        stylize_mod.Stage = CountingStage

    # (wall s, loss, CPU s, peak RSS MiB so far): times exclude scoring; the peak column shows
    # where the run's peak is set (it climbs while the L-BFGS history fills).
    traj: list[tuple[float, float, float, float]] = []
    paused = paused_cpu = 0.0
    stop_at = spec.get("stop_at")
    progress = Path(spec["image_dir"]).parent / "full" / f"{Path(spec['image_dir']).name}_"
    progress = progress.with_name(progress.name + f"{spec['recipe']}_{size}.progress.jsonl")
    progress.parent.mkdir(parents=True, exist_ok=True)
    progress.write_text("")
    start, start_cpu = time.perf_counter(), time.process_time()

    def callback(step: int, losses: dict[str, float], image: np.ndarray) -> None:
        nonlocal paused, paused_cpu
        now, now_cpu = time.perf_counter(), time.process_time()
        if image.shape[:2] != work.shape[:2]:
            return None
        value = None
        at, at_cpu = now - start - paused, now_cpu - start_cpu - paused_cpu  # scoring excluded
        if same_loss:
            value = losses["total"]
        elif live_every and step % live_every == 0:
            value = float(score(tf.constant(image)))
            paused += time.perf_counter() - now
            paused_cpu += time.process_time() - now_cpu
        if value is None:
            return None
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        traj.append((at, value, at_cpu, peak))
        with open(progress, "a") as fh:  # partial results survive a killed run
            fh.write(json.dumps(traj[-1]) + "\n")
        return bool(stop_at and value <= stop_at)

    result = stylize_mod.stylize(photo, style, cfg, callback=callback)
    wall = result.seconds - paused
    cpu = time.process_time() - start_cpu - paused_cpu
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    final = float(score(tf.constant(result.image.astype(np.float32) / 255.0)))
    out_dir = Path(spec["image_dir"])
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = f"{spec['recipe'].replace('@', '_at_')}_{size}"
    thumb = out_dir / f"{stem}.jpg"
    for quality in (88, 80, 70, 60):
        save_image(thumb, result.image, quality=quality)
        if thumb.stat().st_size <= 300_000:
            break
    else:  # (a 512 px painting never gets here; a larger --sizes might)
        save_image(thumb, resize_longest(result.image, 512), quality=60)
    full_dir = out_dir.parent / "full"
    full_dir.mkdir(exist_ok=True)
    save_image(full_dir / f"{out_dir.name}_{stem}.png", result.image)
    return {
        "recipe": spec["recipe"],
        "size": size,
        "shape": list(result.image.shape[:2]),
        "config": {k: v for k, v in vars(cfg).items()},
        "wall_s": wall,
        "cpu_s": cpu,
        "stopped_at_ref": stop_at,
        "stage_s": result.stage_seconds,
        "steps": len(result.history),
        "evaluations": result.evaluations,
        "stopped": result.stopped,
        "final_loss": final,
        "recipe_loss": result.final_loss,
        "loss_is_tutorial": same_loss,
        "trajectory": traj,
        "peak_rss_mb": rss_mb,
        "traces": [s.traces for s in stages],
        "scoring_excluded_s": paused,
        "thumbnail": os.path.relpath(thumb, RESULTS),
        "env": {k: os.environ.get(k) for k in ("TF_ENABLE_ONEDNN_OPTS", "NSTSTUDY_LEAN_GRADIENT")},
        # the convolutions' image gradient (nststudy._lean); the Keras model: TensorFlow's own
        "lean_gradient": None if spec.get("keras_model") else lean_gradient(),
        "threads": spec.get("threads"),
        "keras_model": bool(spec.get("keras_model")),
        # TensorFlow imports JAX when it is installed: ≈ +100 MiB on the peak (README)
        "jax_imported": sys.modules.get("jax") is not None,
    }


# --------------------------------------------------------------------------- parent


def run_child(spec: dict[str, Any], timeout: float) -> dict[str, Any]:
    """Run one recipe in a fresh interpreter with its environment; return its JSON."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", **spec.get("env", {})}
    load_before, began = os.getloadavg(), time.perf_counter()
    cmd = [sys.executable, "-m", "benchmarks.run", "--child", json.dumps(spec)]
    try:
        proc = subprocess.run(
            cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=env
        )
    except subprocess.TimeoutExpired:
        return {"recipe": spec["recipe"], "size": spec["size"], "error": f"timeout {timeout}s"}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = proc.stderr.strip().splitlines()[-5:]
        return {"recipe": spec["recipe"], "size": spec["size"], "error": " | ".join(tail)}
    out = json.loads(lines[-1])
    out["loadavg_before"], out["loadavg_after"] = load_before, os.getloadavg()
    # the whole child: Python and TensorFlow starting, the weights, the run, its scoring and
    # images (``wall_s`` is the run alone): what a user waits for, and a little more
    out["process_s"] = time.perf_counter() - began
    return out


def tutorial_1000(row: dict[str, Any]) -> tuple[float, float, bool]:
    """Wall and CPU seconds of the tutorial's 1000 steps, and whether they are extrapolated.

    A shortened run is extrapolated from its trajectory (per-step time after the first step's
    set-up, × 999 more), not from ``wall_s``: that also holds the evaluation Adam makes after
    its last step, one more step's time that would be spread over the 14–29 steps run. (Since
    session 18 ``run_adam`` logs step k at the evaluation after it, so the first point holds
    one evaluation more, as a full run's end does: +0.1 % against the runs before.)
    """
    if row["steps"] >= 1000:
        return row["wall_s"], row["cpu_s"], False
    traj = row["trajectory"]
    if len(traj) < 2:  # (--tutorial-steps 1: no per-step time to extrapolate from)
        raise ValueError("the tutorial ran 1 step: give --tutorial-steps 2 or more")
    (t0, _, c0, *_), (t1, _, c1, *_) = traj[0], traj[-1]
    per, per_cpu = (t1 - t0) / (len(traj) - 1), (c1 - c0) / (len(traj) - 1)
    return t0 + per * 999, c0 + per_cpu * 999, True


def time_to_reach(traj: list[list[float]], target: float, col: int = 0) -> float | None:
    """First wall (``col=0``) or CPU (``col=2``) time at which loss <= ``target``, or None."""
    for point in traj:
        if point[1] <= target:
            return point[col]
    return None


def summarise(rows: list[dict[str, Any]], refs: dict[int, dict[str, float]]) -> None:
    """Add L_ref-relative columns to each row, in place."""
    for row in rows:
        if "error" in row:
            continue
        ref = refs.get(row["size"])
        if not ref or ref.get("provisional"):  # no L_ref: no ratios to it
            continue
        row["L_ref"] = ref["loss"]
        row["loss_vs_ref"] = row["final_loss"] / ref["loss"]
        reach = time_to_reach(row["trajectory"], ref["loss"])
        reach_cpu = time_to_reach(row["trajectory"], ref["loss"], col=2)
        row["time_to_ref_s"] = reach
        row["cpu_to_ref_s"] = reach_cpu
        row["speedup_to_ref"] = ref["seconds"] / reach if reach else None
        cpu_ref = ref.get("cpu_seconds")
        row["cpu_speedup_to_ref"] = cpu_ref / reach_cpu if reach_cpu and cpu_ref else None
        row["speedup_wall"] = ref["seconds"] / row["wall_s"]


def table(rows: list[dict[str, Any]]) -> str:
    """A fixed-width text table of the results."""
    head = (
        f"{'recipe':34} {'px':>4} {'wall s':>8} {'steps':>5} {'evals':>5} {'s/eval':>6} "
        f"{'to L_ref s':>10} {'x tut':>6} {'x tut CPU':>9} {'final loss':>10} {'/L_ref':>6} "
        f"{'RSS MiB':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        if "error" in r:
            lines.append(f"{r['recipe']:34} {r['size']:>4} ERROR {r['error'][:80]}")
            continue
        reach = r.get("time_to_ref_s")
        speed = r.get("speedup_to_ref")
        cpu_speed = "-" if r.get("cpu_speedup_to_ref") is None else f"{r['cpu_speedup_to_ref']:.1f}"
        lines.append(
            f"{r['recipe']:34} {r['size']:>4} {r['wall_s']:8.1f} {r['steps']:5d} "
            f"{r['evaluations']:5d} {r['wall_s'] / max(1, r['evaluations']):6.2f} "
            f"{'-' if reach is None else f'{reach:.1f}':>10} "
            f"{'-' if speed is None else f'{speed:.1f}':>6} {cpu_speed:>9} {r['final_loss']:10.3e} "
            f"{r.get('loss_vs_ref', float('nan')):6.2f} {r['peak_rss_mb']:7.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.run", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="CI smoke run (a few minutes)")
    parser.add_argument("--sizes", type=int, nargs="+", help="output sizes (default 256 512)")
    parser.add_argument("--recipes", help=f"comma-separated, from: {', '.join(RECIPES)}")
    parser.add_argument("--tutorial-steps", type=int, help="shorten the tutorial recipe")
    parser.add_argument("--article-steps", type=int, help="shorten the article recipe")
    parser.add_argument(
        "--reference",
        help="results JSON of an earlier run whose tutorial rows give L_ref and, when the "
        "tutorial is not run here, its time (run shortened here, the time is this run's "
        "per-step time x 1000: a same-run ratio)",
    )
    parser.add_argument(
        "--ref-loss",
        nargs="+",
        default=[],
        metavar="SIZE=LOSS",
        help="L_ref per size when the full tutorial is not run here, e.g. 512=5.38e6 (the time "
        "is then the tutorial's per-step time measured in this run x 1000)",
    )
    parser.add_argument(
        "--stop-at-ref",
        action="store_true",
        help="end each recipe scored on the tutorial loss once it reaches L_ref (saves time; "
        "its wall time is then time-to-L_ref)",
    )
    parser.add_argument("--threads", default="2,1", help="intra,inter op threads or 'tf'")
    parser.add_argument("--content", help="content image path (default tubingen or sample)")
    parser.add_argument("--style", help="style image path (default starry_night or sample)")
    parser.add_argument("--tag", help="name of the results file (default: timestamp)")
    parser.add_argument(
        "--timeout", type=float, default=5400, help="per recipe, seconds (--quick: 600 at most)"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        print(json.dumps(_child(json.loads(args.child))))
        return 0

    sizes = args.sizes or ([128] if args.quick else [256, 512])
    names = (
        args.recipes.split(",")
        if args.recipes
        else (QUICK_RECIPES if args.quick else DEFAULT_RECIPES)
    )
    unknown = [n for n in names if n not in RECIPES]
    if unknown:
        parser.error(f"unknown recipe(s) {unknown}; choose from {', '.join(RECIPES)}")
    if args.tutorial_steps is not None and args.tutorial_steps < 2:  # before any work
        parser.error("--tutorial-steps: give 2 or more (a per-step time needs two)")
    tutorial_steps = args.tutorial_steps or (100 if args.quick else None)
    article_steps = args.article_steps or (100 if args.quick else None)
    threads = None if args.threads == "tf" else [int(v) for v in args.threads.split(",")]
    content, style = default_images()
    content, style = args.content or content, args.style or style
    tag = args.tag or time.strftime("%Y%m%d-%H%M%S") + ("-quick" if args.quick else "")
    RESULTS.mkdir(parents=True, exist_ok=True)
    info = machine_info()
    print(f"machine: {info.get('cpu_model')} x{info.get('cores')}, flags {info.get('cpu_flags')}")
    tf_version = info.get("tensorflow-cpu") or info.get("tensorflow")
    print(f"TensorFlow {tf_version}; content {content}; style {style}")

    rows: list[dict[str, Any]] = []
    refs: dict[int, dict[str, float]] = {}
    if args.reference:
        for r in json.loads(Path(args.reference).read_text())["rows"]:
            if r.get("recipe") == "tutorial" and "error" not in r and r["steps"] >= 1000:
                refs[r["size"]] = {
                    "loss": r["trajectory"][-1][1],
                    "seconds": r["wall_s"],
                    "cpu_seconds": r.get("cpu_s"),
                }
    for item in args.ref_loss:
        size_text, _, loss_text = item.partition("=")
        refs[int(size_text)] = {"loss": float(loss_text), "seconds": float("nan"), "given": True}
    out_path = RESULTS / f"{tag}.json"
    for size in sizes:
        for name in names:
            recipe = RECIPES[name]
            if "sizes" in recipe and size not in recipe["sizes"] and not args.quick:
                continue
            steps = {"tutorial": tutorial_steps, "article": article_steps}.get(name)
            if args.quick and name not in ("tutorial", "article", "preview"):
                steps = 40  # smoke test: every recipe runs, briefly (preview: its own 20)
            spec = {
                "recipe": name,
                "size": size,
                "content": content,
                "style": style,
                "preset": recipe["preset"],
                "loss_from": recipe.get("loss_from"),
                "overrides": recipe.get("overrides", {}),
                "env": recipe.get("env", {}),
                "threads": recipe.get("threads", threads),
                "live": recipe.get("live", 0),
                "keras_model": recipe.get("keras_model", False),
                "stop_at": (
                    refs.get(size, {}).get("loss")
                    if args.stop_at_ref
                    and name != "tutorial"
                    and not refs.get(size, {}).get("provisional")
                    else None
                ),
                "steps": steps,
                "image_dir": str(RESULTS / tag),
            }
            print(f"[{time.strftime('%H:%M:%S')}] {name} @ {size} px ...", flush=True)
            row = run_child(spec, min(args.timeout, 600) if args.quick else args.timeout)
            row["about"] = recipe.get("about", "")
            rows.append(row)
            if name == "tutorial" and "error" not in row:
                secs, cpu_secs, extrapolated = tutorial_1000(row)
                row["tutorial_1000_s"], row["tutorial_1000_cpu_s"] = secs, cpu_secs
                row["tutorial_time_extrapolated"] = extrapolated
                timing = {"seconds": secs, "cpu_seconds": cpu_secs, "extrapolated": extrapolated}
                if size not in refs or not extrapolated:
                    # a shortened tutorial's last loss is no L_ref: kept for the smoke run's
                    # table, marked provisional, never a stopping point or a ratio's base
                    refs[size] = {"loss": row["trajectory"][-1][1], **timing}
                    refs[size]["provisional"] = extrapolated
                else:
                    refs[size].update(timing)  # L_ref given, time measured in this run
            summarise(rows, refs)
            out_path.write_text(
                json.dumps(
                    {"machine": info, "tag": tag, "quick": args.quick, "refs": refs, "rows": rows},
                    indent=1,
                )
            )
    print(table(rows))
    for size, ref in sorted(refs.items()):
        what = "not L_ref: the tutorial ran fewer than 1000 steps; give --ref-loss" * bool(
            ref.get("provisional")
        )
        line = f"L_ref @ {size}px = {ref['loss']:.4g} (tutorial {ref['seconds']:.0f} s) {what}"
        print(line.rstrip())
    print(f"wrote {out_path.relative_to(ROOT)}")
    failed = failures(rows)
    for line in failed:
        print(f"FAILED: {line}")
    return 1 if failed else 0


def failures(rows: list[dict[str, Any]]) -> list[str]:
    """What went wrong in ``rows``: a recipe that crashed or timed out (its ``error``), or a
    stage traced more than once (each size must trace one function: no retracing)."""
    out = []
    for r in rows:
        where = f"{r.get('recipe')} @ {r.get('size')} px"
        if "error" in r:
            last = str(r["error"]).strip().split(" | ")[-1].splitlines()[-1]  # the exception
            out.append(f"{where}: {last[-200:]}")
        elif any(t != 1 for t in r.get("traces", [])):
            out.append(f"{where}: traced {r['traces']} times per stage (must be 1 each)")
    return out


if __name__ == "__main__":
    raise SystemExit(main())
