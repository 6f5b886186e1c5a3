"""The `torchrl-lit` console script, run as a user runs it."""
import csv, re, shutil, subprocess, sys

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


def test_demo_trains_ppo_keeps_the_best_and_films_it(venv_bin, tmp_path, clean_env):
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "demo", "--frames", "2048", "--run-dir", "run", "--no-progress"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env)
    assert res.returncode == 0, res.stderr
    run = tmp_path / "run"
    assert (run / "learning_curve.png").stat().st_size > 10_000 and (run / "agent.gif").stat().st_size > 1_000
    assert (run / "metrics.csv").exists() and (run / "checkpoint" / "trainer.pt").exists() and (run / "best" / "model.pt").exists()
    assert res.stdout.startswith("PPO on CartPole-v1: 2048 frames"), res.stdout
    for where in ("learning_curve.png", "agent.gif", "best", "checkpoint"): assert f"run/{where}" in res.stdout, res.stdout


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


TINY = ["--no-progress", "--total_frames=2048", "--gradient_steps=8", "--learning_starts=512", "--eval_interval=512",
        "--log_interval=512", "--checkpoint_interval=1024"]  # a DQN run of a few seconds: a row every 512 frames, checkpoints at 1,024 and 2,048

# Runs the CLI's `main` in a process of its own, stopped by Ctrl-C (a KeyboardInterrupt) after 1,536 frames, that is
# after the checkpoint at 1,024 and before the next one: the stopped run's metrics.csv holds a row the resume must drop.
STOP_AFTER_1536 = """
import sys
from torchrl_lit.trainers import Checkpointer
from torchrl_lit.cli import main
save = Checkpointer.maybe_save
def maybe_save(self):
    save(self)
    if self.trainer.frames >= 1536: raise KeyboardInterrupt
Checkpointer.maybe_save = maybe_save
main(sys.argv[1:])
"""


def _rows(run_dir):
    "metrics.csv without its wall-clock column."
    with open(run_dir / "metrics.csv", newline="") as f:
        return [{k: v for k, v in row.items() if k != "seconds"} for row in csv.DictReader(f)]


def _score(stdout):
    "The (final, best) evaluation returns of a train summary."
    return re.search(r"evaluation return: final (-?[\d.]+), best (-?[\d.]+)", stdout).groups()


@pytest.fixture(scope="module")
def straight_run(venv_bin, tmp_path_factory):
    "A tiny DQN run trained straight through with the CLI, and its summary line."
    root = tmp_path_factory.mktemp("cli-runs")
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", "dqn", *TINY, "--run-dir", "straight"],
                         capture_output=True, text=True, cwd=root, timeout=300)
    assert res.returncode == 0, res.stderr
    return root / "straight", res.stdout


def test_train_resume_continues_exactly(venv_bin, straight_run, tmp_path, clean_env):
    straight, summary = straight_run
    stopped = subprocess.run([sys.executable, "-c", STOP_AFTER_1536, "train", "dqn", *TINY, "--run-dir", "stopped"],
                             capture_output=True, text=True, cwd=tmp_path, env=clean_env, timeout=300)
    assert stopped.returncode != 0 and "KeyboardInterrupt" in stopped.stderr, stopped.stderr
    assert len(_rows(tmp_path / "stopped")) == 3  # rows at 512, 1,024 and 1,536 frames; the checkpoint holds the first two
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", "dqn", "--resume", "stopped", "--no-progress"],
                         capture_output=True, text=True, cwd=tmp_path, env=clean_env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert _rows(tmp_path / "stopped") == _rows(straight)  # the same rows, the same numbers
    assert _score(res.stdout) == _score(summary), (res.stdout, summary)
    assert res.stdout.startswith("dqn: 2048 frames"), res.stdout


def test_resume_refuses_overrides_and_other_algorithms(venv_bin, straight_run, clean_env):
    straight, _ = straight_run
    for argv, message in [(["dqn", "--resume", str(straight), "--seed=1"], "drop --preset, --run-dir and the --key=value overrides"),
                          (["ppo", "--resume", str(straight)], "is a dqn run: resume it with torchrl-lit train dqn --resume")]:
        res = subprocess.run([str(venv_bin / "torchrl-lit"), "train", *argv], capture_output=True, text=True, env=clean_env, timeout=120)
        assert res.returncode == 2 and message in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr


@pytest.mark.parametrize("best", [False, True])
def test_eval_reports_mean_and_spread_and_records_a_gif(venv_bin, straight_run, tmp_path, clean_env, best):
    straight, _ = straight_run
    res = subprocess.run([str(venv_bin / "torchrl-lit"), "eval", str(straight), "--episodes", "4", "--gif", "agent.gif",
                          *(["--best"] if best else [])], capture_output=True, text=True, cwd=tmp_path, env=clean_env, timeout=300)
    assert res.returncode == 0, res.stderr
    assert ("best weights" if best else "final checkpoint (2048 frames)") in res.stdout, res.stdout
    assert " ± " in res.stdout and "over 4 episodes" in res.stdout and "GIF: agent.gif" in res.stdout, res.stdout
    assert (tmp_path / "agent.gif").stat().st_size > 1_000


def test_eval_bad_input_is_one_line_and_exit_code_2(venv_bin, straight_run, tmp_path, clean_env):
    straight, _ = straight_run
    shutil.copytree(straight, tmp_path / "no-best", ignore=shutil.ignore_patterns("best"))
    for argv, message in [(["eval", str(tmp_path / "nowhere")], "no run folder"),
                          (["eval", str(tmp_path / "no-best"), "--best"], "has no best checkpoint"),
                          (["eval", str(tmp_path)], "is not a run folder"),
                          (["train", "dqn", "--resume", str(tmp_path / "nowhere")], "no run folder")]:
        res = subprocess.run([str(venv_bin / "torchrl-lit"), *argv], capture_output=True, text=True, env=clean_env, timeout=120)
        assert res.returncode == 2, (argv, res.stderr)
        assert res.stderr.startswith("torchrl-lit: ") and message in res.stderr and len(res.stderr.strip().splitlines()) == 1, res.stderr
