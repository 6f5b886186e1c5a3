"""Frames per second of data collectors on CartPole-v1 with random actions (the random-policy special case; `bench_policy_collection.py` times a real policy): torchrl_lit vs TorchRL, and memory over a long run.

One process (plus the workers of the multiprocess collectors), one torch thread; each repeat builds a collector, warms
it up with one batch and times the same number of frames on both sides; the median of interleaved repeats is shown
(collectors are shut down before the other side runs, so idle workers never compete for the cores):
- sync, 1 env: `SyncDataCollector(GymEnv("CartPole-v1"), None, frames_per_batch=1000)` vs TorchRL's `Collector` (its
  `SyncDataCollector`) on its `GymEnv("CartPole-v1")`;
- sync, 8 envs: ours on `GymEnv("CartPole-v1", num_envs=8)` (one gymnasium `SyncVectorEnv`), TorchRL on
  `SerialEnv(8, lambda: GymEnv("CartPole-v1"))` (TorchRL's `GymEnv(..., num_envs=8)` starts a `ParallelEnv` of worker
  processes instead, ~650 frames/s here, so the in-process `SerialEnv` is the fair and faster peer);
- multi-sync / multi-async, 2 workers of one env each: ours `MultiSyncDataCollector` / `MultiaSyncDataCollector` vs
  TorchRL's `MultiSyncCollector` / `MultiAsyncCollector` (`--no-multi` skips them);
- memory: resident set size of this process (and of the workers) while our sync and multi-sync collectors gather 1M
  frames each.
Run: `.venv-bench/bin/python benchmarks/bench_collectors.py [--repeats 5]`.
"""
from __future__ import annotations
import argparse
import torch
try:  # the peer before torchrl_lit: imported after dm_control/MuJoCo (which torchrl_lit.envs loads), triton's import segfaults here
    import torchrl.collectors, torchrl.envs
except ImportError:
    pass
from _harness import interleaved_fps
from torchrl_lit.collectors.multiprocess import MultiSyncDataCollector, MultiaSyncDataCollector
from torchrl_lit.collectors.sync import SyncDataCollector
from torchrl_lit.envs.libs.gym import GymEnv


def make_cartpole() -> GymEnv:
    "One CartPole-v1 env of ours (module level: worker processes import it)."
    return GymEnv("CartPole-v1")


def make_cartpole8() -> GymEnv:
    "CartPole-v1 x 8 in one gymnasium vector env."
    return GymEnv("CartPole-v1", num_envs=8)


def make_torchrl_cartpole():
    from torchrl.envs import GymEnv as TorchRLGymEnv
    return TorchRLGymEnv("CartPole-v1")


def _runner(collector, batches: int):
    "Functions that collect one batch (warm-up), collect `batches` batches (timed), and shut the collector down."
    it = iter(collector)
    return (lambda: next(it)), (lambda: [next(it) for _ in range(batches)]), collector.shutdown


def ours_sync(n_envs: int, frames_per_batch: int, batches: int):
    return _runner(SyncDataCollector(make_cartpole8 if n_envs == 8 else make_cartpole, None, frames_per_batch=frames_per_batch), batches)


def torchrl_sync(n_envs: int, frames_per_batch: int, batches: int):
    from torchrl.collectors import Collector
    from torchrl.envs import SerialEnv
    env = SerialEnv(8, make_torchrl_cartpole) if n_envs == 8 else make_torchrl_cartpole()
    return _runner(Collector(env, None, frames_per_batch=frames_per_batch, total_frames=-1), batches)


def ours_multi(sync: bool, frames_per_batch: int, batches: int):
    cls = MultiSyncDataCollector if sync else MultiaSyncDataCollector
    return _runner(cls([make_cartpole] * 2, None, frames_per_batch=frames_per_batch), batches)


def torchrl_multi(sync: bool, frames_per_batch: int, batches: int):
    from torchrl.collectors import MultiAsyncCollector, MultiSyncCollector
    cls = MultiSyncCollector if sync else MultiAsyncCollector
    return _runner(cls([make_torchrl_cartpole] * 2, None, frames_per_batch=frames_per_batch, total_frames=-1), batches)


def compare(title: str, contenders: dict, frames: int, repeats: int):
    """Time each contender (`_harness.interleaved_fps`), print frames/s and the ratio ours/TorchRL.

    Every repeat builds each collector afresh, warms it up with one batch, times it, and shuts it down before the next
    contender starts (interleaved), so idle workers of one library never compete with the other for the 2 cores."""
    fps = interleaved_fps(contenders, frames, repeats)
    ours, peer = fps.get("torchrl_lit"), fps.get("TorchRL")
    ratio = f"{ours / peer:.1f}x" if ours and peer else "n/a"
    print(f"| {title:34s} | {ours or float('nan'):12,.0f} | {peer or float('nan'):10,.0f} | {ratio:>12s} |")


def _rss_mib(pid: int | str = "self") -> float:
    "Resident set size of a process, in MiB (Linux /proc)."
    return int(open(f"/proc/{pid}/statm").read().split()[1]) * 4096 / 2**20


def memory_flatness(collector, marks: set) -> list[tuple[int, float]]:
    "Resident memory (MiB) of this process and the collector's workers after the batches in `marks` and the last one."
    out, pids = [], [p.pid for p in getattr(collector, "_procs", [])]
    for i, batch in enumerate(collector, 1):
        if i in marks or i == len(collector): out.append((collector.frames, _rss_mib() + sum(_rss_mib(pid) for pid in pids)))
    collector.shutdown()
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--no-multi", action="store_true", help="skip the multiprocess collectors")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"CartPole-v1, random actions, median of {args.repeats} interleaved repeats, torch threads = 1\n")
    print(f"| {'collector':34s} | {'ours fr/s':>12s} | {'TorchRL fr/s':>10s} | {'ours/TorchRL':>12s} |")
    print(f"|{'-' * 36}|{'-' * 14}|{'-' * 12}|{'-' * 14}|")
    compare("random policy: sync, 1 env (10 x 1000)", {"torchrl_lit": lambda: ours_sync(1, 1000, 10), "TorchRL": lambda: torchrl_sync(1, 1000, 10)}, 10_000, args.repeats)
    compare("random policy: sync, 8 envs (10 x 2000)", {"torchrl_lit": lambda: ours_sync(8, 2000, 10), "TorchRL": lambda: torchrl_sync(8, 2000, 10)}, 20_000, args.repeats)
    if not args.no_multi:
        for sync, name in ((True, "random policy: multi-sync, 2 workers"), (False, "random policy: multi-async, 2 workers")):
            fpb, batches = (2000, 10) if sync else (1000, 20)
            compare(name, {"torchrl_lit": lambda: ours_multi(sync, fpb, batches), "TorchRL": lambda: torchrl_multi(sync, fpb, batches)}, 20_000, args.repeats)
    print("\nmemory (MiB, main process + workers) over a 1M-frame collection, random actions:")
    runs = {"sync, 1 env, 1000 frames/batch": lambda: SyncDataCollector(make_cartpole, None, frames_per_batch=1000, total_frames=1_000_000)}
    if not args.no_multi:
        runs["multi-sync, 2 workers, 2000 frames/batch"] = lambda: MultiSyncDataCollector([make_cartpole] * 2, None, frames_per_batch=2000, total_frames=1_000_000)
    for name, make in runs.items():
        print(f"  {name}: " + ", ".join(f"{frames // 1000}k frames {mib:.0f}" for frames, mib in memory_flatness(make(), {10, 100, 250})))


if __name__ == "__main__":
    main()
