"""``stylize``: paint a photo in the style of one or more images, coarse to fine.

>>> from nststudy import stylize, samples
>>> result = stylize(samples.content_photo("chelsea"), samples.make_style("swirl"))
>>> result.image.shape, result.image.dtype  # (H, W, 3) uint8, longest side 512
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .config import PRESETS, Config
from .images import MIN_SIZE, ImageInput, load_image, resize_longest, to_uint8
from .masks import blend_with_mask, load_mask
from .postprocess import enhance_strokes, preserve_colors, resize_to
from .vgg import FeatureExtractor

if TYPE_CHECKING:  # TensorFlow is imported on the first call, not with the package
    from .train import Callback, StageResult

__all__ = ["Result", "StyleInput", "finish_painting", "progress_bar", "stylize"]

StyleInput = ImageInput | Sequence[tuple[ImageInput, float]]


@dataclass
class Result:
    """What :func:`stylize` returns.

    Attributes:
        image: the painting, uint8 ``(H, W, 3)``; its longest side is ``config.size`` unless
            the run was stopped during an earlier, smaller stage.
        history: one dict per step: ``step``, ``size``, and the weighted loss terms
            ``total``, ``content``, ``style``, ``tv``, ``style/<layer>`` of the image after
            that step (for Adam and L-BFGS alike: step 1 is one step away from the start).
        seconds: wall time of the whole call.
        stage_seconds: wall time per stage.
        config: the settings used.
        stopped: ``None`` when the run ended by itself — every step ran, or L-BFGS found
            no step that lowers the loss any more, or spent its evaluations (2 per step, +10:
            line searches that backtrack often), ``len(history)`` then says how many steps
            ran; else ``"callback"``, ``"interrupt"`` or ``"diverged"`` (the image is then
            the best one so far).
        evaluations: loss-and-gradient evaluations in total (L-BFGS makes more than steps).
        final_loss: best total loss at the last stage reached.
        initial_loss: total loss of the starting image at the first stage.
        raw: the painting before post-processing, float32 ``(H, W, 3)`` in [0, 1] — what
            :func:`nststudy.tiles.paint_print` refines for print (``painting=``).
        stages_done: stages that ran to their end (every step, or L-BFGS converged); with
            ``history``, how far an interrupted run got (``nststudy paint --resume``).
    """

    image: np.ndarray
    history: list[dict[str, float]]
    seconds: float
    config: Config
    stage_seconds: list[float] = field(default_factory=list)
    stopped: str | None = None
    evaluations: int = 0
    final_loss: float = float("nan")
    initial_loss: float = float("nan")
    raw: np.ndarray | None = None
    stages_done: int = 0

    @property
    def interrupted(self) -> bool:
        """True when the run ended early (stop button, Ctrl-C or divergence)."""
        return self.stopped is not None

    def _repr_png_(self) -> bytes:  # shows the painting in Jupyter
        import io

        from PIL import Image

        buf = io.BytesIO()
        Image.fromarray(self.image).save(buf, format="PNG")
        return buf.getvalue()


def _styles(style: StyleInput) -> list[tuple[np.ndarray, float]]:
    if isinstance(style, list | tuple) and style and isinstance(style[0], tuple | list):
        pairs = [(load_image(img), float(w)) for img, w in style]
    else:
        pairs = [(load_image(style), 1.0)]  # type: ignore[arg-type]
    if not all(0 <= w < float("inf") for _, w in pairs) or sum(w for _, w in pairs) <= 0:
        raise ValueError("style weights must be finite, >= 0 and with a positive sum")
    return pairs


def _preflight(
    photo: np.ndarray,
    styles: list[tuple[np.ndarray, float]],
    config: Config,
    content: object,
    style: object,
) -> None:
    """Refuse, before any heavy work, images too small for VGG19 (MIN_SIZE, no padding) and
    runs whose estimated memory exceeds what is available (:mod:`nststudy.resources`)."""
    from .images import check_min_size, scaled_shape
    from .resources import check_fits

    def name(src: object, default: str) -> str:
        return str(src) if isinstance(src, str | os.PathLike) else default

    pairs = isinstance(style, list | tuple) and style and isinstance(style[0], tuple | list)
    sources = [s for s, _ in style] if pairs else [style]  # type: ignore[union-attr]
    for size in config.sizes:
        check_min_size(photo.shape, size, name(content, "the photo"))
        style_size = max(32, round(size * config.style_scale))
        for i, ((img, _), src) in enumerate(zip(styles, sources, strict=False), 1):
            default = "the style image" if len(styles) == 1 else f"style image {i}"
            check_min_size(img.shape, style_size, name(src, default))
    check_fits(*scaled_shape(photo.shape, config.size), config)


def _init(content: np.ndarray, config: Config) -> np.ndarray:
    if config.init == "content":
        return content
    rng = np.random.default_rng(config.seed)
    return rng.uniform(0.0, 1.0, content.shape).astype(np.float32)


def finish_painting(
    image: np.ndarray,
    photo: np.ndarray,
    config: Config,
    mask: np.ndarray | None = None,
    work_size: int | None = None,
) -> np.ndarray:
    """Post-process a finished painting, in this order: ``config.preserve_colors``,
    ``config.strokes``, then the feathered blend with ``photo`` outside ``mask``.

    Args:
        image: the painting, float32 ``(H, W, 3)`` in [0, 1].
        photo: the content photo, float32 ``(h, w, 3)`` in [0, 1] (resized as needed).
        config: supplies ``preserve_colors`` and ``strokes``.
        mask: ``(H, W)`` in [0, 1], white = stylized; ``None`` for no blend.
        work_size: the longest side the painting was made at, when ``image`` is its print
            (default ``config.size``): the strokes are those of that size
            (:func:`nststudy.postprocess.enhance_strokes`).
    """
    if config.preserve_colors:
        image = preserve_colors(image, photo, method=config.preserve_colors)
    if config.strokes > 0:  # at print size: the strokes of the painting's size
        image = enhance_strokes(image, config.strokes, work_size=work_size or config.size)
    if mask is not None:
        image = blend_with_mask(image, photo, mask)
    return image


def stylize(
    content: ImageInput,
    style: StyleInput,
    config: Config = PRESETS["default"],
    callback: Callback | None = None,
    mask: ImageInput | None = None,
    init_image: ImageInput | None = None,
    **overrides: Any,
) -> Result:
    """Paint ``content`` in the style of ``style``.

    Args:
        content: the photo: a path, PIL image or array (see :func:`nststudy.load_image`).
        style: one style image, or ``[(image, weight), ...]`` to blend several (their Gram
            matrices are mixed by weight).
        config: the settings; a preset from :data:`nststudy.PRESETS` or your own.
        callback: ``callback(step, losses, image)`` after each step, with ``image`` float32
            ``(H, W, 3)`` in [0, 1]; return ``True`` to stop and keep the best image. Its
            ``close()``, if it has one (:func:`progress_bar`), is called when the run ends.
        mask: optional local control (see :mod:`nststudy.masks`): a mask image or array, white
            = stylize, black = keep the photo. The style loss then sees only the masked
            features and the content loss dominates outside; a feathered pixel blend
            (:func:`nststudy.masks.blend_with_mask`) finishes the picture.
        init_image: start the first stage from this picture (e.g. a checkpoint of an
            interrupted run, resized to fit) instead of ``config.init``.
        **overrides: fields of ``config`` to change for this call, e.g. ``style_weight=0.1``.

    After the last stage the final picture is post-processed, in this order:
    ``config.preserve_colors`` (:func:`nststudy.postprocess.preserve_colors`),
    ``config.strokes`` (:func:`nststudy.postprocess.enhance_strokes`), then the mask blend.
    ``Result.history`` and the callback's images are before post-processing.

    Returns:
        A :class:`Result`. Ctrl-C (KeyboardInterrupt) ends the run the same way as the
        callback: the best image so far is returned with ``stopped="interrupt"`` (between
        stages: the last stage's; during post-processing: the picture before it). A
        non-finite loss rolls back to the best image (Adam retries at a lower learning rate,
        see :mod:`nststudy.train`) and ends with ``stopped="diverged"`` and a warning.

    Raises:
        nststudy.images.ImageError: an unreadable image, or one whose short side is under
            :data:`~nststudy.images.MIN_SIZE` (16 px) as given or at any working size
            (refused, not padded).
        nststudy.resources.ResourceError: the estimated memory exceeds what is available
            (override: ``NSTSTUDY_IGNORE_MEMORY_LIMIT=1``). Both are ``ValueError`` and are
            raised before the network is built.
    """
    import tensorflow as tf

    from .train import Stage, make_targets, run_adam, run_lbfgs

    start = time.perf_counter()
    if overrides:
        config = config.replace(**overrides)
    config = config.resolved()  # precision "auto": this machine's, as the result records it
    photo = load_image(content)
    styles = _styles(style)
    full_mask = None if mask is None else load_mask(mask, photo.shape)
    _preflight(photo, styles, config, content, style)
    tf.random.set_seed(config.seed)
    extractor = FeatureExtractor(config.content_layers, config.style_layers, config.precision)
    history: list[dict[str, float]] = []
    stage_seconds: list[float] = []
    first = resize_longest(photo, config.sizes[0])
    if init_image is not None:  # e.g. a checkpoint: continue from it instead of config.init
        image = resize_longest(load_image(init_image), max(first.shape[:2]))
        if image.shape != first.shape:
            image = np.clip(tf.image.resize(image[None], first.shape[:2]).numpy()[0], 0, 1)
    else:
        image = _init(first, config)
    outcome: StageResult | None = None
    evaluations, initial_loss, stopped, stages_done = 0, float("nan"), None, 0
    try:
        for size, steps in zip(config.sizes, config.steps, strict=True):
            t0 = time.perf_counter()
            work = resize_longest(photo, size)
            if min(work.shape[:2]) < MIN_SIZE:
                raise ValueError(
                    f"the photo is {photo.shape[1]}×{photo.shape[0]} px: at {size} px its short "
                    f"side would be {min(work.shape[:2])} px, under VGG19's minimum of "
                    f"{MIN_SIZE}; crop it to a less extreme aspect ratio or paint at a larger size"
                )
            if image.shape != work.shape:
                resized = tf.image.resize(image[None], work.shape[:2], method="bicubic")[0]
                image = np.clip(resized.numpy(), 0.0, 1.0)
            style_size = max(32, round(size * config.style_scale))
            targets = make_targets(
                extractor,
                work,
                [(resize_longest(img, style_size), w) for img, w in styles],
                None if full_mask is None else resize_to(full_mask, work.shape[:2], "bilinear"),
            )
            stage = Stage(extractor, targets, config)
            runner = run_lbfgs if config.optimizer == "lbfgs" else run_adam
            outcome = runner(stage, stage.from_pixels(image), steps, callback, len(history))
            history += [{**h, "size": size} for h in outcome.history]
            evaluations += outcome.evaluations
            if not stage_seconds:
                initial_loss = outcome.initial_loss
            stage_seconds.append(time.perf_counter() - t0)
            image, stopped = outcome.image, outcome.stopped
            if stopped:
                break
            stages_done += 1
    except KeyboardInterrupt:  # between stages (resizing, style targets): keep what is done
        if outcome is None:
            raise
        image = outcome.image  # the last stage painted, at its size
        if len(stage_seconds) > stages_done and not outcome.stopped:
            stages_done += 1  # it had finished: --resume must not paint it again
        stopped = "interrupt" if stages_done < len(config.sizes) else None
    finally:  # a bar with close() (progress_bar's) ends where the run did, also early
        close = getattr(callback, "close", None)
        if callable(close):
            close()
    assert outcome is not None  # config guarantees at least one stage
    try:
        final = finish_painting(image, photo, config, full_mask)
    except KeyboardInterrupt:  # during post-processing: the picture as painted, unfinished
        final, stopped = image, "interrupt"
    return Result(
        image=to_uint8(final),
        history=history,
        seconds=time.perf_counter() - start,
        config=config,
        stage_seconds=stage_seconds,
        stopped=stopped,
        evaluations=evaluations,
        final_loss=outcome.best_loss,
        initial_loss=initial_loss,
        raw=image,
        stages_done=stages_done,
    )


def progress_bar(config: Config, desc: str = "painting", **tqdm_kwargs: Any) -> Callback:
    """A callback that drives a tqdm bar (a widget in Jupyter) over ``config.total_steps``;
    :func:`stylize` closes it when the run ends, also when L-BFGS converges or a stop comes
    before the last step (the bar then shows the steps that ran)."""
    from tqdm.auto import tqdm

    bar = tqdm(total=config.total_steps, desc=desc, **tqdm_kwargs)

    def update(step: int, losses: dict[str, float], image: np.ndarray) -> None:
        bar.update(step - bar.n)
        bar.set_postfix(loss=f"{losses['total']:.3g}", refresh=False)
        if step >= config.total_steps:
            bar.close()

    def close() -> None:  # ended early (converged, stopped): done, not red as an error
        if bar.n < bar.total:
            bar.total = bar.n
            bar.refresh()
        bar.close()

    update.close = close  # type: ignore[attr-defined]  # stylize calls it at the end
    return update
