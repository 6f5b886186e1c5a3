"""DQN on CartPole-v1 against issue 9's learning bar, with Stable-Baselines3's DQN beside it.

The bar: a mean return >= 475 over 10 deterministic evaluation episodes within 50,000 environment
steps, in at least 4 of 5 seeds. Each seed trains the `dqn.CartPole-v1` preset (the SB3 zoo's tuned
settings) with `make_dqn_trainer` (what `torchrl_lit.algorithms.dqn.train` runs); when `stable_baselines3` is importable (it is in
`.venv-bench`, not in `.venv`), SB3's DQN trains with the same settings, evaluated on the same
schedule (10 deterministic episodes in a vector env of 10 CartPoles every `eval_interval` steps and at
the end), in the same process, seeds alternating between the two so both see the same machine load.
Wall-clock seconds include the evaluations on both sides (their share is printed, and the ratio
without them). One torch thread. The machine's load moves both sides' times: compare them within a row.
A second table splits each side's seconds into collection (env steps and the policy), optimisation
(sampling, loss, backward, optimiser, target updates) and evaluation, timed around the phase's entry
point on each side (`SyncDataCollector.next` / `Trainer._train_batch` here, `collect_rollouts` / `train`
in SB3); the footer gives the command and the machine's load average at the start and the end.

Usage: python benchmarks/learn_dqn.py [--seeds 5] [--first-seed 0] [--preset dqn.CartPole-v1] [--no-sb3]
"""
from __future__ import annotations
import argparse, os, statistics, sys, tempfile, time
from pathlib import Path

import torch

from torchrl_lit.algorithms.dqn import DQNConfig, make_dqn_trainer
from torchrl_lit.trainers import read_metrics

BAR = 475.0


def first_reaching(evals: list[tuple[int, float]], bar: float = BAR) -> int | None:
    "The frames of the first evaluation at or above `bar`, or None."
    return next((frames for frames, value in evals if value >= bar), None)


def timed(obj, name: str, into: dict, key: str):
    "Wrap the bound method `obj.name` so that the seconds it takes add up in `into[key]` (a benchmark-only stopwatch)."
    method = getattr(obj, name)
    def wrapper(*args, **kwargs):
        start = time.perf_counter()
        try: return method(*args, **kwargs)
        finally: into[key] += time.perf_counter() - start
    setattr(obj, name, wrapper)


def run_ours(cfg: DQNConfig, root: Path) -> dict:
    "`train`'s steps, keeping the trainer to read the time its evaluator took."
    trainer = make_dqn_trainer(cfg, root / f"ours-seed{cfg.seed}", progress=False)
    split = {"collect": 0., "optim+eval": 0.}
    timed(trainer.collector, "next", split, "collect")
    timed(trainer, "_train_batch", split, "optim+eval")  # the evaluator runs inside it (a post_steps_log hook)
    trainer.train()
    m = read_metrics(root / f"ours-seed{cfg.seed}" / "metrics.csv")
    evals = [(int(f), v) for f, v in zip(m["frames"], m["eval_return"]) if v == v]
    eval_seconds = trainer._modules["Evaluator"].seconds
    return {"evals": evals, "final": evals[-1][1], "seconds": trainer.seconds, "eval_seconds": eval_seconds,
            "collect_seconds": split["collect"], "optim_seconds": split["optim+eval"] - eval_seconds}


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

    split = {"collect+eval": 0., "optim": 0.}
    timed(model, "collect_rollouts", split, "collect+eval")  # the callback (our evaluations) runs inside it
    timed(model, "train", split, "optim")
    start = time.perf_counter()
    model.learn(total_timesteps=cfg.total_frames, callback=Every())
    if not evals or evals[-1][0] < model.num_timesteps: evals.append((model.num_timesteps, evaluate(len(evals))))
    return {"evals": evals, "final": evals[-1][1], "seconds": time.perf_counter() - start, "eval_seconds": eval_seconds[0],
            "collect_seconds": split["collect+eval"] - eval_seconds[0], "optim_seconds": split["optim"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--preset", default="dqn.CartPole-v1")
    ap.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3 even if it is installed")
    args = ap.parse_args(argv)
    load_start = os.getloadavg()
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
    phases = [("collect", "collect_seconds"), ("optimise", "optim_seconds"), ("evaluate", "eval_seconds")]
    print("\nwhere the seconds go (medians over the seeds" + (", ours / SB3 and their ratio" if sb3 else "") + "):")
    for name, key in phases:
        mine = statistics.median(o[key] for o, _ in rows)
        line = f"  {name:>9}: ours {mine:7.1f} s"
        if sb3:
            line += (f" | SB3 {statistics.median(t[key] for _, t in rows):7.1f} s | ratio "
                     f"{statistics.median(o[key] / t[key] for o, t in rows if t[key] > 0):.2f}")
        print(line)
    load_end = os.getloadavg()
    print(f"\n# command: python benchmarks/{Path(__file__).name} {' '.join(sys.argv[1:] if argv is None else argv)}".rstrip())
    print(f"# load average (1, 5, 15 min) at the start {', '.join(f'{x:.2f}' for x in load_start)}, at the end "
          f"{', '.join(f'{x:.2f}' for x in load_end)}, on {os.cpu_count()} cores (other jobs share the machine; both sides see the same load)")


if __name__ == "__main__":
    main()
