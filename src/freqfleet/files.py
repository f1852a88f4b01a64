"""Writing files so that an error never leaves a half-written one behind.

Why: every command that writes (plan, new-config, sim config) must either write all of its
files or none. Files are first written next to their target under a temporary name, then
renamed into place; secrets get mode 0600 before any byte is written, and folders created
for a write that then fails are removed again.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644
PRIVATE_DIR_MODE = 0o700


def dump_json(data: Any) -> str:
    """freqtrade's own style: indented JSON with a trailing newline."""
    return json.dumps(data, indent=4, ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str | bytes, mode: int = PUBLIC_MODE) -> None:
    """Write one file atomically with ``mode`` (set before content is written)."""
    write_all_atomic({path: (text, mode)})


def _make_parents(folder: Path, created: list[Path]) -> None:
    """``mkdir -p folder``, recording every folder it creates (outermost first)."""
    missing: list[Path] = []
    for parent in (folder, *folder.parents):
        if parent.exists():
            break
        missing.append(parent)
    created.extend(reversed(missing))  # before mkdir: a failure halfway is cleaned up too
    folder.mkdir(parents=True, exist_ok=True)


def write_all_atomic(files: Mapping[Path, tuple[str | bytes, int]]) -> None:
    """Write every file or none: all are staged first, then renamed into place.

    Text is written as UTF-8, bytes as they are. A failure while staging removes the
    staged files and the folders made for them, and leaves targets untouched.
    """
    staged: list[tuple[Path, Path]] = []
    created: list[Path] = []
    try:
        for target, (content, mode) in files.items():
            target = Path(target)
            _make_parents(target.parent, created)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            tmp = Path(tmp_name)
            staged.append((tmp, target))
            os.fchmod(fd, mode)
            data = content.encode("utf-8") if isinstance(content, str) else content
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        for folder in reversed(created):
            with contextlib.suppress(OSError):  # not empty: someone else wrote there
                folder.rmdir()
        raise
    for tmp, target in staged:
        os.replace(tmp, target)


def ensure_private_files(paths: Iterable[Path], folder_mode: int = PRIVATE_DIR_MODE) -> None:
    """Create each file empty if it is missing (never truncating one), mode 0600 either way.

    For log files another program appends to: the program keeps the file's mode. Their
    folders get ``folder_mode`` (0700), so a file the program creates itself later (a
    rotated log) is not readable by other users either.
    """
    for path in paths:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.chmod(path.parent, folder_mode)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, SECRET_MODE)
        try:
            os.fchmod(fd, SECRET_MODE)
        finally:
            os.close(fd)


__all__ = [
    "PRIVATE_DIR_MODE",
    "PUBLIC_MODE",
    "SECRET_MODE",
    "dump_json",
    "ensure_private_files",
    "write_all_atomic",
    "write_atomic",
]
