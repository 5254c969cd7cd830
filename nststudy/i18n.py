"""Languages: English and Simplified Chinese labels for widgets, figures and the class gallery.

The course exists in two editions, ``notebooks/`` (English) and ``notebooks/zh-CN/`` (简体中文).
Their code cells are identical except one marked line, ``set_language("zh-CN")``; everything a
learner *sees* from the library (widget labels, figure titles, gallery captions) is looked up
with :func:`t`, which falls back to English for any key not yet translated.

>>> from nststudy.i18n import set_language, t, use_cjk_font
>>> set_language("zh-CN")        # or: export NSTSTUDY_LANG=zh-CN before starting Jupyter
'zh-CN'
>>> t("loss.content")
'内容损失'
>>> use_cjk_font()               # matplotlib falls back to Noto Sans CJK SC for Chinese glyphs
'Noto Sans CJK SC'

Chinese text in figures needs a CJK font: Debian/Ubuntu ``apt-get install fonts-noto-cjk``
(Binder installs it from ``binder/apt.txt``); without one matplotlib draws empty boxes and warns
``Glyph ... missing from font(s)``, and :func:`use_cjk_font` returns ``None`` with a warning.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

__all__ = [
    "CJK_FAMILIES",
    "ENV",
    "LANGUAGES",
    "MESSAGES",
    "ensure_figure_font",
    "find_cjk_font",
    "get_language",
    "set_language",
    "t",
    "use_cjk_font",
]

#: Environment variable read when no language was set in code: ``en`` or ``zh-CN``.
ENV = "NSTSTUDY_LANG"

#: The supported languages (BCP 47 tags).
LANGUAGES = ("en", "zh-CN")

#: CJK font families tried in order (Simplified Chinese first).
CJK_FAMILIES = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK JP",
)

_EN: dict[str, str] = {
    # the four losses, as the source article names them
    "loss.content": "content loss",
    "loss.style": "style loss",
    "loss.tv": "total variation loss",
    "loss.total": "total loss",
    "gram": "Gram matrix",
    # figure titles and axis labels (nststudy._figures)
    "fig.step": "step",
    "fig.gram_title": "Gram matrix ({n}×{n})",
    "fig.gram_distance": "distance to the style's Gram",
    "fig.weighted_loss": "weighted loss",
    "fig.share_total": "share of the total (%)",
    "fig.style_per_layer": "weighted style loss per layer",
    "fig.share_style": "share of the style loss (%)",
    "fig.current_image": "current image",
    "fig.weighted_losses": "weighted losses",
    "fig.total_loss": "total loss {value}",
    "fig.channel": "channel {c}",
    "fig.product_mean": "product: mean = {mean}",
    "fig.pair_title": "{layer}: G[{c1}, {c2}] is the product's mean",
    "fig.no_layers": "no per-layer losses in this history",
    "fig.total": "total",
    "fig.content": "content",
    "fig.style": "style",
    "fig.tv": "tv",
    "fig.explorer_title": "{image}, {layer}",
    # widgets (nststudy.widgets)
    "widget.image": "image",
    "widget.layer": "layer",
    "widget.channel_c": "channel c",
    "widget.channel_d": "channel d",
    "widget.snapshot": "snapshot",
    "widget.ratio": "log₁₀ style/content",
    "widget.start": "Start",
    "widget.stop": "Stop",
    "widget.steps": "steps",
    "widget.ready": "ready",
    "widget.content": "content",
    "widget.style": "style",
    "widget.result": "result",
    "widget.result_at": "result at step {step}",
    "widget.painting": "painting…",
    "widget.stopping": "stopping…",
    "widget.progress": "step {step}: loss {loss}",
    "widget.done": "done after {steps} steps, {seconds} s",
    "widget.stopped": "stopped; kept the best image after {steps} steps, {seconds} s",
    "widget.error": "error: {error}",
    # the studio (nststudy.studio)
    "studio.title": "nststudy oil-painting studio",
    "studio.photo": "Your photo",
    "studio.sample": "or sample",
    "studio.style": "Style",
    "studio.blend_with": "Blend with",
    "studio.blend": "Blend",
    "studio.strength": "Style strength",
    "studio.finer": "Finer strokes",
    "studio.colours": "Colours",
    "studio.smooth": "Smooth strokes",
    "studio.progress": "Progress",
    "studio.pick": "Pick a photo and a style.",
    "studio.preview": "Preview",
    "studio.paint": "Paint",
    "studio.print": "Print",
    "studio.button": "{mode} ({size} px)",
    "studio.none": "(none)",
    "studio.colours_painting": "the painting's",
    "studio.colours_luminance": "the photo's (luminance)",
    "studio.colours_histogram": "the photo's (histogram)",
    "studio.fits": "fits in memory",
    "studio.painting": "Painting ({mode})…",
    "studio.painting_smaller": (
        "Painting ({mode}) at {size} px, the most this machine's memory holds…"
    ),
    "studio.done": "Done in {seconds} s{note}.",
    "studio.stopped_early": " (stopped early: the best image so far)",
    "studio.download": "⬇ Download {name}.png ({width}×{height} px)",
    "studio.print_refusal": (
        "A {size} px print needs about {need} GB of memory, but only {have} GB is free here. "
        "Use “paint” ({paint} px), or run the studio on a computer with more memory "
        "(pip install nststudy[studio]; nststudy studio)."
    ),
    # the class gallery (nststudy.gallery)
    "gallery.title": "Class gallery",
    "gallery.learner": "Learner {n}",
    "gallery.weights": "content {content} · style {style} · TV {tv}",
    "gallery.no_settings": "no settings embedded",
    "gallery.settings": "settings",
}

_ZH: dict[str, str] = {
    "loss.content": "内容损失",
    "loss.style": "风格损失",
    "loss.tv": "总变分损失",
    "loss.total": "总损失",
    "gram": "Gram 矩阵",
    "fig.step": "步数",
    "fig.gram_title": "Gram 矩阵（{n}×{n}）",
    "fig.gram_distance": "与风格 Gram 矩阵的距离",
    "fig.weighted_loss": "加权损失",
    "fig.share_total": "占总损失的比例（%）",
    "fig.style_per_layer": "各层的加权风格损失",
    "fig.share_style": "占风格损失的比例（%）",
    "fig.current_image": "当前图像",
    "fig.weighted_losses": "加权损失",
    "fig.total_loss": "总损失 {value}",
    "fig.channel": "通道 {c}",
    "fig.product_mean": "乘积：均值 = {mean}",
    "fig.pair_title": "{layer}：G[{c1}, {c2}] 就是乘积的均值",
    "fig.no_layers": "这段历史记录里没有逐层的损失",
    "fig.total": "总计",
    "fig.content": "内容",
    "fig.style": "风格",
    "fig.tv": "总变分",
    "fig.explorer_title": "{image}，{layer}",
    "widget.image": "图像",
    "widget.layer": "层",
    "widget.channel_c": "通道 c",
    "widget.channel_d": "通道 d",
    "widget.snapshot": "快照",
    "widget.ratio": "log₁₀ 风格/内容",
    "widget.start": "开始",
    "widget.stop": "停止",
    "widget.steps": "步数",
    "widget.ready": "就绪",
    "widget.content": "内容图",
    "widget.style": "风格图",
    "widget.result": "结果",
    "widget.result_at": "第 {step} 步的结果",
    "widget.painting": "正在绘制…",
    "widget.stopping": "正在停止…",
    "widget.progress": "第 {step} 步：损失 {loss}",
    "widget.done": "完成：共 {steps} 步，用时 {seconds} 秒",
    "widget.stopped": "已停止，保留了最好的图像：共 {steps} 步，用时 {seconds} 秒",
    "widget.error": "出错：{error}",
    "studio.title": "nststudy 数字油画工作室",
    "studio.photo": "你的照片",
    "studio.sample": "或示例",
    "studio.style": "风格",
    "studio.blend_with": "混合风格",
    "studio.blend": "混合",
    "studio.strength": "风格强度",
    "studio.finer": "笔触更细",
    "studio.colours": "颜色",
    "studio.smooth": "平滑笔触",
    "studio.progress": "进度",
    "studio.pick": "请选择一张照片和一种风格。",
    "studio.preview": "预览",
    "studio.paint": "绘制",
    "studio.print": "打印",
    "studio.button": "{mode}（{size} 像素）",
    "studio.none": "（无）",
    "studio.colours_painting": "画作的颜色",
    "studio.colours_luminance": "照片的颜色（亮度）",
    "studio.colours_histogram": "照片的颜色（直方图）",
    "studio.fits": "内存足够",
    "studio.painting": "正在绘制（{mode}）…",
    "studio.painting_smaller": (
        "正在绘制（{mode}），尺寸 {size} 像素：这台机器的内存最多只能容纳这么大…"
    ),
    "studio.done": "完成，用时 {seconds} 秒{note}。",
    "studio.stopped_early": "（已提前停止：保留目前最好的图像）",
    "studio.download": "⬇ 下载 {name}.png（{width}×{height} 像素）",
    "studio.print_refusal": (
        "打印 {size} 像素的画大约需要 {need} GB 内存，但这里只有 {have} GB 可用。"
        "请改用“绘制”（{paint} 像素），或在内存更大的电脑上运行工作室"
        "（pip install nststudy[studio]; nststudy studio）。"
    ),
    "gallery.title": "班级作品展",
    "gallery.learner": "学员 {n}",
    "gallery.weights": "内容 {content} · 风格 {style} · 总变分 {tv}",
    "gallery.no_settings": "未嵌入设置",
    "gallery.settings": "设置",
}

#: language → key → text. English is complete; other languages fall back to it.
MESSAGES: dict[str, dict[str, str]] = {"en": _EN, "zh-CN": _ZH}

_current: str | None = None
_font_done = False


def _normalise(lang: str) -> str:
    tag = str(lang).strip().replace("_", "-").lower()
    if tag in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg", "cn", "chinese"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-") or tag in ("english", "c", "posix"):
        return "en"
    raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")


def set_language(lang: str | None) -> str:
    """Choose the language of labels and titles for this process; returns its tag.

    Args:
        lang: ``"en"`` or ``"zh-CN"`` (``"zh"``, ``"zh_CN"``, ``"zh-Hans"`` work too), or
            ``None`` to go back to the ``NSTSTUDY_LANG`` environment variable / English.
            Chinese also sets up matplotlib's CJK font fallback (:func:`use_cjk_font`), once.

    Raises:
        ValueError: an unsupported language; the message lists the supported ones.
    """
    global _current
    _current = None if lang is None else _normalise(lang)
    current = get_language()
    if current == "zh-CN":
        _ensure_font()
    return current


def _ensure_font() -> None:
    """Configure the CJK font fallback once per process (Chinese figure titles need it)."""
    global _font_done
    if not _font_done:
        _font_done = True
        use_cjk_font()


def ensure_figure_font() -> None:
    """Set up the CJK font fallback (once per process) when the current language is Chinese.

    The library's figures call this before they create any text, so Chinese titles and tick
    labels render even when the language came from ``$NSTSTUDY_LANG`` rather than
    :func:`set_language`; in English it does nothing.
    """
    if get_language() == "zh-CN":
        _ensure_font()


def get_language() -> str:
    """The current language: the one set in code, else ``$NSTSTUDY_LANG``, else ``"en"``."""
    if _current is not None:
        return _current
    env = os.environ.get(ENV, "").strip()
    if not env:
        return "en"
    try:
        return _normalise(env)
    except ValueError:
        warnings.warn(f"{ENV}={env!r} is not supported; using English", stacklevel=2)
        return "en"


def t(key: str, lang: str | None = None, **values: object) -> str:
    """The text for ``key`` in the current (or given) language, English when untranslated.

    Args:
        key: a key of :data:`MESSAGES` such as ``"loss.content"`` or ``"widget.start"``.
        lang: override the current language for this call.
        **values: fills ``{placeholders}`` in the text (``t("gallery.learner", n=3)``).

    Raises:
        KeyError: ``key`` is unknown even in English (a typo in the calling code).
    """
    language = get_language() if lang is None else _normalise(lang)
    if language == "zh-CN":
        _ensure_font()  # NSTSTUDY_LANG=zh-CN: the first Chinese text sets up the font
    text = MESSAGES.get(language, {}).get(key)
    if text is None:
        if key not in _EN:
            raise KeyError(f"no text for {key!r}; known keys are listed in nststudy.i18n.MESSAGES")
        text = _EN[key]
    return text.format(**values) if values else text


def _weight(weight: object) -> int:
    """Distance of a matplotlib font weight from regular (400)."""
    names = {"normal": 400, "regular": 400, "book": 400, "medium": 500, "bold": 700}
    value = weight if isinstance(weight, int) else names.get(str(weight).lower(), 900)
    return abs(int(value) - 400)


def find_cjk_font() -> tuple[str, Path] | None:
    """The first installed CJK font of :data:`CJK_FAMILIES`, as ``(family, file)``, or ``None``.

    Looks in matplotlib's font list; fonts installed after matplotlib built its cache (e.g.
    ``apt-get install fonts-noto-cjk`` in a running session) are found on disk and added.
    """
    from matplotlib import font_manager

    def lookup() -> tuple[str, Path] | None:
        found: dict[str, Path] = {}
        for f in sorted(font_manager.fontManager.ttflist, key=lambda f: _weight(f.weight)):
            found.setdefault(f.name, Path(f.fname))  # the regular weight first
        return next(((fam, found[fam]) for fam in CJK_FAMILIES if fam in found), None)

    hit = lookup()
    if hit is None:
        markers = ("cjk", "wqy", "sourcehansans", "notosanssc", "yahei", "pingfang")
        for path in font_manager.findSystemFonts(fontext="ttf") + font_manager.findSystemFonts(
            fontext="otf"
        ):
            if any(m in Path(path).name.lower().replace("-", "") for m in markers):
                try:
                    font_manager.fontManager.addfont(path)
                except (OSError, RuntimeError, ValueError):
                    continue
        hit = lookup()
    return hit


def use_cjk_font() -> str | None:
    """Let matplotlib draw Chinese: add a CJK font as the fallback after the current sans-serif.

    Latin text keeps its usual font (DejaVu Sans); glyphs it lacks (汉字) come from the CJK
    font: it is appended to ``font.family`` and matplotlib (≥ 3.6) falls back glyph by glyph
    along that list.

    Returns:
        The CJK family used, or ``None`` (with a warning naming the package to install) when no
        CJK font is installed.
    """
    import matplotlib as mpl

    hit = find_cjk_font()
    if hit is None:
        warnings.warn(
            "no CJK font found, so Chinese text in figures will show as boxes; install one "
            "(Debian/Ubuntu: sudo apt-get install fonts-noto-cjk) and restart the kernel",
            stacklevel=2,
        )
        return None
    family = hit[0]
    current = [f for f in mpl.rcParams["font.family"] if f != family]
    mpl.rcParams["font.family"] = [*(current or ["sans-serif"]), family]
    return family
