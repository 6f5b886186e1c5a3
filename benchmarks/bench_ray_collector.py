"""Frames per second of collectors on Ray with a real policy: torchrl_lit's RayCollector vs TorchRL 0.14.1's RayCollector,
and our MultiaSyncDataCollector on the same machine.

Setting (both sides alike): CartPole-v1, 2 workers of one env each, asynchronous batches of 1000 frames, and a policy
that is a real network: a `TensorDictModule` over `Linear(4,64)-Tanh-Linear(64,64)-Tanh-Linear(64,2)` writing the
one-hot argmax as the action (ours: torchrl_lit's TensorDictModule; TorchRL's: tensordict.nn.TensorDictModule).
- "collect": 20 batches, no weight updates;
- "collect + update": the learner calls `update_policy_weights_()` after every batch, as an asynchronous learner does.
One local Ray instance (2 CPUs, no dashboard) serves both Ray collectors; each run builds a collector, warms it up with
two batches, times it and shuts it down before the next one starts; every repeat runs both modes and all contenders
(interleaved). Median of the repeats.
Start-up: a fresh process per side measures `ray.init` + building the collector + its first batch.
Run: `.venv-bench/bin/python benchmarks/bench_ray_collector.py [--repeats 5]`.
"""
from __future__ import annotations
import argparse, statistics, subprocess, sys, time
from functools import partial
import torch
from torch import nn
try:  # the peer before torchrl_lit (see bench_collectors.py)
    import torchrl.collectors, torchrl.envs
    from torchrl.collectors.distributed import RayCollector as TorchRLRayCollector
    from tensordict.nn import TensorDictModule as TorchRLModule
except ImportError:
    TorchRLRayCollector = None
import ray
from torchrl_lit.collectors.distributed import RayCollector, init_ray
from torchrl_lit.collectors.multiprocess import MultiaSyncDataCollector
from torchrl_lit.data.tensordict_module import TensorDictModule
from torchrl_lit.envs.libs.gym import GymEnv

FRAMES, BATCHES = 1000, 20


class GreedyMLP(nn.Module):
    "The policy network: a 4-64-64-2 MLP and the one-hot argmax of its output."
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))
    def forward(self, observation): return nn.functional.one_hot(self.net(observation).argmax(-1), 2)


def make_cartpole() -> GymEnv:
    return GymEnv("CartPole-v1")


def make_torchrl_cartpole():
    from torchrl.envs import GymEnv as TorchRLGymEnv
    return TorchRLGymEnv("CartPole-v1")


def ours_ray():
    return RayCollector(make_cartpole, TensorDictModule(GreedyMLP(), ["observation"], ["action"]), frames_per_batch=FRAMES, num_collectors=2)


def ours_multi():
    return MultiaSyncDataCollector([make_cartpole] * 2, TensorDictModule(GreedyMLP(), ["observation"], ["action"]), frames_per_batch=FRAMES,
                                   mp_start_method="fork")  # Linux's default, which importing torchrl turns into spawn


def torchrl_ray():
    policy = TorchRLModule(GreedyMLP(), in_keys=["observation"], out_keys=["action"])
    return TorchRLRayCollector([make_torchrl_cartpole] * 2, policy, frames_per_batch=FRAMES, total_frames=10**9, sync=False,  # -1 never iterates there
                               remote_configs={"num_cpus": 1, "memory": 1024**3})


def run(make, update: bool) -> float:
    "Build, warm up with 2 batches, time BATCHES batches (updating the weights after each if `update`), shut down; seconds."
    collector = make()
    try:
        it = iter(collector)
        for _ in range(2): next(it)
        start = time.perf_counter()
        for _ in range(BATCHES):
            next(it)
            if update: collector.update_policy_weights_()
        return time.perf_counter() - start
    finally:
        collector.shutdown()


STARTUP = """
import sys, time
sys.path.insert(0, "benchmarks")
import cloudpickle, ray.cloudpickle, torch
torch.set_num_threads(1)
import bench_ray_collector as b
cloudpickle.register_pickle_by_value(b); ray.cloudpickle.register_pickle_by_value(b)  # the workers cannot import this file
t0 = time.perf_counter()
c = b.{fn}()
next(iter(c))
print("STARTUP", time.perf_counter() - t0)
c.shutdown()
"""


def startup(fn: str) -> float | None:
    "Seconds from a fresh process (imports done) to the first batch: ray.init, 2 actors, the first batch."
    res = subprocess.run([sys.executable, "-c", STARTUP.format(fn=fn)], capture_output=True, text=True)
    found = [line.split()[1] for line in res.stdout.splitlines() if line.startswith("STARTUP ")]
    if found: return float(found[0])
    print(f"start-up of {fn} failed:\n{res.stderr[-2000:]}")
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    peer = f"torchrl {torchrl.__version__}" if TorchRLRayCollector else "torchrl not installed"
    print(f"torch {torch.__version__}, ray {ray.__version__}, {peer}; CartPole-v1, 2 workers, {FRAMES}-frame async batches, "
          f"MLP policy, 1 thread, median of {args.repeats} interleaved repeats\n")
    init_ray({"log_to_driver": False})  # TorchRL's workers print their collector at every batch
    contenders = {"torchrl_lit RayCollector": ours_ray, "TorchRL RayCollector": torchrl_ray, "torchrl_lit MultiaSyncDataCollector": ours_multi}
    if TorchRLRayCollector is None: contenders.pop("TorchRL RayCollector")
    times = {(update, name): [] for update in (False, True) for name in contenders}
    for _ in range(args.repeats):  # both modes and all contenders in every repeat: they see the same machine load
        for update in (False, True):
            for name, make in contenders.items(): times[update, name].append(run(make, update))
    rows = [("collect + update" if update else "collect", {name: FRAMES * BATCHES / statistics.median(times[update, name]) for name in contenders})
            for update in (False, True)]
    ray.shutdown()
    peer_name = "TorchRL RayCollector"
    print(f"| {'mode':18s} | {'collector':36s} | {'frames/s':>9s} | {'vs TorchRL Ray':>14s} |")
    print(f"|{'-' * 20}|{'-' * 38}|{'-' * 11}|{'-' * 16}|")
    for mode, fps in rows:
        for name, value in fps.items():
            ratio = f"{value / fps[peer_name]:.2f}x" if peer_name in fps else "n/a"
            print(f"| {mode:18s} | {name:36s} | {value:9,.0f} | {ratio:>14s} |")
    print("\nstart-up, fresh process to first batch (ray.init + 2 actors + 1 batch), seconds:")
    for fn, name in (("ours_ray", "torchrl_lit RayCollector"), ("torchrl_ray", "TorchRL RayCollector")):
        if fn == "torchrl_ray" and TorchRLRayCollector is None: continue
        runs = [s for s in (startup(fn) for _ in range(3)) if s is not None]
        if runs: print(f"  {name}: median {statistics.median(runs):.1f} s over {len(runs)} (min {min(runs):.1f}, max {max(runs):.1f})")


if __name__ == "__main__":
    main()
