"""The notebooks' "work it out, type the number" exercises, checked by :func:`check_answer`.

The expected numbers live here, not in the learner's cell: a cell that reads
``check_number(answer, 64 * 64 * 512)`` hands the answer to anyone who runs it. A learner can
still find them in this file; the course asks them to work the number out first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ._checking import CheckResult, check_number

__all__ = ["ANSWERS", "check_answer"]


def _default_steps_at_2048() -> float:
    from .config import PRESETS

    return PRESETS["default"].at_size(2048).total_steps


def _default_style_weight_in_article_units() -> float:
    from .config import PRESETS

    return PRESETS["default"].style_weight * 4 * 512**2  # the article divides by 4C², C = 512


def _shallow_only_factor(per_layer: Mapping[str, float]) -> float:
    """Equal weights give each of 5 layers 1/5; (1, 1, 0, 0, 0) gives the first two 1/2 each."""
    shallow = per_layer["block1_conv1"] + per_layer["block2_conv1"]
    return sum(per_layer.values()) / (2.5 * shallow)


@dataclass(frozen=True)
class Answer:
    """One number exercise: how the check names it, its value (a function of what the
    notebook computed, for the few that depend on it) and the relative tolerance."""

    name: str
    value: Callable[..., float]
    rtol: float = 1e-2


#: ``"NN.k"``: notebook NN, exercise k.
ANSWERS: dict[str, Answer] = {
    "02.2": Answer("numbers at conv4_2", lambda: 64 * 64 * 512),
    "02.3": Answer("stride of block5_conv1", lambda: 2**4),
    "02.4": Answer("convolutions in VGG19", lambda: 16),
    "03.2": Answer("content loss of 1.1·P", lambda: 0.04),
    "03.3": Answer("numbers compared at conv4_2", lambda: 64 * 48 * 512),
    # 0.016 (two figures) is right too: 2.4 % off 1/64
    "04.4": Answer("conv5_1 relative to conv1_1", lambda: (64 / 512) ** 2, rtol=0.03),
    "05.2": Answer("TV of the checkerboard", lambda: 2 * 4 * 3 * 3),  # 24 steps of 1, 3 channels
    "05.3": Answer("L2 factor", lambda: 4.0),  # one step of 1 against four of ¼: 1 / (4 · ¼²)
    "05.4": Answer("L1 factor", lambda: 1.0),  # the same rise, however spread
    "06.2": Answer("lr(1000) / lr(0)", lambda: 0.99 ** (1000 / 100), rtol=1e-3),
    "06.4": Answer("total steps", _default_steps_at_2048),
    "07.1": Answer("weight of block1_conv1", lambda: 4 / 8),
    "07.2": Answer("style_weight factor", _shallow_only_factor),
    "07.3": Answer("article ratio / tutorial ratio", lambda: (1e2 / 1e3) / (1e-2 / 1e4)),
    "07.4": Answer("article's weight for block4", _default_style_weight_in_article_units),
    "08.2": Answer("A4 long side at 300 DPI", lambda: round(297 / 25.4 * 300), rtol=1e-4),
    "08.3": Answer("one block1 activation, GB", lambda: 4724 * 3543 * 64 * 4 / 1e9),
    "09.4": Answer("stretch factor", lambda: 451 / 300),  # (512 / 300) / (512 / 451)
}


def check_answer(exercise: str, answer: Any, **data: Any) -> CheckResult:
    """Check the number typed for ``exercise`` (``"NN.k"``: notebook NN, exercise k), as
    :func:`check_number` does: too high, too low, never the expected value.

    Args:
        exercise: the exercise's key in :data:`ANSWERS`.
        answer: the learner's number (``...`` while unanswered).
        **data: what the notebook computed that the answer depends on (notebook 07's
            ``per_layer``, for exercise 2).

    Raises:
        ValueError: no such exercise (a teacher's typo, not the learner's).
    """
    if exercise not in ANSWERS:
        raise ValueError(f"no number exercise {exercise!r}; the keys are {', '.join(ANSWERS)}")
    entry = ANSWERS[exercise]
    return check_number(answer, entry.value(**data), rtol=entry.rtol, name=entry.name)
