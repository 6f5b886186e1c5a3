"""Random-action frames per second on CartPole-v1 with 2 sub-envs: torchrl_lit's ParallelEnv and SerialEnv vs TorchRL's ParallelEnv.

Every contender runs `env.rollout(T, break_when_any_done=False)` (finished episodes are reset) and is timed as frames
(T x 2 sub-env steps) per second; one torch thread in the parent (workers set their own), warm-up first, then the
median of interleaved repeats. The contenders:
- ours ParallelEnv(2).rollout: random actions, the path `rollout` takes without a policy (each worker runs its env's own
  random rollout into the shared trajectory buffer: one command per rollout);
- ours ParallelEnv(2).rollout(policy): a policy callable in the parent, so one synchronised shared-memory step per time step
  (the path every learned policy gets);
- ours SerialEnv(2), both ways, for reference (one process);
- TorchRL: `torchrl.envs.ParallelEnv(2, lambda: GymEnv("CartPole-v1")).rollout(T, break_when_any_done=False)`.
Run: `.venv-bench/bin/python benchmarks/bench_batched_envs.py [--steps 2000 --repeats 5]`.
"""
from __future__ import annotations
import argparse, statistics, time, warnings
import torch
try:  # the peer first: in .venv-bench, triton (which torchrl imports) segfaults when imported after dm_control (which torchrl_lit.envs imports)
    from torchrl.envs import GymEnv as TorchRLGymEnv, ParallelEnv as TorchRLParallelEnv
except ImportError: TorchRLParallelEnv = None
from torchrl_lit.envs.batched import ParallelEnv, SerialEnv
from torchrl_lit.envs.libs.gym import GymEnv

PEER = "TorchRL ParallelEnv(2).rollout"


def cartpole() -> GymEnv:
    return GymEnv("CartPole-v1")


def ours(cls, policy: bool):
    "A torchrl_lit batched env of 2 CartPoles and its rollout call (random actions, or a random policy callable)."
    env = cls(2, cartpole)
    env.set_seed(0)
    spec = env.action_spec
    run_policy = (lambda td: td.set("action", spec.rand())) if policy else None
    return env, lambda n: env.rollout(n, run_policy, break_when_any_done=False)


def torchrl_parallel():
    if TorchRLParallelEnv is None: raise ImportError("torchrl is not installed (run in .venv-bench)")
    with warnings.catch_warnings():  # TorchRL warns that it wraps the lambda in its EnvCreator
        warnings.simplefilter("ignore")
        env = TorchRLParallelEnv(2, lambda: TorchRLGymEnv("CartPole-v1"))
    env.set_seed(0)
    return env, lambda n: env.rollout(n, break_when_any_done=False)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=2000, help="T, time steps per rollout (frames = 2 T)")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    makers = {"ours ParallelEnv(2).rollout": lambda: ours(ParallelEnv, False),
              "ours ParallelEnv(2).rollout(policy)": lambda: ours(ParallelEnv, True),
              "ours SerialEnv(2).rollout": lambda: ours(SerialEnv, False),
              "ours SerialEnv(2).rollout(policy)": lambda: ours(SerialEnv, True),
              PEER: torchrl_parallel}
    envs, runs = [], {}
    try:
        for name, make in makers.items():
            try: env, runs[name] = make()
            except Exception as e: print(f"skipping {name}: {type(e).__name__}: {e}"); continue
            envs.append(env)
        for run in runs.values(): run(min(args.steps, 200))  # warm-up
        times = {name: [] for name in runs}
        for _ in range(args.repeats):  # interleaved
            for name, run in runs.items():
                start = time.perf_counter()
                td = run(args.steps)
                times[name].append(time.perf_counter() - start)
                if td.numel() != 2 * args.steps: raise RuntimeError(f"{name} returned {td.numel()} frames, expected {2 * args.steps}")
    finally:
        for env in envs: env.close()
    fps = {name: 2 * args.steps / statistics.median(ts) for name, ts in times.items()}
    peer = fps.get(PEER)
    print(f"CartPole-v1, 2 sub-envs, random actions, rollout of {args.steps} steps ({2 * args.steps} frames), median of {args.repeats}, torch threads = 1")
    print(f"{'contender':40s} {'frames/s':>10s} {'ms/rollout':>11s} {'vs TorchRL':>11s}")
    for name, v in fps.items():
        print(f"{name:40s} {v:10,.0f} {1e3 * statistics.median(times[name]):11.1f} {v / peer if peer else float('nan'):10.2f}x")


if __name__ == "__main__":
    main()
