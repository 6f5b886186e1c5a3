"""Replay buffers: torchrl_lit against TorchRL 0.14.1, side by side in one process.

A buffer of capacity 100,000 CartPole-like transitions (observation 4, one-hot action 2, done/terminated/
truncated, nested next with observation, reward, done/terminated/truncated; trailing dim 1), kept full so
every write overwrites old rows. Timed, one thread, warm-up first, median of interleaved repeats:
`extend` of 10,000 transitions and `sample(256)` against TorchRL's
`TensorDictReplayBuffer(storage=LazyTensorStorage)`; a prioritized `sample(256)` plus `update_priority`
of the sampled rows against TorchRL's `PrioritizedSampler` (C++ segment tree); and our
`LazyMemmapStorage` extend against our `LazyTensorStorage` extend.
Run: `.venv-bench/bin/python benchmarks/bench_replay_buffers.py`.
"""
from __future__ import annotations
import statistics, tempfile, time
import torch

from _harness import main, ratio_cells

CAPACITY, EXTEND, BATCH = 100_000, 10_000, 256


def _transitions(TensorDict, n: int, seed: int = 0):
    "`n` CartPole-shaped transitions as a `TensorDict` of the given class (ours or tensordict's)."
    g = torch.Generator().manual_seed(seed)
    flag = lambda: torch.rand(n, 1, generator=g) < 0.05
    action = torch.nn.functional.one_hot(torch.randint(2, (n,), generator=g), 2)
    return TensorDict({"observation": torch.randn(n, 4, generator=g), "action": action,
                       "done": flag(), "terminated": flag(), "truncated": flag(),
                       "next": {"observation": torch.randn(n, 4, generator=g), "reward": torch.ones(n, 1),
                                "done": flag(), "terminated": flag(), "truncated": flag()}}, batch_size=[n])


def _ours(scratch_dir: str) -> dict:
    "Our buffers, filled: name -> (buffer, data of 10,000)."
    from torchrl_lit.data.replay_buffers import (TensorDictReplayBuffer, LazyTensorStorage, LazyMemmapStorage,
                                                 PrioritizedSampler)
    from torchrl_lit.data.tensordict import TensorDict
    data = _transitions(TensorDict, EXTEND)
    bufs = {"uniform": TensorDictReplayBuffer(storage=LazyTensorStorage(CAPACITY), batch_size=BATCH),
            "prioritized": TensorDictReplayBuffer(storage=LazyTensorStorage(CAPACITY), batch_size=BATCH,
                                                  sampler=PrioritizedSampler(CAPACITY, alpha=0.7, beta=0.5)),
            "memmap": TensorDictReplayBuffer(storage=LazyMemmapStorage(CAPACITY, scratch_dir=scratch_dir), batch_size=BATCH)}
    for rb in bufs.values():
        for _ in range(CAPACITY // EXTEND): rb.extend(data)
    return {name: (rb, data) for name, rb in bufs.items()}


def _torchrl() -> dict | None:
    "TorchRL's buffers, filled, or None when torchrl is not installed."
    try:
        from tensordict import TensorDict
        from torchrl.data import TensorDictReplayBuffer, LazyTensorStorage, PrioritizedSampler
    except ImportError:
        return None
    data = _transitions(TensorDict, EXTEND)
    bufs = {"uniform": TensorDictReplayBuffer(storage=LazyTensorStorage(CAPACITY), batch_size=BATCH),
            "prioritized": TensorDictReplayBuffer(storage=LazyTensorStorage(CAPACITY), batch_size=BATCH,
                                                  sampler=PrioritizedSampler(CAPACITY, alpha=0.7, beta=0.5))}
    for rb in bufs.values():
        for _ in range(CAPACITY // EXTEND): rb.extend(data)
    return {name: (rb, data) for name, rb in bufs.items()}


def _ops(impl: dict) -> dict:
    "Operation name -> (callable, calls per timing)."
    def prioritized(rb=impl["prioritized"][0]):
        s = rb.sample()
        rb.update_priority(s["index"], torch.rand(BATCH) + 0.01)
    ops = {"extend 10k": (lambda rb=impl["uniform"][0], d=impl["uniform"][1]: rb.extend(d), 20),
           "sample 256": (lambda rb=impl["uniform"][0]: rb.sample(), 200),
           "prioritized sample 256 + update": (prioritized, 200)}
    if "memmap" in impl: ops["memmap extend 10k"] = (lambda rb=impl["memmap"][0], d=impl["memmap"][1]: rb.extend(d), 20)
    return ops


def _per_call(fn, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls): fn()
    return (time.perf_counter() - start) / calls


def run(repeats: int = 7) -> dict:
    "Median seconds per call, keyed by (operation, 'ours' | 'torchrl')."
    torch.set_num_threads(1)
    torch.manual_seed(0)
    with tempfile.TemporaryDirectory() as tmp:
        sides = {"ours": _ops(_ours(tmp))}
        if (peer := _torchrl()) is not None: sides["torchrl"] = _ops(peer)
        times = {(op, side): [] for side, ops in sides.items() for op in ops}
        for rep in range(repeats + 1):  # rep 0 is the warm-up
            for op in sides["ours"]:
                for side, ops in sides.items():
                    if op not in ops: continue
                    seconds = _per_call(*ops[op])
                    if rep: times[op, side].append(seconds)
    return {key: statistics.median(v) for key, v in times.items()}


def table(medians: dict) -> str:
    "A markdown table of median microseconds per call and the ratios."
    t = {k: v * 1e6 for k, v in medians.items()}
    lines = ["| operation (capacity 100,000) | torchrl_lit µs | TorchRL µs | ours / TorchRL |", "|---|---:|---:|---:|"]
    for op in ("extend 10k", "sample 256", "prioritized sample 256 + update"):
        theirs = t.get((op, "torchrl"))
        lines.append(f"| {op} | " + ratio_cells(t[op, 'ours'], theirs))
    lines.append(f"| `LazyMemmapStorage` extend 10k (vs our `LazyTensorStorage`: {t['extend 10k', 'ours']:.0f} µs) | "
                 f"{t['memmap extend 10k', 'ours']:.0f} | | {t['memmap extend 10k', 'ours'] / t['extend 10k', 'ours']:.2f}x of ours |")
    return "\n".join(lines)


if __name__ == "__main__":
    main(__doc__, lambda repeats: table(run(repeats)))
