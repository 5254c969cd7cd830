"""``nststudy paint --style``: a built-in style's name or a picture file, with a blend weight.

:mod:`nststudy.paint` re-exports :class:`StyleSpec` and :func:`parse_style`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from . import samples
from .images import check_min_size, load_image

__all__ = ["StyleSpec", "parse_style"]


@dataclass(frozen=True)
class StyleSpec:
    """One ``--style`` argument: its display name, image, blend weight and origin."""

    name: str
    image: np.ndarray
    weight: float
    builtin: bool

    def describe(self) -> dict[str, Any]:
        """For the metadata: name (a file's name only, never its folder), weight, origin."""
        return {"name": self.name, "weight": self.weight, "builtin": self.builtin}


def parse_style(
    spec: str, size: int = 512, seed: int = 0, sides: tuple[int, ...] = ()
) -> StyleSpec:
    """``"swirl"``, ``"swirl:0.7"``, ``"my/painting.jpg"`` or ``"my/painting.jpg:2"``.

    Built-in styles (see ``nststudy styles``) are drawn at ``size`` px with ``seed``; a file
    wins over a built-in name of the same spelling. A file is refused (named, before any
    work) when it is too thin for VGG19 at any longest side in ``sides`` (the stages').
    """
    name, weight = spec, 1.0
    m = re.fullmatch(r"(.+):([-+]?[0-9]*\.?[0-9]+(?:[eE][-+]?\d+)?)", spec)
    if m and not Path(spec).exists():
        name, weight = m.group(1), float(m.group(2))
    if not 0 < weight < math.inf:  # (1e999 reads as infinity)
        raise ValueError(f"--style {spec}: the weight must be > 0 and finite, e.g. {name}:0.5")
    path = Path(name).expanduser()
    if path.exists():
        image = load_image(path)
        check_min_size(image.shape, None, str(path))  # 1×1 etc.: refused, named
        for side in sides:  # a 2000 × 40 px strip: at 256 px its short side would be 5 px
            try:
                check_min_size(image.shape, side, str(path))
            except ValueError as err:
                raise ValueError(f"{err}, or give a larger --style-scale") from None
        return StyleSpec(path.stem, image, weight, builtin=False)
    if name in samples.STYLES:
        return StyleSpec(name, samples.make_style(name, size=size, seed=seed), weight, True)
    import difflib

    close = difflib.get_close_matches(name, list(samples.STYLES), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValueError(
        f"--style {name}: no such file and no built-in style of that name{hint}; "
        "run `nststudy styles` to list the built-in ones"
    )
