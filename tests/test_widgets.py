"""nststudy.widgets: the pure functions give the right numbers, the widgets redraw when their
controls move, and the training view's stop button really stops a run."""

from __future__ import annotations

import io
import time

import numpy as np
import pytest
from matplotlib.figure import Figure
from PIL import Image

from nststudy.config import PRESETS, STYLE_LAYERS

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def small(photo, texture):
    from nststudy.images import resize_longest

    return resize_longest(photo, 64), resize_longest(texture, 64)


@pytest.fixture(scope="module")
def W(weights):
    from nststudy import widgets

    return widgets


def _history(n=6):
    rng = np.random.default_rng(0)
    out = []
    for step in range(1, n + 1):
        h = {"step": step, "size": 64, "content": 2.0 / step, "tv": 0.1, "style": 0.0}
        for i, layer in enumerate(STYLE_LAYERS):
            h[f"style/{layer}"] = float(rng.uniform(0.5, 1.5) * 10**i / step)
        h["style"] = sum(v for k, v in h.items() if k.startswith("style/"))
        h["total"] = h["content"] + h["style"] + h["tv"]
        out.append(h)
    return out


def test_gram_data_is_the_library_gram_of_the_features(W, small):
    from nststudy.images import to_vgg
    from nststudy.losses import gram_matrix
    from nststudy.vgg import FeatureExtractor

    photo, _ = small
    g = W.gram_data(photo, "conv2_1")
    ext = FeatureExtractor((), ["block2_conv1"])
    ref = gram_matrix(ext(to_vgg(photo)[None])["block2_conv1"]).numpy()[0]
    assert g.shape == (128, 128)
    np.testing.assert_allclose(g, ref, rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(g, g.T, rtol=1e-5)
    assert W.gram_data(photo, "block2_conv1") is not g  # a new array, from cached features


def test_channel_pair_product_mean_is_the_gram_entry(W, small):
    photo, _ = small
    f = W.feature_maps(photo, "block1_conv1")
    g = W.gram_data(photo, "block1_conv1")
    assert f.shape == (photo.shape[0], photo.shape[1], 64)
    np.testing.assert_allclose(np.mean(f[..., 3] * f[..., 7]), g[3, 7], rtol=1e-4)
    fig = W.channel_pair_figure(photo, "block1_conv1", 3, 7)
    assert isinstance(fig, Figure)
    assert f"{g[3, 7]:.4g}" in fig.axes[2].get_title()
    with pytest.raises(ValueError, match="64"):
        W.channel_pair_figure(photo, "block1_conv1", 0, 64)
    cached = W.feature_maps(photo, "block1_conv1")  # from the cache: shared, so read-only
    with pytest.raises(ValueError, match="read-only"):
        cached /= 2
    np.testing.assert_array_equal(W.gram_data(photo, "block1_conv1"), g)


def test_feature_maps_keep_each_precision_apart(W, small):
    """bfloat16 features of an image are not served from float32's cache slot (or back)."""
    from nststudy.vgg import FeatureExtractor

    photo, _ = small
    W.feature_maps(photo, "block2_conv1")  # computed (or already cached): now in the cache
    f32 = W.feature_maps(photo, "block2_conv1")
    bf16 = W.feature_maps(photo, "block2_conv1", FeatureExtractor((), ["conv2_1"], "bfloat16"))
    assert bf16 is not f32 and not np.array_equal(bf16, f32)
    np.testing.assert_allclose(bf16, f32, rtol=0.1, atol=0.5 + 0.05 * float(np.abs(f32).max()))
    assert W.feature_maps(photo, "block2_conv1") is f32  # float32's entry is still there


def test_gram_figure_renders_and_the_highlight_changes_it(W, small):
    g = W.gram_data(small[0], "block1_conv1")
    plain = W.figure_png(W.gram_figure(g, "photo"))
    ringed = W.figure_png(W.gram_figure(g, "photo", channels=(3, 7)))
    assert plain.startswith(PNG) and ringed.startswith(PNG) and plain != ringed


def test_gram_distance_is_zero_for_the_style_and_falls_along_a_blend(W, small):
    photo, texture = small
    texture = texture[: photo.shape[0], : photo.shape[1]]
    blends = [photo, 0.5 * photo + 0.5 * texture, texture]
    d = W.gram_distance(blends, texture, "block2_conv1")
    assert d[-1] == pytest.approx(0.0, abs=1e-6)
    assert d[0] > d[1] > d[2]  # measured: 4.5e5 > 1.4e5 > 0 (chelsea vs coffee, 64 px)
    uint8 = W.gram_distance([(photo * 255).round().astype(np.uint8)], texture, "block2_conv1")
    assert uint8[0] == pytest.approx(d[0], rel=0.02)


def test_layer_contributions_add_up_to_the_training_loss(W, small):
    import tensorflow as tf

    from nststudy.images import resize_longest, to_vgg
    from nststudy.train import compute_losses, make_targets
    from nststudy.vgg import FeatureExtractor

    photo, texture = small
    image = np.clip(photo + 0.1 * np.sin(np.arange(photo.size)).reshape(photo.shape), 0, 1)
    image = image.astype(np.float32)
    for cfg in (PRESETS["default"], PRESETS["article"]):
        data = W.layer_contributions(image, texture, photo, cfg)
        assert set(data) == {*cfg.style_layers, "content", "tv"}
        assert sum(v["share"] for v in data.values()) == pytest.approx(1.0)
        ext = FeatureExtractor(cfg.content_layers, cfg.style_layers)
        targets = make_targets(ext, photo, [(resize_longest(texture, 64), 1.0)])
        ref = compute_losses(tf.constant(to_vgg(image)[None]), ext, targets, cfg)
        for layer in cfg.style_layers:
            assert data[layer]["loss"] == pytest.approx(float(ref[f"style/{layer}"]), rel=1e-3)
        assert data["content"]["loss"] == pytest.approx(float(ref["content"]), rel=1e-3)
        assert data["tv"]["loss"] == pytest.approx(float(ref["tv"]), rel=1e-3)


def test_layer_weights_and_ratio_rescale_the_terms(W, small):
    photo, texture = small
    cfg = PRESETS["default"]
    base = W.layer_contributions(photo, texture, photo, cfg)
    ratio = cfg.style_weight / cfg.content_weight
    double = W.layer_contributions(photo, texture, photo, cfg, ratio=2 * ratio)
    only = W.layer_contributions(photo, texture, photo, cfg, weights={"conv1_1": 1, "conv2_1": 0})
    for layer in STYLE_LAYERS:
        assert double[layer]["loss"] == pytest.approx(2 * base[layer]["loss"], rel=1e-6)
    assert only["block2_conv1"]["loss"] == 0.0
    assert only["content"]["loss"] == pytest.approx(base["content"]["loss"])


def test_history_figures_render(W, small):
    hist = _history()
    for fig in (
        W.contributions_figure(
            W.layer_contributions(small[0], small[1], small[0], PRESETS["default"])
        ),
        W.contributions_over_steps_figure(hist),
        W.contributions_over_steps_figure([]),
        W.training_figure(hist, small[0]),
        W.training_figure(hist),
        W.training_figure([]),
    ):
        assert isinstance(fig, Figure) and W.figure_png(fig).startswith(PNG)


def test_gram_explorer_redraws_when_each_control_moves(W, small):
    photo, texture = small
    snaps = [photo, np.clip(0.5 * photo + 0.25, 0, 1), texture]
    ex = W.GramExplorer(
        {"content": photo, "style": texture}, snapshots=snaps, snapshot_steps=[0, 5, 10]
    )
    assert "nststudy-gram-explorer" in ex.widget._dom_classes
    assert ex.figure.value == ex.figure_png and ex.figure_png.startswith(PNG)
    assert [value for _, value in ex.image_dropdown.options] == ["content", "style", "result"]
    assert ex.c1.max == 63
    seen = {ex.figure_png}
    for control, value in [
        (ex.layer_dropdown, "block3_conv1"),
        (ex.c1, 200),
        (ex.c2, 17),
        (ex.step_slider, 0),
        (ex.image_dropdown, "style"),
    ]:
        control.value = value
        assert ex.figure_png not in seen, control.description
        seen.add(ex.figure_png)
    assert ex.c1.max == 255 and ex.c1.value == 200
    assert len(ex.distances()) == 3 and ex.distances()[-1] == pytest.approx(0.0, abs=1e-6)
    calls = []
    real = W.gram_distance
    W.gram_distance = lambda *a: calls.append(a) or real(*a)
    try:  # the channel sliders redraw often: the curve (one Gram a snapshot) is kept per layer
        ex.c1.value, ex.c2.value = 3, 4
        assert calls == []
        ex.layer_dropdown.value = "block4_conv1"  # a layer not shown yet
        assert len(calls) == 1
        ex.layer_dropdown.value = "block3_conv1"
        ex.c1.value, ex.c2.value = 200, 17
        assert len(calls) == 1  # (block3_conv1's curve: kept)
    finally:
        W.gram_distance = real
    ex.refresh()  # same controls, same picture
    assert ex.figure_png in seen


def test_gram_explorer_without_snapshots_has_no_step_slider(W, small):
    ex = W.GramExplorer({"photo": small[0]}, layers=["conv5_1"])
    assert ex.step_slider is None and ex.distances() is None and ex.c2.max == 511
    assert ex.figure_png.startswith(PNG)
    with pytest.raises(ValueError):
        W.GramExplorer({})


def test_layer_contributions_widget_follows_its_sliders(W, small):
    from nststudy.stylize import Result

    photo, texture = small
    cfg = PRESETS["default"]
    result = Result(
        image=(photo * 255).astype(np.uint8), history=_history(), seconds=1.0, config=cfg
    )
    view = W.LayerContributions(photo, texture, result, cfg)
    assert "nststudy-layer-contributions" in view.widget._dom_classes
    assert view.steps_figure is not None and bytes(view.steps_figure.value).startswith(PNG)
    assert set(view.weight_sliders) == set(cfg.style_layers)
    before, png = view.data, view.figure_png
    view.weight_sliders["block5_conv1"].value = 0.0
    assert view.data["block5_conv1"]["loss"] == 0.0 and view.figure_png != png
    png, style_before = view.figure_png, view.data["block1_conv1"]["loss"]
    view.ratio_slider.value = view.ratio_slider.value + 1.0
    assert view.data["block1_conv1"]["loss"] == pytest.approx(10 * style_before, rel=1e-3)
    assert view.figure_png != png
    assert view.data["content"]["loss"] == pytest.approx(before["content"]["loss"])


def test_layer_contributions_of_a_texture_and_with_every_layer_off(W, small):
    """Notebook 04's texture has no content term: the ratio slider cannot apply (it used to
    make the style weight ratio × 0 = 0, every bar empty). All layer sliders at 0: no style."""
    photo, texture = small
    cfg = PRESETS["default"].replace(content_layers=(), content_weight=0.0, tv_weight=0.0)
    view = W.LayerContributions(photo, texture, photo, cfg)
    assert view.ratio_slider.disabled
    shares = [view.data[n]["share"] for n in cfg.style_layers]
    assert sum(shares) == pytest.approx(1.0) and min(shares) > 0
    for slider in view.weight_sliders.values():
        slider.value = 0.0
    assert all(view.data[n]["loss"] == 0.0 for n in cfg.style_layers)


def _tiny(steps):
    return PRESETS["tutorial"].replace(sizes=(64,), steps=(steps,), style_layers=STYLE_LAYERS[:2])


def test_training_view_stop_button_stops_the_run_and_keeps_the_best_image(W, small):
    photo, texture = small
    cfg = _tiny(2000)
    view = W.TrainingView(photo, texture, cfg, interval=0.0)
    assert "nststudy-training-view" in view.widget._dom_classes
    view.start()
    deadline = time.monotonic() + 120
    while not view.history and time.monotonic() < deadline and view.running:
        time.sleep(0.05)
    assert view.history, "no step within 120 s"
    view.stop_button.click()
    result = view.wait(timeout=120)
    assert result.stopped == "callback"
    assert len(result.history) < cfg.total_steps  # measured: stops after 1–3 of 2000 steps
    assert result.image.shape == (*photo.shape[:2], 3)
    shown = np.asarray(Image.open(io.BytesIO(bytes(view.preview.value))))
    np.testing.assert_array_equal(shown, result.image)  # the preview ends on the kept image
    assert view.figure_png.startswith(PNG) and "stopped" in view.status.value
    assert view.stop_button.disabled and not view.running


def test_training_view_runs_to_the_end_and_reports_errors(W, small):
    photo, texture = small
    view = W.TrainingView(photo, texture, _tiny(4), snapshot_every=2)
    view.start()
    result = view.wait(timeout=120)
    assert result.stopped is None and len(result.history) == 4 and len(view.history) == 4
    assert view.snapshots.steps == [1, 2, 4] and view.snapshots.images[0].shape == photo.shape
    explorer = W.GramExplorer(
        {"style": texture}, snapshots=view.snapshots.images, snapshot_steps=view.snapshots.steps
    )
    assert explorer.image_dropdown.value == "result" and len(explorer.distances()) == 3
    assert view.stop_button.disabled and not view.start_button.disabled
    assert view.status.value.startswith("done")
    view._run = lambda: None  # a second start (no painting): the bar begins at 0, not full
    view.start()
    assert view.progress.value == 0 and view.history == []
    view.wait(timeout=10)
    broken = W.TrainingView(photo, np.zeros((4, 4, 5)), _tiny(3))
    broken.start_button.click()
    with pytest.raises(ValueError):
        broken.wait(timeout=60)
    assert broken.status.value.startswith("error")


def _running(view):
    """Make ``view`` look busy (a thread that waits) without painting; returns its gate."""
    import threading

    gate = threading.Event()
    view._thread = threading.Thread(target=gate.wait, daemon=True)
    view._thread.start()
    return gate


def test_a_late_progress_line_does_not_hide_stopping(W, small):
    photo, texture = small
    view = W.TrainingView(photo, texture, _tiny(3), interval=0.0)
    gate = _running(view)
    view.stop()
    assert "stopping" in view.status.value
    assert view._callback(1, {"total": 2.0}, photo) is True  # a step that was under way
    assert "stopping" in view.status.value and view.progress.value == 1
    gate.set()


def test_a_new_view_stops_the_one_still_running(W, small, monkeypatch):
    photo, texture = small
    import weakref

    from nststudy import _one_job

    monkeypatch.setattr(_one_job, "_LIVE", weakref.WeakSet())  # not other tests' widgets
    old = W.TrainingView(photo, texture, _tiny(3))
    gate = _running(old)
    with pytest.warns(UserWarning, match="one painting at a time"):
        W.TrainingView(photo, texture, _tiny(3))
    assert old._stop.is_set() and "stopping" in old.status.value
    gate.set()


def test_starting_an_older_view_stops_the_newer_one_painting(W, small, monkeypatch):
    """Two views from two cells: Start on the first while the second paints."""
    import weakref

    from nststudy import _one_job

    monkeypatch.setattr(_one_job, "_LIVE", weakref.WeakSet())
    photo, texture = small
    first = W.TrainingView(photo, texture, _tiny(3))
    second = W.TrainingView(photo, texture, _tiny(3))  # nothing painting yet: no warning
    gate = _running(second)
    monkeypatch.setattr(first, "_run", lambda: None)  # (no painting: only the start counts)
    try:
        with pytest.warns(UserWarning, match="one painting at a time"):
            first.start()
        assert second._stop.is_set() and "stopping" in second.status.value
    finally:
        gate.set()


def test_a_view_that_has_said_its_last_word_is_not_stopped(W, small, monkeypatch):
    import warnings
    import weakref

    from nststudy import _one_job

    monkeypatch.setattr(_one_job, "_LIVE", weakref.WeakSet())
    photo, texture = small
    done = W.TrainingView(photo, texture, _tiny(3))
    gate = _running(done)  # its thread still tidying up ...
    done._final("done after 3 steps, 1.0 s")  # ... after its final word
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        W.TrainingView(photo, texture, _tiny(3))
    assert done.status.value == "done after 3 steps, 1.0 s"
    gate.set()
