"""The repository's shape: the platform/ folder, the packaging and the conda mirror of pyproject."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]


def test_platform_folder_has_no_init_so_stdlib_platform_is_not_shadowed() -> None:
    assert not (REPO / "platform" / "__init__.py").exists()
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            "import platform, sysconfig; print(platform.__file__); print(sysconfig.get_paths()['stdlib'])",
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    module_file, stdlib = Path(out[0]).resolve(), Path(out[1]).resolve()
    assert module_file.parent == stdlib
    assert module_file.name == "platform.py"


def test_quantdesk_imports_from_the_platform_folder() -> None:
    import quantdesk

    assert Path(quantdesk.__file__).resolve().parent == REPO / "platform" / "quantdesk"


def test_top_level_layout_matches_the_architecture() -> None:
    for name in (
        "platform/quantdesk",
        "strategies",
        "notebooks",
        "panel_apps",
        "services",
        "data/bundled",
        "tests/unit",
        "tests/integration",
        "benchmarks",
        ".ci/run",
        "environment.yml",
        "pyproject.toml",
        "Makefile",
        "README.md",
    ):
        assert (REPO / name).exists(), name


def test_environment_yml_mirrors_pyproject() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    assert env["channels"] == ["conda-forge"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    assert conda == ["python=3.11", "pip"]
    assert project["requires-python"] == ">=3.11,<3.12"
    # every dependency comes from pyproject through the editable install with the extras it defines
    assert len(pip) == 1
    requirement = pip[0]
    assert requirement.startswith("-e .[")
    extras = requirement.removeprefix("-e .[").removesuffix("]").split(",")
    assert set(extras) == set(project["optional-dependencies"])


def test_readme_starts_with_the_two_commands() -> None:
    text = (REPO / "README.md").read_text()
    first_block = text.split("```bash", 1)[1].split("```", 1)[0]
    assert "make up" in first_block
    assert "make test" in first_block


def test_ci_runs_make_test() -> None:
    script = (REPO / ".ci" / "run").read_text()
    assert script.rstrip().endswith("make test")
