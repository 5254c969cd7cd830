"""Which arithmetic this CPU runs fastest: the machine's half of ``precision="auto"``.

VGG19's convolutions are most of a style-transfer step, and on a CPU they run as oneDNN
kernels. The performance issue measured one Keras VGG19 value and gradient at 384×512 px in
0.35 s under bfloat16 against 0.67 s in float32 (1.9×) on its CPU, which has AVX512_BF16. On
this project's Intel Xeon, which has AVX512_BF16 too but no AMX, oneDNN's bfloat16
convolutions ran 0.85× as fast as float32 (session 18), and with no bfloat16 instructions at
all they are emulated, 9.7× slower (session 1; both in ``benchmarks/README.md``). So the
issue's gain needs more than AVX512_BF16: most likely AMX, whose tiles multiply bfloat16
matrices in hardware. (nststudy's own bfloat16 run, with its turned-kernel image gradient,
has not been measured on a CPU with AMX.) L-BFGS converges the same in either precision (264
against 262 evaluations to the tutorial's loss at 256 px, judged by the float32 loss;
measured without AMX).

So ``"auto"`` means bfloat16 where the CPU reports AMX's bfloat16 tiles and TensorFlow hands
its convolutions to oneDNN, and float32 everywhere else. Only the CPU is looked at: a GPU
machine whose host CPU has AMX gets bfloat16 on the GPU too (not measured). The choice is read from
``/proc/cpuinfo`` and the environment, without importing TensorFlow: it is made before a job's
settings are written (and recorded there as the precision used, so ``--from-settings`` repeats
the same painting on any machine).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

__all__ = [
    "PRECISIONS",
    "auto_precision",
    "cpu_flags",
    "onednn_enabled",
    "precision_notes",
    "resolve_precision",
]

#: What ``Config.precision`` accepts; ``"auto"`` is resolved by :func:`resolve_precision`.
PRECISIONS = ("float32", "bfloat16", "auto")

#: ``/proc/cpuinfo`` flags of Intel AMX with bfloat16 (Linux's names).
AMX_BF16 = frozenset({"amx_tile", "amx_bf16"})


def cpu_flags(cpuinfo: str | None = None) -> frozenset[str]:
    """The CPU's feature flags as Linux lists them (``avx512_bf16``, ``amx_bf16``, ...).

    Args:
        cpuinfo: the text of ``/proc/cpuinfo``; ``None`` reads it (on other systems, or when
            it cannot be read: no flags).

    Returns:
        The flags of the first processor listed (every core of a machine has the same).
    """
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(errors="replace")
        except OSError:
            return frozenset()
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "flags":
            return frozenset(value.split())
    return frozenset()


def onednn_enabled() -> bool:
    """Whether TensorFlow will run oneDNN's kernels, as far as the environment says:
    ``TF_ENABLE_ONEDNN_OPTS=0`` (or ``false``) turns them off; TensorFlow's default on CPUs with
    AMX is on."""
    value = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "").strip().lower()
    return value not in ("0", "false")


@functools.cache
def auto_precision() -> str:
    """``"bfloat16"`` on a CPU with AMX's bfloat16 tiles and oneDNN on, else ``"float32"``
    (fixed for the process at the first call)."""
    return "bfloat16" if cpu_flags() >= AMX_BF16 and onednn_enabled() else "float32"


def resolve_precision(precision: str) -> str:
    """The precision a run computes in: ``"float32"`` or ``"bfloat16"`` as given, ``"auto"``
    as :func:`auto_precision` chooses for this machine.

    Raises:
        ValueError: ``precision`` is none of :data:`PRECISIONS`.
    """
    if precision == "auto":
        return auto_precision()
    if precision not in PRECISIONS:
        raise ValueError(
            f"precision must be one of {', '.join(PRECISIONS)}; got {precision!r} "
            "(auto: bfloat16 on CPUs with AMX, float32 elsewhere)"
        )
    return precision


def precision_notes(precision: str) -> list[str]:
    """What to tell a user whose job computes in bfloat16 where this CPU would choose float32
    (``--precision bfloat16``, or ``--from-settings`` of a painting made on a CPU with AMX)."""
    if resolve_precision(precision) != "bfloat16" or auto_precision() == "bfloat16":
        return []
    return [
        "these settings compute in bfloat16, but this machine would choose float32 (its CPU "
        "has no AMX, or TF_ENABLE_ONEDNN_OPTS=0): bfloat16 is slower than float32 on such "
        "CPUs, up to 10× without bfloat16 instructions; --precision float32 paints nearly the "
        "same picture faster"
    ]
