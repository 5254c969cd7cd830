"""The four procedural paintings of :mod:`nststudy.samples`, one function per art movement.

Each painter takes the canvas side ``n`` (pixels) and a seeded random generator and returns a
float32 ``(n, n, 3)`` image in [0, 1]. Shapes are placed in normalised coordinates and strokes
sized relative to the canvas, so one seed gives the same picture at every size. The strokes
themselves are drawn by :mod:`nststudy._canvas`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from ._canvas import (
    STEP,
    Canvas,
    Rng,
    grid,
    hex_colors,
    lookup,
    ramp,
    straight,
    strokes,
    trace,
    unit_flow,
)

__all__ = ["GENERATORS"]


def _swirl(n: int, rng: Rng) -> np.ndarray:
    """Van Gogh: curved impasto strokes along the contours of a swirling sky."""
    x, y = grid(n)
    psi = 0.55 * y + 0.05 * np.sin(2 * np.pi * (1.2 * x + rng.random())) * np.cos(4 * y)
    for _ in range(rng.integers(4, 7)):
        cx, cy, a = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.04, 0.09)
        gamma = rng.choice([-1, 1]) * rng.uniform(0.03, 0.06)
        psi += gamma * np.log((x - cx) ** 2 + (y - cy) ** 2 + a**2)  # a vortex
    blues = hex_colors("0b1740", "163a8c", "2f62b8", "5d8fd4", "a8c8e8")
    field = ramp(0.5 + 0.5 * np.sin(2 * np.pi * 9 * psi), blues)  # bands along the flow
    stars = hex_colors("fff6c0", "f9d835", "eda21a", "f4dc6a", "b8d4ee")
    for _ in range(rng.integers(4, 8)):
        cx, cy, rho = rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95), rng.uniform(0.03, 0.07)
        d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2) / rho
        psi += 0.01 * np.log(d**2 + 0.3)  # halo strokes circle the star
        ring = np.where(np.sin(2 * np.pi * d) > 0, 3, 4)
        col = stars[np.where(d < 1, np.minimum((d * 3).astype(int), 2), ring)]
        field = np.where((d < 2.2)[..., None], col, field)
    flow = unit_flow(psi)
    start, ln, rad = strokes(rng, 5000, n, (12, 30), (2.8, 4.5))
    col = lookup(field, start) * rng.normal(1, 0.08, (5000, 1))
    accent = rng.random(5000) < 0.08
    col[accent] = np.concatenate([blues, stars])[rng.integers(0, 10, accent.sum())]
    cv = Canvas(n)
    cv.paint(trace(flow, start, ln), rad, col)
    return cv.finish(ndimage.gaussian_filter(field, (3 * n / 512, 3 * n / 512, 0)), rng, 0.5, 1.6)


def _lowfreq(rng: Rng, n: int, cells: tuple[int, int]) -> np.ndarray:
    """Smooth unit-variance noise (n, n) from a (rows, cols) lattice; independent of ``n``."""
    lat = rng.normal(size=cells)
    return ndimage.zoom(lat, (n / cells[0], n / cells[1]), order=3, mode="nearest", grid_mode=True)


def _series(rng: Rng, m: int, nodes: int, k: int) -> np.ndarray:
    """``m`` smooth unit-variance random curves sampled at ``k`` points, (m, k)."""
    lat = rng.normal(size=(m, nodes))
    return ndimage.zoom(lat, (1, k / nodes), order=3, mode="nearest", grid_mode=True)


def _ellipse(x: np.ndarray, y: np.ndarray, c: np.ndarray, rx: float, ry: float) -> np.ndarray:
    """Boolean (n, n) mask of an axis-aligned ellipse in normalised coordinates."""
    return ((x - c[0]) / rx) ** 2 + ((y - c[1]) / ry) ** 2 < 1


def _brush(n: int, rng: Rng) -> np.ndarray:
    """Monet: short broken pastel dabs over a pond of water lilies."""
    x, y = grid(n)
    water = hex_colors("d5d3ec", "b1c8e2", "93b9c9", "86aa9c", "6f9486")
    v = np.clip(0.85 * y + 0.12 * _lowfreq(rng, n, (6, 6)), 0, 1)
    field = ramp(v, water)
    refl = _lowfreq(rng, n, (3, 24))  # vertical reflections of willows and sky
    field = np.where((refl > 1.3)[..., None], hex_colors("6e9470"), field)
    field = np.where((refl < -1.2)[..., None], hex_colors("eef0f6"), field)
    greens = hex_colors("6f9c4a", "94bb5c", "4f7f48", "aac870")
    flowers = hex_colors("ee8fa8", "f7f1e4", "f2d36b")
    pad_mask = np.zeros((n, n), bool)
    for _ in range(rng.integers(18, 28)):
        c, rx = rng.uniform(0, 1, 2), rng.uniform(0.05, 0.12)
        m = _ellipse(x, y, c, rx, rx * 0.45)
        pad_mask |= m
        field = np.where(m[..., None], greens[rng.integers(0, 4)], field)
        if rng.random() < 0.45:
            f = _ellipse(x, y, c + rng.normal(0, rx / 3, 2), rx * 0.3, rx * 0.2)
            field = np.where(f[..., None], flowers[rng.integers(0, 3)], field)
    m = 5000
    start, ln, rad = strokes(rng, m, n, (6, 16), (3.0, 5.0))
    on_pad = lookup(pad_mask, start)
    ang = 0.15 * lookup(_lowfreq(rng, n, (5, 5)), start) + rng.normal(0, 0.12 + 0.8 * on_pad, m)
    paths = straight(start, ln, ang, rng.normal(0, 0.07, m))
    col = lookup(field, start) + rng.normal(0, 0.05, (m, 3))
    accent = rng.random(m) < 0.12
    pastel = hex_colors("e9b8c8", "f3e6b8", "c6b8e2", "b8d8c4", "a9c8ec")
    col[accent] = pastel[rng.integers(0, 5, accent.sum())]
    col = 0.9 * col + 0.08
    cv = Canvas(n)
    cv.paint(paths, rad, col)
    under = ndimage.gaussian_filter(field, (4 * n / 512, 4 * n / 512, 0)) * 0.9 + 0.1
    return cv.finish(under, rng, 0.3, 0.35)


def _drip(n: int, rng: Rng) -> np.ndarray:
    """Pollock: tangled poured enamel lines and splatters on raw cotton duck."""
    sc = n / 512
    grain = np.random.default_rng(rng.integers(2**62))  # own stream: n-dependent draw count
    noise = grain.standard_normal((2, n, n), dtype=np.float32)
    fibre = ndimage.gaussian_filter(noise, (0, 0.4 * sc, 1.5 * sc))
    weave = 0.6 * fibre[0] / fibre[0].std() + 0.6 * fibre[1].T / fibre[1].std()
    stain = 0.06 * _lowfreq(rng, n, (5, 5)) + 0.02 * weave
    under = hex_colors("d6c8a8")[0] * (1 + stain)[..., None]
    paints = hex_colors("16130f", "efece2", "a9aaa5", "c8923c", "8c3a22", "3d5d63")  # black first
    cv = Canvas(n)
    for layer in rng.permutation(len(paints)):
        m = int(rng.integers(8, 16)) + 6 * (layer == 0)
        ln = rng.uniform(0.6, 2.0, m) * n
        k = int(np.ceil(ln.max() / STEP)) + 1
        curve, loops = _series(rng, m, 64, k), _series(rng, m, 16, k)
        kappa = 14 * curve + 25 * np.maximum(np.abs(loops) - 1.0, 0) * np.sign(loops)
        step = (ln / (k - 1))[:, None]
        theta = rng.uniform(0, 2 * np.pi, (m, 1)) + np.cumsum(kappa * step / n, axis=1)
        start = rng.uniform(-0.1, 1.1, (m, 1, 2)) * n
        d = np.stack([np.cos(theta), np.sin(theta)], -1) * step[..., None]
        paths = (start + np.cumsum(d, axis=1)).astype(np.float32)
        width = _series(rng, m, 40, k)
        r0 = rng.uniform(0.5, 2.2 if layer == 0 else 1.5, (m, 1)) * sc
        radii = np.maximum(r0 * np.clip(np.exp(0.7 * width), 0.2, 3), 0.45).astype(np.float32)
        cv.paint(paths, radii, paints[[layer] * m])
        nd = int(rng.integers(60, 200))
        drops = paths.reshape(-1, 2)[rng.integers(0, m * k, nd // 6)].repeat(6, 0)[:nd]
        drops += rng.normal(0, 6 * sc, drops.shape) * rng.exponential(1, (len(drops), 1))
        dr = np.clip(rng.exponential(1.3, len(drops)) * sc, 0.5, 7 * sc).astype(np.float32)
        cv.paint(drops[:, None].astype(np.float32), dr, paints[[layer] * len(drops)])
    return cv.finish(under, rng, 0.0, 0.6)


def _mosaic(n: int, rng: Rng) -> np.ndarray:
    """Analytic cubism: shaded angular shards with broken dark outlines."""
    x, y = grid(n)
    nl = int(rng.integers(16, 22))
    px, py = np.clip(rng.normal(0.5, 0.25, (2, nl)), 0.05, 0.95)
    th = rng.choice([0.0, np.pi / 2, np.pi / 4, -np.pi / 4, np.pi / 3, -np.pi / 3], nl)
    th += rng.normal(0, 0.15, nl)
    half = np.where(rng.random(nl) < 0.5, rng.uniform(0.15, 0.45, nl), 9.0)  # cut lengths / 2
    mid, side, amp = rng.normal(0, 0.1, nl), rng.choice([-1, 1], nl), rng.uniform(0.3, 1, nl)
    code = np.zeros((n, n), np.int64)
    edge, ink = np.zeros((n, n), np.float32), np.zeros((n, n), np.float32)
    for i in range(nl):  # one line at a time keeps memory O(n^2)
        d = (x - px[i]) * np.cos(th[i]) + (y - py[i]) * np.sin(th[i])  # signed distance
        seg = np.abs((y - py[i]) * np.cos(th[i]) - (x - px[i]) * np.sin(th[i]) - mid[i]) < half[i]
        code |= ((d > 0) & seg).astype(np.int64) << i
        sd = side[i] * d * 35  # light on one side of the cut, shadow on the other
        edge += seg * amp[i] * np.where(sd > 0, -0.3, 0.2) * np.exp(-np.abs(sd))
        ink = np.maximum(ink, seg * np.exp(-((d * 512 / 1.5) ** 2)) * (rng.random() < 0.8))
    codes, cell = np.unique(code, return_inverse=True)
    cell = cell.reshape(n, n)
    # Per-facet attributes hash the facet's line-side bits, so they do not depend on n.
    bits = (codes[:, None] >> np.arange(nl)) & 1
    w = rng.integers(0, 2**31, (nl + 1, 6))
    attr = ((bits @ w[:-1] + w[-1]) % 2**31 / 2**31).T  # 6 x (facets,) in [0, 1)
    palette = hex_colors(
        "a88850", "6e5238", "8a6844", "6f777c", "535b60", "c2b08a", "7c7650", "3e342a"
    )
    col = palette[(attr[0] * len(palette)).astype(int)] * (0.85 + 0.27 * attr[1, :, None])
    attr = attr.astype(np.float32)
    nc = len(codes)
    cnt = np.bincount(cell.ravel(), minlength=nc) + 1e-9
    cx = (np.bincount(cell.ravel(), x.ravel(), nc) / cnt).astype(np.float32)[cell]
    cy = (np.bincount(cell.ravel(), y.ravel(), nc) / cnt).astype(np.float32)[cell]
    phi, g = 2 * np.pi * attr[2][cell], (1 + 2 * attr[3])[cell]
    shade = g * ((x - cx) * np.cos(phi) + (y - cy) * np.sin(phi)) + edge  # graded facets
    img = col.astype(np.float32)[cell] * (1 + np.clip(shade, -0.4, 0.35))[..., None]
    m = 6000  # Cezanne-like parallel hatching, one direction per facet
    start, ln, rad = strokes(rng, m, n, (5, 11), (1.8, 3.2))
    own = lookup(cell, start)
    hatch = np.minimum((attr[4] * 4).astype(int), 3)  # float32 may round 1 − 2⁻³¹ up to 1
    ang = (np.array([0.8, 2.3, 1.57, 0.0])[hatch] + 0.2 * attr[5] - 0.1)[own]
    cv = Canvas(n)
    col = lookup(img, start) * rng.normal(1, 0.06, (m, 1))
    cv.paint(straight(start, ln, ang, np.zeros(m)), rad, col)
    cv.z[(cv.z >= 0) & (own[cv.z] != cell.ravel())] = -1  # keep facet edges crisp
    img = cv.finish(img, rng, 0.3, 0.3)
    img = img * (1 - 0.8 * ink)[..., None] + 0.08 * ink[..., None]
    return np.clip(img, 0, 1).astype(np.float32)


#: Style name → painter ``(n, rng) -> image``.
GENERATORS: dict[str, Callable[[int, Rng], np.ndarray]] = {
    "swirl": _swirl,
    "brush": _brush,
    "drip": _drip,
    "mosaic": _mosaic,
}
