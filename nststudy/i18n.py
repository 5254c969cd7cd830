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

from ._messages import EN, ZH

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


#: language → key → text. English is complete; other languages fall back to it.
MESSAGES: dict[str, dict[str, str]] = {"en": EN, "zh-CN": ZH}

_current: str | None = None
_font_done = False


def _normalise(lang: str) -> str:
    # a locale as in LANG (zh_CN.UTF-8, en_US.utf8@euro, C.UTF-8): its language part
    tag = str(lang).strip().split(".")[0].split("@")[0].replace("_", "-").lower()
    if tag in ("zh", "zh-cn", "zh-hans", "zh-hans-cn", "zh-sg", "cn", "chinese"):
        return "zh-CN"
    if tag == "en" or tag.startswith("en-") or tag in ("english", "c", "posix"):
        return "en"
    raise ValueError(f"unknown language {lang!r}; choose one of {', '.join(LANGUAGES)}")


def set_language(lang: str | None) -> str:
    """Choose the language of labels and titles for this process; returns its tag.

    Args:
        lang: ``"en"`` or ``"zh-CN"`` (``"zh"``, ``"zh_CN"``, ``"zh-Hans"`` and locales such
            as ``"zh_CN.UTF-8"`` work too), or
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
        if key not in EN:
            raise KeyError(f"no text for {key!r}; known keys are listed in nststudy.i18n.MESSAGES")
        text = EN[key]
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
