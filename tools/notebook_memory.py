"""Peak memory of each course notebook: is Binder (1–2 GB) or a school hub big enough?

Runs every notebook top to bottom with nbclient, each in its own child process with its own
kernel, and reports the kernel's peak resident memory (``VmHWM`` of the kernel process, read
from /proc after every cell while the kernel is alive; cross-checked with
``getrusage(RUSAGE_CHILDREN)`` after it exited, which is what counts on Linux), the runner's
own peak, and the wall time.

    python tools/notebook_memory.py                 # FAST mode (NSTSTUDY_FAST=1): CI sizes
    python tools/notebook_memory.py --full          # what learners run: the number for Binder
    python tools/notebook_memory.py notebooks/04_gram_matrices_and_style.ipynb --full

Writes ``benchmarks/results/notebook_memory.json`` in FAST mode and
``benchmarks/results/notebook_memory_full.json`` with ``--full`` (``--out`` to change), so a
full run never overwrites the FAST results, and prints a table.
Linux only (it reads /proc). Memory, unlike time, barely depends on how busy the machine is.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_OUT = {  # by mode: a --full run must not overwrite the FAST results
    "fast": RESULTS / "notebook_memory.json",
    "full": RESULTS / "notebook_memory_full.json",
}
BINDER_LIMIT_MB = 2048  # mybinder.org: 1 GB guaranteed, up to 2 GB


def _vm_hwm_mb(pid: int) -> float | None:
    """Peak resident set (VmHWM) of a live process, MB; None when unreadable."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def run_one(notebook: Path, timeout: int, save: Path | None = None) -> dict:
    """Execute ``notebook`` here (in this child process) and measure its kernel; with
    ``save``, write the executed notebook (outputs included) into that folder."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(notebook, as_version=4)
    seen: dict[str, float | None] = {"kernel_peak_mb": None}
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )

    def after_cell(**_: object) -> None:  # the kernel is alive here (not at notebook end)
        pid = getattr(client.km.provisioner, "pid", None) if client.km else None
        peak = _vm_hwm_mb(pid) if pid else None
        if peak is not None:
            seen["kernel_peak_mb"] = max(peak, seen["kernel_peak_mb"] or 0.0)

    client.on_cell_executed = after_cell
    start, error = time.perf_counter(), None
    try:
        client.execute()
    except CellExecutionError as err:
        error = str(err).strip().splitlines()[-1][:300]
    except Exception as err:  # a timeout or a dead kernel: report it, keep measuring the rest
        error = f"{type(err).__name__}: {err}"[:300]
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KB → MB
    if save is not None:  # to read the figures a full run drew (never committed)
        save.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, save / notebook.name)
    return {
        "notebook": str(notebook.relative_to(ROOT))
        if notebook.is_relative_to(ROOT)
        else str(notebook),
        "kernel_peak_mb": round(seen["kernel_peak_mb"] or children, 1),
        "children_maxrss_mb": round(children, 1),
        "runner_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "seconds": round(time.perf_counter() - start, 1),
        "ok": error is None,
        "error": error,
    }


def measure(notebook: Path, fast: bool, timeout: int, save: Path | None = None) -> dict:
    """Run ``notebook`` in a fresh child process and return its measurements."""
    # no MPLBACKEND: the kernel draws inline, as for learners (figures count towards memory)
    env = {**os.environ, "NSTSTUDY_FAST": "1" if fast else "0"}
    env.pop("MPLBACKEND", None)
    cmd = [sys.executable, __file__, "--child", str(notebook), "--timeout", str(timeout)]
    if save is not None:
        cmd += ["--save", str(save.resolve())]
    cells = sum(c.get("cell_type") == "code" for c in json.loads(notebook.read_text())["cells"])
    try:  # each cell may take `timeout` s; the whole notebook, all its cells' worth
        proc = subprocess.run(
            cmd, env=env, capture_output=True, text=True, timeout=timeout * max(cells, 1) + 120
        )
    except subprocess.TimeoutExpired:
        return {"notebook": str(notebook), "ok": False, "error": "timed out (the whole notebook)"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    return {"notebook": str(notebook), "ok": False, "error": proc.stderr.strip()[-300:]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("notebooks", nargs="*", type=Path, help="default: notebooks/NN_*.ipynb")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--fast", dest="fast", action="store_true", default=True, help="(default)")
    mode.add_argument("--full", dest="fast", action="store_false", help="learners' full sizes")
    parser.add_argument("--timeout", type=int, default=900, help="seconds per cell (900)")
    parser.add_argument(
        "--out",
        type=Path,
        help="JSON report (default: benchmarks/results/notebook_memory.json, "
        "or notebook_memory_full.json with --full)",
    )
    parser.add_argument("--save", type=Path, help="also write the executed notebooks here")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    mode = "fast" if args.fast else "full"
    out = args.out or DEFAULT_OUT[mode]
    if args.child:
        print(json.dumps(run_one(args.child.resolve(), args.timeout, args.save)))
        return 0
    notebooks = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    rows = []
    print(f"{'notebook':48} {'kernel peak':>12} {'time':>8}  status", flush=True)
    for nb in notebooks:
        row = measure(nb.resolve(), args.fast, args.timeout, args.save)
        rows.append(row)
        peak = f"{row['kernel_peak_mb']:.0f} MB" if row.get("kernel_peak_mb") else "?"
        secs = f"{row['seconds']:.0f} s" if "seconds" in row else "?"
        status = "ok" if row["ok"] else f"FAILED: {row['error']}"
        print(f"{Path(row['notebook']).name:48} {peak:>12} {secs:>8}  {status}", flush=True)
    peaks = [r["kernel_peak_mb"] for r in rows if r.get("kernel_peak_mb")]
    report = {
        "mode": mode,
        "binder_limit_mb": BINDER_LIMIT_MB,
        "max_kernel_peak_mb": max(peaks, default=None),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "notebooks": rows,
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    tmp.write_text(json.dumps(report, indent=2) + "\n")
    os.replace(tmp, out)
    if peaks:
        verdict = "fits" if max(peaks) < BINDER_LIMIT_MB else "does NOT fit"
        print(f"largest kernel peak {max(peaks):.0f} MB: {verdict} Binder's {BINDER_LIMIT_MB} MB")
    print(f"wrote {out}")
    return 0 if all(r["ok"] for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
