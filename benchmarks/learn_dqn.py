"""DQN on CartPole-v1 against issue 9's learning bar, with Stable-Baselines3's DQN beside it.

The bar: a mean return >= 475 over 10 deterministic evaluation episodes within 50,000 environment
steps, in at least 4 of 5 seeds. Each seed trains the `dqn.CartPole-v1` preset (the SB3 zoo's tuned
settings) with `make_dqn_trainer` (what `torchrl_lit.algorithms.dqn.train` runs); when `stable_baselines3` is importable (it is in
`.venv-bench`, not in `.venv`), SB3's DQN trains with the same settings, evaluated on the same
schedule (10 deterministic episodes in a vector env of 10 CartPoles every `eval_interval` steps and at
the end), in the same process, seeds alternating between the two so both see the same machine load.
Wall-clock seconds include the evaluations on both sides (their share is printed, and the ratio
without them). One torch thread. The machine's load moves both sides' times: compare them within a row.

Usage: python benchmarks/learn_dqn.py [--seeds 5] [--first-seed 0] [--preset dqn.CartPole-v1] [--no-sb3]
"""
from __future__ import annotations
import argparse, statistics, sys, tempfile, time
from pathlib import Path

import torch

from torchrl_lit.algorithms.dqn import DQNConfig, make_dqn_trainer
from torchrl_lit.trainers import read_metrics

BAR = 475.0


def first_reaching(evals: list[tuple[int, float]], bar: float = BAR) -> int | None:
    "The frames of the first evaluation at or above `bar`, or None."
    return next((frames for frames, value in evals if value >= bar), None)


def run_ours(cfg: DQNConfig, root: Path) -> dict:
    "`train`'s steps, keeping the trainer to read the time its evaluator took."
    trainer = make_dqn_trainer(cfg, root / f"ours-seed{cfg.seed}", progress=False)
    trainer.train()
    m = read_metrics(root / f"ours-seed{cfg.seed}" / "metrics.csv")
    evals = [(int(f), v) for f, v in zip(m["frames"], m["eval_return"]) if v == v]
    return {"evals": evals, "final": evals[-1][1], "seconds": trainer.seconds, "eval_seconds": trainer._modules["Evaluator"].seconds}


def run_sb3(cfg: DQNConfig) -> dict:
    "SB3's DQN with the preset's settings, evaluated like ours."
    import gymnasium as gym
    from stable_baselines3 import DQN
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy

    model = DQN("MlpPolicy", gym.make(cfg.env_name), learning_rate=cfg.lr, batch_size=cfg.batch_size, buffer_size=cfg.buffer_size,
                learning_starts=cfg.learning_starts, gamma=cfg.gamma, target_update_interval=cfg.target_update_interval,
                train_freq=cfg.train_freq, gradient_steps=cfg.gradient_steps, exploration_fraction=cfg.exploration_fraction,
                exploration_initial_eps=cfg.eps_init, exploration_final_eps=cfg.eps_end, tau=cfg.tau,
                max_grad_norm=cfg.max_grad_norm, policy_kwargs=dict(net_arch=list(cfg.hidden_sizes)), seed=cfg.seed, device="cpu")
    evals, eval_seconds = [], [0.]

    def evaluate(k: int) -> float:
        start = time.perf_counter()
        env = make_vec_env(cfg.env_name, n_envs=cfg.eval_episodes, seed=cfg.seed + 10_000 + k)
        mean, _ = evaluate_policy(model, env, n_eval_episodes=cfg.eval_episodes, deterministic=True)
        env.close()
        eval_seconds[0] += time.perf_counter() - start
        return float(mean)

    class Every(BaseCallback):
        def __init__(self):
            super().__init__()
            self.next = cfg.eval_interval
        def _on_step(self) -> bool:
            if self.num_timesteps >= self.next:
                self.next += cfg.eval_interval
                evals.append((self.num_timesteps, evaluate(len(evals))))
            return True

    start = time.perf_counter()
    model.learn(total_timesteps=cfg.total_frames, callback=Every())
    if not evals or evals[-1][0] < model.num_timesteps: evals.append((model.num_timesteps, evaluate(len(evals))))
    return {"evals": evals, "final": evals[-1][1], "seconds": time.perf_counter() - start, "eval_seconds": eval_seconds[0]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--preset", default="dqn.CartPole-v1")
    ap.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3 even if it is installed")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    try:
        import stable_baselines3
        sb3 = None if args.no_sb3 else stable_baselines3.__version__
    except ImportError:
        sb3 = None
    print(f"# {args.preset}: bar {BAR:g} within the preset's frames; torch {torch.__version__}, "
          f"SB3 {sb3 or 'not run'}; python {sys.version.split()[0]}; one torch thread", flush=True)
    cols = lambda who: f"{who + ': frames to 475':>19} {'final eval':>10} {'seconds':>8} {'(eval s)':>8}"
    header = f"{'seed':>4} | {cols('ours')}" + (f" | {cols('SB3')} | {'ours/SB3 time':>13} {'w/o eval':>8}" if sb3 else "")
    print(header); print("-" * len(header), flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            cfg = DQNConfig.from_preset(args.preset, seed=seed)
            ours = run_ours(cfg, Path(tmp))
            theirs = run_sb3(cfg) if sb3 else None
            rows.append((ours, theirs))
            cells = lambda r: f"{str(first_reaching(r['evals']) or '-'):>19} {r['final']:>10.1f} {r['seconds']:>8.1f} {r['eval_seconds']:>8.1f}"
            line = f"{seed:>4} | {cells(ours)}"
            if theirs:
                line += (f" | {cells(theirs)} | {ours['seconds'] / theirs['seconds']:>13.2f}"
                         f" {(ours['seconds'] - ours['eval_seconds']) / (theirs['seconds'] - theirs['eval_seconds']):>8.2f}")
            print(line, flush=True)
    n = len(rows)
    ok = sum(first_reaching(o["evals"]) is not None for o, _ in rows)
    print(f"\nours: {ok}/{n} seeds reach {BAR:g} (issue 9 asks >= 4 of 5); median {statistics.median(o['seconds'] for o, _ in rows):.1f} s a seed")
    if sb3:
        ok3 = sum(first_reaching(t["evals"]) is not None for _, t in rows)
        ratio = statistics.median(o["seconds"] / t["seconds"] for o, t in rows)
        train_only = statistics.median((o["seconds"] - o["eval_seconds"]) / (t["seconds"] - t["eval_seconds"]) for o, t in rows)
        print(f"SB3:  {ok3}/{n} seeds reach {BAR:g}; median {statistics.median(t['seconds'] for _, t in rows):.1f} s a seed; "
              f"median time ratio ours/SB3 {ratio:.2f} (issue 9 asks <= 1), without the evaluations {train_only:.2f}")


if __name__ == "__main__":
    main()
