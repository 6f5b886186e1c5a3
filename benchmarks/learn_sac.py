"""Learning bar for SAC (issue 9): Pendulum-v1 >= -200 within 20,000 env steps in >= 4 of 5 seeds;
dm_control cartpole-balance (state) >= 800 within 100,000 env steps.

Each seed trains the preset (`sac.Pendulum-v1` or `sac.cartpole-balance`) with `torchrl_lit.algorithms.sac.train`,
evaluating every `eval_interval` frames with the mean return of 10 deterministic episodes, and reports the frames at
the first evaluation at or above the bar, the final evaluation return and the wall-clock seconds (evaluations
included). The trained policy is then scored once more on a fixed set of start states (the env reset with seeds
0, 1, ..., K-1; K = 100 for Pendulum, 20 for cartpole-balance), the same for every seed and both libraries: the
periodic evaluations use different start states each time, so their last value also measures how hard its start
states were. When stable_baselines3 is importable (it is in .venv-bench) and the env is a gymnasium one, SB3's SAC
runs with the same settings and the same evaluations right after each of our seeds (interleaved, so both see the
same machine load). One thread, seeds one after another.

Usage: python benchmarks/learn_sac.py [--env Pendulum-v1 | cartpole-balance] [--seeds 5] [--first-seed 0]
                                      [--frames N] [--no-sb3]
"""
from __future__ import annotations
import argparse, math, os, platform, tempfile, time

import torch
try: import triton  # noqa: F401  a CUDA build of torch imports triton at the first optimiser step, and importing it after
except ImportError: pass  # MuJoCo (dm_control) is loaded segfaults (seen with torch 2.14.1+cu130 in .venv-bench): load it first

from torchrl_lit.algorithms.sac import SACConfig, train, make_sac_trainer
from torchrl_lit.trainers import make_env
from torchrl_lit.trainers import read_metrics, run_episodes

# env: (preset, bar, env-step budget of the bar, K fixed start states of the final score)
BARS = {"Pendulum-v1": ("sac.Pendulum-v1", -200.0, 20_000, 100), "cartpole-balance": ("sac.cartpole-balance", 800.0, 100_000, 20)}


def ours(cfg: SACConfig, starts: int) -> dict:
    "Train one seed with torchrl_lit; the evaluation curve, the wall-clock seconds and the final score on `starts` fixed start states."
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as d:
        result = train(cfg, d, progress=False)
        seconds = time.perf_counter() - start
        m = read_metrics(result.metrics)
        actor = make_sac_trainer(cfg, d, progress=False).load(result.checkpoint).loss_module.actor_network  # the trained policy
    env, returns = make_env(cfg.env_name), []
    for seed in range(starts):
        env.set_seed(seed)
        returns += run_episodes(env, actor, 1, cfg.eval_max_steps).tolist()
    curve = [(int(f), r) for f, r in zip(m["frames"], m["eval_return"]) if not math.isnan(r)]
    return {"curve": curve, "seconds": seconds, "fixed": sum(returns) / starts}


def sb3(cfg: SACConfig, starts: int) -> dict:
    "Train one seed with Stable-Baselines3's SAC on the same settings, evaluated the same way every eval_interval steps."
    import gymnasium as gym
    from stable_baselines3 import SAC
    from stable_baselines3.common.callbacks import BaseCallback
    from stable_baselines3.common.evaluation import evaluate_policy
    from stable_baselines3.common.monitor import Monitor
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

    lr = cfg.lr if cfg.actor_lr is None and cfg.critic_lr is None else None
    if lr is None: raise ValueError("SB3's SAC has one learning rate: compare on a preset that sets lr only")
    start = time.perf_counter()
    model = SAC("MlpPolicy", gym.make(cfg.env_name), learning_rate=lr, buffer_size=cfg.buffer_size, learning_starts=cfg.learning_starts,
                batch_size=cfg.batch_size, tau=cfg.tau, gamma=cfg.gamma, train_freq=cfg.train_freq, gradient_steps=cfg.gradient_steps,
                ent_coef=f"auto_{cfg.alpha_init}", target_entropy=cfg.target_entropy, policy_kwargs={"net_arch": list(cfg.hidden_sizes)},
                seed=cfg.seed, device="cpu", verbose=0)
    callback = Evaluate()
    model.learn(cfg.total_frames, callback=callback)
    seconds, env, returns = time.perf_counter() - start, gym.make(cfg.env_name), []
    for seed in range(starts):
        (obs, _), done, total = env.reset(seed=seed), False, 0.
        while not done:
            obs, reward, terminated, truncated, _ = env.step(model.predict(obs, deterministic=True)[0])
            total, done = total + float(reward), terminated or truncated
        returns.append(total)
    return {"curve": callback.curve, "seconds": seconds, "fixed": sum(returns) / starts}


def summary(run: dict, bar: float) -> tuple[str, str, str, str]:
    "(frames at the first evaluation >= bar or '-', final evaluation return, score on the fixed start states, seconds) as table cells."
    first = next((f for f, r in run["curve"] if r >= bar), None)
    return (str(first) if first is not None else "-", f"{run['curve'][-1][1]:.1f}" if run["curve"] else "-", f"{run['fixed']:.1f}",
            f"{run['seconds']:.0f}")


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--env", default="Pendulum-v1", choices=list(BARS))
    p.add_argument("--seeds", type=int, default=5, help="number of seeds")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--frames", type=int, default=None, help="override the preset's total_frames")
    p.add_argument("--no-sb3", action="store_true", help="skip Stable-Baselines3 even when it is importable")
    args = p.parse_args()
    torch.set_num_threads(1)
    preset, bar, budget, starts = BARS[args.env]
    overrides = {} if args.frames is None else {"total_frames": args.frames}
    try:
        import stable_baselines3
        with_sb3 = not args.no_sb3 and args.env.endswith(("-v0", "-v1", "-v2", "-v3", "-v4", "-v5"))
        sb3_version = stable_baselines3.__version__
    except ImportError: with_sb3, sb3_version = False, None

    print(f"# SAC learning bar: {args.env}, evaluation return >= {bar:g} within {budget:,} env steps "
          f"(preset {preset}{', ' + str(overrides) if overrides else ''})")
    print(f"# evaluation: mean return of 10 deterministic episodes every {SACConfig.from_preset(preset).eval_interval} frames; "
          f"fixed starts = mean return of the final policy from the start states of seeds 0..{starts - 1}; "
          "seconds = the training run, periodic evaluations included; one thread, seeds one after another")
    print(f"# {time.strftime('%Y-%m-%d %H:%M')}, {platform.node()}, {os.cpu_count()} cores, torch {torch.__version__}"
          f"{', stable-baselines3 ' + sb3_version if with_sb3 else ', SB3 not run'}; load average at start {os.getloadavg()[0]:.1f}")
    head = f"| seed | frames to {bar:g} | final eval | fixed starts | seconds |"
    print(head + (" SB3 frames to bar | SB3 final eval | SB3 fixed starts | SB3 seconds |" if with_sb3 else ""))
    print("|" + "---|" * (9 if with_sb3 else 5))
    reached, sb3_reached, n = 0, 0, 0
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        cfg = SACConfig.from_preset(preset, seed=seed, **overrides)
        run = ours(cfg, starts)
        cells = summary(run, bar)
        reached += cells[0] != "-" and int(cells[0]) <= budget
        row = "| " + " | ".join((str(seed),) + cells) + " |"
        if with_sb3:
            other_run = sb3(cfg, starts)
            other = summary(other_run, bar)
            sb3_reached += other[0] != "-" and int(other[0]) <= budget
            row += " " + " | ".join(other) + " |"
        n += 1
        print(row, flush=True)
        print("#   our evaluations (frames: return): " + ", ".join(f"{f}: {r:.0f}" for f, r in run["curve"]), flush=True)
        if with_sb3: print("#   SB3 evaluations (frames: return): " + ", ".join(f"{f}: {r:.0f}" for f, r in other_run["curve"]), flush=True)
    print(f"# bar reached within {budget:,} steps: ours {reached}/{n}" + (f", SB3 {sb3_reached}/{n}" if with_sb3 else "")
          + f"; load average at end {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
