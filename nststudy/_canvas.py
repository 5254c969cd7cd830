"""The brush-stroke engine behind the procedural styles of :mod:`nststudy.samples`.

A :class:`Canvas` paints thick strokes along centre lines into a z-buffer of stroke ids (later
strokes on top) and remembers where each pixel lies along and across its stroke; ``finish``
turns that into bristle streaks and impasto relief. The helpers build the centre lines:
random stroke starts, straight or bowed paths, and paths traced along a flow field. All sizes
are in pixels, scaled from a 512 px reference, so a seed paints the same picture at any size.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

__all__ = [
    "STEP",
    "Canvas",
    "Rng",
    "grid",
    "hex_colors",
    "lookup",
    "ramp",
    "straight",
    "strokes",
    "trace",
    "unit_flow",
]

STEP = 0.5  # stroke sampling step in pixels: fine enough to leave no holes
Rng = np.random.Generator


def hex_colors(*codes: str) -> np.ndarray:
    """Hex colours -> (N, 3) float32 in [0, 1]."""
    return np.array([[int(c[i : i + 2], 16) / 255 for i in (0, 2, 4)] for c in codes], np.float32)


def ramp(v: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Map ``v`` in [0, 1] (any shape) through evenly spaced ``colors`` -> (..., 3)."""
    pos = np.linspace(0, 1, len(colors))
    return np.stack([np.interp(v, pos, colors[:, c]) for c in range(3)], -1).astype(np.float32)


class Canvas:
    """Stroke-id z-buffer plus along/across stroke coordinates of the visible stroke."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.z = np.full(size * size, -1, np.int32)
        self.s = np.zeros(size * size, np.float32)  # 0 at stroke start, 1 at end
        self.t = np.zeros(size * size, np.float32)  # -1..1 across the stroke
        self.colors: list[np.ndarray] = []

    def paint(self, paths: np.ndarray, radii: np.ndarray, colors: np.ndarray) -> None:
        """Paint strokes in order, later ones on top.

        Args:
            paths: (N, K, 2) centre lines in pixels (x, y), points <= ``STEP`` apart.
            radii: (N, K) or (N,) half-widths in pixels.
            colors: (N, 3) RGB in [0, 1].
        """
        n, k, _ = paths.shape
        radii = np.broadcast_to(np.reshape(radii, (n, -1)), (n, k))
        d = np.gradient(paths, axis=1) if k > 1 else np.tile([[[1.0, 0.0]]], (n, 1, 1))
        d = d / (np.linalg.norm(d, axis=2, keepdims=True) + 1e-9)
        nc = int(np.ceil(radii.max() / STEP))
        off = STEP * np.arange(1, nc + 1)
        cap = np.concatenate([-off[::-1], np.zeros(k), off]).astype(np.float32)
        s = np.concatenate([np.zeros(nc), np.linspace(0, 1, k), np.ones(nc)]).astype(np.float32)
        pts = np.concatenate([paths[:, :1], paths, paths[:, -1:]], axis=1)
        idx = np.r_[np.zeros(nc, int), np.arange(1, k + 1), np.full(nc, k + 1)]
        nv = 2 * nc + 1
        b = np.linspace(-1, 1, nv, dtype=np.float32)
        per = len(idx) * nv
        chunk = max(1, 2_000_000 // per)  # bounds memory at large sizes
        for lo in range(0, n, chunk):
            sl = slice(lo, lo + chunk)
            dd = np.concatenate([d[sl, :1], d[sl], d[sl, -1:]], axis=1)[:, idx]
            p = pts[sl][:, idx] + dd * cap[None, :, None]
            r = np.concatenate([radii[sl, :1], radii[sl], radii[sl, -1:]], axis=1)[:, idx]
            across = r[..., None] * b
            x = np.rint(p[..., 0, None] - dd[..., 1, None] * across).astype(np.int32)
            y = np.rint(p[..., 1, None] + dd[..., 0, None] * across).astype(np.int32)
            ok = (cap[:, None] ** 2 + across**2 <= r[..., None] ** 2 + 1e-6) & (x >= 0)
            ok &= (x < self.size) & (y >= 0) & (y < self.size)
            pix = (y * self.size + x)[ok]
            ids = np.arange(sl.start, sl.start + len(x), dtype=np.int32) + len(self.colors)
            sid = np.broadcast_to(ids[:, None, None], ok.shape)[ok]
            np.maximum.at(self.z, pix, sid)
            win = self.z[pix] == sid
            self.s[pix[win]] = np.broadcast_to(s[None, :, None], ok.shape)[ok][win]
            self.t[pix[win]] = np.broadcast_to(b, ok.shape)[ok][win]
        self.colors.extend(np.asarray(colors, np.float32))

    def finish(self, under: np.ndarray, rng: Rng, bristle: float, relief: float) -> np.ndarray:
        """Colour the strokes over ``under`` (n, n, 3), with bristle streaks and impasto
        relief lit from the top left; returns (n, n, 3) float32 in [0, 1]."""
        n = self.size
        on = self.z >= 0
        z, t, s = self.z[on], self.t[on], self.s[on]
        table = rng.random(1024).astype(np.float32)
        g = (t + 1) * 5 + (z * 632.4) % 1024  # ~10 bristles across every stroke
        i0 = np.floor(g).astype(np.int64)
        f = g - i0
        streak = table[i0 % 1024] * (1 - f) + table[(i0 + 1) % 1024] * f - 0.5
        rgb = under.reshape(-1, 3).astype(np.float32).copy()
        rgb[on] = np.stack(self.colors)[z] * (1 + bristle * streak * (0.5 + s))[:, None]
        h = np.zeros(n * n, np.float32)
        h[on] = np.sqrt(np.clip(1 - t**2, 0, 1)) * (1.2 - 0.5 * s) * (1 + bristle * streak)
        gy, gx = np.gradient(ndimage.gaussian_filter(h.reshape(n, n), 0.7))
        lam = relief * n / 512 * (gx + gy)
        out = rgb.reshape(n, n, 3) * (1 + np.clip(lam, -0.5, 0.5))[..., None]
        out += 0.7 * np.clip(lam - 0.2, 0, 0.4)[..., None]  # specular glints on ridges
        return np.clip(out, 0, 1).astype(np.float32)


def grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised pixel-centre coordinates (x, y) in [0, 1), each (n, n) float32."""
    c = (np.arange(n, dtype=np.float32) + 0.5) / n
    return np.meshgrid(c, c)


def lookup(field: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Nearest-pixel lookup of ``field`` (n, n, ...) at pixel positions ``xy`` (..., 2)."""
    n = field.shape[0]
    ix = np.clip(np.rint(xy[..., 0]).astype(int), 0, n - 1)
    iy = np.clip(np.rint(xy[..., 1]).astype(int), 0, n - 1)
    return field[iy, ix]


def trace(flow: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Follow unit ``flow`` (n, n, 2) from ``start`` (N, 2) for ``length`` (N,) pixels."""
    k = int(np.ceil(length.max() / STEP)) + 1
    step = (length / (k - 1))[:, None]
    path = np.empty((len(start), k, 2), np.float32)
    path[:, 0] = start
    for i in range(1, k):
        path[:, i] = path[:, i - 1] + step * lookup(flow, path[:, i - 1])
    return path


def unit_flow(psi: np.ndarray) -> np.ndarray:
    """Unit vectors along the contours of stream function ``psi`` (n, n)."""
    gy, gx = np.gradient(psi)
    v = np.stack([gy, -gx], axis=-1)
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def strokes(rng: Rng, m: int, n: int, length: tuple, radius: tuple) -> tuple:
    """Random start points, lengths and constant radii for ``m`` strokes (pixel units)."""
    sc = n / 512
    start = rng.uniform(-4 * sc, n + 4 * sc, (m, 2)).astype(np.float32)
    ln = rng.uniform(*length, m).astype(np.float32) * sc
    rad = np.maximum(rng.uniform(*radius, m) * sc, 0.5).astype(np.float32)
    return start, ln, rad


def straight(start: np.ndarray, ln: np.ndarray, ang: np.ndarray, bow: np.ndarray) -> np.ndarray:
    """(N, K, 2) paths from ``start`` at angle ``ang``, bent sideways by ``bow`` x length."""
    u = np.linspace(0, 1, int(np.ceil(ln.max() / STEP)) + 1, dtype=np.float32)
    d = np.stack([np.cos(ang), np.sin(ang)], -1).astype(np.float32)[:, None]
    side = (bow * ln)[:, None] * np.sin(np.pi * u)
    return (
        start[:, None] + (ln[:, None] * u)[..., None] * d + side[..., None] * d[..., ::-1] * [-1, 1]
    )
