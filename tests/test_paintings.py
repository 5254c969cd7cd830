"""Real paintings: local folder first, hashed download, procedural fallback with a notice."""

from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import numpy as np
import pytest

from nststudy import paintings
from nststudy.paintings import PAINTINGS, painting, painting_path

SHARED_IMAGES = Path(__file__).resolve().parents[2] / "shared" / "images"


class _Response:
    """What ``urllib.request.urlopen`` returns, holding ``data``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def __enter__(self) -> _Response:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def read(self) -> bytes:
        return self.data


@pytest.fixture
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    import tempfile

    monkeypatch.delenv("NSTSTUDY_SAMPLES_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))  # the fallback cache
    return tmp_path


def test_local_folder_wins(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    folder = isolated / "usb"
    folder.mkdir()
    from PIL import Image

    Image.fromarray(np.full((30, 60, 3), 200, np.uint8)).save(folder / "starry_night.jpg")
    monkeypatch.setenv("NSTSTUDY_SAMPLES_DIR", str(folder))
    img = painting("starry_night", download=False)
    assert img.shape == (30, 60, 3)


@pytest.mark.skipif(not SHARED_IMAGES.is_dir(), reason="../shared/images not present")
def test_pinned_hashes_match_the_reference_files() -> None:
    for info in PAINTINGS.values():
        data = (SHARED_IMAGES / info.file).read_bytes()
        assert hashlib.sha256(data).hexdigest() == info.sha256, info.file


def test_offline_falls_back_with_one_notice(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network unreachable")

    monkeypatch.setattr(paintings.urllib.request, "urlopen", no_network)
    with pytest.warns(UserWarning, match="The Starry Night is not available offline") as rec:
        img = painting("starry_night", size=64)
    assert len(rec) == 1 and img.shape == (64, 64, 3)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        assert max(painting("tubingen", max_dim=50, download=False).shape[:2]) == 50


def test_download_checks_hash_and_caches(isolated: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paintings.urllib.request, "urlopen", lambda *a, **k: _Response(b"evil"))
    assert painting_path("shipwreck") is None  # wrong bytes are refused, nothing cached
    assert not (isolated / "datasets" / "nststudy" / "shipwreck.jpg").exists()
    if SHARED_IMAGES.is_dir():
        good = (SHARED_IMAGES / "shipwreck.jpg").read_bytes()
        monkeypatch.setattr(paintings.urllib.request, "urlopen", lambda *a, **k: _Response(good))
        path = painting_path("shipwreck")
        assert path == isolated / "datasets" / "nststudy" / "shipwreck.jpg"
        monkeypatch.setattr(paintings.urllib.request, "urlopen", None)  # cache hit, no network
        assert painting_path("shipwreck") == path


def test_unknown_name() -> None:
    with pytest.raises(ValueError, match="starry_night"):
        painting_path("mona_lisa")


@pytest.mark.parametrize(("value", "tries"), [("", True), ("false", True), ("1", False)])
def test_offline_switch_and_a_download_cut_off(
    isolated: Path, monkeypatch: pytest.MonkeyPatch, value: str, tries: bool
) -> None:
    import http.client

    calls = []

    def cut_off(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise http.client.IncompleteRead(b"partial", 1000)  # not an OSError

    monkeypatch.setattr(paintings.urllib.request, "urlopen", cut_off)
    monkeypatch.setenv("NSTSTUDY_OFFLINE", value)
    assert painting_path("starry_night") is None  # no network: None, never an exception
    assert bool(calls) == tries  # NSTSTUDY_OFFLINE=false means online, like the other flags


@pytest.mark.skipif(not SHARED_IMAGES.is_dir(), reason="../shared/images not present")
def test_a_good_download_is_kept_when_the_cache_cannot_be_written(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated / "datasets").write_text("a file where the cache folder should be")
    good = (SHARED_IMAGES / "shipwreck.jpg").read_bytes()
    monkeypatch.setattr(paintings.urllib.request, "urlopen", lambda *a, **k: _Response(good))
    path = painting_path("shipwreck")
    assert path == isolated / "tmp" / "nststudy" / "shipwreck.jpg"
    monkeypatch.setattr(paintings.urllib.request, "urlopen", None)  # found there next time
    assert painting_path("shipwreck") == path


def test_a_damaged_copy_in_the_samples_folder_gets_the_stand_in(
    isolated: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = isolated / "usb"
    folder.mkdir()
    (folder / "starry_night.jpg").write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 40)  # cut short
    monkeypatch.setenv("NSTSTUDY_SAMPLES_DIR", str(folder))
    with pytest.warns(UserWarning, match=r"starry_night\.jpg: .*using the sample 'swirl'") as rec:
        img = painting("starry_night", download=False, size=32)
    assert len(rec) == 1 and img.shape == (32, 32, 3)


def test_the_cache_follows_a_keras_home_with_a_tilde(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """KERAS_HOME=~/kh from a Docker ENV or a .env file (no shell to expand it): the cache is
    the home folder's, as the weights' is, not a folder named '~' beside the notebook."""
    from nststudy.paintings import _cache_dirs

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("KERAS_HOME", "~/kh")
    assert _cache_dirs()[0] == tmp_path / "kh" / "datasets" / "nststudy"


@pytest.mark.parametrize("value", ["off", "OFF", " no "])
def test_an_environment_flag_set_to_off_is_off(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from nststudy._env import env_flag
    from nststudy.config import fast_mode
    from nststudy.resources import IGNORE_ENV, memory_limit_ignored

    for name in ("NSTSTUDY_OFFLINE", IGNORE_ENV, "NSTSTUDY_FAST"):
        monkeypatch.setenv(name, value)
    assert not env_flag("NSTSTUDY_OFFLINE") and not memory_limit_ignored() and not fast_mode()
