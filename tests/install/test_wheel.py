"""A wheel built from the checkout installs into a fresh virtualenv and works from an empty folder.

Offline and quick: the wheel is built with the test environment's setuptools
(--no-build-isolation), and the fresh virtualenv borrows the test environment's installed
dependencies through a .pth file instead of downloading them. Only the wheel brings sheetsync:
the checkout is never on the new interpreter's path.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from sheetsync import DISTRIBUTION, __version__

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def run(*args: str | Path, cwd: Path, env: dict[str, str] | None = None, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
    return done


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    # A clean copy of the checkout: setuptools builds in the source tree, and a build/ folder
    # left by an earlier build would put files into the wheel that a fresh clone would lack.
    source = tmp_path_factory.mktemp("source") / "checkout"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "demo-output",
    ))
    env = {**os.environ, "PIP_NO_INDEX": "1"}
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet",
        "-w", out, source, cwd=source, env=env)
    (found,) = out.glob("*.whl")
    return found


def test_the_wheel_is_named_for_the_index_and_ships_the_workbooks(wheel):
    assert wheel.name.startswith(f"{DISTRIBUTION.replace('-', '_')}-{__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    assert "sheetsync/data/demo.xlsx" in names and "sheetsync/data/template.xlsx" in names
    assert not any(n.startswith(("sample_sheets/", "tests/")) for n in names)
    metadata = next(n for n in names if n.endswith(".dist-info/METADATA"))
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    assert f"Name: {DISTRIBUTION}\n" in text and f"Version: {__version__}\n" in text


def test_installed_wheel_runs_demo_and_template_from_an_empty_folder(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp_path).stdout.strip()
    # The dependencies, not sheetsync: a path added by a .pth line gets none of its .pth files
    # processed, so the test environment's editable install of the checkout stays inactive.
    Path(site, "borrowed-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(sys.executable, "-m", "pip", "--python", python, "install", "--no-index", "--no-deps", "--quiet",
        wheel, cwd=tmp_path, env={**os.environ, "PIP_NO_INDEX": "1"})

    empty = tmp_path / "empty"
    empty.mkdir()
    home = tmp_path / "home"
    env = {
        "PATH": f"{env_dir / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "LANG": "C.UTF-8",
    }
    where = run(python, "-c", "import sheetsync; print(sheetsync.__file__)", cwd=empty, env=env).stdout
    assert where.startswith(site), where  # the wheel's copy, not the checkout
    assert run("sheetsync", "--version", cwd=empty, env=env).stdout.strip() == (
        f"sheetsync {__version__} ({DISTRIBUTION})"
    )

    done = run("sheetsync", "template", "t.xlsx", cwd=empty, env=env)
    assert "Wrote t.xlsx" in done.stdout and (empty / "t.xlsx").stat().st_size > 1000

    demo = run("sheetsync", "demo", "--json", "--speed", "50000", cwd=empty, env=env, timeout=120)
    doc = json.loads(demo.stdout)
    assert doc["finished"] is True and doc["credits_before"] - doc["credits_after"] == doc["spent"] > 0
    assert (empty / "demo-output" / "demo.xlsx").is_file()
