"""The `torchrl-lit` console script, run as a user runs it."""
import subprocess


def test_help(venv_bin):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and "demo" in res.stdout and "presets" in res.stdout


def test_presets_listing(venv_bin, tmp_path):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "presets"], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "dqn.CartPole-v1" in res.stdout.split()


def test_unknown_preset_fails_clearly(venv_bin, tmp_path):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "presets", "dqn.Nope-v0"], capture_output=True,
                         text=True, cwd=tmp_path)
    assert res.returncode != 0 and "No preset named 'dqn.Nope-v0'" in res.stderr


def test_demo_writes_learning_curve(venv_bin, tmp_path, clean_env):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "demo", "--frames", "2000", "--out", "curve.png"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "curve.png").stat().st_size > 10_000
    assert "mean return" in res.stdout
