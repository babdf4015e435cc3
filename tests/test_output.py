"""Atomic writes: the file appears complete or not at all, with the mode a plain write would give."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from adlstrace.output import atomic_write

pytestmark = pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_file_follows_umask(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    plain = tmp_path / "plain.md"
    plain.write_text("text\n")

    atomic_write(target, "text\n")

    assert target.read_text() == "text\n"
    assert mode_of(target) == mode_of(plain)


def test_replaced_file_keeps_mode(tmp_path: Path) -> None:
    target = tmp_path / "report.md"
    target.write_text("old\n")
    target.chmod(0o640)

    atomic_write(target, "new\n")

    assert target.read_text() == "new\n"
    assert mode_of(target) == 0o640


def test_no_temporary_file_left(tmp_path: Path) -> None:
    atomic_write(tmp_path / "index.json", "{}\n")

    assert [path.name for path in tmp_path.iterdir()] == ["index.json"]
