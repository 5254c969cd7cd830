"""Will a painting fit in memory? Refuse clearly instead of being killed by the OOM killer.

:func:`stylize` calls :func:`check_fits` before it builds the network. It compares
:func:`estimate_stylize_memory` (a documented, measured estimate of the peak extra memory of a
run) with :func:`available_memory`, which reads the container's cgroup limit where there is
one — on Binder, Colab-like hosts and in Docker ``/proc/meminfo`` shows the *host's* memory,
so trusting it lets a big run start and then die silently.

Set ``NSTSTUDY_IGNORE_MEMORY_LIMIT=1`` to skip the check.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from ._env import env_flag
from ._free_memory import available_memory, resident_bytes

if TYPE_CHECKING:
    from .config import Config

__all__ = [
    "IGNORE_ENV",
    "PRINT_BASE_BYTES",
    "PrintMemoryError",
    "ResourceError",
    "available_memory",
    "check_fits",
    "estimate_print_memory",
    "estimate_stylize_memory",
    "largest_fitting_size",
    "memory_check_skipped",
    "memory_limit_ignored",
    "resident_bytes",
]

#: Set to ``1`` to skip :func:`check_fits`.
IGNORE_ENV = "NSTSTUDY_IGNORE_MEMORY_LIMIT"


# VGG19 (no top): channels of each layer, in order, and the pools between blocks.
_BLOCKS = ((64, 2), (128, 2), (256, 4), (512, 4), (512, 4))
VGG19_WEIGHT_BYTES = 80_134_624  # the .h5 file; the float32 parameters are the same size
_HISTORY_BYTES = {"float32": 4, "float16": 2}  # per value of an L-BFGS pair vector

# Calibration: ``python -m benchmarks.memory`` (``benchmarks/results/memory.json``): peak RSS
# of a child process minus its RSS after ``import tensorflow`` and nststudy; default preset
# (conv4_2 + 5 style taps, deepest block5_conv1: 320 activation values per pixel), L-BFGS, 12
# iterations (its history full), random images; TF 2.21 CPU (oneDNN), 2-core dev box,
# 2026-11-26, lean convolution gradient, matmul Gram, float32 L-BFGS (``nststudy.lbfgs``):
#     128² → 254 MiB, 256² → 429, 384² → 685, 384×512 → 871, 512² → 887 MiB
# i.e. ≈ 200 MiB + 3.4 KiB per pixel up to 384×512 (512² came out lower, allocator luck).
# F = 2.5 with 200 MiB overhead puts the estimate 10–34 % above each of them (F was 3.5
# with scipy's float64 L-BFGS-B and the einsum Gram).
ACTIVATION_FACTOR = 2.5  # float32 copies of each activation alive at the peak (fwd + bwd)
FIXED_OVERHEAD = 200 * 2**20  # graph tracing, oneDNN scratch, allocator slack


class ResourceError(ValueError):
    """A run would need more memory than is available; the message gives numbers and options."""


class PrintMemoryError(ResourceError, MemoryError):
    """:func:`nststudy.tiles.paint_print` refused a print that would not fit in memory: a
    ``ValueError`` with the numbers and options (for callers catching bad input) and, as
    before, a ``MemoryError``."""


def _activation_values(height: int, width: int, layers: tuple[str, ...]) -> float:
    """Activation values (floats) of VGG19 up to the deepest of ``layers``, per image."""
    from .vgg import ALL_LAYERS

    deepest = max(ALL_LAYERS.index(n) for n in layers)
    total, h, w, index = 0.0, float(height), float(width), 0
    for channels, convs in _BLOCKS:
        for _ in range(convs):
            if index > deepest:
                return total
            total += h * w * channels
            index += 1
        if index > deepest:
            return total
        h, w = h // 2, w // 2
        total += h * w * channels  # the pool's output
        index += 1
    return total


def estimate_stylize_memory(height: int, width: int, config: Config) -> int:
    """Estimated peak extra memory (bytes) of :func:`nststudy.stylize` at ``height × width``.

    ``weights + F · 4 · A(H, W) + optimiser + images + overhead`` where

    - ``weights``: VGG19's 80 MB of float32 parameters (once per process);
    - ``A(H, W)``: activation values of VGG19 up to the deepest tapped layer (``block5_conv1``
      for the presets: 320 floats per pixel); ``F = 2.5`` float32 copies alive at the peak:
      the ReLU outputs kept for the backward pass, the gradients flowing back and oneDNN's
      reordered copies. The style image's forward pass (no gradient, at ``style_scale`` × the
      size, assumed square) is counted at ``F = 1`` when larger;
    - optimiser: L-BFGS keeps ``2 × lbfgs_memory`` history vectors of the image (float16 or
      float32: 480 bytes per pixel for the default 40 in float16) plus eight float32 working
      copies (96 bytes per pixel); Adam two float32 moments;
    - images: photo, start, best and callback copies (96 bytes per pixel);
    - overhead: 200 MiB for graph tracing, oneDNN scratch and allocator slack.

    Calibration (``python -m benchmarks.memory``: peak RSS growth of a child process over
    ``import tensorflow`` and nststudy, default preset, 12 L-BFGS iterations, TF 2.21 on CPU):
    128² → 254 MiB measured / 333 estimated, 256² → 429 / 503, 384² → 685 / 787, 384×512 →
    871 / 957, 512² → 887 / 1184 MiB, erring 10–34 % high. A 512 × 384 photo needs ≈ 0.9 GiB
    on top of TensorFlow's and nststudy's own ≈ 0.62 GiB.

    Args:
        height, width: the largest working size in pixels (the last stage).
        config: the run's settings (taps, optimiser, ``style_scale``).
    """
    layers = config.content_layers + config.style_layers
    values = _activation_values(height, width, layers)
    train = ACTIVATION_FACTOR * 4 * values
    side = max(32, round(max(height, width) * config.style_scale))
    style = 4 * _activation_values(side, side, layers)
    pixels = height * width * 3
    if config.optimizer == "lbfgs":
        pairs = min(config.lbfgs_memory, max(config.steps))  # n steps keep ≤ n pairs
        history = 2 * pairs * _HISTORY_BYTES[config.lbfgs_history]
        optimiser = (history + 8 * 4) * pixels  # pairs (s, y) + x, g, d, trial, work
    else:
        optimiser = 4 * 4 * pixels  # two moments, variable, gradient
    images = 8 * 4 * pixels  # photo, content, best, init, callback copies
    return int(VGG19_WEIGHT_BYTES + max(train, style) + optimiser + images + FIXED_OVERHEAD)


# Peak resident memory model, fitted to measurements on this CPU build of TensorFlow 2.21
# (see benchmarks/print_size.py): a fixed part (Python, TensorFlow, VGG19 weights), a part per
# pixel of the optimised image (VGG activations + gradients kept for the backward pass) and a
# part per pixel of the print (canvas, photo, upscaling and post-processing buffers).
# Refitted 2026-11-26 with the lean convolution gradient (``nststudy._lean``): a whole 2048×1536
# print job in 576 px tiles peaked at 2.51 GB (3.25 GB before), so 3.5 kB per tile pixel (was
# 4.8 kB) puts the estimate (2.53 GB) just above it.
PRINT_BASE_BYTES = 900e6  # a print job's process: Python, TensorFlow, VGG19
_GRAD_BYTES_PER_PX = 3.5e3
_CANVAS_BYTES_PER_PX = 150.0
# The style image is resized to the print's size × ``style_scale`` for its Gram targets
# (:func:`nststudy.grams.style_targets`), before any tile is refined and freed after: 35–36
# bytes per pixel of the resized style at the peak (measured: a float32 1024×768 style to 4000
# and 8000 px, RSS growth; Pillow's three float channels, the stacked and clipped copies).
_STYLE_BYTES_PER_PX = 36.0


def estimate_print_memory(
    size: int, tile: int | None = 512, aspect: float = 1.0, style_scale: float = 1.0
) -> int:
    """Estimated peak memory in bytes of a print job (:func:`nststudy.tiles.paint_print`) or,
    with ``tile=None``, of a direct :func:`nststudy.stylize` at ``size``. Also importable as
    ``nststudy.tiles.estimate_memory``.

    Args:
        size: longest side of the output in pixels.
        tile: tile side for :func:`nststudy.tiles.refine_tiled`; ``None`` = no tiling.
        aspect: short side / long side of the picture (1 = square, the worst case).
        style_scale: the run's ``Config.style_scale``: the style image is resized to
            ``size × style_scale`` (assumed square, the worst case) for its Gram targets.

    The numbers come from a fitted model (``PRINT_BASE_BYTES + max(_GRAD_BYTES_PER_PX ×
    optimised pixels, _STYLE_BYTES_PER_PX × style pixels) + _CANVAS_BYTES_PER_PX × print
    pixels``: the resized style is freed before the first tile); expect ±25 %. The style's
    term is the larger once ``size × style_scale`` passes about ten tile sides (a 30×40 cm
    print at 300 dpi, 4724 px, in 576 px tiles: above ``style_scale`` 1.2).
    """
    if size < 32:
        raise ValueError(f"size must be at least 32 px, got {size}")
    if not 0 < aspect <= 1:
        raise ValueError(f"aspect is short side / long side, in (0, 1]; got {aspect}")
    if not style_scale > 0:
        raise ValueError(f"style_scale must be above 0, got {style_scale}")
    pixels = size * size * aspect
    optimised = pixels if tile is None else min(tile, size) * min(tile, round(size * aspect))
    style = _STYLE_BYTES_PER_PX * max(32, round(size * style_scale)) ** 2
    work = max(_GRAD_BYTES_PER_PX * optimised, style)
    return int(PRINT_BASE_BYTES + work + _CANVAS_BYTES_PER_PX * pixels)


def _fmt(n: float) -> str:
    return f"{n / 2**30:.1f} GiB" if n >= 2**30 else f"{n / 2**20:.0f} MiB"


def largest_fitting_size(height: int, width: int, config: Config, available: int) -> int:
    """The largest longest side at this aspect ratio that fits: ``max(height, width)`` itself
    when it fits, else the largest multiple of 64 below it (32 when none fits)."""
    longest = max(height, width)
    best = 32
    for side in [*range(64, longest, 64), longest]:
        h, w = round(height * side / longest), round(width * side / longest)
        if estimate_stylize_memory(h, w, config) <= available:
            best = side
    return best


def _on_gpu() -> bool:
    """True when TensorFlow is already imported and sees a GPU (no import is triggered)."""
    tf = sys.modules.get("tensorflow")
    try:
        return bool(tf is not None and tf.config.list_physical_devices("GPU"))
    except Exception:  # a half-initialised TensorFlow: check host memory as usual
        return False


def memory_limit_ignored() -> bool:
    """True when ``NSTSTUDY_IGNORE_MEMORY_LIMIT`` is set (to anything but 0, false, no, off)."""
    return env_flag(IGNORE_ENV)


def memory_check_skipped() -> bool:
    """True where the memory estimates do not apply: ``NSTSTUDY_IGNORE_MEMORY_LIMIT=1``, or
    TensorFlow runs on a GPU (they are for host memory on a CPU run)."""
    return memory_limit_ignored() or _on_gpu()


def check_fits(height: int, width: int, config: Config, available: int | None = None) -> None:
    """Refuse a run whose estimated memory exceeds what is available.

    Skipped with ``NSTSTUDY_IGNORE_MEMORY_LIMIT=1``, and when TensorFlow runs on a GPU (the
    estimate is for host memory on a CPU run).

    Args:
        height, width: the largest working size (the last stage), in pixels.
        config: the run's settings.
        available: bytes available; default :func:`available_memory`.

    Raises:
        ResourceError: a ``ValueError`` with the estimate, the memory available and the
            options: a smaller size, or ``NSTSTUDY_IGNORE_MEMORY_LIMIT=1``.
    """
    if memory_limit_ignored():
        return
    if available is None and _on_gpu():
        return  # activations live in GPU memory; TensorFlow reports a GPU OOM clearly itself
    need = estimate_stylize_memory(height, width, config)
    have = available_memory() if available is None else available
    if need <= have:
        return
    fits = largest_fitting_size(height, width, config, have)
    smallest = estimate_stylize_memory(
        *(max(1, round(side * 32 / max(height, width))) for side in (height, width)), config
    )
    if smallest > have:  # even the smallest painting does not fit: a smaller size won't help
        raise ResourceError(
            f"painting at {width}×{height} px needs about {_fmt(need)} of memory but only "
            f"{_fmt(have)} is available, less than even a 32 px painting needs "
            f"({_fmt(smallest)}); close other notebooks or programs to free memory, or set "
            f"{IGNORE_ENV}=1 to try anyway"
        )
    raise ResourceError(
        f"painting at {width}×{height} px needs about {_fmt(need)} of memory but only "
        f"{_fmt(have)} is available; choose a smaller size (about {fits} px fits, e.g. "
        f"--size {fits}) or set {IGNORE_ENV}=1 to try anyway"
    )
