"""One painting at a time in a Python process: a new studio or training view stops the old job.

Re-running a notebook cell that built a :class:`~nststudy.studio.Studio` (or a training view)
replaces the widget on the page, but the old object's background thread keeps painting, out of
sight, and on a 2-core CPU halves the speed of whatever the new one paints. So building a new
one, or starting one, asks every other running job to stop (its best picture so far is kept,
as with its Stop button) and says so in a warning. An idle one also drops what it can read
again (a studio's decoded upload: up to 150 MB), since the notebook keeps every widget alive.
"""

from __future__ import annotations

import warnings
import weakref
from typing import Any

from .i18n import t

__all__ = ["take_over"]

_LIVE: weakref.WeakSet[Any] = weakref.WeakSet()  # a running job's thread keeps its widget alive


def take_over(widget: Any) -> int:
    """Stop every other registered widget's running job, then register ``widget``.

    Args:
        widget: an object with ``running`` (bool) and ``stop()``, which returns whether a job
            was still going (one that has just said its last word is not warned about), and
            optionally ``release()``, called on the idle others.

    Returns:
        How many jobs were asked to stop (each also gives a ``UserWarning``).
    """
    stopped = 0
    for other in list(_LIVE):
        if other is widget:
            continue
        if other.running:
            if other.stop():
                stopped += 1
                warnings.warn(t("widget.took_over"), UserWarning, stacklevel=3)
        elif hasattr(other, "release"):  # ipywidgets keeps every widget: its caches too
            other.release()
    _LIVE.add(widget)
    return stopped
