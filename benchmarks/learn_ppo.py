"""PPO against issue 9's learning bars, with Stable-Baselines3's PPO beside it.

The bars: CartPole-v1, a mean return >= 475 over 10 deterministic evaluation episodes within 100,000
environment steps in at least 4 of 5 seeds, and a wall-clock no slower than SB3's; on a continuous task
(Pendulum-v1 or dm_control cartpole-balance) a curve that clearly learns, with the return it reaches.
Each seed trains the preset `ppo.<env>` with `torchrl_lit.algorithms.ppo.train`. When `stable_baselines3`
is importable (it is in `.venv-bench`, not in `.venv`), SB3's PPO trains with the same settings (the
presets come from the SB3 zoo and CleanRL; on Pendulum-v1 SB3 also gets the zoo's gSDE exploration,
which torchrl_lit does not have; on dm_control, SB3's `VecNormalize` for the normalisations and a small
gymnasium wrapper around the task), evaluated on the same schedule (10 deterministic episodes in a
vector env of 10 copies every `eval_interval` frames and at the end), in the same process, seeds
alternating between the two so both see the same machine load. Wall-clock seconds are given with the
evaluations and without them (the time spent evaluating is measured on both sides and subtracted). One
torch thread.

Usage: python benchmarks/learn_ppo.py [--env CartPole-v1 | Pendulum-v1 | cartpole-balance] [--seeds 5]
                                      [--first-seed 0] [--frames N] [--eval-interval N] [--no-sb3] [--set KEY=VALUE ...]
"""
from __future__ import annotations
import argparse, statistics, sys, tempfile, time
from pathlib import Path

import torch
import torch._dynamo  # noqa: F401  (before dm_control: in .venv-bench, triton loaded after MuJoCo segfaults; torch.optim imports it lazily)

from torchrl_lit.algorithms.ppo import PPOConfig, train
from _learning import first_reaching, set_overrides, timed_run

BARS = {"CartPole-v1": 475.0, "Pendulum-v1": -200.0, "cartpole-balance": 800.0}  # the continuous ones are reference points


def run_ours(cfg: PPOConfig, root: Path) -> dict:
    "Train one seed with torchrl_lit; its evaluations, final return and seconds (with and without evaluations)."
    return timed_run(train, cfg, root / f"ours-seed{cfg.seed}")[0]


def _linear(value: float):
    "SB3's schedule for a value that decays linearly to 0 (the zoo's `lin_<value>`)."
    return lambda progress_remaining: progress_remaining * value


def _dm_control_gym(env_name: str):
    "A gymnasium env class for the dm_control task `<domain>-<task>` (observations joined into one float32 vector), for SB3."
    import gymnasium as gym
    import numpy as np
    from dm_control import suite

    class DMControl(gym.Env):
        def __init__(self):
            self.env = suite.load(*env_name.split("-", 1))
            a, n = self.env.action_spec(), sum(int(np.prod(v.shape)) for v in self.env.observation_spec().values())
            self.observation_space = gym.spaces.Box(-np.inf, np.inf, (n,), np.float32)
            self.action_space = gym.spaces.Box(a.minimum.astype(np.float32), a.maximum.astype(np.float32), dtype=np.float32)
        def _obs(self, ts): return np.concatenate([np.asarray(v, dtype=np.float32).ravel() for v in ts.observation.values()])
        def reset(self, seed=None, options=None):
            super().reset(seed=seed)
            if seed is not None: self.env.task._random = np.random.RandomState(seed)
            return self._obs(self.env.reset()), {}
        def step(self, action):
            ts = self.env.step(action)
            return self._obs(ts), float(ts.reward or 0.0), False, ts.last(), {}  # dm_control's episodes end by time limit only
    return DMControl


def run_sb3(cfg: PPOConfig) -> dict:
    "SB3's PPO with the preset's settings, evaluated like ours."
    from stable_baselines3 import PPO
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.env_util import make_vec_env
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.vec_env import VecNormalize

    env_id = cfg.env_name if "-v" in cfg.env_name else _dm_control_gym(cfg.env_name)
    extra = dict(use_sde=True, sde_sample_freq=4) if cfg.env_name == "Pendulum-v1" else {}  # the zoo's Pendulum-v1 settings
    env = make_vec_env(env_id, n_envs=cfg.num_envs, seed=cfg.seed)
    if cfg.normalize_observations or cfg.normalize_rewards:
        env = VecNormalize(env, norm_obs=cfg.normalize_observations, norm_reward=cfg.normalize_rewards, gamma=cfg.gamma)
    model = PPO("MlpPolicy", env,
                n_steps=cfg.frames_per_batch // cfg.num_envs, batch_size=cfg.mini_batch_size, n_epochs=cfg.ppo_epochs,
                gamma=cfg.gamma, gae_lambda=cfg.lmbda, ent_coef=cfg.entropy_coef, vf_coef=cfg.critic_coef,
                learning_rate=_linear(cfg.lr) if cfg.anneal_lr else cfg.lr,
                clip_range=_linear(cfg.clip_epsilon) if cfg.anneal_clip_epsilon else cfg.clip_epsilon,
                max_grad_norm=cfg.max_grad_norm, normalize_advantage=cfg.normalize_advantage,
                policy_kwargs=dict(net_arch=list(cfg.hidden_sizes)), seed=cfg.seed, device="cpu", **extra)
    evals, eval_seconds = [], [0.0]

    def evaluate(k: int) -> float:
        start = time.perf_counter()
        env = make_vec_env(env_id, n_envs=cfg.eval_episodes, seed=cfg.seed + 10_000 + k)
        if isinstance(model.get_env(), VecNormalize):  # the training statistics, frozen; the true rewards
            env = VecNormalize(env, training=False, norm_obs=cfg.normalize_observations, norm_reward=False)
            env.obs_rms = model.get_env().obs_rms
        mean, _ = evaluate_policy(model, env, n_eval_episodes=cfg.eval_episodes, deterministic=True)
        env.close()
        eval_seconds[0] += time.perf_counter() - start
        return float(mean)

    class Every(BaseCallback):
        def __init__(self):
            super().__init__()
            self.next = cfg.eval_interval
        def _on_rollout_start(self):  # after the previous batch's update, as ours
            if self.num_timesteps >= self.next:
                while self.next <= self.num_timesteps: self.next += cfg.eval_interval
                evals.append((self.num_timesteps, evaluate(len(evals))))
        def _on_step(self) -> bool: return True

    start = time.perf_counter()
    model.learn(total_timesteps=cfg.total_frames, callback=Every())
    if not evals or evals[-1][0] < model.num_timesteps: evals.append((model.num_timesteps, evaluate(len(evals))))
    seconds = time.perf_counter() - start
    return {"evals": evals, "final": evals[-1][1], "seconds": seconds, "train_seconds": seconds - eval_seconds[0]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--env", default="CartPole-v1", choices=list(BARS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--frames", type=int, default=None, help="total_frames (default: the preset's)")
    ap.add_argument("--eval-interval", type=int, default=None, help="frames between evaluations (default: the config's)")
    ap.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3 even if it is installed")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override a PPOConfig field of the preset (a Python literal, else a string), e.g. --set action_distribution=normal")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    preset, bar = f"ppo.{args.env}", BARS[args.env]
    try:
        import stable_baselines3
        sb3 = None if args.no_sb3 else stable_baselines3.__version__
    except ImportError:
        sb3 = None
    overrides = set_overrides(ap, args.set, {k: v for k, v in (("total_frames", args.frames), ("eval_interval", args.eval_interval)) if v is not None})
    cfg0 = PPOConfig.from_preset(preset, **overrides)
    print(f"# {preset}{' with ' + ', '.join(args.set) if args.set else ''}: {cfg0.total_frames} frames, bar {bar:g}, evaluation every {cfg0.eval_interval} frames; torch {torch.__version__}, "
          f"SB3 {sb3 or 'not run'}; python {sys.version.split()[0]}; one torch thread", flush=True)
    header = f"{'seed':>4} | {'ours: frames to bar':>19} {'final eval':>10} {'s':>6} {'s w/o eval':>10}"
    if sb3: header += f" | {'SB3: frames to bar':>18} {'final eval':>10} {'s':>6} {'s w/o eval':>10} | {'ours/SB3 s':>10} {'w/o eval':>8}"
    print(header); print("-" * len(header), flush=True)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            cfg = PPOConfig.from_preset(preset, seed=seed, **overrides)
            ours = run_ours(cfg, Path(tmp))
            theirs = run_sb3(cfg) if sb3 else None
            rows.append((ours, theirs))
            line = (f"{seed:>4} | {str(first_reaching(ours['evals'], bar) or '-'):>19} {ours['final']:>10.1f} {ours['seconds']:>6.1f}"
                    f" {ours['train_seconds']:>10.1f}")
            if theirs:
                line += (f" | {str(first_reaching(theirs['evals'], bar) or '-'):>18} {theirs['final']:>10.1f} {theirs['seconds']:>6.1f}"
                         f" {theirs['train_seconds']:>10.1f} | {ours['seconds'] / theirs['seconds']:>10.2f}"
                         f" {ours['train_seconds'] / theirs['train_seconds']:>8.2f}")
            print(line, flush=True)
    n = len(rows)
    ok = sum(first_reaching(o["evals"], bar) is not None for o, _ in rows)
    finals = [o["final"] for o, _ in rows]
    print(f"\nours: {ok}/{n} seeds reach {bar:g}; final evaluation return median {statistics.median(finals):.1f} "
          f"(min {min(finals):.1f}, max {max(finals):.1f}); median {statistics.median(o['seconds'] for o, _ in rows):.1f} s a seed")
    if sb3:
        ok3 = sum(first_reaching(t["evals"], bar) is not None for _, t in rows)
        ratio = statistics.median(o["seconds"] / t["seconds"] for o, t in rows)
        ratio_train = statistics.median(o["train_seconds"] / t["train_seconds"] for o, t in rows)
        print(f"SB3:  {ok3}/{n} seeds reach {bar:g}; final evaluation return median {statistics.median(t['final'] for _, t in rows):.1f}; "
              f"median {statistics.median(t['seconds'] for _, t in rows):.1f} s a seed")
        print(f"median time ratio ours/SB3: {ratio:.2f} with evaluations, {ratio_train:.2f} without (issue 9 asks <= 1 on CartPole)")
    print("\nevaluation curves (frames: mean return of 10 deterministic episodes):")
    for seed, (o, t) in enumerate(rows, start=args.first_seed):
        for name, run in (("ours", o), ("SB3", t)):
            if run: print(f"  seed {seed} {name:>4}: " + ", ".join(f"{f}: {v:.0f}" for f, v in run["evals"]))


if __name__ == "__main__":
    main()
