"""TensorDict speed, side by side with the `tensordict` package (the peer), in one process.

Run: `python benchmarks/bench_tensordict.py` inside `.venv-bench` (where `tensordict` is installed).
One thread, warm-up first, then the median of interleaved repeats; prints times and ours/theirs.
"""
from __future__ import annotations
import statistics, tempfile, time
from pathlib import Path
from typing import Callable
import torch
from torchrl_lit.data.tensordict import TensorDict

REPEATS, BATCH = 7, 10_000
_SAVES = tempfile.TemporaryDirectory()  # memmap rows overwrite one directory per library (removed at exit)


def _time(fn: Callable, number: int) -> float:
    "Seconds per call of `fn`, averaged over `number` calls."
    start = time.perf_counter()
    for _ in range(number): fn()
    return (time.perf_counter() - start) / number


def cases(td_cls) -> dict[str, tuple[Callable, int]]:
    "The benchmarked operations for TensorDict class `td_cls`, each with its number of calls per repeat."
    g = torch.Generator().manual_seed(0)
    leaves = lambda *b: {"observation": torch.randn(*b, 4, generator=g), "action": torch.randn(*b, 2, generator=g),
                         "done": torch.zeros(*b, 1, dtype=torch.bool),
                         "next": {"observation": torch.randn(*b, 4, generator=g), "reward": torch.randn(*b, 1, generator=g)}}
    big = td_cls(leaves(BATCH), batch_size=[BATCH])
    idx = torch.randint(0, BATCH, (256,), generator=g)
    steps = [td_cls(leaves(), batch_size=[]) for _ in range(100)]
    t = torch.zeros(4, 3)
    small = td_cls({"obs": t}, batch_size=[4])
    prefix = Path(_SAVES.name) / td_cls.__module__
    big.memmap(prefix)
    return {
        "set an existing key, batch [4]": (lambda: small.set("obs", t), 20000),
        "index 256 of batch 10k (5 leaves)": (lambda: big[idx], 2000),
        "apply(x * 2), batch 10k": (lambda: big.apply(lambda x: x * 2), 500),
        "torch.stack of 100 steps": (lambda: torch.stack(steps), 200),
        "construct nested, batch [4]": (lambda: td_cls({"obs": t, "next": {"obs": t, "reward": t}}, batch_size=[4]), 5000),
        "memmap(prefix), batch 10k (5 leaves)": (lambda: big.memmap(prefix), 20),
        "load_memmap(prefix), 5 leaves": (lambda: td_cls.load_memmap(prefix), 200),
    }


def main():
    torch.set_num_threads(1)
    try:
        import tensordict
        theirs = cases(tensordict.TensorDict)
        peer = f"tensordict {tensordict.__version__}"
    except ImportError:
        theirs, peer = None, "tensordict (not installed)"
    ours = cases(TensorDict)
    for name, (fn, number) in ours.items():  # warm-up
        _time(fn, number // 10 + 1)
        if theirs: _time(theirs[name][0], number // 10 + 1)
    times = {name: ([], []) for name in ours}
    for _ in range(REPEATS):  # interleaved repeats
        for name, (fn, number) in ours.items():
            times[name][0].append(_time(fn, number))
            if theirs: times[name][1].append(_time(theirs[name][0], number))
    print(f"torch {torch.__version__}, 1 thread, median of {REPEATS} interleaved repeats; peer: {peer}")
    print(f"{'operation':38s} {'ours (us)':>10s} {'theirs (us)':>12s} {'ours/theirs':>12s}")
    for name, (o, t) in times.items():
        mo = statistics.median(o) * 1e6
        if t:
            mt = statistics.median(t) * 1e6
            print(f"{name:38s} {mo:10.1f} {mt:12.1f} {mo / mt:11.2f}x")
        else: print(f"{name:38s} {mo:10.1f} {'-':>12s} {'-':>12s}")


if __name__ == "__main__":
    main()
