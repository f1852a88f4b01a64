"""``freqfleet.files``: all files or none, folders included; private files never truncated."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from freqfleet.files import SECRET_MODE, ensure_private_files, write_all_atomic


def test_a_failed_write_leaves_no_file_and_no_new_folder(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("mine")
    files = {
        tmp_path / "new" / "deep" / "a.json": ("{}", SECRET_MODE),
        tmp_path / "afile" / "b.json": ("{}", SECRET_MODE),
    }
    with pytest.raises(OSError):  # FileExistsError: a file where a folder must be
        write_all_atomic(files)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["afile"]


def test_text_and_bytes_are_written_as_given(tmp_path: Path) -> None:
    write_all_atomic(
        {
            tmp_path / "text.py": ("café = 1\n", 0o644),
            tmp_path / "data.bin": (b"\x00\xff", 0o600),
        }
    )
    assert (tmp_path / "text.py").read_bytes() == "café = 1\n".encode()
    assert (tmp_path / "data.bin").read_bytes() == b"\x00\xff"
    assert stat.S_IMODE((tmp_path / "data.bin").stat().st_mode) == 0o600


def test_private_files_are_created_or_tightened_never_truncated(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o755)
    (logs / "old.log").write_text("kept\n")
    (logs / "old.log").chmod(0o644)
    ensure_private_files([logs / "old.log", logs / "new.log"])
    assert (logs / "old.log").read_text() == "kept\n"
    assert (logs / "new.log").read_bytes() == b""
    for path in (logs / "old.log", logs / "new.log"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(logs.stat().st_mode) == 0o700
