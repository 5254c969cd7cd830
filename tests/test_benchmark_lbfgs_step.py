"""``benchmarks.lbfgs_step``: every way it times of computing a direction gives the library's."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from benchmarks import lbfgs_step
from nststudy import lbfgs


@pytest.mark.parametrize("threads", [1, 2])
def test_chunked_direction_is_the_librarys_bit_for_bit(threads: int) -> None:
    rng = np.random.default_rng(1)
    shape = (30, 41, 3)  # 3690 values: blocks of 1000 leave a short last one
    memory = lbfgs._Memory(6, shape, np.float16)
    for _ in range(8):  # more pairs than kept: the ring buffer wraps
        s = rng.normal(size=shape).astype(np.float32)
        memory.add(s, s + 0.1 * rng.normal(size=shape).astype(np.float32))
    g = rng.normal(size=shape).astype(np.float32)
    free = (rng.uniform(size=shape) > 0.1).astype(np.float32)
    chunked = lbfgs_step.Chunked(g.size, chunk=1000, threads=threads)
    try:
        assert np.array_equal(chunked.direction(memory, g, free), memory.direction(g, free))
    finally:
        chunked.close()


def test_chunked_blocks_cover_the_vector_once() -> None:
    chunked = lbfgs_step.Chunked(10, chunk=4, threads=2)
    chunked.close()
    covered = sorted(i for part in chunked.parts for b in part for i in range(b.start, b.stop))
    assert covered == list(range(10))


def test_the_script_writes_its_table(tmp_path: Path) -> None:
    out = tmp_path / "step.json"
    args = ["--shape", "40", "50", "--pairs", "5", "--repeats", "2", "--out", str(out)]
    assert lbfgs_step.main(args) == 0
    result = json.loads(out.read_text())
    assert result["identical"] and result["blocks_identical"]
    assert set(result["blocks_s"]) == {"library", "chunked", "chunked_2_threads"}
