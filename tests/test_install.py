"""The package as a user gets it: a wheel built from this tree, installed away from the sources."""
import subprocess, sys, zipfile

import pytest


@pytest.fixture(scope="module")
def installed(root, tmp_path_factory):
    "Build a wheel, install it (no deps: they are in this venv) into a fresh folder, return that folder."
    tmp = tmp_path_factory.mktemp("install")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
                    "-w", str(tmp / "dist"), str(root)], check=True)
    wheel = next((tmp / "dist").glob("torchrl_lit-*.whl"))
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", str(tmp / "site"),
                    str(wheel)], check=True)
    return tmp, wheel


def run_installed(code, installed, clean_env):
    tmp, _ = installed
    env = dict(clean_env, PYTHONPATH=str(tmp / "site"))
    work = tmp / "work"
    work.mkdir(exist_ok=True)
    return subprocess.run([sys.executable, "-c", code], cwd=work, env=env, capture_output=True, text=True)


def test_wheel_contents(installed, root):
    _, wheel = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert "torchrl_lit/settings.ini" in names, "the training presets must ship as package data"
    exported = {p.relative_to(root).as_posix() for p in (root / "torchrl_lit").rglob("*.py")}
    assert exported <= names, f"modules missing from the wheel: {sorted(exported - names)}"


def test_import_from_clean_install(installed, clean_env, root):
    res = run_installed(
        "import torchrl_lit, pathlib, importlib, torchrl_lit._modidx as m\n"
        "print(torchrl_lit.__file__)\n"
        "for mod in m.d['syms']: importlib.import_module(mod)\n", installed, clean_env)
    assert res.returncode == 0, res.stderr
    assert str(root) not in res.stdout, "imported the source tree instead of the installed package"


def test_presets_found_when_installed(installed, clean_env):
    res = run_installed("from torchrl_lit.presets import load_preset\n"
                        "print(load_preset('dqn.CartPole-v1')['lr'])", installed, clean_env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "0.0023"


def test_local_settings_override(installed, clean_env):
    tmp, _ = installed
    (tmp / "work").mkdir(exist_ok=True)
    (tmp / "work" / "settings.ini").write_text("[dqn.CartPole-v1]\nlr = 0.5\n")
    try:
        res = run_installed("from torchrl_lit.presets import load_preset\n"
                            "print(load_preset('dqn.CartPole-v1')['lr'])", installed, clean_env)
    finally:
        (tmp / "work" / "settings.ini").unlink()
    assert res.stdout.strip() == "0.5", res.stderr


def test_never_imports_peers(installed, clean_env):
    "torchrl_lit is built from scratch: torchrl, tensordict and SB3 are peers, never dependencies."
    res = run_installed("import sys, importlib, torchrl_lit._modidx as m\n"
                        "for mod in m.d['syms']: importlib.import_module(mod)\n"
                        "print(sorted(k for k in sys.modules if k.split('.')[0] in "
                        "('torchrl', 'tensordict', 'stable_baselines3')))", installed, clean_env)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "[]"
