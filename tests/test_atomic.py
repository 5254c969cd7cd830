"""replace_atomically: a file is replaced by a complete new one, or left exactly as it was."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from nststudy._atomic import replace_atomically


def test_writes_a_new_file_with_normal_permissions(tmp_path: Path) -> None:
    target = tmp_path / "ckpt.npz"
    assert replace_atomically(target, lambda fh: fh.write(b"abc")) == target
    assert target.read_bytes() == b"abc"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask  # not mkstemp's 0600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ckpt.npz"]


def test_reads_the_umask_without_setting_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not Path("/proc/self/status").is_file():
        pytest.skip("no /proc here: the umask is read by setting it")
    mask = os.umask(0o027)
    try:  # another thread's files must never see a umask of 0, even for a moment
        monkeypatch.setattr(os, "umask", lambda *a: pytest.fail("umask changed"))
        replace_atomically(tmp_path / "a", lambda fh: fh.write(b"abc"))
    finally:
        monkeypatch.undo()
        os.umask(mask)
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o640


def test_replaces_an_existing_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "painting.json"
    target.write_text("old")
    replace_atomically(target, lambda fh: fh.write(b"new, longer"))
    assert target.read_text() == "new, longer"


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_an_error_while_writing_keeps_the_old_file_and_no_part(
    tmp_path: Path, error: BaseException
) -> None:
    target = tmp_path / "painting.json"
    target.write_text("old")

    def write(fh) -> None:
        fh.write(b"half")
        raise error

    with pytest.raises(type(error)):
        replace_atomically(target, write)
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["painting.json"]  # no .part left


def test_a_full_disk_names_the_file(tmp_path: Path) -> None:
    """ENOSPC while writing names no file: the error is raised again naming the target, so
    the command line's one-line message says which file could not be written."""
    import errno

    target = tmp_path / "sidecar.json"

    def full(fh: object) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OSError) as info:
        replace_atomically(target, full)
    assert info.value.errno == errno.ENOSPC and info.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []

    def unreadable(fh: object) -> None:  # e.g. the USB stick being copied from: not ours
        raise OSError(errno.EIO, "Input/output error")

    with pytest.raises(OSError) as info:
        replace_atomically(target, unreadable)
    assert info.value.filename is None


def test_a_file_system_that_refuses_modes_still_gets_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """chmod is cosmetic (mkstemp's 0600 → the umask's mode): a vfat stick owned by another
    user refuses it (EPERM), and the written, synced file must not be thrown away for it."""

    def refuse(*args: object, **kwargs: object) -> None:
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "chmod", refuse)
    path = replace_atomically(tmp_path / "a.bin", lambda fh: fh.write(b"painting"))
    assert path.read_bytes() == b"painting" and not list(tmp_path.glob("*.part"))


def test_the_longest_name_is_255_where_os_has_no_pathconf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Windows has no ``os.pathconf``: every ``nststudy paint`` was a traceback there."""
    from nststudy._atomic import longest_name

    assert longest_name(tmp_path) >= 14  # POSIX's least
    monkeypatch.delattr(os, "pathconf")
    assert longest_name(tmp_path) == 255
