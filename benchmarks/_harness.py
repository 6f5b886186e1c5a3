"""The command line and table cells the micro-benchmarks share (`make bench` runs `benchmarks/bench_*.py`)."""
from __future__ import annotations

import argparse, statistics, time
from typing import Callable

import torch


def peer() -> str:
    "TorchRL's version, imported before the benchmark loads torchrl_lit; or why the TorchRL column stays empty."
    try:
        import torchrl
        return f"torchrl {torchrl.__version__}"
    except ImportError:
        return "torchrl not installed: its column is empty"


def ratio_cells(ours: float, theirs: float | None) -> str:
    "The table cells `ours | theirs | ours/theirs` in microseconds; `n/a` where TorchRL did not run."
    return f"{ours:.0f} | " + (f"{theirs:.0f} | {ours / theirs:.2f}x |" if theirs else "n/a | n/a |")


def interleaved_fps(contenders: dict, # name -> make() returning (warm-up, timed run, close) functions
                    frames: int, # frames one timed run collects
                    repeats: int, # timed runs per contender
                   ) -> dict[str, float]:
    """Frames/s of each contender, the median of `repeats` runs, interleaved: every repeat builds each contender afresh,
    warms it up, times it and closes it before the next starts, so idle workers of one never compete with another."""
    times = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, make in list(contenders.items()):
            try: warm, run, close = make()
            except Exception as e:
                print(f"skipping {name}: {type(e).__name__}: {e}"); contenders.pop(name); times.pop(name); continue
            try:
                warm()
                start = time.perf_counter()
                run()
                times[name].append(time.perf_counter() - start)
            finally: close()
    return {name: frames / statistics.median(ts) for name, ts in times.items()}


def main(doc: str, measure: Callable[[int], str]):
    "Parse `--repeats`, then print the setting and the markdown table that `measure(repeats)` returns."
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (>= 5) after one warm-up")
    args = parser.parse_args()
    versions = f"torch {torch.__version__}, {peer()}"
    print(f"{versions}, 1 thread, median of {args.repeats} interleaved repeats")
    print(measure(args.repeats))
