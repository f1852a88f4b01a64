"""Writing files so that an error never leaves a half-written one behind.

Why: every command that writes (plan, new-config, sim config) must either write all of its
files or none. Files are first written next to their target under a temporary name, then
renamed into place; secrets get mode 0600 before any byte is written.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

SECRET_MODE = 0o600
PUBLIC_MODE = 0o644


def dump_json(data: Any) -> str:
    """freqtrade's own style: indented JSON with a trailing newline."""
    return json.dumps(data, indent=4, ensure_ascii=False) + "\n"


def write_atomic(path: Path, text: str, mode: int = PUBLIC_MODE) -> None:
    """Write one file atomically with ``mode`` (set before content is written)."""
    write_all_atomic({path: (text, mode)})


def write_all_atomic(files: Mapping[Path, tuple[str, int]]) -> None:
    """Write every file or none: all are staged first, then renamed into place.

    A failure while staging removes the staged files and leaves targets untouched.
    """
    staged: list[tuple[Path, Path]] = []
    try:
        for target, (text, mode) in files.items():
            target = Path(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            tmp = Path(tmp_name)
            staged.append((tmp, target))
            os.fchmod(fd, mode)
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text)
    except BaseException:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)


__all__ = ["PUBLIC_MODE", "SECRET_MODE", "dump_json", "write_all_atomic", "write_atomic"]
