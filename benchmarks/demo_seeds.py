"""`torchrl-lit demo` on five seeds: does every seed leave a good agent, and how long does it take?

The demo trains PPO on CartPole-v1 with the `demo.CartPole-v1` preset (50,000 frames), keeps the weights of its best evaluation
(10 deterministic episodes every 5,000 frames), then measures those kept weights on 10 fresh episodes and films
one more. The bar: the kept agent scores >= 475 (greedy, CartPole-v1) in at least 4 of 5 seeds, in about a
minute a seed on two CPU cores. Each seed runs `torchrl_lit.cli.demo` as `make demo` does (without the progress
bar), one after another; the seconds are the wall-clock of the whole command (training, evaluations, the fresh
measurement and the GIF), and the CPU seconds the process used meanwhile: on a machine shared with other jobs the
wall-clock grows with the load while the CPU time hardly does (it is about what an idle machine takes). One torch
thread.

Usage: python benchmarks/demo_seeds.py [--seeds 5] [--first-seed 0] [--frames N]
"""
from __future__ import annotations
import argparse, os, platform, statistics, sys, tempfile, time
from pathlib import Path

import torch

from torchrl_lit.cli import demo

BAR = 475.0


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--frames", type=int, default=None, help="total frames (default: the preset's)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    load_start = os.getloadavg()
    print(f"# torchrl-lit demo (PPO, demo.CartPole-v1 preset{'' if args.frames is None else f', {args.frames} frames'}): "
          f"bar {BAR:g} for the kept-best agent; torch {torch.__version__}; python {platform.python_version()}; one torch thread")
    print(f"{'seed':>4} | {'frames':>7} {'best eval':>9} {'at frames':>9} {'final eval':>10} | {'kept agent, 10 new episodes':>27} | {'seconds':>7} {'CPU s':>6}")
    print("-" * 95)
    rows = []
    with tempfile.TemporaryDirectory() as root:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            start, cpu_start = time.perf_counter(), time.process_time()
            res, kept = demo(args.frames, seed, Path(root) / f"seed{seed}", progress=False)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu_start
            rows.append((seed, res, kept, seconds, cpu))
            fresh = f"{kept['mean']:.1f} ± {kept['std']:.1f}" if kept else "-"
            print(f"{seed:>4} | {res.frames:>7} {res.best_eval_return:>9.1f} {kept['frames'] if kept else '-':>9} "
                  f"{res.final_eval_return:>10.1f} | {fresh:>27} | {seconds:>7.1f} {cpu:>6.1f}", flush=True)
    good = sum(kept is not None and kept["mean"] >= BAR for _, _, kept, _, _ in rows)
    best = sum(res.best_eval_return >= BAR for _, res, _, _, _ in rows)
    final = sum(res.final_eval_return >= BAR for _, res, _, _, _ in rows)
    print()
    print(f"kept agent >= {BAR:g} on 10 new episodes: {good}/{len(rows)} seeds (the demo asks >= 4 of 5); "
          f"best evaluation >= {BAR:g}: {best}/{len(rows)}; final evaluation >= {BAR:g}: {final}/{len(rows)}")
    print(f"seconds a seed: median {statistics.median(s for *_, s, _ in rows):.1f}, max {max(s for *_, s, _ in rows):.1f}; "
          f"CPU seconds: median {statistics.median(c for *_, c in rows):.1f}, max {max(c for *_, c in rows):.1f}")
    print(f"# command: python benchmarks/demo_seeds.py {' '.join(sys.argv[1:])}".rstrip())
    print(f"# load average (1, 5, 15 min) at the start {', '.join(f'{x:.2f}' for x in load_start)}, at the end "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}, on {os.cpu_count()} cores (other jobs share the machine)")


if __name__ == "__main__":
    main()
