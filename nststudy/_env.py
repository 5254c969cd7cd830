"""Environment flags (``NSTSTUDY_FAST``, ``NSTSTUDY_OFFLINE``, ...): one reading for all."""

from __future__ import annotations

import os

__all__ = ["env_flag"]

#: What a flag set to "off" looks like; anything else set (1, true, yes, on, ...) is on.
_OFF = ("", "0", "false", "no", "off")


def env_flag(name: str) -> bool:
    """Whether the environment variable ``name`` is set to something other than off (unset,
    empty, 0, false, no, off; any case, spaces ignored)."""
    return os.environ.get(name, "").strip().lower() not in _OFF
