"""How :class:`nststudy.config.Config` checks its fields: each wrong value is refused in one
line that names the field, what it must be and what was given."""

from __future__ import annotations

import math
import numbers
from typing import Any

from ._cpu import PRECISIONS

__all__ = ["CHOICES", "EXAMPLES", "number", "sequence", "whole"]

_HINTS = {"style_scale": "; 1 = the style at the picture's size"}


def number(field: str, value: Any, low: float = 0.0, strict: bool = False) -> None:
    """Refuse, in one line, a value that is not a finite real number >= ``low`` (> if strict)."""
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if not real or not math.isfinite(value) or value < low or (strict and value == low):
        bound = f"{'>' if strict else '>='} {low:g}"
        hint = _HINTS.get(field, "")
        raise ValueError(f"{field} must be {bound} (a finite number{hint}), got {value!r}")


def whole(field: str, value: Any) -> int:
    """``value`` as an int; refused in one line when it is not a whole number (or a bool)."""
    whole = isinstance(value, numbers.Integral) or (
        isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer()
    )
    if isinstance(value, bool) or not whole:
        raise ValueError(f"{field} must be a whole number, got {value!r}")
    return int(value)


def sequence(field: str, value: Any, example: str) -> tuple:
    """``value`` as a tuple; a lone number or string (iterated letter by letter) refused."""
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise ValueError(f"{field} must be a tuple such as {example}, got {value!r}")
    return tuple(value)


CHOICES = {
    "formulas": ("standard", "article"),
    "space": ("pixels", "vgg"),
    "optimizer": ("adam", "lbfgs"),
    "init": ("content", "noise"),
    "precision": PRECISIONS,
    "lbfgs_history": ("float32", "float16"),
}
EXAMPLES = {  # the tuple fields, and how one looks
    "content_layers": "('block4_conv2',)",
    "style_layers": "('block1_conv1', 'block2_conv1')",
    "sizes": "(512,)",
    "steps": "(100,)",
}
