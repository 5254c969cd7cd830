"""nststudy: neural style transfer, built by hand in a course and ready to use as a studio.

The pieces, one module per idea of the course:

- :mod:`nststudy.images` — load photos, the VGG transform and its inverse, save safely;
- :mod:`nststudy.weights` — finding, fetching and checking the VGG19 weights;
- :mod:`nststudy.vgg` — the frozen VGG19 and the feature extractor;
- :mod:`nststudy.losses` — content, Gram/style and total-variation losses;
- :mod:`nststudy.config` — one frozen dataclass of settings and named presets;
- :mod:`nststudy.objective` — the targets and the weighted total loss at one size;
- :mod:`nststudy.train` — an Adam step and the L-BFGS driver that minimise it;
- :mod:`nststudy.stylize` — :func:`stylize`, coarse to fine;
- :mod:`nststudy.samples` — style images and photos that need no download.

TensorFlow is imported only when something needs it (the first ``stylize`` call, a
``FeatureExtractor``), so ``nststudy --version`` and ``nststudy.samples`` start fast.
"""

from __future__ import annotations

import os
from importlib.metadata import PackageNotFoundError, version

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # hide TensorFlow's start-up chatter

from .config import PRESETS, Config, get_preset
from .images import from_vgg, load_image, save_image, to_vgg
from .stylize import Result, progress_bar, stylize
from .vgg import FeatureExtractor
from .weights import ensure_weights

try:
    __version__ = version("nststudy")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = [
    "PRESETS",
    "Config",
    "FeatureExtractor",
    "Result",
    "__version__",
    "ensure_weights",
    "from_vgg",
    "get_preset",
    "load_image",
    "progress_bar",
    "save_image",
    "stylize",
    "to_vgg",
]
