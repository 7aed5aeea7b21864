"""The wheel installs the four rooms under the one namespace ``zhiqian`` and works elsewhere."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_every_package_folder_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["tool"]["setuptools"]
    mapping: dict[str, str] = config["package-dir"]
    listed = set(config["packages"])
    folder_to_ns = {folder: ns for ns, folder in mapping.items()}
    found = set()
    for folder, ns in folder_to_ns.items():
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / folder)
            found.add(".".join([ns, *rel.parts]) if rel.parts else ns)
    assert found == listed


def test_public_names_import() -> None:
    import zhiqian

    for name in zhiqian.__all__:
        assert getattr(zhiqian, name) is not None, name
    assert issubclass(zhiqian.TransitionRefused, zhiqian.ZhiqianError)


@pytest.mark.slow
def test_wheel_installs_and_imports_outside_the_repo(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("zhiqian-*.whl")
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True, system_site_packages=False).create(env_dir)
    py = env_dir / "bin" / "python"
    # Dependencies come from this test environment's site-packages (no network at test time).
    site = next(Path(p) for p in sys.path if p.endswith("site-packages"))
    (
        env_dir
        / "lib"
        / f"python{sys.version_info.major}.{sys.version_info.minor}"
        / "site-packages"
        / "deps.pth"
    ).write_text(str(site) + "\n")
    subprocess.run(
        [py, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
        check=True,
        capture_output=True,
    )
    probe = (
        "import zhiqian, zhiqian.engine, zhiqian.rules, zhiqian.store, zhiqian.notifiers;"
        "from zhiqian import Engine, FrozenClock;"
        "from zhiqian.rules.loader import load_pack;"
        "p = load_pack('national');"
        "import zhiqian.engine.engine as e;"
        "assert 'site-packages' in e.__file__, e.__file__;"
        "import importlib.util as u;"
        "assert u.find_spec('engine') is None and u.find_spec('rules') is None;"
        "print(p.name, zhiqian.__file__)"
    )
    out = subprocess.run(
        [py, "-c", probe], cwd=tmp_path, check=True, capture_output=True, text=True
    ).stdout
    assert out.startswith("national ")
    assert str(env_dir) in out
    listing = subprocess.run(
        [py, "-m", "zipfile", "-l", str(wheel)], check=True, capture_output=True, text=True
    ).stdout
    for expected in (
        "zhiqian/py.typed",
        "zhiqian/rules/packs/national.yaml",
        "zhiqian/store/migrations/env.py",
        "zhiqian/engine/engine.py",
    ):
        assert expected in listing, expected
