"""The Python examples of the project README and of this package's README run as written."""

from __future__ import annotations

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parents[3] / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
PACKAGE_README = pathlib.Path(__file__).resolve().parents[1] / "README.md"
PACKAGE_BLOCKS = re.findall(r"```python\n(.*?)```", PACKAGE_README.read_text(encoding="utf-8"), re.S)


def test_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 1


@pytest.mark.parametrize("code", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(code: str) -> None:
    exec(compile(code, str(README), "exec"), {})


def test_package_readme_has_python_examples() -> None:
    assert len(PACKAGE_BLOCKS) >= 2


@pytest.mark.parametrize("code", PACKAGE_BLOCKS, ids=[f"block{i}" for i in range(len(PACKAGE_BLOCKS))])
def test_package_readme_example_runs(code: str, capsys: pytest.CaptureFixture[str]) -> None:
    exec(compile(code, str(PACKAGE_README), "exec"), {})
