"""The studio's inputs and status line: the photo (a sample or an upload), the mask, and what
the status line says; :class:`nststudy.studio.Studio` builds on it.

Uploads are decoded once per file (not per button press or slider move) and kept with their
bytes' hash; a cleared upload frees its picture (Binder has 2 GB).
"""

from __future__ import annotations

import hashlib
import html
import warnings
from typing import Any

import numpy as np

from . import samples
from ._studio_jobs import MARKER, png_bytes, print_refusal, studio_mask
from .i18n import t
from .images import resize_longest, shrink_longest
from .postprocess import resize_to

__all__ = ["StudioInputs"]


class StudioInputs:
    """The photo, the mask and the status line of a studio (its widgets: ``upload``,
    ``sample``, ``mask_upload``, ``area``, ``status``, ``image``, ``download``; its state:
    ``_read``, ``_photo``, ``running``), as methods :class:`~nststudy.studio.Studio` inherits."""

    @staticmethod
    def _why(err: Exception) -> str:
        """An exception as the status line says it, in the studio's language for a bare
        ``MemoryError`` (it has no text); a refusal with numbers (``ResourceError``) as it is."""
        from .resources import ResourceError

        if isinstance(err, MemoryError) and not isinstance(err, ResourceError):
            return t("studio.no_memory")
        return str(err)

    def _say(self, text: str, error: bool = False) -> None:
        """Show ``text`` in the status line (an error in red), escaped: it may name a file."""
        style = ' style="color:#b00"' if error else ""
        text = html.escape(text, quote=False)  # (element text: &, <, > are what matter)
        self.status.value = f'<span class="{MARKER}"{style}>{text}</span>'

    def release(self) -> None:
        """Drop the decoded uploads (read again from the upload's bytes when needed): another
        studio took over, and the notebook keeps this one alive."""
        self._read.clear()

    def _uploaded(self) -> None:
        """A photo arrived: the dropdown says "(your photo)", and it is the one painted."""
        if self.sample.value:
            self.sample.value = ""  # (its observer shows the photo)
        else:
            self._new_photo()

    def _new_photo(self) -> None:
        """Another photo was chosen: the last message goes and the photo is shown; the last
        painting's download link stays (it names its file) until the next painting replaces
        it: a finished print is minutes of work, and in Voilà the link is all there is of it."""
        if not self.running:
            self._say(t("studio.pick"))
        if self.sample.value:  # an upload no longer shown is not held (Binder has 2 GB)
            self._read.pop("photo", None)
        self._show_photo()

    def photo(self) -> np.ndarray:
        """The photo to paint: the sample picked in the dropdown, or — with "(your photo)" —
        the upload (float32, ≤ 4096 px)."""
        if self.sample.value:
            return samples.content_photo(self.sample.value, max_dim=1024)
        if self.upload.value:
            from ._decode import ALLOW_HUGE_ENV, open_bytes
            from ._env import env_flag

            def decode(data: bytes, name: str) -> np.ndarray:
                # JPEGs are decoded at a reduced scale when large; over Pillow's limit, refused
                # unless NSTSTUDY_ALLOW_HUGE_IMAGES=1 (as the refusal says, and as for masks)
                huge = env_flag(ALLOW_HUGE_ENV)
                return shrink_longest(open_bytes(data, name, 4096, huge), 4096)

            return self._uploaded_file("photo", self.upload, decode)
        if self._photo is not None:
            return self._photo
        raise ValueError(t("studio.upload_first"))

    def _uploaded_file(self, slot: str, upload: Any, read: Any) -> np.ndarray:
        """``read(bytes, file name)`` of the file in ``upload``, once per upload (not per
        button press or slider move): kept under ``slot`` with the bytes' hash."""
        item = upload.value[0]
        key = hashlib.sha256(item["content"]).hexdigest()  # hashes the buffer, no copy
        if self._read.get(slot, ("",))[0] != key:
            self._read.pop(slot, None)  # the old picture goes before the new one is decoded
            picture = read(bytes(item["content"]), item["name"])
            picture.setflags(write=False)  # shared with the job thread: nobody edits it
            self._read[slot] = (key, picture)
        return self._read[slot][1]

    def mask(self) -> np.ndarray | None:
        """What the style covers (1 = paint) at the photo's size, from ``area`` and the
        uploaded mask (:func:`studio_mask`); ``None`` for the whole photo."""
        own = None
        if self.area.value == "mask" and self.mask_upload.value:
            from .masks import read_mask

            own = self._uploaded_file("mask", self.mask_upload, lambda d, n: read_mask(n, d))
        return studio_mask(self.photo(), self.area.value, own)

    def _print_why(self, photo: np.ndarray, style_scale: float | None = None) -> str | None:
        """Why this photo's print (its aspect; the Brush size, or ``style_scale``) does not fit
        in memory now (:func:`print_refusal`); ``None`` when it does."""
        h, w = photo.shape[:2]
        scale = self.style_scale.value if style_scale is None else style_scale
        return print_refusal(
            self.sizes["print"], aspect=min(h, w) / max(h, w), style_scale=scale,
            paint_size=self.sizes["paint"],
        )  # fmt: skip

    def _print_tip(self, photo: np.ndarray | None = None) -> None:
        """The Print button's tooltip: whether this photo's print fits in memory now, or why
        not (the refusal a click would give)."""
        try:
            photo = self.photo() if photo is None else photo
        except ValueError:
            return  # no photo (yet): the status line says so
        self.buttons["print"].tooltip = self._print_why(photo) or t("studio.fits")

    def _show_photo(self) -> None:
        """The photo, the part kept as photo shown dimmed (to check the subject guess); not
        while a job runs (its live picture stays)."""
        for slot, upload in (("photo", self.upload), ("mask", self.mask_upload)):
            if not upload.value:  # a cleared upload frees its decoded picture
                self._read.pop(slot, None)
        if self.running:
            return
        if not (self.sample.value or self.upload.value or self._photo is not None):
            self._say(t("studio.upload_first"))  # "(your photo)" before an upload: a hint
            self.image.value = b""  # (not the sample shown before)
            return
        try:  # notices (an animated GIF's first frame, a turned mask, no clear subject) go
            with warnings.catch_warnings(record=True) as caught:  # to the page, not a log
                warnings.simplefilter("always", UserWarning)
                photo, mask = self.photo(), self.mask()
            view = resize_longest(photo, 512)  # dimmed at 512 px, not at the photo's size
            if mask is not None:
                small = resize_to(mask, view.shape[:2], "bilinear")
                view = view * (0.35 + 0.65 * small[..., None])
        except Exception as err:  # a bad upload, or no memory for it: said, not raised
            self._say(self._why(err), error=True)
            return
        self._print_tip(photo)
        notes = [str(n.message) for n in caught if issubclass(n.category, UserWarning)]
        if notes:
            self._say(" ".join(dict.fromkeys(notes)))
        elif "color:#b00" in self.status.value:  # the problem shown last is gone
            self._say(t("studio.pick"))
        self.image.value = png_bytes(view)
