"""The `torchrl-lit` console script, run as a user runs it."""
import subprocess


def test_help(venv_bin):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "--help"], capture_output=True, text=True)
    assert res.returncode == 0 and all(c in res.stdout for c in ("demo", "train", "presets"))


def test_presets_listing(venv_bin, tmp_path):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "presets"], capture_output=True, text=True, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "dqn.CartPole-v1" in res.stdout.split()


def test_unknown_preset_fails_clearly(venv_bin, tmp_path):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "presets", "dqn.Nope-v0"], capture_output=True,
                         text=True, cwd=tmp_path)
    assert res.returncode != 0 and "No preset named 'dqn.Nope-v0'" in res.stderr


def test_demo_trains_dqn_and_writes_learning_curve(venv_bin, tmp_path, clean_env):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "demo", "--frames", "2048", "--run-dir", "run", "--no-progress"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "run" / "learning_curve.png").stat().st_size > 10_000
    assert (tmp_path / "run" / "metrics.csv").exists() and (tmp_path / "run" / "checkpoint").exists()
    assert res.stdout.startswith("DQN on CartPole-v1: 2048 frames"), res.stdout


def test_train_rejects_unknown_override(venv_bin, tmp_path, clean_env):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", "dqn", "--preset", "CartPole-v1", "--no_such_key=1"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert res.returncode == 2 and "no_such_key" in res.stderr and "valid keys" in res.stderr, res.stderr
