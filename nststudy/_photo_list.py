"""Which photos a ``nststudy paint`` job paints, what each one's outputs are called, and
whether every one can be read, before anything is painted."""

from __future__ import annotations

from pathlib import Path

from . import metadata
from .images import MIN_SIZE, check_min_size, load_image, scaled_shape

__all__ = ["IMAGE_SUFFIXES", "collect_photos", "photo_names", "validate_photos"]

#: What a folder's images are. HEIC/HEIF/AVIF are collected too, so that a phone's folder is
#: not skipped in silence: where Pillow cannot read them, validation says how to convert them.
IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".tiff", ".bmp", ".gif"}
IMAGE_SUFFIXES |= {".heic", ".heif", ".avif"}


def collect_photos(items: list[str], paintings: list[Path] | None = None) -> list[Path]:
    """Expand folders into the image files inside them (sorted, not recursive).

    ``paintings``: if given, a folder's files that nststudy painted (their settings embedded)
    are left out and appended here, so that a second run with ``--out`` the photos' own folder
    does not paint the paintings. Files named one by one are always kept.
    """
    photos: list[Path] = []
    for item in items:
        path = Path(item).expanduser()
        if path.is_dir():
            try:
                found = sorted(
                    p
                    for p in path.iterdir()
                    if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")
                )
            except OSError as err:
                raise ValueError(
                    f"{path}: cannot list the folder ({err.strerror}); check its permissions"
                ) from None
            if not found:
                raise ValueError(f"{path}: the folder holds no images (.jpg, .png, .tif, …)")
            if paintings is not None:
                made = [p for p in found if _painted(p)]
                paintings += made
                found = [p for p in found if p not in made]
                if not found:
                    raise ValueError(
                        f"{path}: the folder holds only paintings nststudy made; name one to "
                        "paint it again, or give the folder of the photos"
                    )
            photos += found
        else:
            photos.append(path)
    return photos


def _painted(path: Path) -> bool:
    """Whether ``path`` carries nststudy's settings (a painting, not a photo)."""
    try:
        metadata.read_settings(path)
    except (ValueError, OSError):
        return False
    return True


def photo_names(photos: list[Path]) -> dict[Path, str]:
    """A name per photo for its outputs and checkpoint, unique within the batch.

    Usually the file's stem. Photos whose stems clash (``a/IMG_0001.JPG`` and
    ``b/IMG_0001.JPG``; the comparison ignores case and what file names cannot hold) are
    told apart by their folder's name, then by a counter: ``a-IMG_0001``, ``b-IMG_0001``.
    """

    def safe(name: str) -> str:
        return metadata.base_name(name, "x").casefold()

    stems: dict[str, int] = {}
    for path in dict.fromkeys(photos):  # the same file given twice is one photo
        stems[safe(path.stem)] = stems.get(safe(path.stem), 0) + 1
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for path in dict.fromkeys(photos):
        name = path.stem
        if stems[safe(name)] > 1:
            name = f"{path.resolve().parent.name or 'photo'}-{path.stem}"
        base, n = name, 1
        while safe(name) in taken or (name != path.stem and safe(name) in stems):
            n += 1
            name = f"{base}-{n}"
        taken.add(safe(name))
        names[path] = name
    return names


def validate_photos(
    photos: list[Path], sizes: int | tuple[int, ...], crop: str | None = None
) -> tuple[dict[Path, tuple[int, int]], list[str]]:
    """Open every photo before painting any: ``({path: (H, W)}, [error lines])``.

    A photo is refused when its short side is under 16 px as given or at any of ``sizes``
    (the coarse-to-fine stages), exactly as :func:`nststudy.stylize` would refuse it later;
    with ``crop`` (``--crop``), as cropped to that ratio. The shapes are the files' own.
    """
    from .postprocess import crop_to_ratio

    good, bad = {}, []
    for path in photos:
        try:
            img = load_image(path)
            cut = crop_to_ratio(img, crop).shape[:2] if crop else None
            for size in (sizes,) if isinstance(sizes, int) else sizes:
                check_min_size(img.shape, size, str(path))
                if cut and min(*cut, *scaled_shape(cut, size)) < MIN_SIZE:  # (as stylize)
                    raise ValueError(
                        f"{path}: --crop {crop} leaves {cut[1]}×{cut[0]} px, under VGG19's "
                        f"{MIN_SIZE} px on the short side at {size} px; choose a less extreme "
                        "--crop"
                    )
            good[path] = img.shape[:2]
        except ValueError as err:
            msg = str(err)
            bad.append(msg if str(path) in msg else f"{path}: {msg}")
    return good, bad
