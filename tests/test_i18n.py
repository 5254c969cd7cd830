"""Languages: the setting, the lookup with English fallback, Chinese figures with a CJK font."""

from __future__ import annotations

import ast
import re
import string
import warnings
from pathlib import Path

import pytest

from nststudy import i18n
from nststudy.i18n import MESSAGES, get_language, set_language, t

ROOT = Path(__file__).resolve().parents[1]
#: The exercise checkers: their messages, hints and case descriptions come from ``check.*`` keys.
CHECKER_MODULES = (
    "_checking.py",
    "_exercises_images.py",
    "_exercises_losses.py",
    "_exercises_network.py",
)


@pytest.fixture(autouse=True)
def _reset(monkeypatch: pytest.MonkeyPatch):
    import matplotlib

    monkeypatch.delenv(i18n.ENV, raising=False)
    monkeypatch.setattr(i18n, "_font_done", False)
    set_language(None)
    with matplotlib.rc_context():  # Chinese sets up a font fallback: undo it afterwards
        yield
    monkeypatch.delenv(i18n.ENV, raising=False)
    set_language(None)


def test_default_env_and_code(monkeypatch: pytest.MonkeyPatch) -> None:
    assert get_language() == "en" and t("loss.content") == "content loss"
    monkeypatch.setenv(i18n.ENV, "zh_CN")
    assert get_language() == "zh-CN" and t("loss.content") == "内容损失"
    assert set_language("en") == "en" and t("loss.style") == "style loss"  # code beats env
    assert set_language("zh-Hans") == "zh-CN"
    assert set_language("zh_CN.UTF-8") == "zh-CN"  # a locale, as teachers copy it from LANG
    assert set_language("C.UTF-8") == set_language("en_US.utf8@euro") == "en"
    set_language(None)
    monkeypatch.setenv(i18n.ENV, "klingon")
    with pytest.warns(UserWarning, match="klingon"):
        assert get_language() == "en"


def test_the_articles_terms() -> None:
    zh = {k: t(k, "zh-CN") for k in ("loss.content", "loss.style", "gram", "loss.tv")}
    assert zh == {
        "loss.content": "内容损失",
        "loss.style": "风格损失",
        "gram": "Gram 矩阵",
        "loss.tv": "总变分损失",
    }


def test_fallback_placeholders_and_typos(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MESSAGES["en"], "test.only_english", "only {x}")
    assert t("test.only_english", "zh-CN", x=1) == "only 1"
    assert t("gallery.learner", "zh-CN", n=3) == "学员 3"
    with pytest.raises(KeyError, match="no text"):
        t("widget.strat")
    with pytest.raises(ValueError, match="en, zh-CN"):
        set_language("fr")


def test_translations_are_complete_and_consistent() -> None:
    en, zh = MESSAGES["en"], MESSAGES["zh-CN"]
    assert set(zh) == set(en)
    fields = string.Formatter()
    for key in en:
        assert {f for _, f, _, _ in fields.parse(en[key]) if f} == {
            f for _, f, _, _ in fields.parse(zh[key]) if f
        }, key


def test_binder_installs_the_font() -> None:
    assert "fonts-noto-cjk" in (ROOT / "binder" / "apt.txt").read_text().split()


def test_chinese_figure_has_no_missing_glyphs(tmp_path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if i18n.find_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    with matplotlib.rc_context():
        assert i18n.use_cjk_font() in i18n.CJK_FAMILIES
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots(figsize=(3, 2))
            ax.plot([0, 1], [1, -1])
            ax.set(title=f"{t('gram', 'zh-CN')}：{t('loss.style', 'zh-CN')}", xlabel="步数 step")
            fig.savefig(tmp_path / "zh.png", dpi=50)
            plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []


def test_without_the_font_boxes_are_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(i18n, "find_cjk_font", lambda: None)
    with pytest.warns(UserWarning, match="fonts-noto-cjk"):
        assert i18n.use_cjk_font() is None


def test_chinese_sets_up_the_font_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    monkeypatch.setattr(i18n, "use_cjk_font", lambda: calls.append(1))
    set_language("zh-CN")
    t("loss.tv")
    set_language("en")
    set_language("zh-CN")
    assert calls == [1]


def _prose_in_literals(source: str, name: str) -> list[str]:
    """``name:line: text`` for each string written in English words rather than looked up.

    Docstrings, ``t("key")`` keys, a check's default ``name`` (the grading script reads
    ``✓ name:``, so names never change) and code (a string Python parses, like the hint
    ``"lr = 2.0 * 0.99 ** (step / 100)"``) are fine; HTML tags and {fields} are ignored.
    """
    tree = ast.parse(source)
    skip: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            skip.add(id(body[0].value))  # a docstring
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "t" and node.args:
            skip.add(id(node.args[0]))
        if isinstance(node, ast.JoinedStr):
            skip.update(id(v) for v in ast.walk(node) if v is not node)
        if isinstance(node, ast.arguments):
            params = [*node.posonlyargs, *node.args]
            named = zip(params[len(params) - len(node.defaults) :], node.defaults, strict=True)
            skip.update(
                id(d)
                for a, d in [*named, *zip(node.kwonlyargs, node.kw_defaults, strict=True)]
                if a.arg == "name" and d is not None
            )
    found = []
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value if isinstance(v, ast.Constant) else "x" for v in node.values)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
        else:
            continue
        text = re.sub(r"<[^>]*>", "", text)
        if not re.search(r"[A-Za-z]{2,} [A-Za-z]", text):
            continue
        try:
            ast.parse(text)
        except SyntaxError:
            found.append(f"{name}:{node.lineno}: {text}")
    return found


def test_no_checker_text_is_hard_coded() -> None:
    found = [
        hit
        for name in CHECKER_MODULES
        for hit in _prose_in_literals((ROOT / "nststudy" / name).read_text("utf-8"), name)
    ]
    assert found == [], "look these up with nststudy.i18n.t and add check.* keys to MESSAGES"


def test_every_checker_key_is_used() -> None:
    sources = "".join((ROOT / "nststudy" / name).read_text("utf-8") for name in CHECKER_MODULES)
    used = set(re.findall(r"""t\(\s*["'](check\.[\w.]+)["']""", sources))
    assert used == {k for k in MESSAGES["en"] if k.startswith("check.")}


@pytest.mark.parametrize(
    "line",
    [
        '("divide by H·W only, not H·W·C", lambda f: f)',
        'CheckResult(name, True, f"all {len(todo)} checks passed")',
        'raise _Fail(f"your function returned {type(got).__name__}", "did you forget it?")',
        'hint = "tf.reduce_sum(x) + the same along the width"',
    ],
)
def test_the_checker_scan_catches_hard_coded_text(line: str) -> None:
    assert _prose_in_literals(line, "example.py"), line
    looked_up = re.sub(r"f?\"[^\"]*\"", 't("check.key")', line)
    assert _prose_in_literals(looked_up, "example.py") == [], looked_up
    code = 'run_check("gram", fn, cases, hint="G = tf.einsum(\'bijc,bijd->bcd\', F, F) / (H * W)")'
    assert _prose_in_literals(code, "example.py") == []
