"""The message tables behind :func:`nststudy.i18n.t`: English, and Simplified Chinese.

Add a key to ``EN`` first; a key missing from ``ZH`` falls back to English.
"""

from __future__ import annotations

__all__ = ["EN", "ZH"]

EN: dict[str, str] = {
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
    "widget.took_over": (
        "another studio or training view was still painting; it was asked to stop (its best "
        "picture so far is kept): one painting at a time"
    ),
    # the studio (nststudy.studio)
    "studio.title": "nststudy oil-painting studio",
    "studio.intro": (
        "Choose your photo (or a sample) and a style: <b>Preview</b> for a quick look, "
        "<b>Paint</b> for a picture to share, <b>Print</b> for one to frame, then download "
        "it. Nothing leaves this computer."
    ),
    "style.swirl": "Post-impressionism (Van Gogh): swirling impasto strokes in blue and yellow.",
    "style.brush": "Impressionism (Monet): short broken dabs of soft pastel on a lily pond.",
    "style.drip": "Abstract expressionism (Pollock): tangled drip lines and splatters.",
    "style.mosaic": "Cubism (Picasso): hatched angular facets, dark outlines, ochre, grey-blue.",
    "style.bricks": "Photo texture: a grayscale brick wall (skimage.data.brick).",
    "style.grass": "Photo texture: grayscale grass (skimage.data.grass).",
    "style.gravel": "Photo texture: grayscale gravel (skimage.data.gravel).",
    "style_name.swirl": "swirl",
    "style_name.brush": "brush",
    "style_name.drip": "drip",
    "style_name.mosaic": "mosaic",
    "style_name.bricks": "bricks",
    "style_name.grass": "grass",
    "style_name.gravel": "gravel",
    "studio.photo": "Your photo",
    "studio.sample": "or sample",
    "studio.your_photo": "(your photo)",
    "studio.upload_first": "Upload a photo first, or pick a sample.",
    "studio.style": "Style",
    "studio.blend_with": "Blend with",
    "studio.blend": "Blend",
    "studio.strength": "Style strength",
    "studio.brush_size": "Brush size",
    "studio.colours": "Colours",
    "studio.smooth": "Smooth strokes",
    "studio.area": "Paint",
    "studio.area_all": "the whole photo",
    "studio.area_background": "the background (keep the subject)",
    "studio.area_mask": "my mask (white = paint)",
    "studio.mask": "Mask",
    "studio.mask_missing": "Upload a mask first: white = paint, black = keep the photo.",
    "studio.seed": "Seed",
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
    "studio.printing_painting": (
        "Printing the painting above: refining it to {size} px in tiles (no repainting)…"
    ),
    "studio.done": "Done in {seconds} s{note}.",
    "studio.stopped_early": " (stopped early: the best image so far)",
    "studio.download": "⬇ Download {name}.png ({width}×{height} px)",
    "studio.no_memory": "Not enough memory for this; try a smaller photo or close other tabs.",
    "studio.smaller_brush": " A smaller Brush size needs less: the style is resized to the print.",
    "studio.print_refusal": (
        "A {size} px print needs about {need} GiB of memory, but only {have} GiB is free here. "
        "Use “paint” ({paint} px), or run the studio on a computer with more memory "
        "(pip install nststudy[studio]; nststudy studio)."
    ),
    # the class gallery (nststudy.gallery)
    "gallery.title": "Class gallery",
    "gallery.learner": "Learner {n}",
    "gallery.weights": "content {content} · style {style} · TV {tv}",
    "gallery.no_settings": "no settings embedded",
    "gallery.settings": "settings",
    # the exercise checkers (nststudy.exercises): code inside a hint stays code
    "check.show_hint": "Hint: {hint}",
    "check.show_hint_markdown": "*Hint:* {hint}",
    "check.passed": "all {n} checks passed",
    "check.case": "case {i} of {n} ({label}): {problem}",
    "check.not_a_function": "expected a function, got {kind}",
    "check.internal_error": "the check itself failed: {error}",
    "check.bad_reference": "the reference answer to input {i} is not usable ({kind})",
    "check.returned_none": "your function returned None",
    "check.returned_not_numbers": "your function returned {kind} {value}, not numbers",
    "check.answer_not_numbers": "got {kind} {value}, not numbers",
    "check.raised_not_implemented": "your function raised NotImplementedError",
    "check.no_gradient": "the values are right in all {n} cases, but TensorFlow gets no "
    "gradient through your function: it left TensorFlow on the way (NumPy, .numpy(), float(), "
    "or a new tf.constant / tf.Variable made from a result), so the optimiser could not use it",
    "check.hint.no_gradient": "use TensorFlow operations on the tensors (tf.reduce_mean, "
    "tf.square, tf.einsum, tf.abs, …) instead of np.…",
    "check.raised": "your function raised {error}",
    "check.expected_shape": "expected shape {expected}, got shape {got}",
    "check.expected_dtype": "expected dtype {expected}, got {got}",
    "check.not_finite": "the result contains NaN or infinity",
    "check.expected_value": "expected {expected}, got {got}",
    "check.expected_value_at": "expected {expected} at index {index}, got {got}",
    "check.array_of_shape": "array of shape {shape}",
    "check.no_answer": "no answer yet: replace ... with your number",
    "check.unreadable_answer": "could not read your answer: {error}",
    "check.number_right": "{value} is right",
    "check.changed_input": "your function changed its input in place ({label})",
    "check.library_function": "{function} is nststudy's own: the exercise is to write it",
    "check.hint.write_it": "define your own function (def my_…) and pass that",
    "check.forbidden": "your function calls {function}, which the exercise asks you to write",
    "check.hint.copy_input": "work on a copy: x = x - MEAN (or x = x.copy() first), not x -= MEAN",
    "check.too_high": "{got} is too high",
    "check.too_low": "{got} is too low",
    "check.far_off": "{verdict}: more than 10× off, check the units",
    "check.hint.forgot_return": "did you forget the `return` statement?",
    "check.hint.replace_not_implemented": "replace it with your code",
    "check.hint.square_not_abs": "square the differences instead of taking their absolute value",
    # what each case feeds the learner's function
    "check.case.input": "input {i}",
    "check.case.image": "image of shape {shape}",
    "check.case.vgg_array": "VGG array of shape {shape}",
    "check.case.features": "F of shape {shape}",
    "check.case.content": "{features}, P of the same shape",
    "check.case.style": "{features}, target Gram of shape {shape}",
    "check.case.painting_photo": "painting and photo of shape {shape}",
    "check.case.orange_photo": "a painting and an orange photo",
    # the typical mistakes each checker names, and its hint when none matches
    "check.to_vgg.rgb_flip": (
        "the channels are still RGB: VGG19 wants BGR, reverse the last axis first (img[..., ::-1])"
    ),
    "check.to_vgg.rgb": "the channels are still RGB: VGG19 wants BGR, reverse the last axis first",
    "check.to_vgg.no_mean": "you forgot to subtract the ImageNet mean (MEAN_BGR)",
    "check.to_vgg.no_255": "you forgot to multiply by 255: VGG19 was trained on the 0–255 scale",
    "check.to_vgg.mean_order": (
        "the mean is in B, G, R order: flip the channels first, then subtract it"
    ),
    "check.to_vgg.hint": "VGG input = img[..., ::-1] * 255 - MEAN_BGR",
    "check.from_vgg.clipped": (
        "don't clip here: from_vgg must be the exact inverse; clip when you display"
    ),
    "check.from_vgg.bgr": "the channels are still BGR: reverse the last axis to get RGB",
    "check.from_vgg.no_mean": "you forgot to add the ImageNet mean back",
    "check.from_vgg.mean_subtracted": "add the mean back (you subtracted it again)",
    "check.from_vgg.no_255": "you forgot to divide by 255",
    "check.from_vgg.mean_then_flip": (
        "add the mean (in B, G, R order: IMAGENET_MEAN_BGR) while the channels are still BGR, "
        "then flip"
    ),
    "check.fit_size.aspect": "keep the aspect ratio: the article's (512, 512) squashes the photo",
    "check.fit_size.order": "return (height, width), in that order",
    "check.fit_size.enlarged": "never enlarge: a photo already smaller than max_dim keeps its size",
    "check.fit_size.fractional": "{case}: expected whole pixels, got {got}",
    "check.fit_size.whole_pixels": "round to whole pixels: round(height * scale)",
    "check.fit_size.not_int": "{case}: expected whole pixels as int, got {got}: PIL's resize "
    "and tf.image.resize refuse float sizes such as 512.0",
    "check.fit_size.use_int": "Python's round(x) gives an int; np.round(x) a float: int(...) it",
    "check.fit_size.long_side": "{case}: expected a longest side of max_dim = {m}, got {got}",
    "check.fit_size.exact_long_side": (
        "the longest side must be exactly max_dim: round, don't truncate "
        "(int(561 * (512 / 561)) is 511)"
    ),
    "check.clip_to_valid.pixels_255": (
        "the bounds are in VGG space: [-mean, 255 - mean] per channel, not [0, 255]"
    ),
    "check.clip_to_valid.pixels_1": "the bounds are in VGG space, not [0, 1] pixels",
    "check.clip_to_valid.mean_order": (
        "the mean is in B, G, R order (IMAGENET_MEAN_BGR), like the channels"
    ),
    "check.clip_to_valid.not_clipped": (
        "nothing was clipped: values outside the valid range are still there"
    ),
    "check.deprocess.wrap_around": (
        "clip to [0, 255] before converting to uint8, or out-of-range values wrap around"
    ),
    "check.deprocess.bgr": "convert BGR back to RGB (reverse the last axis)",
    "check.deprocess.no_mean": "add the ImageNet mean back before clipping",
    "check.luminance_transfer.unclipped": "clip the result to [0, 1] (np.clip): adding "
    "the luminance change can leave it",
    "check.luminance_transfer.swapped": (
        "the luminance comes from the painting (first argument), the colours from the photo"
    ),
    "check.luminance_transfer.painting": (
        "you returned the painting unchanged: keep its luminance, take the photo's I and Q"
    ),
    "check.luminance_transfer.photo": (
        "you returned the photo unchanged: its luminance must be the painting's"
    ),
    "check.luminance_transfer.plain_mean": (
        "Y is the weighted sum 0.299 R + 0.587 G + 0.114 B, not the plain mean"
    ),
    "check.luminance_transfer.hint": (
        "Y = 0.299 R + 0.587 G + 0.114 B of each; return np.clip(photo + (Y_painting - "
        "Y_photo)[..., None], 0, 1)"
    ),
    "check.content_loss.sum": (
        "use the mean of the squared differences (tf.reduce_mean), not the sum"
    ),
    "check.content_loss.half_sum": (
        "the paper's ½·sum is another normalisation: use the mean (MSE)"
    ),
    "check.content_loss.root": (
        "no square root: the content loss is the mean squared error, not its root"
    ),
    "check.gram.not_divided": (
        "divide by H·W, the number of positions: without it the Gram grows with image size"
    ),
    "check.gram.hwc": "divide by H·W only, not H·W·C",
    "check.gram.by_c": "divide by H·W (positions), not by C",
    "check.gram.hw_squared": "divide by H·W, not by (H·W)²",
    "check.style_loss.sum": "use the mean of the squared differences, not the sum",
    "check.style_loss.four_c2": (
        "don't divide by 4C² as well: the mean already divides by C² (the article's double "
        "normalisation)"
    ),
    "check.style_loss.gram_not_divided": "your Gram matrix is missing the division by H·W",
    "check.style_loss.root": "no square root: it is the mean of squared differences",
    "check.tv_loss.squares": "total variation uses absolute differences (L1), not squares",
    "check.tv_loss.mean": "sum the absolute differences, don't average them",
    "check.tv_loss.article": (
        "that is the article's mean of squared gradients; use the sum of absolute ones"
    ),
    "check.tv_loss.one_direction": (
        "add both directions: vertical (rows) and horizontal (columns) differences"
    ),
    "check.tv_loss.hint": "tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1])) + the same along the width",
    "check.layer_shares.not_a_dict": "expected a dict {{layer: share}}, got {kind}",
    "check.layer_shares.keys": "expected the keys {expected}, got {got}",
    "check.layer_shares.not_divided": "divide each loss by the total, so the shares sum to 1",
    "check.layer_shares.percent": "shares are fractions that sum to 1, not percentages",
    "check.feature_shape.no_pooling": (
        "the size shrinks: each 2×2 pooling before the layer halves height and width"
    ),
    "check.feature_shape.channels": "the channels are 64, 128, 256, 512, 512 for blocks 1–5",
    "check.feature_shape.count_poolings": (
        "count the poolings before the layer: block k's convs come after k − 1 of them"
    ),
    "check.feature_shape.own_pool": (
        "a pooling layer's output has been through its own pooling too: block k's pool is "
        "after k of them"
    ),
    "check.feature_shape.round_down": "pooling rounds down (floor), not up",
    "check.feature_shape.hint": "H' = H // 2**(poolings up to and including the layer)",
    "check.lr_schedule.staircase": (
        "ExponentialDecay is smooth (staircase=False): use step / 100, not step // 100"
    ),
    "check.lr_schedule.exponent": "the exponent is step / decay_steps (100), not the step itself",
    "check.lr_schedule.initial": "start from the article's initial learning rate, 2.0",
}

ZH: dict[str, str] = {
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
    "widget.took_over": (
        "另一个工作室或训练视图仍在绘制，已请它停止（保留目前最好的画面）：一次只画一幅"
    ),
    "studio.title": "nststudy 数字油画工作室",
    "studio.intro": (
        "选一张你的照片（或示例）和一种风格：<b>预览</b>快速看看效果，<b>绘制</b>得到一幅可以分享的画，"
        "<b>打印</b>得到一幅可以装裱的画，然后下载。任何内容都不会离开这台电脑。"
    ),
    "style.swirl": "后印象派（梵高）：蓝色和黄色的旋涡状厚涂笔触。",
    "style.brush": "印象派（莫奈）：睡莲池上柔和粉彩的短促碎笔。",
    "style.drip": "抽象表现主义（波洛克）：纠缠的滴画线条和飞溅的颜料。",
    "style.mosaic": "立体主义（毕加索）：排线的棱角块面、深色轮廓、赭色和灰蓝色。",
    "style.bricks": "照片纹理：灰度砖墙照片（skimage.data.brick）。",
    "style.grass": "照片纹理：灰度草地照片（skimage.data.grass）。",
    "style.gravel": "照片纹理：灰度砾石照片（skimage.data.gravel）。",
    "style_name.swirl": "漩涡",
    "style_name.brush": "笔触",
    "style_name.drip": "滴画",
    "style_name.mosaic": "块面",
    "style_name.bricks": "砖墙",
    "style_name.grass": "草地",
    "style_name.gravel": "砾石",
    "studio.photo": "你的照片",
    "studio.sample": "或示例",
    "studio.your_photo": "（你的照片）",
    "studio.upload_first": "请先上传照片，或选择一张示例照片。",
    "studio.style": "风格",
    "studio.blend_with": "混合风格",
    "studio.blend": "混合",
    "studio.strength": "风格强度",
    "studio.brush_size": "笔触大小",
    "studio.colours": "颜色",
    "studio.smooth": "平滑笔触",
    "studio.area": "绘制范围",
    "studio.area_all": "整张照片",
    "studio.area_background": "背景（主体保留为照片）",
    "studio.area_mask": "我的蒙版（白色 = 绘制）",
    "studio.mask": "蒙版",
    "studio.mask_missing": "请先上传蒙版：白色 = 绘制，黑色 = 保留照片。",
    "studio.seed": "随机种子",
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
    "studio.printing_painting": "打印上面这幅画：分块细化到 {size} 像素（不重新绘制）…",
    "studio.done": "完成，用时 {seconds} 秒{note}。",
    "studio.stopped_early": "（已提前停止：保留目前最好的图像）",
    "studio.download": "⬇ 下载 {name}.png（{width}×{height} 像素）",
    "studio.no_memory": "内存不够；请换一张小一点的照片，或关掉其他标签页。",
    "studio.smaller_brush": "把笔触大小调小也能少用内存：风格图会被缩放到打印尺寸。",
    "studio.print_refusal": (
        "打印 {size} 像素的画大约需要 {need} GiB 内存，但这里只有 {have} GiB 可用。"
        "请改用“绘制”（{paint} 像素），或在内存更大的电脑上运行工作室"
        "（pip install nststudy[studio]; nststudy studio）。"
    ),
    "gallery.title": "班级作品展",
    "gallery.learner": "学员 {n}",
    "gallery.weights": "内容 {content} · 风格 {style} · 总变分 {tv}",
    "gallery.no_settings": "未嵌入设置",
    "gallery.settings": "设置",
    "check.show_hint": "提示：{hint}",
    "check.show_hint_markdown": "*提示*：{hint}",  # "*提示：*" would not close
    "check.passed": "全部 {n} 项检查都通过了",
    "check.case": "第 {i} 组输入（共 {n} 组，{label}）：{problem}",
    "check.not_a_function": "这里应该是一个函数，实际得到的是 {kind}",
    "check.internal_error": "检查函数本身出错了：{error}",
    "check.bad_reference": "参考答案在第 {i} 个输入上不可用（{kind}）",
    "check.returned_none": "你的函数返回了 None",
    "check.returned_not_numbers": "你的函数返回了 {kind} {value}，不是数值",
    "check.answer_not_numbers": "得到的是 {kind} {value}，不是数值",
    "check.raised_not_implemented": "你的函数抛出了 NotImplementedError",
    "check.no_gradient": "全部 {n} 个情形的数值都对，但 TensorFlow 无法通过你的函数求梯度："
    "中途离开了 TensorFlow（用了 NumPy、.numpy()、float()，或者用结果新建了 tf.constant / "
    "tf.Variable），优化器用不了它",
    "check.hint.no_gradient": "对张量使用 TensorFlow 运算（tf.reduce_mean、tf.square、tf.einsum、"
    "tf.abs……），不要用 np.…",
    "check.raised": "你的函数抛出了异常 {error}",
    "check.expected_shape": "形状应为 {expected}，实际为 {got}",
    "check.expected_dtype": "dtype 应为 {expected}，实际为 {got}",
    "check.not_finite": "结果中含有 NaN 或无穷大",
    "check.expected_value": "应为 {expected}，实际为 {got}",
    "check.expected_value_at": "索引 {index} 处应为 {expected}，实际为 {got}",
    "check.array_of_shape": "形状为 {shape} 的数组",
    "check.no_answer": "还没有作答：把 ... 换成你算出的数",
    "check.unreadable_answer": "读不出你的答案：{error}",
    "check.number_right": "{value} 是对的",
    "check.changed_input": "你的函数就地修改了它的输入（{label}）",
    "check.library_function": "{function} 是 nststudy 自带的函数：练习要你自己写",
    "check.hint.write_it": "定义你自己的函数（def my_…）并把它传进来",
    "check.forbidden": "你的函数调用了 {function}，而练习要你自己写它",
    "check.hint.copy_input": "在副本上计算：写 x = x - MEAN（或先 x = x.copy()），不要写 x -= MEAN",
    "check.too_high": "{got} 偏大",
    "check.too_low": "{got} 偏小",
    "check.far_off": "{verdict}：相差 10 倍以上，检查一下单位",
    "check.hint.forgot_return": "是不是忘了写 `return` 语句？",
    "check.hint.replace_not_implemented": "把 `raise NotImplementedError` 换成你自己的代码",
    "check.hint.square_not_abs": "对差取平方，而不是取绝对值",
    "check.case.input": "输入 {i}",
    "check.case.image": "形状为 {shape} 的图像",
    "check.case.vgg_array": "形状为 {shape} 的 VGG 空间数组",
    "check.case.features": "形状为 {shape} 的 F",
    "check.case.content": "{features}，P 的形状与之相同",
    "check.case.style": "{features}，目标 Gram 矩阵的形状为 {shape}",
    "check.case.painting_photo": "形状为 {shape} 的画作和照片",
    "check.case.orange_photo": "一幅画作和一张橙色的照片",
    "check.to_vgg.rgb_flip": (
        "通道还是 RGB 顺序：VGG19 要的是 BGR，先把最后一个轴反过来（img[..., ::-1]）"
    ),
    "check.to_vgg.rgb": "通道还是 RGB 顺序：VGG19 要的是 BGR，先把最后一个轴反过来",
    "check.to_vgg.no_mean": "忘了减去 ImageNet 均值（MEAN_BGR）",
    "check.to_vgg.no_255": "忘了乘以 255：VGG19 是在 0–255 刻度上训练的",
    "check.to_vgg.mean_order": "均值按 B、G、R 的顺序排列：先翻转通道，再减去均值",
    "check.to_vgg.hint": "VGG 输入 = img[..., ::-1] * 255 - MEAN_BGR",
    "check.from_vgg.clipped": "这里不要裁剪：from_vgg 必须是精确的逆运算；显示时再裁剪",
    "check.from_vgg.bgr": "通道还是 BGR 顺序：把最后一个轴反过来，得到 RGB",
    "check.from_vgg.no_mean": "忘了把 ImageNet 均值加回去",
    "check.from_vgg.mean_subtracted": "要把均值加回去（你又减了一次）",
    "check.from_vgg.no_255": "忘了除以 255",
    "check.from_vgg.mean_then_flip": (
        "趁通道还是 BGR 顺序时加上均值（按 B、G、R 的顺序：IMAGENET_MEAN_BGR），然后再翻转"
    ),
    "check.fit_size.aspect": "要保持宽高比：原文的 (512, 512) 会把照片压扁",
    "check.fit_size.order": "按 (height, width) 的顺序返回",
    "check.fit_size.enlarged": "不要放大：本来就小于 max_dim 的照片保持原来的尺寸",
    "check.fit_size.fractional": "{case}：应为整数个像素，实际为 {got}",
    "check.fit_size.whole_pixels": "取整到整数像素：round(height * scale)",
    "check.fit_size.not_int": "{case}：应为 int 类型的整数像素，实际为 {got}：PIL 的 resize 和 "
    "tf.image.resize 不接受 512.0 这样的浮点尺寸",
    "check.fit_size.use_int": "Python 的 round(x) 返回 int，np.round(x) 返回浮点数："
    "用 int(...) 转换",
    "check.fit_size.long_side": "{case}：最长边应为 max_dim = {m}，实际为 {got}",
    "check.fit_size.exact_long_side": (
        "最长边必须正好等于 max_dim：要四舍五入，不要截断（int(561 * (512 / 561)) 是 511）"
    ),
    "check.clip_to_valid.pixels_255": (
        "边界在 VGG 空间里：每个通道是 [-mean, 255 - mean]，不是 [0, 255]"
    ),
    "check.clip_to_valid.pixels_1": "边界在 VGG 空间里，不是 [0, 1] 的像素值",
    "check.clip_to_valid.mean_order": "均值和通道一样按 B、G、R 的顺序排列（IMAGENET_MEAN_BGR）",
    "check.clip_to_valid.not_clipped": "什么都没有裁剪：超出有效范围的值还在",
    "check.deprocess.wrap_around": "先裁剪到 [0, 255] 再转换为 uint8，否则超出范围的值会溢出回绕",
    "check.deprocess.bgr": "把 BGR 转回 RGB（把最后一个轴反过来）",
    "check.deprocess.no_mean": "裁剪之前先把 ImageNet 均值加回去",
    "check.luminance_transfer.unclipped": "把结果裁剪到 [0, 1]（np.clip）：加上亮度变化后可能越界",
    "check.luminance_transfer.swapped": "亮度取自画作（第一个参数），颜色取自照片",
    "check.luminance_transfer.painting": "你原样返回了画作：保留它的亮度，但要换上照片的 I 和 Q",
    "check.luminance_transfer.photo": "你原样返回了照片：它的亮度必须换成画作的亮度",
    "check.luminance_transfer.plain_mean": (
        "Y 是加权和 0.299 R + 0.587 G + 0.114 B，不是简单的平均值"
    ),
    "check.luminance_transfer.hint": (
        "分别算出 Y = 0.299 R + 0.587 G + 0.114 B；返回 np.clip(photo + (Y_painting - "
        "Y_photo)[..., None], 0, 1)"
    ),
    "check.content_loss.sum": "用差的平方的均值（tf.reduce_mean），而不是求和",
    "check.content_loss.half_sum": "论文里的 ½·求和是另一种归一化：这里用均值（MSE）",
    "check.content_loss.root": "不要开平方根：内容损失是均方误差，不是它的平方根",
    "check.gram.not_divided": "要除以 H·W，即位置的个数：不除的话，Gram 矩阵会随图像尺寸变大",
    "check.gram.hwc": "只除以 H·W，不是 H·W·C",
    "check.gram.by_c": "除以 H·W（位置数），而不是 C",
    "check.gram.hw_squared": "除以 H·W，而不是 (H·W)²",
    "check.style_loss.sum": "用差的平方的均值，而不是求和",
    "check.style_loss.four_c2": "不要再除以 4C²：均值已经除过 C² 了（原文的双重归一化）",
    "check.style_loss.gram_not_divided": "你的 Gram 矩阵少了除以 H·W 这一步",
    "check.style_loss.root": "不要开平方根：它是差的平方的均值",
    "check.tv_loss.squares": "总变分用的是差的绝对值（L1），不是平方",
    "check.tv_loss.mean": "把差的绝对值加起来，不要取平均",
    "check.tv_loss.article": "这是原文的做法（梯度平方的均值）；请改用梯度绝对值之和",
    "check.tv_loss.one_direction": "两个方向都要加上：竖直方向（行）和水平方向（列）的差",
    "check.tv_loss.hint": "tf.reduce_sum(tf.abs(x[:, 1:] - x[:, :-1])) + 沿宽度方向的同样一项",
    "check.layer_shares.not_a_dict": "应返回字典 {{layer: share}}，实际得到的是 {kind}",
    "check.layer_shares.keys": "键应为 {expected}，实际为 {got}",
    "check.layer_shares.not_divided": "把每层的损失除以总和，这样各层的占比加起来等于 1",
    "check.layer_shares.percent": "占比是加起来等于 1 的小数，不是百分数",
    "check.feature_shape.no_pooling": "尺寸会变小：该层之前的每次 2×2 池化都把高度和宽度减半",
    "check.feature_shape.channels": "第 1–5 块的通道数依次是 64、128、256、512、512",
    "check.feature_shape.count_poolings": (
        "数一数该层之前有几次池化：第 k 块的卷积层前面有 k − 1 次"
    ),
    "check.feature_shape.own_pool": (
        "池化层的输出已经过它自己这一次池化：第 k 块的池化层之后共有 k 次"
    ),
    "check.feature_shape.round_down": "池化是向下取整（floor），不是向上取整",
    "check.feature_shape.hint": "H' = H // 2**(到该层为止（含该层）的池化次数)",
    "check.lr_schedule.staircase": (
        "ExponentialDecay 是平滑衰减（staircase=False）：用 step / 100，不是 step // 100"
    ),
    "check.lr_schedule.exponent": "指数是 step / decay_steps（100），不是 step 本身",
    "check.lr_schedule.initial": "从原文的初始学习率 2.0 开始",
}
