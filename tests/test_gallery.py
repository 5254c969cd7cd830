"""The class gallery: contact sheet, static page, anonymity, escaping, atomic output."""

from __future__ import annotations

import argparse
import json
import pathlib

import numpy as np
import pytest
from PIL import Image, PngImagePlugin

from nststudy import gallery
from nststudy.config import Config
from nststudy.gallery import make_gallery, parse_name
from nststudy.i18n import set_language
from nststudy.metadata import save_painting, settings_for

CONFIG = Config().replace(content_weight=1000.0, style_weight=100.0, tv_weight=30.0)


def _painting(path: pathlib.Path, style: str = "swirl", seed: int = 0, size=(40, 30)) -> None:
    rng = np.random.default_rng(seed)
    img = rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8)
    styles = [{"name": style, "weight": 1.0, "builtin": True, "seed": 0}]
    save_painting(path, img, settings_for(CONFIG, styles))


@pytest.fixture
def classroom(tmp_path: pathlib.Path) -> pathlib.Path:
    """Five paintings by three learners, one with no settings, one made by `nststudy paint`."""
    folder = tmp_path / "handed_in"
    folder.mkdir()
    _painting(folder / "alice__chelsea__swirl.png", "swirl", 1)
    _painting(folder / "alice__chelsea__brush__2.png", "brush", 2, size=(30, 40))
    _painting(folder / "bob__coffee__mosaic.png", "mosaic", 3)
    _painting(folder / "rocket__drip.png", "drip", 4)
    Image.new("RGB", (20, 20), "red").save(folder / "carol__astronaut__grass.png")  # no settings
    (folder / "notes.txt").write_text("not an image")
    return folder


def test_parse_name() -> None:
    assert parse_name("mei__chelsea__swirl.png") == ("mei", "chelsea", "swirl")
    assert parse_name("mei__chelsea__swirl__3.png") == ("mei", "chelsea", "swirl")
    assert parse_name("chelsea__swirl.png") == (None, "chelsea", "swirl")
    assert parse_name("chelsea__swirl__2.png") == (None, "chelsea", "swirl")
    assert parse_name("holiday.png") == (None, "holiday", "")


def test_sheet_and_page(classroom: pathlib.Path) -> None:
    result = make_gallery(classroom)
    assert result.out == classroom / "gallery"
    assert len(result.entries) == 5 and result.skipped == ()
    # 5 paintings → 3 columns × 2 rows of (256 + 12) × (256 + 12 + 3 × 18) cells, 48 px heading
    with Image.open(result.contact_sheet) as sheet:
        assert sheet.size == (3 * 268 + 12, 48 + 2 * 322 + 12)
        pixels = np.asarray(sheet.convert("RGB"))
    # carol's 20 px red square (4th by name: column 0, row 1), centred in its cell, not upscaled
    assert (pixels[48 + 322 + 128, 12 + 128] == [255, 0, 0]).all()
    assert (pixels[48 + 322 + 100, 12 + 128] == [255, 255, 255]).all()
    page = result.html.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and page.count("<figure>") == 5
    assert page.count('src="data:image/jpeg;base64,') == 5  # self-contained
    for style in ("swirl", "brush", "mosaic", "drip", "grass"):
        assert f"<b>{style}</b>" in page
    assert page.count("content 1000 · style 100 · TV 30") == 4
    assert "no settings embedded" in page


def test_names_only_when_asked(classroom: pathlib.Path) -> None:
    anonymous = make_gallery(classroom).html.read_text(encoding="utf-8")
    for private in ("alice", "bob", "carol", "chelsea", "coffee", "astronaut", "rocket"):
        assert private not in anonymous
    # alice painted twice: both are Learner 1; bob 2, carol 3; the learner-less file 4
    assert anonymous.count("Learner 1<") == 2 and "Learner 4<" in anonymous
    named = make_gallery(classroom, names=True).html.read_text(encoding="utf-8")
    assert "alice — chelsea" in named and "bob — coffee" in named and "Learner" not in named


def test_malicious_names_are_escaped(tmp_path: pathlib.Path) -> None:
    evil = '<img src=x onerror=alert(1)>"'
    # a hand-made PNG whose embedded settings carry markup too (settings_for would refuse "/")
    info = PngImagePlugin.PngInfo()
    settings = {"config": {}, "styles": [{"name": "<script>alert(2)</script>"}]}
    info.add_itxt("nststudy", json.dumps(settings))
    Image.new("RGB", (8, 8)).save(tmp_path / f"{evil}__chelsea__swirl.png", pnginfo=info)
    page = make_gallery(tmp_path, names=True, title="<i>6B</i>").html.read_text()
    assert "<script>" not in page and "<img src=x" not in page and "<i>6B" not in page
    assert "&lt;img src=x onerror=alert(1)&gt;&quot;" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "<title>&lt;i&gt;6B&lt;/i&gt;</title>" in page


def test_unreadable_files_are_skipped(classroom: pathlib.Path) -> None:
    (classroom / "dave__chelsea__swirl.png").write_bytes(b"not a png")
    with pytest.warns(UserWarning, match="dave__chelsea__swirl.png"):
        result = make_gallery(classroom)
    assert len(result.entries) == 5 and result.skipped[0].startswith("dave__chelsea__swirl.png")


def test_empty_or_missing_folder(tmp_path: pathlib.Path) -> None:
    with pytest.raises(ValueError, match="no readable images"):
        make_gallery(tmp_path)
    with pytest.raises(ValueError, match="not a folder"):
        make_gallery(tmp_path / "missing")


def test_no_partial_output_on_failure(
    classroom: pathlib.Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = make_gallery(classroom).out  # last week's gallery
    (classroom / "erin__rocket__drip.png").write_bytes((out / "contact_sheet.png").read_bytes())
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def full_disk(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pathlib.Path, "write_text", full_disk)
    with pytest.raises(OSError, match="No space"):
        make_gallery(classroom)
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in classroom.iterdir() if p.name.endswith(".part")]


def test_out_folder_and_rerun(classroom: pathlib.Path, tmp_path: pathlib.Path) -> None:
    first = make_gallery(classroom, out=tmp_path / "site" / "6B")
    again = make_gallery(classroom, out=classroom)  # into the folder itself: not picked up
    assert first.html.is_file() and len(again.entries) == 5
    assert len(make_gallery(classroom, out=classroom).entries) == 5


def test_chinese_edition(classroom: pathlib.Path) -> None:
    _painting(classroom / "小明__chelsea__swirl.png")
    try:
        set_language("zh-CN")
        result = make_gallery(classroom, names=True)
    finally:
        set_language(None)
    page = result.html.read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in page and "<h1>班级作品展</h1>" in page
    assert "小明 — chelsea" in page and "内容 1000 · 风格 100 · 总变分 30" in page


def test_notebook_display(classroom: pathlib.Path) -> None:
    html = make_gallery(classroom)._repr_html_()
    assert html.count("<figure>") == 5 and "<style>" in html


def test_command(classroom: pathlib.Path, capsys: pytest.CaptureFixture[str]) -> None:
    parser = argparse.ArgumentParser(prog="nststudy")
    gallery.add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["gallery", str(classroom), "--names", "--title", "6B"])
    assert args.func(args) == 0
    assert "5 paintings" in capsys.readouterr().out
    page = (classroom / "gallery" / "index.html").read_text()
    assert "<h1>6B</h1>" in page and "alice" in page


def test_through_the_nststudy_command(
    classroom: pathlib.Path, tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch, capsys
) -> None:
    """`nststudy gallery` as cli.py will register it: exit 0, and 2 on bad input."""
    from nststudy import cli

    build = cli.build_parser

    def with_gallery() -> argparse.ArgumentParser:
        parser = build()
        sub = next(a for a in parser._actions if a.dest == "command")
        if "gallery" not in sub.choices:
            gallery.add_parser(sub)  # the two lines the lead adds to cli.build_parser
        return parser

    monkeypatch.setattr(cli, "build_parser", with_gallery)
    assert cli.main(["gallery", str(classroom), "--out", str(tmp_path / "site")]) == 0
    assert (tmp_path / "site" / "index.html").is_file()
    empty = tmp_path / "empty"
    empty.mkdir()
    assert cli.main(["gallery", str(empty)]) == 2
    assert "no readable images" in capsys.readouterr().err


def test_foreign_files_in_out_are_never_replaced(classroom: pathlib.Path) -> None:
    site = classroom.parent / "site"
    site.mkdir()
    (site / "index.html").write_text("<html>the school's own page</html>")
    with pytest.raises(ValueError, match=r"site/index\.html: exists and is not an earlier"):
        make_gallery(classroom, out=site)
    assert (site / "index.html").read_text() == "<html>the school's own page</html>"
    assert sorted(p.name for p in site.iterdir()) == ["index.html"]
    # a learner's painting named contact_sheet.png in the folder itself: kept and shown
    _painting(classroom / "contact_sheet.png", "drip", 9)
    with pytest.raises(ValueError, match=r"contact_sheet\.png: exists"):
        make_gallery(classroom, out=classroom)
    # a page that shows a gallery (a notebook exported to HTML) quotes its stylesheet: not ours
    from nststudy._gallery_layout import CSS

    (site / "index.html").write_text(f"<!DOCTYPE html><html><body><style>{CSS}</style>notes")
    with pytest.raises(ValueError, match="is not an earlier nststudy gallery"):
        make_gallery(classroom, out=site)
    (site / "index.html").unlink()
    assert len(make_gallery(classroom, out=site).entries) == 6
    assert len(make_gallery(classroom, out=site).entries) == 6  # its own files: replaced
    # beside this gallery's (marked) page, an unmarked contact_sheet.png is someone's own
    _painting(site / "contact_sheet.png", "drip", 3)
    mine = (site / "contact_sheet.png").read_bytes()
    with pytest.raises(ValueError, match=r"contact_sheet\.png: exists"):
        make_gallery(classroom, out=site)
    assert (site / "contact_sheet.png").read_bytes() == mine


def test_an_older_gallery_without_the_mark_is_replaced(classroom: pathlib.Path) -> None:
    out = make_gallery(classroom).out
    page = (out / "index.html").read_text(encoding="utf-8")
    (out / "index.html").write_text(
        page.replace(f' name="generator" content="{gallery.GENERATOR}"', "")
    )
    with Image.open(out / "contact_sheet.png") as im:
        im.convert("RGB").save(out / "contact_sheet.png")  # no Software text
    assert len(make_gallery(classroom).entries) == 5


def _broken_chunk_png(path: pathlib.Path) -> None:
    """A PNG whose pixel data has a garbage chunk between two IDAT chunks: Pillow opens it and
    raises SyntaxError ("broken PNG file") only when decoding."""
    import struct
    import zlib

    _painting(path)
    data = path.read_bytes()
    i = data.index(b"IDAT") - 4
    n = struct.unpack(">I", data[i : i + 4])[0]
    body = data[i + 8 : i + 8 + n]

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + payload))
        return struct.pack(">I", len(payload)) + kind + payload + crc

    junk = b"\x00\x00\x00\x05\xff\xfe\xfd\xfcjunk!"
    path.write_bytes(
        data[:i] + chunk(b"IDAT", body[: n // 2]) + junk + chunk(b"IDAT", body[n // 2 :])
        + data[i + 12 + n :]
    )  # fmt: skip


def test_one_broken_file_costs_only_itself(classroom: pathlib.Path) -> None:
    _broken_chunk_png(classroom / "dave__coffee__swirl.png")
    odd = {"styles": [{"name": "swirl", "weight": None}, {"name": "brush"}], "config": {}}
    save_painting(classroom / "erin__coffee__blend.png", np.zeros((8, 8, 3), np.uint8), odd)
    save_painting(classroom / "finn__coffee__x.png", np.zeros((8, 8, 3), np.uint8), {"styles": 5})
    with pytest.warns(UserWarning, match="dave__coffee__swirl.png"):
        result = make_gallery(classroom)
    assert [s.split(":")[0] for s in result.skipped] == ["dave__coffee__swirl.png"]
    styles = {e.path.name: e.style for e in result.entries}
    assert styles["erin__coffee__blend.png"] == "swirl + brush"
    assert styles["finn__coffee__x.png"] == "x"


def test_thumbnails_are_decoded_like_photos(tmp_path: pathlib.Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    deep = np.full((40, 40), 40000, np.uint16)  # 16-bit grey at 61 %: not clipped to white
    Image.fromarray(deep).save(folder / "a__deep__x.png")
    clear = np.zeros((40, 40, 4), np.uint8)  # fully transparent black: shown on white
    Image.fromarray(clear).save(folder / "b__clear__x.png")
    Image.fromarray(np.zeros((40, 40, 3), np.uint8)).save(
        folder / "c__exif__x.png", exif=b"Exif\x00\x00not-a-tiff-header"
    )
    result = make_gallery(folder)
    assert len(result.entries) == 3 and result.skipped == ()
    with Image.open(result.contact_sheet) as sheet:
        px = np.asarray(sheet.convert("RGB")).astype(int)
    # the three 40 px thumbnails, centred in their 256 px cells (2 columns: a b / c)
    centre = [px[48 + r * 322 + 128, 12 + c * 268 + 128] for r, c in ((0, 0), (0, 1), (1, 0))]
    assert abs(centre[0] - 40000 / 65535 * 255).max() <= 2
    assert (centre[1] == 255).all() and (centre[2] == 0).all()
