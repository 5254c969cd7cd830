"""The machinery behind :mod:`nststudy.exercises`: results, comparisons, running a check.

A check calls the learner's function on a list of cases and compares each answer with the
reference (shape, dtype, NaN, then values); at the first mismatch it looks through a list of
known mistakes (each a small function computing what that mistake returns) to name it.
Nothing here raises: every problem becomes a failed :class:`CheckResult`. The inputs that
several checkers share (a fixed-seed generator, small random images) are here too.

Every message, hint and case description is looked up with :func:`nststudy.i18n.t` (keys
``check.*``) when the check runs, so a learner reads them in the language in force then; code
inside a hint stays code, and the ✓/✗ and the check's ``name`` never change (the grading script
reads ``✓ name:``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .i18n import get_language, t

__all__ = [
    "Case",
    "CheckResult",
    "Mistake",
    "as_f64",
    "check_against",
    "check_number",
    "fixed_rng",
    "random_images",
    "run_check",
]


@dataclass(frozen=True)
class CheckResult:
    """Outcome of one exercise check; truthy when it passed.

    Attributes:
        name: what was checked (e.g. ``"gram"``).
        passed: True when every case matched the reference.
        message: ``"all N checks passed"`` or which case failed and how.
        hint: the likely mistake and how to fix it (empty when passed).
        lang: the language the texts were written in (the one in force when the result was
            made); the "Hint" label is shown in it too.
    """

    name: str
    passed: bool
    message: str
    hint: str = ""
    lang: str = field(default_factory=get_language, compare=False)

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        mark = "✓" if self.passed else "✗"
        hint = f"\n  {t('check.show_hint', self.lang, hint=self.hint)}" if self.hint else ""
        return f"{mark} {self.name}: {self.message}{hint}"

    def _repr_markdown_(self) -> str:
        mark = "✅" if self.passed else "❌"
        hint = (
            f"\n\n💡 {t('check.show_hint_markdown', self.lang, hint=self.hint)}"
            if self.hint
            else ""
        )
        return f"{mark} **{self.name}**: {self.message}{hint}"

    def _repr_html_(self) -> str:
        colour, bg, mark = (
            ("#1a7f37", "#e6f4ea", "✓") if self.passed else ("#b42318", "#fdecea", "✗")
        )
        hint = ""
        if self.hint:
            shown = html.escape(t("check.show_hint", self.lang, hint=self.hint))
            hint = f'<div style="color:#9a4f00;margin-top:4px">💡 {shown}</div>'
        return (
            f'<div class="nststudy-check" style="border-left:4px solid {colour};background:{bg};'
            f'padding:6px 10px;font-family:sans-serif">'
            f'<b style="color:{colour}">{mark} {html.escape(self.name)}</b>: '
            f'<span style="white-space:pre-wrap">{html.escape(self.message)}</span>{hint}</div>'
        )


class _Fail(Exception):
    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message, self.hint = message, hint


def _fmt(x: Any) -> str:
    arr = np.asarray(x)
    if arr.size == 1 and arr.dtype.kind in "fiub":
        value = arr.item()
        if float(value).is_integer() and abs(value) < 1e15:  # a count typed in: all its digits
            return str(int(value))
        return f"{value:.6g}"
    if arr.dtype.kind in "fiub" and arr.size <= 6:
        return np.array2string(arr, precision=4)
    return t("check.array_of_shape", shape=arr.shape)


def _as_array(got: Any, answer: bool = False) -> np.ndarray:
    """``got`` as a numeric array; ``answer``: it is a typed-in answer, not a function's result."""
    if got is None:
        raise _Fail(t("check.returned_none"), t("check.hint.forgot_return"))
    if hasattr(got, "numpy"):
        got = got.numpy()
    try:
        arr = np.asarray(got)
    except Exception:  # ragged lists and other odd values
        arr = np.asarray(None)
    if arr.dtype.kind not in "fiub":
        kind, value = type(got).__name__, f"{got!r:.60}"
        if answer:
            raise _Fail(t("check.answer_not_numbers", kind=kind, value=value))
        raise _Fail(t("check.returned_not_numbers", kind=kind, value=value))
    return arr


def _compare(
    got: Any,
    expected: Any,
    atol: float,
    rtol: float,
    dtype: str | None = None,
    answer: bool = False,
) -> str:
    """'' when ``got`` matches ``expected``; otherwise what is wrong, in words."""
    exp = np.asarray(expected, dtype=np.float64)
    arr = _as_array(got, answer)
    if exp.size == 1 and arr.size == 1:
        arr = arr.reshape(exp.shape)
    if (
        arr.shape != exp.shape
        and exp.ndim == 3
        and exp.shape[0] == 1
        and arr.shape == exp.shape[1:]
    ):
        arr = arr[None]  # a (C, C) Gram for batch 1 is fine
    if arr.shape != exp.shape:
        return t("check.expected_shape", expected=exp.shape, got=arr.shape)
    if dtype is not None and arr.dtype != np.dtype(dtype):
        return t("check.expected_dtype", expected=dtype, got=arr.dtype)
    val = arr.astype(np.float64)
    if not np.all(np.isfinite(val)):
        return t("check.not_finite")
    bad = ~np.isclose(val, exp, atol=atol, rtol=rtol)
    if not bad.any():
        return ""
    idx = tuple(int(i) for i in np.argwhere(bad)[0])
    if idx:
        return t("check.expected_value_at", expected=_fmt(exp[idx]), index=idx, got=_fmt(val[idx]))
    return t("check.expected_value", expected=_fmt(exp[idx]), got=_fmt(val[idx]))


def _call(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    try:
        return fn(*args)
    except _Fail:
        raise
    except NotImplementedError:
        raise _Fail(
            t("check.raised_not_implemented"), t("check.hint.replace_not_implemented")
        ) from None
    except Exception as err:
        raise _Fail(t("check.raised", error=f"{type(err).__name__}: {err}")) from None


Case = tuple[str, Sequence[Any], Any]  # (description of the input, arguments, expected value)
Mistake = tuple[str, Callable[..., Any]]  # (hint naming the mistake, what that mistake returns)


def run_check(
    name: str,
    fn: Any,
    cases: Callable[[], list[Case]],
    mistakes: Sequence[Mistake] = (),
    hint: str = "",
    atol: float = 1e-4,
    rtol: float = 1e-3,
    dtype: str | None = None,
    wrap: Callable[[Callable[..., Any]], Callable[..., Any]] | None = None,
) -> CheckResult:
    """Run ``fn`` on each case; the first mismatch fails with a hint from ``mistakes``."""
    try:
        if not callable(fn):
            got = type(fn).__name__
            return CheckResult(name, False, t("check.not_a_function", kind=got), hint)
        if (getattr(fn, "__module__", None) or "").startswith("nststudy."):
            own = getattr(fn, "__qualname__", "")  # the answer itself, not the learner's
            raise _Fail(t("check.library_function", function=own), t("check.hint.write_it"))
        fn = wrap(fn) if wrap else fn
        todo = cases()
        for i, (label, args, expected) in enumerate(todo, 1):
            given = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
            got = _call(fn, given)
            if any(
                isinstance(a, np.ndarray) and not np.array_equal(a, b, equal_nan=True)
                for a, b in zip(args, given, strict=True)
            ):  # x -= MEAN on the caller's photo: right once, wrong for whoever uses it next
                raise _Fail(t("check.changed_input", label=label), t("check.hint.copy_input"))
            problem = _compare(got, expected, atol, rtol, dtype)
            if not problem:
                continue
            why = hint
            for mistake_hint, wrong in mistakes:
                try:
                    if not _compare(got, wrong(*args), atol, rtol):
                        why = mistake_hint
                        break
                except Exception:  # a mistake model that does not apply to this input
                    continue
            where = t("check.case", i=i, n=len(todo), label=label, problem=problem)
            return CheckResult(name, False, where, why)
        return CheckResult(name, True, t("check.passed", n=len(todo)))
    except _Fail as fail:
        return CheckResult(name, False, fail.message, fail.hint or hint)
    except Exception as err:  # never let a checker break the notebook
        error = f"{type(err).__name__}: {err}"
        return CheckResult(name, False, t("check.internal_error", error=error))


def uses(fn: Any, names: set[str]) -> str | None:
    """The first of ``names`` that ``fn``'s code (or a function defined in it) refers to, e.g.
    ``tf.image.total_variation`` where an exercise asks to write it by hand; else ``None``. A
    global of that name that the learner defined (``def total_variation``) is theirs."""
    own = getattr(fn, "__globals__", {})
    codes = [getattr(fn, "__code__", None)]
    while codes:
        code = codes.pop()
        if code is None:
            continue
        for name in sorted(names.intersection(code.co_names)):
            module = getattr(own.get(name), "__module__", None) or ""
            if name not in own or module.startswith(("tensorflow", "keras", "nststudy")):
                return name
        codes += [c for c in code.co_consts if hasattr(c, "co_names")]
    return None


def check_against(
    fn: Any,
    reference: Callable[..., Any],
    inputs: Sequence[Sequence[Any]],
    name: str = "your function",
    hint: str = "",
    atol: float = 1e-4,
    rtol: float = 1e-3,
) -> CheckResult:
    """Compare ``fn(*args)`` with ``reference(*args)`` for each ``args`` in ``inputs``."""

    def cases() -> list[Case]:
        out = []
        for i, a in enumerate(inputs, 1):
            value = reference(*a)
            try:
                expected = _as_array(value)
            except _Fail:  # the reference's fault (a teacher's), never the learner's
                why = t("check.bad_reference", i=i, kind=type(value).__name__)
                raise RuntimeError(why) from None
            out.append((t("check.case.input", i=i), a, expected))
        return out

    return run_check(name, fn, cases, hint=hint, atol=atol, rtol=rtol)


def check_number(
    answer: Any, expected: float, rtol: float = 1e-2, name: str = "answer", hint: str = ""
) -> CheckResult:
    """Check a numeric answer against ``expected`` within relative tolerance ``rtol``.

    A wrong single number is called too high or too low (and "more than 10× off" where it is),
    never shown the expected value: a learner who types any number must not get the answer."""
    if answer is None or answer is Ellipsis:
        return CheckResult(name, False, t("check.no_answer"), hint)
    try:
        problem = _compare(answer, expected, atol=0.0, rtol=rtol, answer=True)
        got = _as_array(answer, answer=True)
    except _Fail as fail:
        return CheckResult(name, False, fail.message, hint)
    except Exception as err:
        return CheckResult(name, False, t("check.unreadable_answer", error=err), hint)
    if problem and got.size == 1 and np.size(expected) == 1 and np.isfinite(got.item()):
        value, want = float(got.item()), float(np.asarray(expected).item())
        said = _fmt(value)
        problem = t("check.too_high", got=said) if value > want else t("check.too_low", got=said)
        if want and (value / want > 10 or value / want < 0.1):  # (a sign error, too)
            problem = t("check.far_off", verdict=problem)
    if problem:
        return CheckResult(name, False, problem, hint)
    return CheckResult(name, True, t("check.number_right", value=_fmt(_as_array(answer))))


def fixed_rng() -> np.random.Generator:
    """The generator every checker draws its inputs from: same seed, same cases every run."""
    return np.random.default_rng(20240531)


def random_images(lo: float = 0.0, hi: float = 1.0) -> list[tuple[str, np.ndarray]]:
    """Three small float32 RGB images of different shapes, uniform in ``[lo, hi]``, described."""
    rng = fixed_rng()
    return [
        (t("check.case.image", shape=s), rng.uniform(lo, hi, s).astype(np.float32))
        for s in [(4, 5, 3), (7, 3, 3), (16, 16, 3)]
    ]


def as_f64(x: Any) -> np.ndarray:
    """A tensor or array as a float64 numpy array (to compute references and mistakes)."""
    return np.asarray(x.numpy() if hasattr(x, "numpy") else x, np.float64)
