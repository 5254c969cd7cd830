"""``benchmarks.gpu``: the weight packing it carries to a GPU machine is lossless.

The port itself is smoke-run by ``make bench-quick`` (it refuses to time anything unless its
loss at the photo matches nststudy's).
"""

from __future__ import annotations

import numpy as np

from benchmarks.gpu import pack, unpack


def test_pack_round_trips_every_float32_bit() -> None:
    rng = np.random.default_rng(0)
    kernel = rng.normal(0, 0.05, (3, 3, 8, 16)).astype(np.float32)
    kernel.flat[:4] = [np.inf, -0.0, np.finfo(np.float32).tiny, np.nan]
    planes = pack(kernel)
    assert planes.dtype == np.uint8 and planes.shape == (4, kernel.size)
    back = unpack(planes, kernel.shape)
    assert back.tobytes() == kernel.tobytes()  # bit for bit, NaN and -0 included
