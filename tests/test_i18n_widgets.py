"""Languages in what the learner sees: widget labels, figure texts and the studio follow
``set_language``; every ``t("...")`` key the library uses exists in both tables; no UI string is
hard-coded in the modules that build widgets and figures."""

from __future__ import annotations

import ast
import re
import string
import warnings
from pathlib import Path

import numpy as np
import pytest

from nststudy import i18n
from nststudy.config import PRESETS, STYLE_LAYERS
from nststudy.i18n import MESSAGES, set_language

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "nststudy"
#: Modules that build widgets or draw figures: none may hard-code a label.
UI_MODULES = (
    "widgets.py",
    "_training_view.py",
    "_figures.py",
    "_loss_figures.py",
    "studio.py",
    "_studio_inputs.py",
    "_studio_layout.py",
    "_one_job.py",
    "gallery.py",
    "_gallery_layout.py",
)
LANGS = ("en", "zh-CN")


@pytest.fixture(autouse=True)
def _reset(monkeypatch: pytest.MonkeyPatch):
    import matplotlib

    monkeypatch.delenv(i18n.ENV, raising=False)
    monkeypatch.setattr(i18n, "_font_done", False)
    set_language(None)
    with matplotlib.rc_context():  # Chinese adds a font fallback: undo it afterwards
        yield
    monkeypatch.delenv(i18n.ENV, raising=False)
    set_language(None)


@pytest.fixture(scope="module")
def small(photo, texture):
    from nststudy.images import resize_longest

    return resize_longest(photo, 48), resize_longest(texture, 48)


@pytest.fixture
def drawn(monkeypatch: pytest.MonkeyPatch) -> list:
    """Every matplotlib Figure a widget shows, in order."""
    from nststudy import _training_view

    figures: list = []
    show = _training_view._View._show

    def capture(self, fig, target=None):
        figures.append(fig)
        show(self, fig, target)

    monkeypatch.setattr(_training_view._View, "_show", capture)
    return figures


def _texts(fig) -> set[str]:
    """Every non-empty text of a drawn figure: titles, labels, legends, tick labels."""
    out = {fig._suptitle.get_text()} if fig._suptitle else set()
    for ax in fig.axes:
        out |= {ax.get_title(loc) for loc in ("left", "center", "right")}
        out |= {ax.get_xlabel(), ax.get_ylabel()}
        out |= {x.get_text() for x in ax.texts}
        out |= {x.get_text() for x in ax.get_xticklabels() + ax.get_yticklabels()}
        if ax.get_legend() is not None:
            out |= {x.get_text() for x in ax.get_legend().get_texts()}
    return {s for s in out if s}


def _english_words(texts: set[str]) -> list[str]:
    """Latin words in ``texts`` that are not technical names (Gram, conv4_2, mathtext)."""
    words = []
    for text in texts:
        if text.startswith("$"):  # log-axis tick labels: $\mathdefault{10^{3}}$
            continue
        words += re.findall(r"[A-Za-z]{3,}", re.sub(r"Gram|conv\d_\d", "", text))
    return words


EXPLORER = {
    "en": {
        "controls": ["image", "layer", "channel c", "channel d", "snapshot"],
        "options": ["content", "style", "result"],
        "texts": {
            "Gram matrix (64×64)",
            "channel c",
            "channel d",
            "step",
            "distance to the style's Gram",
            "channel 0",
            "channel 1",
            "result at step 10, conv1_1",
        },
        "product": "product: mean = ",
    },
    "zh-CN": {
        "controls": ["图像", "层", "通道 c", "通道 d", "快照"],
        "options": ["内容图", "风格图", "结果"],
        "texts": {
            "Gram 矩阵（64×64）",
            "通道 c",
            "通道 d",
            "步数",
            "与风格 Gram 矩阵的距离",
            "通道 0",
            "通道 1",
            "第 10 步的结果，conv1_1",
        },
        "product": "乘积：均值 = ",
    },
}


@pytest.mark.parametrize("lang", LANGS)
def test_gram_explorer_speaks_the_language(lang, weights, small, drawn) -> None:
    from nststudy.widgets import GramExplorer

    photo, texture = small
    set_language(lang)
    want = EXPLORER[lang]
    ex = GramExplorer(
        {"content": photo, "style": texture},
        layers=STYLE_LAYERS[:1],
        snapshots=[photo, texture],
        snapshot_steps=[0, 10],
    )
    controls = [ex.image_dropdown, ex.layer_dropdown, ex.c1, ex.c2, ex.step_slider]
    assert [c.description for c in controls] == want["controls"]
    assert [label for label, _ in ex.image_dropdown.options] == want["options"]
    assert ex.image_dropdown.value == "result"  # the values stay the keys
    texts = _texts(drawn[-1])
    assert want["texts"] <= texts, sorted(texts)
    assert any(s.startswith(want["product"]) for s in texts)
    if lang == "zh-CN":
        assert _english_words(texts) == []


CONTRIBUTIONS = {
    "en": {
        "ratio": "log₁₀ style/content",
        "bars": {"weighted loss", "share of the total (%)", "content", "tv"},
        "total": "total loss ",
        "steps": {"weighted style loss per layer", "share of the style loss (%)", "step"},
    },
    "zh-CN": {
        "ratio": "log₁₀ 风格/内容",
        "bars": {"加权损失", "占总损失的比例（%）", "内容", "总变分"},
        "total": "总损失 ",
        "steps": {"各层的加权风格损失", "占风格损失的比例（%）", "步数"},
    },
}


def _history(n: int = 3) -> list[dict[str, float]]:
    out = []
    for step in range(1, n + 1):
        h = {"step": step, "content": 1.0 / step, "tv": 0.1}
        h |= {f"style/{layer}": (i + 1.0) / step for i, layer in enumerate(STYLE_LAYERS)}
        h["style"] = sum(v for k, v in h.items() if k.startswith("style/"))
        h["total"] = h["content"] + h["style"] + h["tv"]
        out.append(h)
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_layer_contributions_speaks_the_language(lang, weights, small, drawn) -> None:
    from nststudy.widgets import LayerContributions

    photo, texture = small
    set_language(lang)
    want = CONTRIBUTIONS[lang]
    cfg = PRESETS["default"].replace(style_layers=STYLE_LAYERS[:2])
    view = LayerContributions(photo, texture, photo, cfg, history=_history())
    assert view.ratio_slider.description == want["ratio"]
    steps, bars = _texts(drawn[0]), _texts(drawn[-1])
    assert want["steps"] <= steps, sorted(steps)
    assert want["bars"] <= bars, sorted(bars)
    assert any(s.startswith(want["total"]) for s in bars)
    if lang == "zh-CN":
        assert _english_words(steps | bars) == []


TRAINING = {
    "en": {
        "controls": ["Start", "Stop", "steps"],
        "ready": "ready",
        "step": "step 2: loss 3",
        "texts": {"weighted losses", "step", "total", "content", "style", "tv"},
        "done": "done after 2 steps, 1.5 s",
        "stopped": "stopped; kept the best image after 2 steps, 1.5 s",
        "error": "error: ValueError: broken",
    },
    "zh-CN": {
        "controls": ["开始", "停止", "步数"],
        "ready": "就绪",
        "step": "第 2 步：损失 3",
        "texts": {"加权损失", "步数", "总计", "内容", "风格", "总变分"},
        "done": "完成：共 2 步，用时 1.5 秒",
        "stopped": "已停止，保留了最好的图像：共 2 步，用时 1.5 秒",
        "error": "出错：ValueError: broken",
    },
}


@pytest.mark.parametrize("lang", LANGS)
def test_training_view_speaks_the_language(lang, small, drawn, monkeypatch) -> None:
    """A stand-in for stylize drives the view: no VGG needed, the labels are what counts."""
    import importlib

    from nststudy.stylize import Result
    from nststudy.widgets import TrainingView

    photo, texture = small
    cfg = PRESETS["tutorial"].replace(sizes=(48,), steps=(2,))
    outcome: dict = {"stopped": None}

    def fake_stylize(content, style, config, callback):
        if outcome.get("raise"):
            raise ValueError("broken")
        history = _history(2)
        for h in history:
            callback(h["step"], h, photo)
        image = (photo * 255).astype(np.uint8)
        return Result(image, history, 1.5, config, stopped=outcome["stopped"])

    module = importlib.import_module("nststudy.stylize")  # nststudy.stylize is the function
    monkeypatch.setattr(module, "stylize", fake_stylize)
    set_language(lang)
    want = TRAINING[lang]
    view = TrainingView(photo, texture, cfg, interval=0.0)
    controls = [view.start_button, view.stop_button, view.progress]
    assert [c.description for c in controls] == want["controls"]
    assert view.status.value == want["ready"]
    view.start()
    view.wait(timeout=60)
    assert view.status.value == want["done"]
    texts = _texts(drawn[-1])
    assert want["texts"] <= texts, sorted(texts)
    if lang == "zh-CN":
        assert _english_words(texts) == []
    view._callback(2, {"total": 3.0, "content": 1.0, "style": 1.0, "tv": 1.0}, photo)
    assert view.status.value == want["step"]
    outcome["stopped"] = "callback"
    view.start()
    view.wait(timeout=60)
    assert view.status.value == want["stopped"]
    outcome["raise"] = True
    view.start()
    with pytest.raises(ValueError):
        view.wait(timeout=60)
    assert view.status.value == want["error"]


STUDIO = {
    "en": {
        "controls": [
            "Your photo",
            "or sample",
            "Style",
            "Blend with",
            "Blend",
            "Style strength",
            "Brush size",
            "Colours",
            "Smooth strokes",
            "Stop",
            "Progress",
        ],
        "buttons": ["Preview (48 px)", "Paint (64 px)", "Print (2048 px)"],
        "none": "(none)",
        "colours": ["the painting's", "the photo's (luminance)", "the photo's (histogram)"],
        "html": ["nststudy oil-painting studio", "Pick a photo and a style."],
        "painting": "Painting (Preview)…",
        "done": "Done in 0 s (stopped early: the best image so far).",
        "download": "⬇ Download photo__swirl.png (48×48 px)",
        "refusal": "A 2048 px print needs about",
        "fits": "fits in memory",
    },
    "zh-CN": {
        "controls": [
            "你的照片",
            "或示例",
            "风格",
            "混合风格",
            "混合",
            "风格强度",
            "笔触大小",
            "颜色",
            "平滑笔触",
            "停止",
            "进度",
        ],
        "buttons": ["预览（48 像素）", "绘制（64 像素）", "打印（2048 像素）"],
        "none": "（无）",
        "colours": ["画作的颜色", "照片的颜色（亮度）", "照片的颜色（直方图）"],
        "html": ["nststudy 数字油画工作室", "请选择一张照片和一种风格。"],
        "painting": "正在绘制（预览）…",
        "done": "完成，用时 0 秒（已提前停止：保留目前最好的图像）。",
        "download": "⬇ 下载 photo__swirl.png（48×48 像素）",
        "refusal": "打印 2048 像素的画大约需要",
        "fits": "内存足够",
    },
}


@pytest.mark.parametrize("lang", LANGS)
def test_studio_speaks_the_language(lang, monkeypatch) -> None:
    from nststudy import studio

    set_language(lang)
    want = STUDIO[lang]
    monkeypatch.setattr("nststudy.paint.available_memory", lambda: 10**13)
    monkeypatch.setattr("nststudy._tile_grid.available_memory", lambda: 10**13)  # the print's
    s = studio.Studio(sizes={"preview": 48, "paint": 64}, photo=np.zeros((48, 48, 3), np.float32))
    controls = [s.upload, s.sample, s.gallery, s.blend, s.blend_weight, s.strength]
    controls += [s.style_scale, s.colors, s.strokes, s.stop_button, s.progress]
    assert [c.description for c in controls] == want["controls"]
    assert [b.description for b in s.buttons.values()] == want["buttons"]
    assert s.blend.options[0] == (want["none"], None)
    swirl = ("漩涡" if lang == "zh-CN" else "swirl", "swirl")  # (the value: the CLI's name)
    assert s.gallery.value == "swirl" and s.blend.options[1] == swirl
    assert [label for label, _ in s.colors.options] == want["colours"]
    assert s.buttons["print"].tooltip == want["fits"]
    assert want["html"][0] in s.widget.children[0].value and want["html"][1] in s.status.value

    started = []

    def fake_paint(photo, styles, config, print_size=None, callback=None, **kwargs):
        started.append(s.status.value)
        return studio.Painted(np.zeros((48, 48, 3), np.uint8), {"styles": styles}, True, None)

    monkeypatch.setattr(studio, "paint_photo", fake_paint)
    assert s.start("preview")
    s.wait(timeout=60)
    assert s.error is None
    assert want["painting"] in started[0] and want["done"] in s.status.value
    assert want["download"] in s.download.value
    why = studio.print_refusal(2048, available=int(1.5 * 2**30))
    assert why.startswith(want["refusal"]) and "1.5 GiB" in why


def test_figures_set_up_the_chinese_font_from_the_environment(monkeypatch, tmp_path) -> None:
    """NSTSTUDY_LANG=zh-CN without set_language: the first library figure brings the CJK font
    in before any of its text objects exist, so no glyph is drawn as a box."""
    import matplotlib

    from nststudy._figures import figure_png
    from nststudy._loss_figures import contributions_over_steps_figure

    if i18n.find_cjk_font() is None:
        pytest.skip("no CJK font installed (Debian: apt-get install fonts-noto-cjk)")
    monkeypatch.setenv(i18n.ENV, "zh-CN")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig = contributions_over_steps_figure(_history())
        figure_png(fig)
    assert "步数" in _texts(fig)
    assert i18n.find_cjk_font()[0] in matplotlib.rcParams["font.family"]
    fonts = [str(w.message) for w in caught if "font" in str(w.message).lower()]
    assert fonts == []  # no "Glyph ... missing from font(s)", no "no CJK font found"


def _library_calls() -> list[tuple[str, int, ast.Call]]:
    calls = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                calls.append((path.name, node.lineno, node))
    return calls


def _is_t(call: ast.Call) -> bool:
    return isinstance(call.func, ast.Name) and call.func.id == "t"


def test_every_key_the_library_uses_is_in_both_languages() -> None:
    en, zh = MESSAGES["en"], MESSAGES["zh-CN"]
    fields = string.Formatter()
    used, problems = set(), []
    for name, line, call in _library_calls():
        if not _is_t(call):
            continue
        where = f"{name}:{line}"
        if not call.args or not isinstance(call.args[0], ast.Constant):
            problems.append(f"{where}: the key is not a literal, so it cannot be checked")
            continue
        key = call.args[0].value
        used.add(key)
        if key not in en or key not in zh:
            problems.append(f"{where}: {key!r} is missing in {'en' if key not in en else 'zh-CN'}")
            continue
        given = {k.arg for k in call.keywords}
        if None not in given:  # t(key, **values) is checked where values is built
            needed = {f for _, f, _, _ in fields.parse(en[key]) if f}
            if given - {"lang"} != needed:
                problems.append(f"{where}: {key!r} needs {sorted(needed)}, got {sorted(given)}")
    assert problems == []
    assert {"widget.start", "fig.step", "studio.title", "gallery.title"} <= used  # found them
    assert set(zh) - set(en) == set(), "keys only in Chinese are never shown"


#: Keyword arguments and methods that put text in front of the learner.
TEXT_KEYWORDS = {"description", "title", "xlabel", "ylabel", "label", "tooltip", "placeholder"}
TEXT_CALLS = {"set_title", "suptitle", "set_xlabel", "set_ylabel", "text", "Label", "HTML"}
#: Command-line help stays English (like the library's error messages).
CLI_CALLS = {"ArgumentParser", "add_parser", "add_argument", "add_argument_group"}


def _literal_words(node: ast.AST) -> list[str]:
    """Latin words written literally in a string or f-string (HTML tags and {fields} aside),
    also inside ``a or "..."`` and ``"..." if c else "..."``."""
    if isinstance(node, ast.BoolOp):
        return [w for v in node.values for w in _literal_words(v)]
    if isinstance(node, ast.IfExp):
        return _literal_words(node.body) + _literal_words(node.orelse)
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
    elif isinstance(node, ast.JoinedStr):
        text = "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    else:
        return []
    return re.findall(r"[A-Za-z]{3,}", re.sub(r"<[^>]*>", "", text))


def _hard_coded(source: str, name: str) -> list[str]:
    """``name:line: words`` for each label, title or status line written as a literal."""
    found = []
    for node in ast.walk(ast.parse(source)):
        texts: list[ast.AST] = []
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in CLI_CALLS:
                continue
            texts += [k.value for k in node.keywords if k.arg in TEXT_KEYWORDS]
            if called in TEXT_CALLS:
                texts += node.args
            if called in ("Dropdown", "ToggleButtons"):  # (label, value) option pairs
                for k in node.keywords:
                    if k.arg == "options" and isinstance(k.value, ast.List):
                        texts += [e.elts[0] for e in k.value.elts if isinstance(e, ast.Tuple)]
        elif isinstance(node, ast.Assign) and any(  # view.status.value = "...", .tooltip = ...
            isinstance(x, ast.Attribute) and x.attr in ("value", "tooltip", "description")
            for x in node.targets
        ):
            texts.append(node.value)
        for text in texts:
            if words := _literal_words(text):
                found.append(f"{name}:{text.lineno}: {' '.join(words)}")
    return found


def test_no_label_is_hard_coded_in_the_ui_modules() -> None:
    found = [
        hit
        for name in UI_MODULES
        for hit in _hard_coded((PACKAGE / name).read_text(encoding="utf-8"), name)
    ]
    assert found == [], "look these up with nststudy.i18n.t and add them to MESSAGES"


@pytest.mark.parametrize(
    "line",
    [
        'w.Button(description="Start", icon="play")',
        'ax.set(yscale="log", xlabel="step")',
        "fig.suptitle(title or f'total loss {x:.4g}')",
        "self.status.value = f'<span class=\"{MARKER}\">Done in {s} s</span>'",
        'w.Dropdown(options=[("(none)", None)], description=t("studio.blend_with"))',
        'button.tooltip = why or "fits in memory"',
    ],
)
def test_the_check_catches_a_hard_coded_label(line: str) -> None:
    assert _hard_coded(line, "example.py"), line
    looked_up = re.sub(r"f?'[^']*'|\"[^\"]*\"", 't("some.key")', line)
    assert _hard_coded(looked_up, "example.py") == [], looked_up


@pytest.mark.parametrize("lang", LANGS)
def test_the_style_tooltips_and_the_intro_speak_the_language(lang) -> None:
    from nststudy import samples, studio

    set_language(lang)
    s = studio.Studio()  # (was: English tooltips; the Voilà app's heading English only)
    assert len(s.gallery.tooltips) == len(samples.STYLES)
    swirl = s.gallery.tooltips[list(samples.STYLES).index("swirl")]
    zh = lang == "zh-CN"
    assert swirl.startswith("后印象派（梵高）" if zh else "Post-impressionism (Van Gogh)")
    intro = "任何内容都不会离开这台电脑" if zh else "Nothing leaves this computer"
    assert intro in s.widget.children[0].value
