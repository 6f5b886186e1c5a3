"""Random-action steps per second on CartPole-v1: raw gymnasium, torchrl_lit's GymEnv, TorchRL's GymEnv.

One process, one thread, warm-up first, then the median of interleaved repeats. Each contender runs N steps with
random actions and no early stop (finished episodes are reset):
- raw gymnasium: `env.step(env.action_space.sample())` in a Python loop, `env.reset()` at the end of an episode;
- ours rollout: `GymEnv("CartPole-v1").rollout(N, break_when_any_done=False)` (random actions: the numpy fast path);
- ours rollout(policy): the same with a policy callable (the generic TensorDict loop every policy gets);
- ours rand_step loop: `env.rand_step(td)` + `step_mdp` per step, with the partial reset of a done env;
- TorchRL rollout: `torchrl.envs.GymEnv("CartPole-v1").rollout(N, break_when_any_done=False)`.
Run: `.venv-bench/bin/python benchmarks/bench_envs.py [--steps 20000 --repeats 5]`.
"""
from __future__ import annotations
import argparse, statistics, time
import gymnasium as gym
import torch
from torchrl_lit.envs.libs.gym import GymEnv
from torchrl_lit.envs.utils import step_mdp


def raw_gym(n: int):
    "A plain gymnasium loop, the floor every wrapper adds to."
    env = gym.make("CartPole-v1")
    env.reset(seed=0)
    sample, step, reset = env.action_space.sample, env.step, env.reset
    def run():
        for _ in range(n):
            _, _, te, tr, _ = step(sample())
            if te or tr: reset()
    return run


def ours_rollout(n: int):
    env = GymEnv("CartPole-v1")
    env.set_seed(0)
    return lambda: env.rollout(n, break_when_any_done=False)


def ours_rollout_policy(n: int):
    env = GymEnv("CartPole-v1")
    env.set_seed(0)
    spec = env.action_spec
    return lambda: env.rollout(n, policy=lambda td: td.set("action", spec.rand()), break_when_any_done=False)


def ours_rand_step(n: int):
    env = GymEnv("CartPole-v1")
    env.set_seed(0)
    def run():
        td = env.reset()
        for _ in range(n):
            td = env.rand_step(td)
            done = td["next", "done"]
            td = step_mdp(td)
            if done.any(): td = env.reset(td.set("_reset", done))
    return run


def torchrl_rollout(n: int):
    from torchrl.envs import GymEnv as TorchRLGymEnv
    env = TorchRLGymEnv("CartPole-v1")
    env.set_seed(0)
    return lambda: env.rollout(n, break_when_any_done=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    n = args.steps
    makers = {"raw gymnasium loop": raw_gym, "torchrl_lit GymEnv.rollout (random actions)": ours_rollout,
              "torchrl_lit GymEnv.rollout(policy)": ours_rollout_policy, "torchrl_lit GymEnv rand_step loop": ours_rand_step,
              "TorchRL GymEnv.rollout": torchrl_rollout}
    runs = {}
    for name, make in makers.items():
        try: runs[name] = make(n)
        except Exception as e: print(f"skipping {name}: {type(e).__name__}: {e}")
    for run in runs.values(): run()  # warm-up
    times = {name: [] for name in runs}
    for _ in range(args.repeats):  # interleaved
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    sps = {name: n / statistics.median(ts) for name, ts in times.items()}
    raw, peer = sps.get("raw gymnasium loop"), sps.get("TorchRL GymEnv.rollout")
    print(f"CartPole-v1, random actions, {n} steps, median of {args.repeats}, torch threads = 1")
    print(f"{'contender':45s} {'steps/s':>10s} {'vs raw gym':>11s} {'vs TorchRL':>11s}")
    for name, v in sps.items():
        print(f"{name:45s} {v:10,.0f} {v / raw if raw else float('nan'):10.2f}x {v / peer if peer else float('nan'):10.2f}x")


if __name__ == "__main__":
    main()
