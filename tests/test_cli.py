"""The `torchrl-lit` console script, run as a user runs it."""
import subprocess

import pytest


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


@pytest.mark.parametrize("override,message", [
    ("--total_frames=0", "total_frames must be a positive int (>= 1), received 0"),
    ("--total_frames=-5000", "total_frames must be a positive int (>= 1), received -5000"),
    ("--total_frames=abc", "total_frames must be a positive int (>= 1), received 'abc'"),
    ("--train_freq=0", "train_freq must be a positive int (>= 1), received 0"),
    ("--eval_interval=0", "eval_interval must be a positive int (>= 1), received 0"),
    ("--log_interval=0", "log_interval must be a positive int (>= 1), received 0"),
    ("--eval_episodes=0", "eval_episodes must be a positive int (>= 1), received 0"),
])
def test_train_rejects_bad_values_in_one_line(venv_bin, tmp_path, clean_env, override, message):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", "dqn", "--no-progress", override],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env, timeout=120)
    assert res.returncode == 2 and res.stderr.strip() == f"torchrl-lit: {message}", res.stderr


def test_train_rejects_less_than_one_batch(venv_bin, tmp_path, clean_env):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", "dqn", "--no-progress", "--total_frames=100"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env, timeout=120)
    assert res.returncode == 2, res.stderr
    assert res.stderr.strip() == "torchrl-lit: total_frames=100 is less than one round of train_freq=256 frames, which the run would " \
                                 "collect anyway: pass total_frames >= 256, or a smaller train_freq"
