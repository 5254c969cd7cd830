"""nststudy.exercises: right answers pass, typical mistakes fail with a hint naming them,
and a checker never raises."""

from __future__ import annotations

import ast
import importlib.util
import json
import re
from pathlib import Path

import numpy as np
import pytest
import tensorflow as tf

from nststudy import PRESETS, i18n
from nststudy import exercises as ex
from nststudy.images import IMAGENET_MEAN_BGR as MEAN
from nststudy.images import from_vgg, to_uint8, to_vgg
from nststudy.losses import content_loss, gram_matrix, style_loss, total_variation_loss


def _fit(h, w, m):
    """A right answer that truncates the short side (accepted: ±1 px), never the long one."""
    s, long_side = min(1.0, m / max(h, w)), min(max(h, w), m)
    return (long_side, int(w * s)) if h >= w else (int(h * s), long_side)


_Y = np.array([0.299, 0.587, 0.114])


def _tv_abs(x):
    return tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1])) + tf.reduce_sum(
        tf.abs(x[:, :, 1:] - x[:, :, :-1])
    )


def _lum(painting, photo):
    from skimage.color import rgb2yiq, yiq2rgb

    yiq = rgb2yiq(photo)
    yiq[..., 0] = rgb2yiq(painting)[..., 0]
    return np.clip(yiq2rgb(yiq), 0, 1)


def _feature_shape(layer, h, w):
    block = int(layer[5])
    k = block - 1 + layer.endswith("pool")
    return h // 2**k, w // 2**k, [64, 128, 256, 512, 512][block - 1]


def _tv_squares(x):
    return tf.reduce_sum((x[:, 1:] - x[:, :-1]) ** 2) + tf.reduce_sum(
        (x[:, :, 1:] - x[:, :, :-1]) ** 2
    )


# (checker, a correct answer, [(a typical wrong answer, words the hint must contain), ...])
CASES = {
    "to_vgg": (
        ex.check_to_vgg,
        lambda x: x[..., ::-1] * 255.0 - MEAN,
        [
            (lambda x: x * 255.0 - MEAN, "BGR"),
            (lambda x: x[..., ::-1] * 255.0, "mean"),
            (lambda x: x[..., ::-1] - MEAN, "255"),
        ],
    ),
    "from_vgg": (
        ex.check_from_vgg,
        lambda x: from_vgg(x),  # (the library's own function is refused: not an answer)
        [
            (lambda x: np.clip(from_vgg(x), 0, 1), "clip"),
            (lambda x: (x + MEAN) / 255.0, "BGR"),
            (lambda x: x[..., ::-1] / 255.0, "mean"),
        ],
    ),
    "fit_size": (
        ex.check_fit_size,
        _fit,
        [
            (lambda h, w, m: (m, m), "aspect"),
            (lambda h, w, m: _fit(h, w, m)[::-1], "order"),
            (  # sizes as floats: PIL's resize refuses them
                lambda h, w, m: (h * m / max(h, w), w * m / max(h, w)) if max(h, w) > m else (h, w),
                "whole pixels",
            ),
            (  # one pixel short on the long side
                lambda h, w, m: (
                    (int(h * (m - 1) / max(h, w)), int(w * (m - 1) / max(h, w)))
                    if max(h, w) > m
                    else (h, w)
                ),
                "exactly max_dim",
            ),
            (  # truncated, not rounded: right for most photos, 511 px for a 561 px one
                lambda h, w, m: (
                    (int(h * (m / max(h, w))), int(w * (m / max(h, w))))
                    if max(h, w) > m
                    else (h, w)
                ),
                "don't truncate",
            ),
        ],
    ),
    "feature_shape": (
        ex.check_feature_shape,
        _feature_shape,
        [
            (lambda n, h, w: (h, w, _feature_shape(n, h, w)[2]), "pooling"),
            (lambda n, h, w: (*_feature_shape(n, h, w)[:2], 64), "channels"),
            (  # a pool layer counted as its block's convs: it was only the generic hint
                lambda n, h, w: (
                    h // 2 ** (int(n[5]) - 1),
                    w // 2 ** (int(n[5]) - 1),
                    _feature_shape(n, h, w)[2],
                ),
                "its own pooling",
            ),
        ],
    ),
    "content_loss": (
        ex.check_content_loss,
        lambda f, p: tf.reduce_mean(tf.square(f - p)),
        [
            (lambda f, p: tf.reduce_sum(tf.square(f - p)), "mean"),
            (lambda f, p: tf.reduce_mean(tf.abs(f - p)), "square"),
        ],
    ),
    "gram": (
        ex.check_gram,
        lambda f: tf.einsum("bijc,bijd->bcd", f, f) / float(f.shape[1] * f.shape[2]),
        [
            (lambda f: tf.einsum("bijc,bijd->bcd", f, f), "H·W"),
            (lambda f: gram_matrix(f) / float(f.shape[3]), "not H·W·C"),
        ],
    ),
    "style_loss": (
        ex.check_style_loss,
        lambda f, a: tf.reduce_mean(tf.square(gram_matrix(f) - a)),
        [
            (lambda f, a: tf.reduce_sum(tf.square(gram_matrix(f) - a)), "not the sum"),
            (lambda f, a: style_loss(f, a) / (4.0 * float(f.shape[3]) ** 2), "4C²"),
            (lambda f, a: tf.reduce_mean((tf.einsum("bijc,bijd->bcd", f, f) - a) ** 2), "H·W"),
        ],
    ),
    "tv_loss": (
        ex.check_tv_loss,
        lambda x: (
            tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1]))
            + tf.reduce_sum(tf.abs(x[:, :, 1:] - x[:, :, :-1]))
        ),
        [
            (_tv_squares, "not squares"),
            (
                lambda x: (
                    tf.reduce_mean(tf.abs(x[:, 1:] - x[:, :-1]))
                    + tf.reduce_mean(tf.abs(x[:, :, 1:] - x[:, :, :-1]))
                ),
                "don't average",
            ),
            (lambda x: tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1])), "both directions"),
        ],
    ),
    "clip_to_valid": (
        ex.check_clip_to_valid,
        lambda x: tf.clip_by_value(x, -MEAN, 255.0 - MEAN),
        [(lambda x: np.clip(x, 0, 255), "[0, 255]"), (lambda x: x, "nothing was clipped")],
    ),
    "lr_schedule": (
        ex.check_lr_schedule,
        lambda s: tf.keras.optimizers.schedules.ExponentialDecay(2.0, 100, 0.99)(s),
        [(lambda s: 2.0 * 0.99 ** (s // 100), "staircase"), (lambda s: 2.0 * 0.99**s, "exponent")],
    ),
    "layer_shares": (
        ex.check_layer_shares,
        lambda d: {k: v / sum(d.values()) for k, v in d.items()},
        [(lambda d: dict(d), "total"), (lambda d: list(d.values()), "dict")],
    ),
    "luminance_transfer": (
        ex.check_luminance_transfer,
        _lum,
        [
            (lambda p, q: _lum(q, p), "from the painting"),
            (lambda p, q: p, "painting unchanged"),
            (lambda p, q: q + (p @ _Y - q @ _Y)[..., None], "clip the result"),  # was accepted
        ],
    ),
    "deprocess": (
        ex.check_deprocess,
        lambda x: to_uint8(from_vgg(x)),
        [
            (lambda x: (x + MEAN)[..., ::-1].astype(np.uint8), "wrap around"),
            (lambda x: np.clip(x + MEAN, 0, 255).astype(np.uint8), "BGR"),
            (lambda x: np.clip(from_vgg(x), 0, 1), "uint8"),
        ],
    ),
}
WRONG = [(name, i) for name, (_, _, wrongs) in CASES.items() for i in range(len(wrongs))]


@pytest.mark.parametrize("name", CASES)
def test_a_correct_answer_passes(name):
    checker, right, _ = CASES[name]
    result = checker(right)
    assert result.passed, result
    assert bool(result) and "checks passed" in result.message
    assert "✓" in repr(result) and "✓" in result._repr_html_()


@pytest.mark.parametrize(("name", "index"), WRONG)
def test_a_typical_mistake_fails_and_the_message_names_it(name, index):
    checker, _, wrongs = CASES[name]
    wrong, words = wrongs[index]
    result = checker(wrong)
    assert not result.passed
    assert "expected" in result.message  # the first wrong value: expected ..., got ...
    assert words in result.message + " " + result.hint, result


def _raises(*args):
    raise NotImplementedError("write your code here")


@pytest.mark.parametrize("name", CASES)
@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (_raises, "NotImplementedError"),
        (lambda *a: None, "None"),
        (lambda *a: 1 / 0, "ZeroDivisionError"),
        (lambda *a: np.full((2, 2), np.nan), "shape|dict"),
        (lambda *a: "done", "str"),
        (42, "expected a function"),
    ],
)
def test_a_broken_answer_gives_a_failed_result_not_an_exception(name, bad, words):
    result = CASES[name][0](bad)
    assert isinstance(result, ex.CheckResult) and not result.passed
    assert any(w in result.message + result.hint for w in words.split("|")), result


def test_nan_is_reported():
    result = ex.check_gram(lambda f: gram_matrix(f) * np.nan)
    assert not result.passed and "NaN" in result.message


def test_a_gram_of_shape_c_by_c_is_accepted_for_batch_one():
    assert ex.check_gram(lambda f: gram_matrix(f)[0]).passed


@pytest.mark.parametrize(
    "check, numpy_answer",
    [
        (ex.check_content_loss, lambda f, p: np.mean((np.asarray(f) - np.asarray(p)) ** 2)),
        (ex.check_gram, lambda f: gram_matrix(f).numpy()),
        (ex.check_style_loss, lambda f, a: float(style_loss(f, a))),
        (ex.check_tv_loss, lambda x: tf.constant(float(_tv_abs(x)))),
    ],
    ids=["content numpy", "gram .numpy()", "style float()", "tv re-wrapped constant"],
)
def test_right_numbers_without_a_gradient_fail(check, numpy_answer):
    """The exercises say "TensorFlow operations only": NumPy inside gives the right values
    but no gradient, and the optimiser could not use it."""
    result = check(numpy_answer)
    assert not result.passed and "gradient" in result.message, result
    assert "all 3 cases" in result.message and "tf.reduce_mean" in result.hint


def test_no_gradient_is_explained_in_chinese_too(lang):
    lang("zh-CN")
    result = ex.check_content_loss(lambda f, p: float(content_loss(f, p)))
    assert not result.passed and "梯度" in result.message and "tf.reduce_mean" in result.hint


def test_library_references_pass_their_own_checks():
    """The checkers' references are the library's numbers (each called through a learner's
    function: passed as they are, they are refused)."""
    assert ex.check_to_vgg(lambda x: to_vgg(x))
    assert ex.check_content_loss(lambda f, p: content_loss(f, p))
    assert ex.check_style_loss(lambda f, a: style_loss(f, a))
    x = tf.random.uniform((1, 5, 6, 3))
    assert float(total_variation_loss(x)) == pytest.approx(float(_tv_abs(x)), rel=1e-5)


def test_feature_shape_reference_matches_the_real_network(weights):
    from nststudy.vgg import FeatureExtractor

    layers = ["block1_conv1", "block3_conv4", "block3_pool", "block5_conv1"]
    ext = FeatureExtractor(layers, [])
    out = ext(np.zeros((1, 75, 50, 3), np.float32))
    got = {n: tuple(int(d) for d in out[n].shape[1:]) for n in layers}
    assert got == {n: _feature_shape(n, 75, 50) for n in layers}


def test_the_library_colour_transfer_passes_if_present():
    post = pytest.importorskip("nststudy.postprocess")
    if not hasattr(post, "preserve_colors"):
        pytest.skip("no preserve_colors yet")
    result = ex.check_luminance_transfer(
        lambda p, q: post.preserve_colors(p, q, method="luminance")
    )
    assert result.passed, result


def test_check_number():
    assert ex.check_number(3.1416, np.pi)
    assert ex.check_number(np.float32(100.5), 100, rtol=0.01)
    wrong = ex.check_number(3, np.pi, name="pi", hint="more digits")
    assert not wrong and wrong.message == "3 is too low" and wrong.hint == "more digits"
    assert "3.14" not in repr(wrong)  # the answer is not given away
    assert ex.check_number(3507, 3508, rtol=1e-4).message == "3507 is too low"
    assert ex.check_number(2097152, 2097152).message == "2097152 is right"  # all its digits
    far = ex.check_number(4285, 4.285, name="GB")
    assert far.message == "4285 is too high: more than 10× off, check the units"
    assert ex.check_number(-4.285, 4.285).message.endswith("more than 10× off, check the units")
    assert "no answer" in ex.check_number(..., 1).message
    assert not ex.check_number(None, 1) and not ex.check_number("x", 1)
    assert ex.check_number(tf.constant(2.0), 2.0)


def test_check_against_and_displays():
    good = ex.check_against(np.sin, np.sin, [(0.5,), (np.arange(3.0),)], name="sine")
    bad = ex.check_against(np.cos, np.sin, [(0.5,)], name="sine", hint="sin, not cos")
    assert good and not bad
    assert "sine" in bad._repr_html_() and "sin, not cos" in bad._repr_markdown_()
    assert "<script" not in ex.CheckResult("<script>", False, "<b>")._repr_html_()


def test_check_against_blames_a_broken_reference_not_the_learner():
    result = ex.check_against(np.sin, lambda x: None, [(0.5,)], name="sine")
    assert not result and "the check itself failed" in result.message
    assert "reference answer to input 1 is not usable (NoneType)" in result.message
    assert "your function" not in result.message  # was: "your function returned None"


# -- the learner's language: the Chinese notebooks call the same checkers -------------------

CJK = re.compile(r"[\u4e00-\u9fff]")


def _is_code(text):
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def _gram_not_divided(f):
    return tf.einsum("bijc,bijd->bcd", f, f)


@pytest.fixture
def lang(monkeypatch: pytest.MonkeyPatch):
    """``lang("zh-CN")`` sets the language the way a notebook does; reset afterwards."""
    monkeypatch.delenv(i18n.ENV, raising=False)
    monkeypatch.setattr(i18n, "_font_done", True)  # the checks draw nothing: no CJK font set-up
    yield i18n.set_language
    i18n.set_language(None)


def test_a_wrong_gram_is_explained_in_chinese(lang):
    lang("zh-CN")
    result = ex.check_gram(_gram_not_divided)
    assert not result.passed
    assert result.message.startswith("第 1 组输入（共 3 组，形状为 (1, 4, 5, 3) 的 F）：")
    assert "应为" in result.message and "实际为" in result.message
    assert "要除以 H·W，即位置的个数" in result.hint and "Gram 矩阵会随图像尺寸变大" in result.hint
    shown = repr(result)
    assert shown.startswith("✗ gram: 第 1 组输入") and "\n  提示：要除以 H·W" in shown
    assert "💡 *提示*：要除以" in result._repr_markdown_() and "提示：" in result._repr_html_()
    assert "Hint" not in shown + result._repr_markdown_() + result._repr_html_()
    assert ex.check_gram(lambda f: gram_matrix(f)).message == "全部 3 项检查都通过了"
    lang("en")  # the result keeps the language it was made in
    assert "提示：" in repr(result)


def test_a_wrong_gram_is_explained_in_english(lang):
    lang("en")
    result = ex.check_gram(_gram_not_divided)
    assert result.message.startswith("case 1 of 3 (F of shape (1, 4, 5, 3)): expected ")
    assert result.hint.startswith("divide by H·W, the number of positions: without it")
    assert "\n  Hint: divide by H·W" in repr(result) and "*Hint:*" in result._repr_markdown_()
    assert not CJK.search(repr(result))


def test_check_number_speaks_the_language(lang):
    lang("zh-CN")
    wrong = ex.check_number(3, np.pi, name="pi", hint="more digits")
    assert wrong.message == "3 偏小" and wrong.hint == "more digits"
    assert ex.check_number(3.1416, np.pi).message == "3.1416 是对的"
    assert ex.check_number(..., 1).message.startswith("还没有作答")
    assert "不是数值" in ex.check_number("x", 1).message
    lang("en")
    assert ex.check_number(3, np.pi, name="pi").message == "3 is too low"
    assert ex.check_number("x", 1).message.startswith("got str")


@pytest.mark.parametrize(("name", "index"), WRONG)
def test_every_named_mistake_is_explained_in_chinese(lang, name, index):
    checker, _, wrongs = CASES[name]
    lang("zh-CN")
    result = checker(wrongs[index][0])
    assert CJK.search(result.message), result
    assert CJK.search(result.hint) or _is_code(result.hint), result  # code stays code


@pytest.mark.parametrize(
    ("bad", "words"),
    [
        (_raises, "抛出了 NotImplementedError"),
        (lambda *a: None, "返回了 None|NoneType"),  # layer_shares: "expected a dict"
        (lambda *a: 1 / 0, "抛出了异常 ZeroDivisionError"),
        (lambda *a: "done", "不是数值|str"),
        (42, "应该是一个函数"),
    ],
)
def test_a_broken_answer_is_reported_in_chinese(lang, bad, words):
    lang("zh-CN")
    for checker, _, _ in CASES.values():
        result = checker(bad)
        assert CJK.search(result.message), result
        assert any(w in result.message for w in words.split("|")), result


def test_the_grading_script_reads_chinese_results(lang):
    path = Path(__file__).resolve().parents[1] / "tools" / "grade_exercises.py"
    spec = importlib.util.spec_from_file_location("grade_exercises", path)
    grading = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(grading)
    lang("zh-CN")
    right = ex.check_gram(lambda f: gram_matrix(f))
    shown = "\n".join(repr(r) for r in (right, ex.check_gram(42)))
    assert grading.MARK.findall(shown) == [("✓", "gram"), ("✗", "gram")]


def test_sizes_must_be_ints_not_whole_floats():
    """np.round gives 512.0: whole, but PIL's resize and tf.image.resize refuse it."""

    def floats(h, w, m):
        s = min(1, m / max(h, w))
        return tuple(np.round(np.array([h, w]) * s))

    result = ex.check_fit_size(floats)
    assert not result and "whole pixels as int" in result.message and "int(" in result.hint
    assert ex.check_fit_size(lambda h, w, m: tuple(int(v) for v in floats(h, w, m)))


def test_a_function_that_changes_its_input_fails():
    """x -= MEAN on the caller's array gave the right answer once and a wrong photo after."""

    def in_place(img):
        x = img[..., ::-1]
        x *= 255.0
        x -= MEAN
        return x

    result = ex.check_to_vgg(in_place)
    assert not result and "changed its input in place" in result.message
    assert "x = x - MEAN" in result.hint
    assert ex.check_to_vgg(lambda img: img[..., ::-1] * 255.0 - MEAN)


def test_the_library_or_the_forbidden_builtin_is_not_an_answer():
    """check_gram(nststudy.losses.gram_matrix) passed, and so did tf.image.total_variation,
    which notebook 05's exercise rules out."""
    from nststudy import losses

    result = ex.check_gram(losses.gram_matrix)
    assert not result and "gram_matrix is nststudy's own" in result.message
    via_builtin = ex.check_tv_loss(lambda x: tf.reduce_sum(tf.image.total_variation(x)))
    assert not via_builtin and "calls total_variation" in via_builtin.message

    def helper_inside(x):
        def inner(y):
            return tf.image.total_variation(y)

        return tf.reduce_sum(inner(x))

    assert "total_variation" in ex.check_tv_loss(helper_inside).message


def test_a_learners_own_function_named_like_the_builtin_is_theirs():
    namespace = {"tf": tf}
    exec(  # as in a notebook: a global total_variation written by hand, then used
        "def total_variation(x):\n"
        "    return tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1])) + tf.reduce_sum(\n"
        "        tf.abs(x[:, :, 1:] - x[:, :, :-1]))\n"
        "def my_tv(x):\n"
        "    return total_variation(x)\n",
        namespace,
    )
    assert ex.check_tv_loss(namespace["my_tv"])


def test_the_luminance_checker_notices_a_changed_photo():
    def in_place(painting, photo):
        photo += (painting @ _Y - photo @ _Y)[..., None]
        return np.clip(photo, 0, 1)

    result = ex.check_luminance_transfer(in_place)
    assert not result and "changed its input in place" in result.message


# -- the numbers typed into the notebooks' exercises, checked by the notebooks' own lines ------

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
#: a made-up section 4 of notebook 07: total 100, the two shallow layers 4
PER_LAYER = {
    "block1_conv1": 1.0,
    "block2_conv1": 3.0,
    "block3_conv1": 10.0,
    "block4_conv1": 80.0,
    "block5_conv1": 6.0,
}


def _notebook_check(notebook: str, answer: str, value: float, **earlier: object) -> ex.CheckResult:
    """Run the exercise cell of ``notebook`` that asks for ``answer`` (``answer = ...``) with
    ``value`` typed in and return what its checker shows; ``earlier``: names that earlier cells
    of the notebook define."""
    cells = json.loads((NOTEBOOKS / notebook).read_text("utf-8"))["cells"]
    sources = ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]
    (source,) = [s for s in sources if f"{answer} = ..." in s]
    tree = ast.parse(source.replace(f"{answer} = ...", f"{answer} = {value!r}", 1))
    last = ast.Expression(tree.body.pop().value)
    namespace = {"check_answer": ex.check_answer, **earlier}
    exec(compile(tree, notebook, "exec"), namespace)
    return eval(compile(last, notebook, "eval"), namespace)


@pytest.mark.parametrize(
    ("value", "passes"),
    [
        (1 / 64, True),
        (0.0156, True),
        (0.016, True),  # rounded to two significant figures: was "too high"
        (0.125, False),  # 64 / 512, not squared
        (0.03125, False),
        (64 / 512**2, False),
    ],
)
def test_notebook_04_exercise_4_takes_the_rounded_answer_not_a_wrong_one(value, passes):
    result = _notebook_check("04_gram_matrices_and_style.ipynb", "relative_weight", value)
    assert result.passed is passes, result


def test_notebook_07_shallow_only_factor():
    def check(value):
        return _notebook_check(
            "07_tuning_weights_and_layers.ipynb", "answer_factor", value, per_layer=PER_LAYER
        )

    assert check(10.0)  # 100 / (2.5 · 4): each shallow layer's weight goes from 1/5 to 1/2
    assert not check(25.0)  # 100 / 4: the layer weights not normalised again
    assert not check(0.1)  # upside down


def test_notebook_07_the_default_in_the_articles_units():
    def check(value):
        return _notebook_check("07_tuning_weights_and_layers.ipynb", "answer_article", value)

    assert check(1.05e4) and check(10486)  # 1e-2 · 4 · 512²
    assert not check(2621.44)  # 1e-2 · 512²: the 4 forgotten
    assert not check(1e-2 / (4 * 512**2))  # converted the wrong way


def test_notebook_07_normalised_layer_weights():
    name = "07_tuning_weights_and_layers.ipynb"
    assert _notebook_check(name, "answer_block1", 0.5)
    assert not _notebook_check(name, "answer_block1", 4 / 9)  # 4 / (4 + 2 + 1 + 1 + 1)


def test_every_number_exercise_is_checked_without_its_answer_in_the_cell():
    """The learner's cells call check_answer with a key; the keys the notebooks use are the
    keys there are; and no cell passes an expected value to check_number (it was in the cell
    for anyone to read: ``check_number(numbers_conv4_2, 2_097_152)``)."""
    from nststudy._exercises_numbers import ANSWERS

    used = set()
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text("utf-8"))["cells"]
        code = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
        assert "check_number(" not in code, path.name
        keys = re.findall(r'check_answer\("(\d\d\.\d)"', code)
        assert all(k.startswith(path.name[:2]) for k in keys), (path.name, keys)
        used |= set(keys)
    assert used == set(ANSWERS)
    with pytest.raises(ValueError, match=r"no number exercise '02\.9'"):
        ex.check_answer("02.9", 1)


@pytest.mark.parametrize(
    ("key", "right", "wrong"),
    [
        ("02.2", 2_097_152, 2_097_152 // 4),  # conv4_2 at 512 px: 64 × 64 × 512
        ("05.2", 72, 24),  # three channels
        ("05.3", 4, 2),
        ("06.4", PRESETS["default"].at_size(2048).total_steps, 1000),
        ("08.2", 3508, 3507),
        ("09.4", 451 / 300, 300 / 451),
    ],
)
def test_check_answer_takes_the_right_number_only(key, right, wrong):
    assert ex.check_answer(key, right) and not ex.check_answer(key, wrong)
    assert not ex.check_answer(key, ...)  # unanswered
    told = ex.check_answer(key, wrong).message
    assert not re.search(rf"(?<![\d.]){re.escape(str(right))}(?![\d.])", told), told  # never said
