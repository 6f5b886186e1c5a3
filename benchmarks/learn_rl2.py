"""RL² against its learning bars: mean trial return on 1,000 held-out trials after training (Duan et al. 2016's setups).

| preset | paper RL² / Gittins (BEB for MDPs) | bar |
|---|---|---|
| rl2.bandit-k5-n10 | 6.7 / 6.6 | >= 6.6 |
| rl2.bandit-k5-n100 | 78.7 / 78.3 | >= 77 |
| rl2.bandit-k10-n100 | 83.5 / 82.8 | reported |
| rl2.mdp-n10 | 156.2 / 150.2 | >= 145 |

Each seed trains the preset with `torchrl_lit.algorithms.rl2` (one torch thread), then the final policy plays the
1,000 held-out trials of the run's last evaluation (the evaluation env seeded with seed + 10,000: the same tasks for
every seed and every baseline). The script reports the mean trial return with its standard error, the wall-clock
seconds (with and without the evaluations), the evaluation curve over training, and the adaptation curve: the mean
return of the k-th episode of a trial. For bandits the classic strategies (`BanditBaseline`) play the same 1,000
trials; for MDPs a uniformly random policy does. Results go to `benchmarks/results/learn_rl2_<preset>.txt`.

Usage: python benchmarks/learn_rl2.py [--preset bandit-k5-n10] [--seeds 1] [--first-seed 0] [--set KEY=VALUE ...] [--out PATH]
"""
from __future__ import annotations
import argparse, ast, os, sys, tempfile, time
from pathlib import Path

import torch

from torchrl_lit.algorithms.rl2 import RL2Config, make_rl2_trainer, make_rl2_env, evaluate_trials, BanditBaseline, TrialEvaluator
from torchrl_lit.envs import RandomPolicy
from torchrl_lit.trainers import run_training, read_metrics

BARS = {"bandit-k5-n10": 6.6, "bandit-k5-n100": 77.0, "bandit-k10-n100": None, "mdp-n10": 145.0}
PAPER = {"bandit-k5-n10": "RL2 6.7, Gittins 6.6", "bandit-k5-n100": "RL2 78.7, Gittins 78.3",
         "bandit-k10-n100": "RL2 83.5, Gittins 82.8", "mdp-n10": "RL2 156.2, BEB 150.2"}


def train_seed(cfg: RL2Config, run_dir: Path) -> dict:
    "Train one seed; its final per-episode returns on the held-out trials, its evaluations and its seconds."
    held = {}
    def make(cfg, run_dir, progress):
        held["trainer"] = make_rl2_trainer(cfg, run_dir, progress)
        return held["trainer"]
    start = time.perf_counter()
    result = run_training("rl2", cfg, make, run_dir, progress=False)
    seconds = time.perf_counter() - start
    evaluator = next(h for h in held["trainer"]._modules.values() if isinstance(h, TrialEvaluator))
    m = read_metrics(result.metrics)
    evals = [(int(f), v) for f, v in zip(m["frames"], m["eval_return"]) if v == v]
    return {"episodes": evaluator.last, "evals": evals, "seconds": seconds, "train_seconds": seconds - evaluator.seconds}


def baselines(cfg: RL2Config, seed: int) -> dict:
    "Per-episode returns `[trials, n]` of the classic strategies (bandits) or a random policy (MDPs) on the held-out trials."
    env = make_rl2_env(cfg, cfg.eval_trials)
    torch.manual_seed(0)  # the strategies' own draws: never the tasks' seed, or random tie-breaking would copy the arm means
    if cfg.env_name != "bandit": return {"random": evaluate_trials(env, RandomPolicy(env.action_spec), seed)}
    players = {name: dict(strategy=name) for name in BanditBaseline.strategies} | {"ucb1-c0.1": dict(strategy="ucb1", c=0.1)}
    return {name: evaluate_trials(env, BanditBaseline(num_arms=cfg.num_arms, **kw), seed) for name, kw in players.items()}


def baseline_lines(cfg: RL2Config) -> tuple[list[str], list[str]]:
    "The baselines' table lines and adaptation-curve lines, on the held-out trials of seed 0."
    base = baselines(cfg, cfg.seed + 10_000)  # the evaluation env's seed of seed 0: the same tasks
    table = [f"  {name:>15}: {e.sum(-1).mean():.2f} ± {e.sum(-1).std() / len(e) ** 0.5:.2f}" for name, e in base.items()]
    return table, [f"curve {name}: {fmt_curve(e)}" for name, e in base.items()]


def rewrite_baselines(cfg: RL2Config, path: Path):
    "Replace the baseline rows and curves of an existing result file, keeping everything RL2 measured."
    lines = path.read_text().splitlines()
    table, curves = baseline_lines(cfg)
    start = lines.index("baselines on the same held-out trials (mean trial return ± s.e.):") + 1
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("  "))
    lines[start:end] = table
    lines = [l for l in lines if not l.startswith("curve ") or l.startswith("curve rl2")] + curves
    path.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


def fmt_curve(episodes: torch.Tensor) -> str:
    return " ".join(f"{v:.3f}" for v in episodes.mean(0).tolist())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="bandit-k5-n10", choices=list(BARS))
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override an RL2Config field, e.g. --set lr=1e-3")
    ap.add_argument("--baselines-only", action="store_true", help="recompute the baselines of an existing result file, keeping its RL2 rows")
    ap.add_argument("--out", default=None, help="where the results go (default: benchmarks/results/learn_rl2_<preset>.txt; '-': nowhere)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep: ap.error(f"--set needs KEY=VALUE, received {item!r}")
        try: overrides[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError): overrides[key] = value
    preset, bar = f"rl2.{args.preset}", BARS[args.preset]
    cfg0 = RL2Config.from_preset(preset, **overrides)
    path = args.out or str(Path(__file__).parent / "results" / f"learn_rl2_{args.preset}.txt")
    if args.baselines_only: return rewrite_baselines(cfg0, Path(path))
    lines = []
    def out(line=""):
        print(line, flush=True)
        lines.append(line)
    out(f"# {preset}{' with ' + ', '.join(args.set) if args.set else ''}: {cfg0.num_envs} trials x {cfg0.trial_length} steps per batch, "
        f"{cfg0.total_frames} frames, {cfg0.eval_trials} held-out trials; paper: {PAPER[args.preset]}; bar: {bar if bar else 'reported'}; "
        f"torch {torch.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs (shared)")
    header = f"{'seed':>4} | {'trial return':>12} {'± s.e.':>7} {'s':>7} {'s w/o eval':>10}"
    out(header); out("-" * len(header))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            r = train_seed(RL2Config.from_preset(preset, seed=seed, **overrides), Path(tmp) / f"seed{seed}")
            total = r["episodes"].sum(-1)
            r["mean"], r["se"] = total.mean().item(), (total.std() / len(total) ** 0.5).item()
            rows.append((seed, r))
            out(f"{seed:>4} | {r['mean']:>12.2f} {r['se']:>7.2f} {r['seconds']:>7.0f} {r['train_seconds']:>10.0f}")
    out()
    if bar is not None:
        ok = sum(r["mean"] >= bar for _, r in rows)
        out(f"{ok}/{len(rows)} seeds reach the bar {bar:g}")
    out("baselines on the same held-out trials (mean trial return ± s.e.):")
    table, curves = baseline_lines(cfg0)
    for line in table: out(line)
    out()
    out("evaluation curves (frames: mean trial return on the held-out trials):")
    for seed, r in rows: out(f"  seed {seed}: " + ", ".join(f"{f}: {v:.2f}" for f, v in r["evals"]))
    out()
    out("adaptation curves (mean return of episode 1..n of a trial):")
    for seed, r in rows: out(f"curve rl2-seed{seed}: {fmt_curve(r['episodes'])}")
    for line in curves: out(line)
    if path != "-": Path(path).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
