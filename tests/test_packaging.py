"""Set-up files agree with each other: environment.yml, pyproject.toml, Makefile, CI."""
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def test_environment_yml_installs_the_same_package_and_extras_as_make():
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict))
    makefile = (ROOT / "Makefile").read_text()
    # The same torch pin as the Makefile's install step ...
    torch_pin = re.search(r"torch==[\d.]+", makefile).group(0)
    assert torch_pin in pip
    # ... and the package itself with the same extras, so dependencies are stated once.
    extras = re.search(r"-e '\.\[([\w,]+)\]'", makefile).group(1)
    assert f"-e .[{extras}]" in pip
    assert set(extras.split(",")) <= set(project["project"]["optional-dependencies"])
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python="))
    minimum = project["project"]["requires-python"].removeprefix(">=")
    assert python.split("=")[1] >= minimum
    # The torch range in pyproject admits the pinned build, so pip installs nothing more.
    assert any(dep.startswith("torch") for dep in project["project"]["dependencies"])


def test_ci_runs_make_test():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_first_lesson_named_by_make_lab_exists():
    lesson = re.search(r"FIRST_LESSON := (\S+)", (ROOT / "Makefile").read_text()).group(1)
    assert (ROOT / lesson).exists()
