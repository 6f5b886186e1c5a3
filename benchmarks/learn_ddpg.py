"""Learning bar for DDPG (issue 9): Pendulum-v1 >= -250 within 20,000 env steps in >= 4 of 5 seeds; the same for
TD3 with --td3. Optionally dm_control cartpole-balance (state) >= 800 within 100,000 env steps (--env cartpole-balance).

Each seed trains the preset (`ddpg.Pendulum-v1`, or `td3.Pendulum-v1` with --td3) with
`torchrl_lit.algorithms.ddpg.train`, evaluating every `eval_interval` frames with the mean return of 10 deterministic
episodes, and reports the frames at the first evaluation at or above the bar, the final evaluation return and the
wall-clock seconds (evaluations included). When stable_baselines3 is importable (it is in .venv-bench) and the env is a
gymnasium one, SB3's DDPG (or TD3) runs with the same settings and the same evaluation right after each of our seeds
(interleaved, so both see the same machine load). One thread, seeds one after another.

Usage: python benchmarks/learn_ddpg.py [--td3] [--env Pendulum-v1 | cartpole-balance] [--seeds 5] [--first-seed 0]
                                       [--frames N] [--set key=value ...] [--no-sb3]
"""
from __future__ import annotations
import argparse, dataclasses, math, os, platform, tempfile, time

import torch
import torch._dynamo  # noqa: F401  loaded before MuJoCo: in .venv-bench (torch 2.14) the other order segfaults in Adam()

from torchrl_lit.algorithms.ddpg import DDPGConfig, train
from torchrl_lit.trainers import read_metrics
from _learning import set_overrides

BARS = {"Pendulum-v1": (-250.0, 20_000), "cartpole-balance": (800.0, 100_000)}


def ours(cfg: DDPGConfig) -> dict:
    "Train one seed with torchrl_lit; the evaluation curve and the wall-clock seconds."
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        result = train(cfg, d, progress=False)
        m = read_metrics(result.metrics)
    curve = [(int(f), r) for f, r in zip(m["frames"], m["eval_return"]) if not math.isnan(r)]
    return {"curve": curve, "seconds": time.perf_counter() - start}


def sb3(cfg: DDPGConfig) -> dict:
    "Train one seed with Stable-Baselines3's DDPG or TD3 on the same settings, evaluated the same way every eval_interval steps."
    import gymnasium as gym
    import numpy as np
    from stable_baselines3 import DDPG, TD3
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.noise import NormalActionNoise, OrnsteinUhlenbeckActionNoise
    from stable_baselines3.common.vec_env import DummyVecEnv

    class Evaluate(BaseCallback):
        def __init__(self):
            super().__init__()
            self.env, self.curve = DummyVecEnv([lambda: Monitor(gym.make(cfg.env_name))]), []
        def _on_step(self) -> bool:
            if self.num_timesteps % cfg.eval_interval == 0:
                self.env.seed(cfg.seed + 10_000 + len(self.curve))  # used by the next reset
                mean, _ = evaluate_policy(self.model, self.env, n_eval_episodes=cfg.eval_episodes, deterministic=True)
                self.curve.append((self.num_timesteps, float(mean)))
            return True

    env = gym.make(cfg.env_name)
    A = env.action_space.shape[0]
    noise = (NormalActionNoise if cfg.noise_type == "normal" else OrnsteinUhlenbeckActionNoise)(np.zeros(A), cfg.noise_std * np.ones(A))
    common = dict(learning_rate=cfg.lr, buffer_size=cfg.buffer_size, learning_starts=cfg.learning_starts, batch_size=cfg.batch_size,
                  tau=cfg.tau, gamma=cfg.gamma, train_freq=cfg.train_freq, gradient_steps=cfg.gradient_steps, action_noise=noise,
                  policy_kwargs={"net_arch": list(cfg.hidden_sizes)}, seed=cfg.seed, device="cpu", verbose=0)
    if cfg.algorithm == "td3":
        model = TD3("MlpPolicy", env, policy_delay=cfg.policy_delay, target_policy_noise=cfg.target_policy_noise,
                    target_noise_clip=cfg.target_noise_clip, **common)
    else:
        if cfg.policy_delay != 1: raise ValueError("SB3's DDPG updates the actor every step: compare with policy_delay=1")
        model = DDPG("MlpPolicy", env, **common)
    start = time.perf_counter()
    callback = Evaluate()
    model.learn(cfg.total_frames, callback=callback)
    return {"curve": callback.curve, "seconds": time.perf_counter() - start}


def summary(run: dict, bar: float) -> tuple[str, str, str]:
    "(frames at the first evaluation >= bar or '-', final evaluation return, seconds) as table cells."
    first = next((f for f, r in run["curve"] if r >= bar), None)
    return (str(first) if first is not None else "-", f"{run['curve'][-1][1]:.1f}" if run["curve"] else "-", f"{run['seconds']:.0f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--td3", action="store_true", help="TD3 (the td3.<env> preset) instead of DDPG")
    p.add_argument("--env", default="Pendulum-v1", choices=list(BARS))
    p.add_argument("--seeds", type=int, default=5, help="number of seeds")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--frames", type=int, default=None, help="override the preset's total_frames")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE",
                   help="more DDPGConfig overrides (Python literals), e.g. hidden_sizes=[256,256]; needed for envs without a preset")
    p.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3 even when it is importable")
    args = p.parse_args()
    torch.set_num_threads(1)
    algorithm = "td3" if args.td3 else "ddpg"
    bar, budget = BARS[args.env]
    overrides = set_overrides(p, args.set, {} if args.frames is None else {"total_frames": args.frames})
    preset = f"{algorithm}.{args.env}"
    try: base = DDPGConfig.from_preset(preset, **overrides)
    except KeyError as e:
        if "No preset named" not in str(e): raise
        preset, base = f"no preset: DDPGConfig defaults, algorithm={algorithm}", DDPGConfig(env_name=args.env, algorithm=algorithm, **overrides)
    try:
        import stable_baselines3
        with_sb3 = not args.no_sb3 and args.env.endswith(("-v0", "-v1", "-v2", "-v3", "-v4", "-v5"))
        sb3_version = stable_baselines3.__version__
    except ImportError: with_sb3, sb3_version = False, None

    print(f"# {algorithm.upper()} learning bar: {args.env}, evaluation return >= {bar:g} within {budget:,} env steps "
          f"({preset}{', overrides ' + str(overrides) if overrides else ''})")
    print(f"# evaluation: mean return of {base.eval_episodes} deterministic episodes every {base.eval_interval} frames; "
          "wall-clock = the whole run, evaluations included; one thread, seeds one after another")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, {os.cpu_count()} cores, torch {torch.__version__}"
          f"{', stable-baselines3 ' + sb3_version if with_sb3 else ', SB3 not run'}; load average at start {os.getloadavg()[0]:.1f}")
    head = f"| seed | frames to {bar:g} | final eval | seconds |"
    print(head + (" SB3 frames to bar | SB3 final eval | SB3 seconds |" if with_sb3 else ""))
    print("|" + "---|" * (7 if with_sb3 else 4))
    reached, sb3_reached, n = 0, 0, 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        cfg = dataclasses.replace(base, seed=seed)
        run = ours(cfg)
        cells = summary(run, bar)
        reached += cells[0] != "-" and int(cells[0]) <= budget
        row = f"| {seed} | {cells[0]} | {cells[1]} | {cells[2]} |"
        if with_sb3:
            other = sb3(cfg)
            cells = summary(other, bar)
            sb3_reached += cells[0] != "-" and int(cells[0]) <= budget
            row += f" {cells[0]} | {cells[1]} | {cells[2]} |"
        n += 1
        print(row, flush=True)
        print("#   our evaluation curve (frames: return): " + ", ".join(f"{f}: {r:.0f}" for f, r in run["curve"]), flush=True)
        if with_sb3: print("#   SB3 evaluation curve: " + ", ".join(f"{f}: {r:.0f}" for f, r in other["curve"]), flush=True)
    print(f"# bar reached within {budget:,} steps: ours {reached}/{n}" + (f", SB3 {sb3_reached}/{n}" if with_sb3 else "")
          + f"; load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
