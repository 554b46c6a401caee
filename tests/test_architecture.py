"""The import contracts in pyproject.toml hold, and they would catch an arrow pointing the wrong way."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(tree: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603
        [str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture
def tree(tmp_path):
    """A copy of the code and the contracts, to break on purpose."""
    for package in ("feedback", "consultation"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_import_contract():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


def test_an_export_that_imports_a_participant_view_breaks_the_contracts(tree):
    (tree / "feedback" / "exports" / "shortcut.py").write_text("from feedback.participation import views\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "feedback.exports.shortcut -> feedback.participation.views" in result.stdout


def test_a_model_module_that_imports_a_service_breaks_the_layers(tree):
    with (tree / "feedback" / "models.py").open("a") as models:
        models.write("\nfrom feedback.organising import moderation  # noqa\n")

    result = lint_imports(tree)

    assert result.returncode != 0
    assert "feedback.models is not allowed to import feedback.organising" in result.stdout
