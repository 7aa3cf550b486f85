"""The layer rules in ARCHITECTURE.md are enforced by import-linter (pyproject.toml). These tests
show the contracts hold for the project and that they really catch a wrong import."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("core", "avatarsaas", "generation", "styles", "tenants")
LINT = [str(Path(sys.executable).with_name("lint-imports"))]


def _lint(cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*LINT, "--config", str(cwd / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(cwd)},
    )


@pytest.fixture(scope="module")
def project_copy(tmp_path_factory) -> Path:
    """The project's packages and contracts in a scratch tree that a test may break."""
    dest = tmp_path_factory.mktemp("layers")
    shutil.copy(ROOT / "pyproject.toml", dest / "pyproject.toml")
    for package in PACKAGES:
        shutil.copytree(
            ROOT / package,
            dest / package,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "migrations"),
        )
    return dest


def test_the_project_keeps_every_contract():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("tenants/_wrong.py", "from generation.models import GenerationJob\n", "Apps depend"),
        ("styles/_wrong.py", "def f():\n    from generation.jobs import services\n", "Apps depend"),
        ("core/_wrong.py", "import tenants.models\n", "Apps depend"),
        ("generation/jobs/_wrong.py", "import torch\n", "ML libraries"),
        ("styles/_wrong.py", "def f():\n    import diffusers\n", "ML libraries"),
    ],
)
def test_a_wrong_import_breaks_a_contract(project_copy, module, source, contract):
    target = project_copy / module
    target.write_text(source)
    try:
        result = _lint(project_copy)
    finally:
        target.unlink()
    assert result.returncode != 0
    broken = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
    assert "_wrong" in result.stdout


def test_the_scratch_tree_is_clean_without_the_wrong_module(project_copy):
    # Guards the test above: its failures come from the planted import, not from the copy.
    result = _lint(project_copy)
    assert result.returncode == 0, result.stdout + result.stderr
