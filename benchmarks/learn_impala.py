"""IMPALA against issue 16's learning bar: CartPole-v1 with 2 Ray workers on this 2-core machine.

The bar: a mean return >= 475 over 10 greedy (deterministic) evaluation episodes within 500,000 environment
steps in at least 4 of 5 seeds. Each seed trains the preset `impala.CartPole-v1` with
`torchrl_lit.algorithms.impala.train` (two Ray workers of 4 environments, one learner), one seed after the
other. Per seed it reports the frames of the first evaluation at or above the bar, the final evaluation, the
wall-clock seconds with the evaluations and without them (the time spent evaluating is measured and
subtracted; Ray's start-up is included), and the policy lag (learner version minus the batch's version)
averaged over the run. The table is printed and written to `benchmarks/results/learn_impala.txt`.
One torch thread in the learner; each worker sets its own.

Usage: python benchmarks/learn_impala.py [--seeds 5] [--first-seed 0] [--frames N] [--set KEY=VALUE ...] [--out PATH]
"""
from __future__ import annotations
import argparse, statistics, sys, tempfile
from pathlib import Path

import torch

from torchrl_lit.algorithms.impala import IMPALAConfig, train
from _learning import first_reaching, set_overrides, timed_run

BAR, PRESET = 475.0, "impala.CartPole-v1"


def run(cfg: IMPALAConfig, root: Path) -> dict:
    "Train one seed; its evaluations, final return, seconds (with and without evaluations) and lag histogram."
    out, result = timed_run(train, cfg, root / f"seed{cfg.seed}")
    out["lags"] = torch.load(result.checkpoint / "trainer.pt", weights_only=False)["modules"]["_PolicyLag"]["counts"]
    return out


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--frames", type=int, default=None, help="total_frames (default: the preset's)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="override an IMPALAConfig field of the preset (a Python literal, else a string), e.g. --set lr=5e-4")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "learn_impala.txt"), help="where the table goes ('-': nowhere)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    overrides = set_overrides(ap, args.set, {} if args.frames is None else {"total_frames": args.frames})
    cfg0 = IMPALAConfig.from_preset(PRESET, **overrides)
    lines = []
    def out(line=""):
        print(line, flush=True)
        lines.append(line)
    out(f"# {PRESET}{' with ' + ', '.join(args.set) if args.set else ''}: {cfg0.num_workers} Ray workers x {cfg0.envs_per_worker} envs x "
        f"{cfg0.unroll_length} steps, {cfg0.total_frames} frames, bar {BAR:g}, evaluation every {cfg0.eval_interval} frames; "
        f"torch {torch.__version__}, python {sys.version.split()[0]}, {__import__('os').cpu_count()} CPUs")
    header = f"{'seed':>4} | {'frames to 475':>13} {'final eval':>10} {'s':>6} {'s w/o eval':>10} {'mean lag':>8}"
    out(header); out("-" * len(header))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            r = run(IMPALAConfig.from_preset(PRESET, seed=seed, **overrides), Path(tmp))
            rows.append(r)
            n = sum(r["lags"].values())
            r["mean_lag"] = sum(k * v for k, v in r["lags"].items()) / n
            out(f"{seed:>4} | {str(first_reaching(r['evals'], BAR) or '-'):>13} {r['final']:>10.1f} {r['seconds']:>6.1f} "
                f"{r['train_seconds']:>10.1f} {r['mean_lag']:>8.2f}")
    ok = sum(first_reaching(r["evals"], BAR) is not None for r in rows)
    finals = [r["final"] for r in rows]
    out()
    out(f"{ok}/{len(rows)} seeds reach {BAR:g} (the bar: 4/5 within {cfg0.total_frames} frames); final evaluation median "
        f"{statistics.median(finals):.1f} (min {min(finals):.1f}, max {max(finals):.1f}); median {statistics.median(r['seconds'] for r in rows):.1f} s "
        f"a seed ({statistics.median(r['train_seconds'] for r in rows):.1f} s without evaluations)")
    total = {}
    for r in rows:
        for k, v in r["lags"].items(): total[k] = total.get(k, 0) + v
    n = sum(total.values())
    out("policy lag over all seeds (lag: share of batches): " + ", ".join(f"{k}: {total[k] / n:.1%}" for k in sorted(total)))
    out()
    out("evaluation curves (frames: mean return of 10 greedy episodes):")
    for seed, r in enumerate(rows, start=args.first_seed):
        out(f"  seed {seed}: " + ", ".join(f"{f}: {v:.0f}" for f, v in r["evals"]))
    if args.out != "-": Path(args.out).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
