"""Sample style and content images that need no downloads.

Four procedural "paintings" evoke art movements with simulated brush strokes (``swirl``,
``brush``, ``drip``, ``mosaic``); three photo textures bundled with scikit-image (``bricks``,
``grass``, ``gravel``) are styles too, and :func:`content_photo` serves ``skimage.data`` photos.
Every image is a ``float32`` array of shape ``(H, W, 3)`` with values in ``[0, 1]``.

Procedural styles are scale-invariant: strokes are sized relative to the canvas, so one seed
gives the same picture at every ``size`` and only the detail changes.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import ndimage
from skimage import data as skdata
from skimage.color import gray2rgb
from skimage.transform import resize

__all__ = ["CONTENT_PHOTOS", "STYLES", "StyleInfo", "content_photo", "list_styles", "make_style"]

MIN_SIZE, MAX_SIZE = 16, 4096
_STEP = 0.5  # stroke sampling step in pixels: fine enough to leave no holes
_Rng = np.random.Generator


@dataclass(frozen=True)
class StyleInfo:
    """Description of one sample style.

    Attributes:
        name: Key accepted by :func:`make_style`.
        movement: Art movement (and artist) the image evokes.
        description: One-line description.
        procedural: True if drawn from a seed, False for a bundled photo texture.
    """

    name: str
    movement: str
    description: str
    procedural: bool


def _rgb(*codes: str) -> np.ndarray:
    """Hex colours -> (N, 3) float32 in [0, 1]."""
    return np.array([[int(c[i : i + 2], 16) / 255 for i in (0, 2, 4)] for c in codes], np.float32)


def _ramp(v: np.ndarray, colors: np.ndarray) -> np.ndarray:
    """Map ``v`` in [0, 1] (any shape) through evenly spaced ``colors`` -> (..., 3)."""
    pos = np.linspace(0, 1, len(colors))
    return np.stack([np.interp(v, pos, colors[:, c]) for c in range(3)], -1).astype(np.float32)


class _Canvas:
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
            paths: (N, K, 2) centre lines in pixels (x, y), points <= ``_STEP`` apart.
            radii: (N, K) or (N,) half-widths in pixels.
            colors: (N, 3) RGB in [0, 1].
        """
        n, k, _ = paths.shape
        radii = np.broadcast_to(np.reshape(radii, (n, -1)), (n, k))
        d = np.gradient(paths, axis=1) if k > 1 else np.tile([[[1.0, 0.0]]], (n, 1, 1))
        d = d / (np.linalg.norm(d, axis=2, keepdims=True) + 1e-9)
        nc = int(np.ceil(radii.max() / _STEP))
        off = _STEP * np.arange(1, nc + 1)
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

    def finish(self, under: np.ndarray, rng: _Rng, bristle: float, relief: float) -> np.ndarray:
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


def _grid(n: int) -> tuple[np.ndarray, np.ndarray]:
    """Normalised pixel-centre coordinates (x, y) in [0, 1), each (n, n) float32."""
    c = (np.arange(n, dtype=np.float32) + 0.5) / n
    return np.meshgrid(c, c)


def _lookup(field: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Nearest-pixel lookup of ``field`` (n, n, ...) at pixel positions ``xy`` (..., 2)."""
    n = field.shape[0]
    ix = np.clip(np.rint(xy[..., 0]).astype(int), 0, n - 1)
    iy = np.clip(np.rint(xy[..., 1]).astype(int), 0, n - 1)
    return field[iy, ix]


def _trace(flow: np.ndarray, start: np.ndarray, length: np.ndarray) -> np.ndarray:
    """Follow unit ``flow`` (n, n, 2) from ``start`` (N, 2) for ``length`` (N,) pixels."""
    k = int(np.ceil(length.max() / _STEP)) + 1
    step = (length / (k - 1))[:, None]
    path = np.empty((len(start), k, 2), np.float32)
    path[:, 0] = start
    for i in range(1, k):
        path[:, i] = path[:, i - 1] + step * _lookup(flow, path[:, i - 1])
    return path


def _unit_flow(psi: np.ndarray) -> np.ndarray:
    """Unit vectors along the contours of stream function ``psi`` (n, n)."""
    gy, gx = np.gradient(psi)
    v = np.stack([gy, -gx], axis=-1)
    return v / (np.linalg.norm(v, axis=-1, keepdims=True) + 1e-12)


def _strokes(rng: _Rng, m: int, n: int, length: tuple, radius: tuple) -> tuple:
    """Random start points, lengths and constant radii for ``m`` strokes (pixel units)."""
    sc = n / 512
    start = rng.uniform(-4 * sc, n + 4 * sc, (m, 2)).astype(np.float32)
    ln = rng.uniform(*length, m).astype(np.float32) * sc
    rad = np.maximum(rng.uniform(*radius, m) * sc, 0.5).astype(np.float32)
    return start, ln, rad


def _straight(start: np.ndarray, ln: np.ndarray, ang: np.ndarray, bow: np.ndarray) -> np.ndarray:
    """(N, K, 2) paths from ``start`` at angle ``ang``, bent sideways by ``bow`` x length."""
    u = np.linspace(0, 1, int(np.ceil(ln.max() / _STEP)) + 1, dtype=np.float32)
    d = np.stack([np.cos(ang), np.sin(ang)], -1).astype(np.float32)[:, None]
    side = (bow * ln)[:, None] * np.sin(np.pi * u)
    return (
        start[:, None] + (ln[:, None] * u)[..., None] * d + side[..., None] * d[..., ::-1] * [-1, 1]
    )


def _swirl(n: int, rng: _Rng) -> np.ndarray:
    """Van Gogh: curved impasto strokes along the contours of a swirling sky."""
    x, y = _grid(n)
    psi = 0.55 * y + 0.05 * np.sin(2 * np.pi * (1.2 * x + rng.random())) * np.cos(4 * y)
    for _ in range(rng.integers(4, 7)):
        cx, cy, a = rng.uniform(0.1, 0.9), rng.uniform(0.1, 0.9), rng.uniform(0.04, 0.09)
        gamma = rng.choice([-1, 1]) * rng.uniform(0.03, 0.06)
        psi += gamma * np.log((x - cx) ** 2 + (y - cy) ** 2 + a**2)  # a vortex
    blues = _rgb("0b1740", "163a8c", "2f62b8", "5d8fd4", "a8c8e8")
    field = _ramp(0.5 + 0.5 * np.sin(2 * np.pi * 9 * psi), blues)  # bands along the flow
    stars = _rgb("fff6c0", "f9d835", "eda21a", "f4dc6a", "b8d4ee")
    for _ in range(rng.integers(4, 8)):
        cx, cy, rho = rng.uniform(0.05, 0.95), rng.uniform(0.05, 0.95), rng.uniform(0.03, 0.07)
        d = np.sqrt((x - cx) ** 2 + (y - cy) ** 2) / rho
        psi += 0.01 * np.log(d**2 + 0.3)  # halo strokes circle the star
        ring = np.where(np.sin(2 * np.pi * d) > 0, 3, 4)
        col = stars[np.where(d < 1, np.minimum((d * 3).astype(int), 2), ring)]
        field = np.where((d < 2.2)[..., None], col, field)
    flow = _unit_flow(psi)
    start, ln, rad = _strokes(rng, 5000, n, (12, 30), (2.8, 4.5))
    col = _lookup(field, start) * rng.normal(1, 0.08, (5000, 1))
    accent = rng.random(5000) < 0.08
    col[accent] = np.concatenate([blues, stars])[rng.integers(0, 10, accent.sum())]
    cv = _Canvas(n)
    cv.paint(_trace(flow, start, ln), rad, col)
    return cv.finish(ndimage.gaussian_filter(field, (3 * n / 512, 3 * n / 512, 0)), rng, 0.5, 1.6)


def _lowfreq(rng: _Rng, n: int, cells: tuple[int, int]) -> np.ndarray:
    """Smooth unit-variance noise (n, n) from a (rows, cols) lattice; independent of ``n``."""
    lat = rng.normal(size=cells)
    return ndimage.zoom(lat, (n / cells[0], n / cells[1]), order=3, mode="nearest", grid_mode=True)


def _series(rng: _Rng, m: int, nodes: int, k: int) -> np.ndarray:
    """``m`` smooth unit-variance random curves sampled at ``k`` points, (m, k)."""
    lat = rng.normal(size=(m, nodes))
    return ndimage.zoom(lat, (1, k / nodes), order=3, mode="nearest", grid_mode=True)


def _ellipse(x: np.ndarray, y: np.ndarray, c: np.ndarray, rx: float, ry: float) -> np.ndarray:
    """Boolean (n, n) mask of an axis-aligned ellipse in normalised coordinates."""
    return ((x - c[0]) / rx) ** 2 + ((y - c[1]) / ry) ** 2 < 1


def _brush(n: int, rng: _Rng) -> np.ndarray:
    """Monet: short broken pastel dabs over a pond of water lilies."""
    x, y = _grid(n)
    water = _rgb("d5d3ec", "b1c8e2", "93b9c9", "86aa9c", "6f9486")
    v = np.clip(0.85 * y + 0.12 * _lowfreq(rng, n, (6, 6)), 0, 1)
    field = _ramp(v, water)
    refl = _lowfreq(rng, n, (3, 24))  # vertical reflections of willows and sky
    field = np.where((refl > 1.3)[..., None], _rgb("6e9470"), field)
    field = np.where((refl < -1.2)[..., None], _rgb("eef0f6"), field)
    greens = _rgb("6f9c4a", "94bb5c", "4f7f48", "aac870")
    flowers = _rgb("ee8fa8", "f7f1e4", "f2d36b")
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
    start, ln, rad = _strokes(rng, m, n, (6, 16), (3.0, 5.0))
    on_pad = _lookup(pad_mask, start)
    ang = 0.15 * _lookup(_lowfreq(rng, n, (5, 5)), start) + rng.normal(0, 0.12 + 0.8 * on_pad, m)
    paths = _straight(start, ln, ang, rng.normal(0, 0.07, m))
    col = _lookup(field, start) + rng.normal(0, 0.05, (m, 3))
    accent = rng.random(m) < 0.12
    pastel = _rgb("e9b8c8", "f3e6b8", "c6b8e2", "b8d8c4", "a9c8ec")
    col[accent] = pastel[rng.integers(0, 5, accent.sum())]
    col = 0.9 * col + 0.08
    cv = _Canvas(n)
    cv.paint(paths, rad, col)
    under = ndimage.gaussian_filter(field, (4 * n / 512, 4 * n / 512, 0)) * 0.9 + 0.1
    return cv.finish(under, rng, 0.3, 0.35)


def _drip(n: int, rng: _Rng) -> np.ndarray:
    """Pollock: tangled poured enamel lines and splatters on raw cotton duck."""
    sc = n / 512
    grain = np.random.default_rng(rng.integers(2**62))  # own stream: n-dependent draw count
    noise = grain.standard_normal((2, n, n), dtype=np.float32)
    fibre = ndimage.gaussian_filter(noise, (0, 0.4 * sc, 1.5 * sc))
    weave = 0.6 * fibre[0] / fibre[0].std() + 0.6 * fibre[1].T / fibre[1].std()
    stain = 0.06 * _lowfreq(rng, n, (5, 5)) + 0.02 * weave
    under = _rgb("d6c8a8")[0] * (1 + stain)[..., None]
    paints = _rgb("16130f", "efece2", "a9aaa5", "c8923c", "8c3a22", "3d5d63")  # black first
    cv = _Canvas(n)
    for layer in rng.permutation(len(paints)):
        m = int(rng.integers(8, 16)) + 6 * (layer == 0)
        ln = rng.uniform(0.6, 2.0, m) * n
        k = int(np.ceil(ln.max() / _STEP)) + 1
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


def _mosaic(n: int, rng: _Rng) -> np.ndarray:
    """Analytic cubism: shaded angular shards with broken dark outlines."""
    x, y = _grid(n)
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
    palette = _rgb("a88850", "6e5238", "8a6844", "6f777c", "535b60", "c2b08a", "7c7650", "3e342a")
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
    start, ln, rad = _strokes(rng, m, n, (5, 11), (1.8, 3.2))
    own = _lookup(cell, start)
    ang = (np.array([0.8, 2.3, 1.57, 0.0])[(attr[4] * 4).astype(int)] + 0.2 * attr[5] - 0.1)[own]
    cv = _Canvas(n)
    col = _lookup(img, start) * rng.normal(1, 0.06, (m, 1))
    cv.paint(_straight(start, ln, ang, np.zeros(m)), rad, col)
    cv.z[(cv.z >= 0) & (own[cv.z] != cell.ravel())] = -1  # keep facet edges crisp
    img = cv.finish(img, rng, 0.3, 0.3)
    img = img * (1 - 0.8 * ink)[..., None] + 0.08 * ink[..., None]
    return np.clip(img, 0, 1).astype(np.float32)


_GENERATORS: dict[str, Callable[[int, _Rng], np.ndarray]] = {
    "swirl": _swirl,
    "brush": _brush,
    "drip": _drip,
    "mosaic": _mosaic,
}
_TEXTURES: dict[str, Callable[[], np.ndarray]] = {
    "bricks": skdata.brick,
    "grass": skdata.grass,
    "gravel": skdata.gravel,
}
_PHOTOS: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": skdata.astronaut,
    "chelsea": skdata.chelsea,
    "coffee": skdata.coffee,
    "rocket": skdata.rocket,
    "motorcycle": lambda: skdata.stereo_motorcycle()[0],
    "hubble_deep_field": skdata.hubble_deep_field,
}
CONTENT_PHOTOS: tuple[str, ...] = tuple(_PHOTOS)
_MOVEMENTS = (  # name, movement, description
    ("swirl", "Post-impressionism (Van Gogh)", "Swirling impasto strokes in blue and yellow."),
    ("brush", "Impressionism (Monet)", "Short broken dabs of soft pastel colour on a lily pond."),
    ("drip", "Abstract expressionism (Pollock)", "Tangled drip lines and splatters on raw canvas."),
    ("mosaic", "Cubism (Picasso)", "Hatched angular facets, dark outlines, ochre and grey-blue."),
    ("bricks", "Photo texture", "Grayscale brick wall photo (skimage.data.brick)."),
    ("grass", "Photo texture", "Grayscale grass photo (skimage.data.grass)."),
    ("gravel", "Photo texture", "Grayscale gravel photo (skimage.data.gravel)."),
)
STYLES: dict[str, StyleInfo] = {r[0]: StyleInfo(*r, r[0] in _GENERATORS) for r in _MOVEMENTS}


def _as_rgb(img: np.ndarray) -> np.ndarray:
    """uint8 gray or RGB(A) -> float32 (H, W, 3) in [0, 1]."""
    img = np.asarray(img, np.float32) / 255
    return gray2rgb(img) if img.ndim == 2 else img[..., :3]


def _check_int(value: object, what: str, lo: int, hi: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    if not lo <= value <= hi:
        raise ValueError(f"{what} must be between {lo} and {hi}, got {value}")
    return int(value)


def _unknown(kind: str, name: object, valid: list[str]) -> ValueError:
    close = difflib.get_close_matches(str(name), valid, n=1, cutoff=0.0)
    hint = f" Did you mean {close[0]!r}?" if close else ""
    return ValueError(f"Unknown {kind} {name!r}. Valid names: {', '.join(valid)}.{hint}")


def _fit(img: np.ndarray, longest: int) -> np.ndarray:
    """Resize so the longest side is ``longest`` pixels, keeping the aspect ratio."""
    h, w = img.shape[:2]
    if max(h, w) == longest:
        return img
    f = longest / max(h, w)
    shape = (max(1, round(h * f)), max(1, round(w * f)), img.shape[2])
    return resize(img, shape, order=1, anti_aliasing=f < 1, preserve_range=True)


def list_styles() -> list[StyleInfo]:
    """Return descriptions of all styles accepted by :func:`make_style`, in display order."""
    return list(STYLES.values())


def make_style(name: str, size: int = 512, seed: int = 0) -> np.ndarray:
    """Create a style image.

    Args:
        name: A key of :data:`STYLES` (see :func:`list_styles`).
        size: Output side in pixels, 16..4096.  Procedural styles are ``size`` x ``size``;
            photo textures are resized so their longest side is ``size`` (aspect kept).
        seed: Non-negative seed; the same (name, size, seed) always gives the same image.
            Photo textures ignore it.

    Returns:
        float32 array of shape (H, W, 3) with values in [0, 1].

    Raises:
        ValueError: For an unknown name (the message lists valid names and suggests the
            closest) or an out-of-range size or seed.
    """
    if not isinstance(name, str) or name not in STYLES:
        raise _unknown("style", name, list(STYLES))
    size = _check_int(size, "size", MIN_SIZE, MAX_SIZE)
    seed = _check_int(seed, "seed", 0, 2**63 - 1)
    if name in _GENERATORS:
        img = _GENERATORS[name](size, np.random.default_rng(seed))
    else:
        img = _fit(_as_rgb(_TEXTURES[name]()), size)
    return np.ascontiguousarray(np.clip(img, 0, 1), dtype=np.float32)


def content_photo(name: str = "chelsea", max_dim: int | None = None) -> np.ndarray:
    """Load a colour photo bundled with scikit-image to use as content.

    Args:
        name: One of :data:`CONTENT_PHOTOS`.
        max_dim: If given (16..4096), resize so the longest side is ``max_dim`` pixels,
            keeping the aspect ratio (anti-aliased when shrinking).  None keeps the
            original size.

    Returns:
        float32 array of shape (H, W, 3) with values in [0, 1].

    Raises:
        ValueError: For an unknown name (the message lists valid names) or a bad max_dim.
    """
    if not isinstance(name, str) or name not in _PHOTOS:
        raise _unknown("content photo", name, list(CONTENT_PHOTOS))
    img = _as_rgb(_PHOTOS[name]())
    if max_dim is not None:
        img = _fit(img, _check_int(max_dim, "max_dim", MIN_SIZE, MAX_SIZE))
    return np.ascontiguousarray(np.clip(img, 0, 1), dtype=np.float32)
