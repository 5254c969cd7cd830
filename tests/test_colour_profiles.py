"""Photos with an embedded colour profile (a phone's Display P3, Adobe RGB, CMYK) are read as
the colours they mean, in sRGB — the space nststudy paints in and tags its files with."""

from __future__ import annotations

import io
import struct
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageCms

from nststudy.images import ImageNotice, load_image

# sRGB's primaries and white, adapted to D50 as ICC profiles store them
_RED, _GREEN, _BLUE = (0.4361, 0.2225, 0.0139), (0.3851, 0.7169, 0.0971), (0.1431, 0.0606, 0.7141)
_D50 = (0.9642, 1.0, 0.8249)


def _s15(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _icc(description: str, red: tuple, green: tuple, blue: tuple, gamma: float = 2.2) -> bytes:
    """A minimal ICC v2 RGB display profile: three primaries and a gamma curve each."""

    def xyz(v: tuple) -> bytes:
        return b"XYZ " + bytes(4) + b"".join(_s15(c) for c in v)

    curve = _curve(gamma)
    tags = [(b"desc", _desc(description)), (b"wtpt", xyz(_D50)), (b"rXYZ", xyz(red))]
    tags += [(b"gXYZ", xyz(green)), (b"bXYZ", xyz(blue))]
    tags += [(b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    return _profile(b"RGB ", tags)


def _desc(text: str) -> bytes:
    raw = text.encode() + b"\0"
    return b"desc" + bytes(4) + struct.pack(">I", len(raw)) + raw + bytes(8) + bytes(3 + 67)


def _curve(gamma: float) -> bytes:
    return b"curv" + bytes(4) + struct.pack(">IH", 1, round(gamma * 256)) + bytes(2)  # u8.8


def _profile(space: bytes, tags: list[tuple[bytes, bytes]]) -> bytes:
    """An ICC v2 display profile of colour ``space`` (``b"RGB "``, ``b"GRAY"``) with ``tags``."""
    offset, table, data = 128 + 4 + 12 * len(tags), b"", b""
    for sig, body in tags:
        body += bytes(-len(body) % 4)
        table += sig + struct.pack(">II", offset + len(data), len(body))
        data += body
    size = offset + len(data)
    head = struct.pack(">I", size) + bytes(4) + bytes([2, 0x10, 0, 0]) + b"mntr" + space + b"XYZ "
    head += bytes(12) + b"acsp" + bytes(24) + struct.pack(">I", 0)
    head += b"".join(_s15(c) for c in _D50) + bytes(128 - 80)
    return head + struct.pack(">I", len(tags)) + table + data


def _tagged(path: Path, rgb: tuple[int, int, int], icc: bytes | None, fmt: str = "PNG") -> Path:
    im = Image.new("RGB", (8, 6), rgb)
    im.save(path, fmt, **({"icc_profile": icc} if icc else {}))
    return path


def test_a_profile_with_other_primaries_is_converted_to_srgb(tmp_path: Path) -> None:
    swapped = _icc("swapped primaries", _GREEN, _RED, _BLUE)  # its "red" is sRGB's green
    assert "swapped" in ImageCms.getProfileDescription(
        ImageCms.ImageCmsProfile(io.BytesIO(swapped))
    )
    for fmt in ("PNG", "JPEG"):
        path = _tagged(tmp_path / f"p3.{fmt.lower()}", (200, 40, 40), swapped, fmt)
        pixel = load_image(path)[3, 4] * 255
        assert pixel[1] > 170 and pixel[0] < 80 and pixel[2] < 80, pixel  # green, as meant
    with open(path, "rb") as fh:  # uploads (the studio) go through the same decoder
        from nststudy._decode import open_bytes

        assert np.allclose(open_bytes(fh.read(), "up.jpg", None, False), load_image(path))


def test_srgb_and_untagged_photos_are_read_as_they_are(tmp_path: Path) -> None:
    same = _icc("sRGB IEC61966-2.1 (camera)", _RED, _GREEN, _BLUE)
    for icc in (None, same):
        pixel = load_image(_tagged(tmp_path / "s.png", (200, 40, 40), icc))[0, 0] * 255
        assert np.allclose(pixel, (200, 40, 40), atol=0.5)


def test_an_unreadable_profile_is_reported_and_ignored(tmp_path: Path) -> None:
    path = _tagged(tmp_path / "bad.png", (200, 40, 40), b"not a colour profile" * 8)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        pixel = load_image(path)[0, 0] * 255
    assert np.allclose(pixel, (200, 40, 40), atol=0.5)
    notices = [str(w.message) for w in caught if issubclass(w.category, ImageNotice)]
    assert notices and "bad.png: its embedded colour profile cannot be read" in notices[0]


def test_a_phone_jpeg_with_extra_pictures_gets_no_animation_notice(tmp_path: Path) -> None:
    path = tmp_path / "phone.jpg"
    first, second = Image.new("RGB", (16, 12), (10, 20, 30)), Image.new("RGB", (8, 6))
    first.save(path, "MPO", save_all=True, append_images=[second])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_image(path).shape == (12, 16, 3)


def test_a_colour_key_survives_the_profile_conversion(tmp_path: Path) -> None:
    """A PNG's tRNS colour key names a colour in the file's own space: converted to sRGB first,
    no pixel matched it any more and the transparent background came out black."""
    swapped = _icc("swapped primaries", _GREEN, _RED, _BLUE)
    im = Image.new("RGB", (8, 6), (10, 20, 30))
    im.paste((200, 40, 40), (0, 0, 4, 6))  # the left half: a real colour; the right: the key
    path = tmp_path / "keyed.png"
    im.save(path, "PNG", icc_profile=swapped, transparency=(10, 20, 30))
    img = load_image(path)
    assert np.allclose(img[:, 6], 1.0, atol=0.01)  # the keyed half: on white, as without ICC
    assert img[3, 1, 1] > 0.6 and img[3, 1, 0] < 0.35  # the other half: converted (green)


def test_a_phone_jpeg_is_decoded_at_reduced_scale_too(tmp_path: Path, monkeypatch) -> None:
    """A phone's JPEG with a gain or depth map opens as MPO; it was decoded whole (a 48 MP
    photo: ≈ 600 MB of float32) where a plain JPEG is decoded at 1/2, 1/4 or 1/8."""
    from PIL import JpegImagePlugin

    asked: list[tuple[int, int]] = []
    draft = JpegImagePlugin.JpegImageFile.draft

    def spy(self, mode, size):  # type: ignore[no-untyped-def]
        asked.append(size)
        return draft(self, mode, size)

    monkeypatch.setattr(JpegImagePlugin.JpegImageFile, "draft", spy)
    first, second = Image.new("RGB", (160, 120), (10, 20, 30)), Image.new("RGB", (8, 6))
    first.save(tmp_path / "phone.jpg", "MPO", save_all=True, append_images=[second])
    first.save(tmp_path / "plain.jpg", "JPEG")
    for name in ("plain.jpg", "phone.jpg"):
        asked.clear()
        assert load_image(tmp_path / name, max_dim=40).shape == (30, 40, 3)
        assert asked == [(40, 40)], name


def test_a_linear_srgb_profile_is_converted_not_taken_for_srgb(tmp_path: Path) -> None:
    """GIMP's "Linear sRGB" and Krita's "sRGB-elle-V2-g10" have "sRGB" in their names but
    store light linearly: taken as sRGB, a mid grey came out far too dark."""
    for name in ("GIMP built-in Linear sRGB", "sRGB-elle-V2-g10.icc"):
        linear = _icc(name, _RED, _GREEN, _BLUE, gamma=1.0)
        grey = load_image(_tagged(tmp_path / "lin.png", (50, 50, 50), linear))[0, 0]
        # linear 50/255 = 0.196 of the light: sRGB 0.48, not 0.196
        assert np.allclose(grey, 0.48, atol=0.03), (name, grey)


def _grey_icc(gamma: float) -> bytes:
    """A minimal ICC v2 grey display profile: a white point and one gamma curve (kTRC)."""
    wtpt = b"XYZ " + bytes(4) + b"".join(_s15(c) for c in _D50)
    return _profile(b"GRAY", [(b"desc", _desc(f"grey gamma {gamma}")), (b"wtpt", wtpt),
                              (b"kTRC", _curve(gamma))])  # fmt: skip


def test_grey_and_palette_images_honour_their_profiles(tmp_path: Path) -> None:
    """A grey scan tagged with its own curve, or a palette PNG with an iCCP chunk, was read
    as if it were sRGB (the profile was ignored for modes L and P)."""
    grey = Image.new("L", (8, 6), 50)
    grey.save(tmp_path / "g.png", icc_profile=_grey_icc(1.0))  # linear light: 50 is dark grey
    value = load_image(tmp_path / "g.png")[0, 0]
    assert np.allclose(value, value[0]) and abs(value[0] - 0.48) < 0.03, value
    swapped = _icc("swapped primaries", _GREEN, _RED, _BLUE)
    pal = Image.new("RGB", (8, 6), (200, 40, 40)).convert("P")
    pal.save(tmp_path / "p.png", icc_profile=swapped)
    pixel = load_image(tmp_path / "p.png")[0, 0] * 255
    assert pixel[1] > 170 and pixel[0] < 80, pixel  # green, as in the RGB test above


def test_a_grey_colour_key_with_a_profile_stays_transparent(tmp_path: Path) -> None:
    grey = Image.new("L", (8, 6), 90)
    grey.paste(200, (0, 0, 4, 6))
    grey.save(tmp_path / "k.png", icc_profile=_grey_icc(1.0), transparency=90)
    img = load_image(tmp_path / "k.png")
    assert np.allclose(img[:, 6], 1.0, atol=0.01)  # the keyed half: on white, not grey
