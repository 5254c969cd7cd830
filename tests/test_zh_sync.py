"""The 简体中文 edition never drifts from the English one.

Each ``notebooks/zh-CN/NN_x.ipynb`` must hold exactly the code cells of ``notebooks/NN_x.ipynb``
(same order, same text). The only exception is lines marked ``# nststudy:lang`` (the language
setting); a cell left empty once they are removed does not count. So a change to an English
code cell fails here until the translation follows it, and CI can run two zh-CN notebooks end
to end while the identical code of the others is covered by the English runs.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
EN_DIR = ROOT / "notebooks"
ZH_DIR = EN_DIR / "zh-CN"
MARK = "# nststudy:lang"
ZH_NOTEBOOKS = sorted(ZH_DIR.glob("[0-9][0-9]_*.ipynb"))
CJK = re.compile(r"[\u4e00-\u9fff]")
#: the source article's terms → the English term that must follow their first use
TERMS = {
    "内容损失": "content loss",
    "风格损失": "style loss",
    "Gram 矩阵": "Gram matrix",
    "总变分": "total variation",
}


def _code(path: Path) -> list[str]:
    cells = []
    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        lines = [line for line in cell.source.splitlines() if MARK not in line]
        if "\n".join(lines).strip():
            cells.append("\n".join(lines))
    return cells


def _ids(paths: list[Path]) -> list[str]:
    return [p.name for p in paths]


def test_there_is_a_chinese_edition() -> None:
    assert ZH_NOTEBOOKS, "notebooks/zh-CN/ holds no notebook"


@pytest.mark.parametrize("zh", ZH_NOTEBOOKS, ids=_ids(ZH_NOTEBOOKS))
def test_same_code_cells(zh: Path) -> None:
    en = EN_DIR / zh.name
    assert en.is_file(), f"{zh.name} has no English original in notebooks/"
    zh_code, en_code = _code(zh), _code(en)
    for i, (a, b) in enumerate(zip(zh_code, en_code, strict=False)):
        assert a == b, f"code cell {i + 1} of {zh.name} differs from the English notebook"
    assert len(zh_code) == len(en_code), (
        f"{zh.name}: {len(zh_code)} code cells, English has {len(en_code)}"
    )


@pytest.mark.parametrize("zh", ZH_NOTEBOOKS, ids=_ids(ZH_NOTEBOOKS))
def test_language_line(zh: Path) -> None:
    sources = [c.source for c in nbformat.read(zh, as_version=4).cells if c.cell_type == "code"]
    marked = [line for s in sources for line in s.splitlines() if MARK in line]
    assert sum('set_language("zh-CN")' in line for line in marked) == 1, marked
    english = [c.source for c in nbformat.read(EN_DIR / zh.name, as_version=4).cells]
    assert not any("zh-CN" in line for s in english for line in s.splitlines() if MARK in line)


@pytest.mark.parametrize("zh", ZH_NOTEBOOKS, ids=_ids(ZH_NOTEBOOKS))
def test_markdown_is_translated(zh: Path) -> None:
    nb = nbformat.read(zh, as_version=4)
    markdown = [c.source for c in nb.cells if c.cell_type == "markdown"]
    untranslated = [s[:60] for s in markdown if not CJK.search(s)]
    assert untranslated == []
    assert markdown[0].startswith("# ") and "[![Open in Binder]" in markdown[0]
    assert "## 小结" in "\n".join(markdown) and "## 练习" in "\n".join(markdown)


@pytest.mark.parametrize("zh", ZH_NOTEBOOKS, ids=_ids(ZH_NOTEBOOKS))
def test_terms_carry_the_english_term_at_first_use(zh: Path) -> None:
    text = "\n".join(
        c.source for c in nbformat.read(zh, as_version=4).cells if c.cell_type == "markdown"
    )
    for term, english in TERMS.items():
        first = text.find(term)
        if first >= 0:
            window = text[first : first + len(term) + 40].lower()
            assert english.lower() in window, f"{zh.name}: first {term} lacks ({english})"


@pytest.mark.slow
@pytest.mark.parametrize("zh", ZH_NOTEBOOKS[:2], ids=_ids(ZH_NOTEBOOKS[:2]))
def test_runs_end_to_end_without_missing_glyphs(zh: Path, weights: Path, tmp_path: Path) -> None:
    """Two zh-CN notebooks run in FAST mode; no figure may draw a missing-glyph box."""
    from nbclient import NotebookClient

    from nststudy.i18n import find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    nb = nbformat.read(zh, as_version=4)
    previous = os.environ.get("NSTSTUDY_FAST")
    os.environ["NSTSTUDY_FAST"] = "1"
    try:
        NotebookClient(nb, timeout=600, resources={"metadata": {"path": str(tmp_path)}}).execute()
    finally:
        if previous is None:
            os.environ.pop("NSTSTUDY_FAST", None)
        else:
            os.environ["NSTSTUDY_FAST"] = previous
    text = "\n".join(
        str(out.get("text", "")) for c in nb.cells if c.cell_type == "code" for out in c.outputs
    )
    assert "missing from font" not in text
