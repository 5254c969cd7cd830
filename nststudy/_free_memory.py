"""How much memory this process may still use: the container's cgroup limit and the machine's.

On Binder, Colab-like hosts and in Docker ``/proc/meminfo`` shows the *host's* memory, so
:func:`available_memory` also reads the cgroup limit of every cgroup that holds this process;
:mod:`nststudy.resources` compares it with what a run needs.
"""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["available_memory", "resident_bytes"]

CGROUP_ROOT = Path("/sys/fs/cgroup")
PROC_SELF_CGROUP = Path("/proc/self/cgroup")
MEMINFO = Path("/proc/meminfo")
_NO_LIMIT = 1 << 60  # cgroup v1 reports "no limit" as ~2**63


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    if text == "max":
        return _NO_LIMIT
    try:
        return int(text.split()[0])
    except (ValueError, IndexError):
        return None


def _stat_value(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(" ")
            if name == key:
                return int(value)
    except (OSError, ValueError):
        pass
    return 0


def _cgroup_dirs(root: Path, proc_cgroup: Path) -> list[tuple[Path, str]]:
    """Candidate cgroup folders with their version ("v1"/"v2"), innermost first."""
    own: list[tuple[Path, str]] = []
    try:
        lines = proc_cgroup.read_text().splitlines()
    except OSError:
        lines = []
    for line in lines:
        _, controllers, rel = line.split(":", 2) if line.count(":") >= 2 else ("", "", "")
        if controllers == "":  # v2 unified hierarchy: "0::/path"
            base, version = root, "v2"
        elif "memory" in controllers.split(","):
            base, version = root / "memory", "v1"
        else:
            continue
        here = base / rel.lstrip("/")
        while True:  # walk up: a parent's limit also applies
            own.append((here, version))
            if here == base or base not in here.parents:
                break
            here = here.parent
    # Containers usually see their own cgroup as the root of the mount.
    own += [(root, "v2"), (root / "memory", "v1")]
    return list(dict.fromkeys(own))


def _cgroup_free(folder: Path, version: str) -> int | None:
    if version == "v2":
        # memory.high throttles (reclaims hard) rather than kills, but a run there crawls
        limits = [_read_int(folder / name) for name in ("memory.max", "memory.high")]
        known = [v for v in limits if v is not None]
        limit = min(known) if known else None
        used = _read_int(folder / "memory.current")
        stat = folder / "memory.stat"
    else:
        limit = _read_int(folder / "memory.limit_in_bytes")
        used = _read_int(folder / "memory.usage_in_bytes")
        stat = folder / "memory.stat"
    if limit is None or limit >= _NO_LIMIT:
        return None
    cache = _stat_value(stat, "inactive_file" if version == "v2" else "total_inactive_file")
    return max(0, limit - max(0, (used or 0) - cache))


def _meminfo_available(meminfo: Path) -> int | None:
    kib = _stat_value_colon(meminfo, "MemAvailable")
    return kib * 1024 if kib else None


def _stat_value_colon(path: Path, key: str) -> int:
    try:
        for line in path.read_text().splitlines():
            name, _, value = line.partition(":")
            if name == key:
                return int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return 0


def available_memory(
    cgroup_root: Path | None = None, proc_cgroup: Path | None = None, meminfo: Path | None = None
) -> int:
    """Bytes this process can still allocate: the tightest of the cgroup and the machine.

    For each cgroup that holds this process (v2 ``memory.max`` − ``memory.current``, or v1
    ``memory.limit_in_bytes`` − ``memory.usage_in_bytes``; reclaimable inactive page cache is
    not counted as used) and for ``MemAvailable`` in ``/proc/meminfo``, take the smallest.

    Args:
        cgroup_root, proc_cgroup, meminfo: where to read (for tests); default the real files.

    Returns:
        Bytes, or a very large number when nothing can be read (e.g. not Linux).
    """
    root = cgroup_root or CGROUP_ROOT
    candidates = [
        free
        for folder, version in _cgroup_dirs(root, proc_cgroup or PROC_SELF_CGROUP)
        if (free := _cgroup_free(folder, version)) is not None
    ]
    host = _meminfo_available(meminfo or MEMINFO)
    if host is not None:
        candidates.append(host)
    return min(candidates, default=_NO_LIMIT)


def resident_bytes() -> int:
    """This process's resident memory now, in bytes (``/proc/self/statm``; 0 if unreadable)."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")
