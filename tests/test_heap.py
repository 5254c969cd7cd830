"""glibc's heap: freed activation-sized blocks and free pages go back to the system."""

from __future__ import annotations

import subprocess
import sys

import pytest

_HEAP_PROBE = """
import ctypes, sys
from nststudy import _heap
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "set":
    assert _heap.return_large_blocks()
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096
warm = libc.malloc(30 << 20)  # freeing it raises glibc's own threshold to 30 MB ...
libc.free(warm)
block, guard = libc.malloc(20 << 20), libc.malloc(4096)  # ... so a 20 MB block stays in the heap
ctypes.memset(block, 1, 20 << 20)
before = rss()
libc.free(block)
print(before - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_activation_sized_blocks_go_back_to_the_system() -> None:
    def returned(mode: str) -> int:
        cmd = [sys.executable, "-c", _HEAP_PROBE, mode]
        return int(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)

    assert returned("set") > 18 * 2**20  # nststudy's threshold: handed back when freed
    assert returned("default") < 2 * 2**20  # glibc's own: kept in the heap


_TRIM_PROBE = """
import ctypes, sys
from nststudy import _heap
assert _heap.return_large_blocks()  # 512 KiB blocks: in the heap (under the threshold)
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096
blocks = [libc.malloc(1 << 19) for _ in range(400)]  # 200 MiB of mid-sized tensors
for b in blocks:
    ctypes.memset(b, 1, 1 << 19)
before = rss()
for b in blocks[::2]:  # every other one: gaps between live blocks, as a step leaves them
    libc.free(b)
freed = before - rss()
trimmed = _heap.trim_heap() if sys.argv[1] == "trim" else False
print(freed, before - rss(), int(trimmed))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_trim_heap_hands_free_pages_inside_the_heap_back() -> None:
    def probe(mode: str) -> list[int]:
        cmd = [sys.executable, "-c", _TRIM_PROBE, mode]
        return [
            int(v)
            for v in subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.split()
        ]

    freed, after, trimmed = probe("keep")
    assert freed < 10 * 2**20 and after < 10 * 2**20  # 100 MiB freed, still resident
    freed, after, trimmed = probe("trim")
    assert trimmed == 1 and after > 90 * 2**20  # trimmed: back to the system
