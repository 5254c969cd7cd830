"""Self-checking exercises: run a learner's function against nststudy's own on several inputs.

>>> from nststudy.exercises import check_gram
>>> def my_gram(F):
...     raise NotImplementedError  # the learner's unfinished cell
>>> check_gram(my_gram).passed
False

Every ``check_*`` returns a :class:`CheckResult` that Jupyter shows as a green ✓ or a red ✗
with the first wrong value (which input, what was expected, what came back) and a hint that
names the likely mistake (forgot the mean, RGB instead of BGR, squares in TV, ...). A checker
never raises: a function that raises, returns ``None``, the wrong shape, dtype or NaN gives a
failed result, so an unfinished exercise never breaks the rest of the notebook.

The checkers live by topic in ``_exercises_images`` (VGG space, pixels, colour),
``_exercises_losses`` (content, Gram, style, TV, layer shares) and ``_exercises_network``
(feature shapes, learning rate); the numbers to type, whose values stay out of the learner's
cell, in ``_exercises_numbers`` (:func:`check_answer`); the machinery they share is in
``_checking``.
"""

from __future__ import annotations

from ._checking import CheckResult, check_against, check_number
from ._exercises_images import (
    check_clip_to_valid,
    check_deprocess,
    check_fit_size,
    check_from_vgg,
    check_luminance_transfer,
    check_to_vgg,
)
from ._exercises_losses import (
    check_content_loss,
    check_gram,
    check_layer_shares,
    check_style_loss,
    check_tv_loss,
)
from ._exercises_network import check_feature_shape, check_lr_schedule
from ._exercises_numbers import check_answer

__all__ = [
    "CheckResult",
    "check_against",
    "check_answer",
    "check_clip_to_valid",
    "check_content_loss",
    "check_deprocess",
    "check_feature_shape",
    "check_fit_size",
    "check_from_vgg",
    "check_gram",
    "check_layer_shares",
    "check_lr_schedule",
    "check_luminance_transfer",
    "check_number",
    "check_style_loss",
    "check_to_vgg",
    "check_tv_loss",
]
