"""The Python examples of the project README and of the package README run as written."""

from __future__ import annotations

import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[3]
READMES = [ROOT / "README.md", ROOT / "bindings" / "python" / "README.md"]
BLOCKS = [
    (readme, code)
    for readme in READMES
    for code in re.findall(r"```python\n(.*?)```", readme.read_text(encoding="utf-8"), re.S)
]


def test_readmes_have_python_examples() -> None:
    for readme in READMES:
        assert any(r == readme for r, _ in BLOCKS), readme


@pytest.mark.parametrize(
    "readme,code",
    BLOCKS,
    ids=[f"{r.relative_to(ROOT)}:{i}" for i, (r, _) in enumerate(BLOCKS)],
)
def test_readme_example_runs(readme: pathlib.Path, code: str) -> None:
    exec(compile(code, str(readme), "exec"), {"print": lambda *a, **k: None})
