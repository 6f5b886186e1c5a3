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
trials; for MDPs the planning strategies of `MDPBaseline` do, with the tasks' reward prior and with one of mean 0
(the `-prior0` rows, as in the reproduction's tables). Results go to `benchmarks/results/learn_rl2_<preset>.txt`.

With `--time-updates` it trains nothing: for each preset it times, on one thread, the collection of a batch and one
update on it (recurrent GAE and the optimisation steps of the batch) with the LSTM's fused sequence path against the
step-by-step loop it replaced (`LSTMNet.forward` as it was, one `nn.LSTM` call per time step), and one pass of the
shared LSTM per minibatch (`SharedTrunkPPOLoss`) against the two that `ClipPPOLoss` makes, interleaved, the median of 5
repeats after a warm-up; results go to `benchmarks/results/learn_rl2_speed.txt`.

Usage: python benchmarks/learn_rl2.py [--preset bandit-k5-n10] [--seeds 1] [--first-seed 0] [--set KEY=VALUE ...] [--run-dir DIR] [--out PATH]
       python benchmarks/learn_rl2.py --time-updates [--set KEY=VALUE ...] [--out PATH]
"""
from __future__ import annotations
import argparse, cProfile, os, pstats, sys, tempfile, time
from pathlib import Path

import torch

from torchrl_lit.algorithms.rl2 import RL2Config, make_rl2_trainer, make_rl2_env, evaluate_trials, BanditBaseline, MDPBaseline, TrialEvaluator, SharedTrunkPPOLoss
from torchrl_lit.modules import ActorValueOperator
from torchrl_lit.modules.models import LSTMNet
from torchrl_lit.objectives.ppo import ClipPPOLoss
from torchrl_lit.trainers import run_training, read_metrics
from _learning import set_overrides

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
    entropy = [-v / cfg.entropy_coef if cfg.entropy_coef else float("nan") for v in m.get("loss_entropy", [])]
    training = list(zip(m["frames"], m["episode_return"], m.get("explained_variance", []), entropy))  # what learning looked like
    return {"episodes": evaluator.last, "evals": evals, "training": training, "seconds": seconds, "train_seconds": seconds - evaluator.seconds}


def baselines(cfg: RL2Config, seed: int) -> dict:
    "Per-episode returns `[trials, n]` of the classic strategies (bandits) or the planning ones (MDPs, both reward priors) on the held-out trials."
    env = make_rl2_env(cfg, cfg.eval_trials)
    torch.manual_seed(0)  # the strategies' own draws: never the tasks' seed, or random tie-breaking would copy the arm means
    if cfg.env_name != "bandit":
        players = {name: dict(strategy=name) for name in MDPBaseline.strategies}
        players |= {f"{name}-prior0": dict(strategy=name, reward_prior_mean=0.) for name in ("greedy", "epsilon-greedy", "psrl")}
        sizes = dict(num_states=cfg.num_states, num_actions=cfg.num_actions, episode_length=cfg.episode_length)
        return {name: evaluate_trials(env, MDPBaseline(**sizes, **kw), seed) for name, kw in players.items()}
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


def _lstm_step_by_step(self: LSTMNet, x, h, c, is_init):
    "`LSTMNet.forward` before the fused path: one `nn.LSTM` call per time step (kept here to time the difference)."
    if not self.recurrent_mode: x, h, c, is_init = x.unsqueeze(-2), h.unsqueeze(-3), c.unsqueeze(-3), is_init.unsqueeze(-2)  # T = 1
    *batch, T, n_in = x.shape
    L, H = self.lstm.num_layers, self.lstm.hidden_size
    x, keep = x.reshape(-1, T, n_in), (~is_init.reshape(-1, T)).to(x.dtype)  # (N, T, n_in), (N, T)
    state = [s.reshape(-1, T, L, H)[:, 0].transpose(0, 1) for s in (h, c)]  # (L, N, H)
    ys, hs, cs = [], [], []
    for t in range(T):
        mask = keep[:, t].view(1, -1, 1)
        y, (h_t, c_t) = self.lstm(x[:, t:t + 1], (state[0] * mask, state[1] * mask))
        state = [h_t, c_t]
        ys.append(y); hs.append(h_t); cs.append(c_t)
    y = torch.cat(ys, 1).reshape(*batch, T, H)
    h, c = (torch.stack(s, 1).permute(2, 1, 0, 3).reshape(*batch, T, L, H) for s in (hs, cs))
    return (y, h, c) if self.recurrent_mode else (y.squeeze(-2), h.squeeze(-3), c.squeeze(-3))


def time_updates(preset: str, overrides: dict, repeats: int = 5) -> dict:
    "Median seconds to collect a batch and to update on it: as before (LSTM step by step, the trunk run by the actor and the critic), fused LSTM, fused + one trunk pass (now)."
    cfg = RL2Config.from_preset(preset, **overrides, total_frames=10 ** 9, eval_interval=10 ** 9, log_interval=10 ** 9)
    fused = LSTMNet.forward
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_rl2_trainer(cfg, tmp, progress=False)
        now = trainer.loss_module
        if isinstance(now, SharedTrunkPPOLoss):  # the loss as it was: ClipPPOLoss on (LSTM, policy head) and (LSTM, value head)
            both = ActorValueOperator(now.trunk, now.actor_network, now.critic_network)
            two_passes = ClipPPOLoss(both.get_policy_operator(), both.get_value_operator(), clip_epsilon=cfg.clip_epsilon, entropy_coef=cfg.entropy_coef,
                                     critic_coef=cfg.critic_coef, loss_critic_type="l2", normalize_advantage=True)
        else: two_passes = now
        variants = {"before": (_lstm_step_by_step, two_passes), "fused": (fused, two_passes), "now": (fused, now)}
        times = {name: [] for name in variants}
        batches = iter(trainer.collector)
        for repeat in range(repeats + 1):
            for name, (forward, loss) in variants.items():
                LSTMNet.forward, trainer.loss_module = forward, loss
                try:
                    start = time.perf_counter(); batch = next(batches); collected = time.perf_counter()
                    trainer._train_batch(batch); end = time.perf_counter()
                finally: LSTMNet.forward, trainer.loss_module = fused, now
                if repeat: times[name].append((collected - start, end - collected))
    median = lambda values: sorted(values)[len(values) // 2]
    return {"cfg": cfg, **{name: (median([c for c, _ in t]), median([u for _, u in t])) for name, t in times.items()}}


def profile_update(preset: str, overrides: dict) -> str:
    "Where one update (after a warm-up batch) spends its time, by cProfile: the LSTM's backward, its forward, the per-step cell states, the rest."
    cfg = RL2Config.from_preset(preset, **overrides, total_frames=10 ** 9, eval_interval=10 ** 9, log_interval=10 ** 9)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_rl2_trainer(cfg, tmp, progress=False)
        batches = iter(trainer.collector)
        trainer._train_batch(next(batches))
        batch, profile = next(batches), cProfile.Profile()
        profile.enable(); trainer._train_batch(batch); profile.disable()
    stats = pstats.Stats(profile).stats  # {(file, line, name): (calls, primitive calls, own time, cumulative time, callers)}
    own = lambda name: sum(v[2] for k, v in stats.items() if k[2] == name)
    total = max(v[3] for k, v in stats.items() if k[2] == "_train_batch")
    parts = {"backward": own("<method 'run_backward' of 'torch._C._EngineBase' objects>"), "LSTM forward": own("<built-in method torch.lstm>"),
             "per-step cell states": max((v[3] for k, v in stats.items() if k[2] == "_cell_states"), default=0.0)}
    parts["the rest"] = total - sum(parts.values())
    return f"profile of one update of {preset} ({total:.3f} s): " + ", ".join(f"{name} {t / total:.0%}" for name, t in parts.items())


def speed_report(overrides: dict, labels: list[str], path: str):
    "Time every preset's batch as before and now; print the table and write it to `path`."
    lines = [f"# RL2: seconds per collected batch and per update on it (recurrent GAE + the batch's optimisation steps). before: the LSTM "
             f"step by step, run by the actor and by the critic; fused: one LSTM call per sequence; now: fused, one LSTM pass per minibatch "
             f"(SharedTrunkPPOLoss). Median of 5 interleaved repeats, one thread; {' '.join(labels) or 'presets as in settings.ini'}; "
             f"torch {torch.__version__}, python {sys.version.split()[0]}, {os.cpu_count()} CPUs (shared)"]
    header = (f"{'preset':<16} {'frames':>6} {'steps':>5} | {'collect before':>14} {'now':>6} | {'update before':>13} {'fused':>6} {'now':>6} "
              f"{'x':>5} | {'frames/s before':>15} {'now':>6}")
    lines += [header, "-" * len(header)]
    print("\n".join(lines), flush=True)
    for preset in ("bandit-k5-n10", "bandit-k5-n100", "mdp-n10"):
        r = time_updates(f"rl2.{preset}", overrides)
        (cb, ub), (_, uf), (cn, un), cfg = r["before"], r["fused"], r["now"], r["cfg"]
        row = (f"{preset:<16} {cfg.frames_per_batch:>6} {cfg.optim_steps_per_batch:>5} | {cb:>14.3f} {cn:>6.3f} | {ub:>13.3f} {uf:>6.3f} {un:>6.3f} "
               f"{ub / un:>5.1f} | {cfg.frames_per_batch / (cb + ub):>15.0f} {cfg.frames_per_batch / (cn + un):>6.0f}")
        print(row, flush=True); lines.append(row)
    lines.append(""); lines.append(profile_update("rl2.bandit-k5-n100", overrides)); print(lines[-1])
    if path != "-": Path(path).write_text("\n".join(lines) + "\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="bandit-k5-n10", choices=list(BARS))
    ap.add_argument("--seeds", type=int, default=1)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override an RL2Config field, e.g. --set lr=1e-3")
    ap.add_argument("--time-updates", action="store_true", help="time a batch's collection and update, step-by-step LSTM against fused, for each preset")
    ap.add_argument("--baselines-only", action="store_true", help="recompute the baselines of an existing result file, keeping its RL2 rows")
    ap.add_argument("--run-dir", default=None, help="keep the runs' folders (metrics.csv, checkpoints) here instead of a temporary folder")
    ap.add_argument("--out", default=None, help="where the results go (default: benchmarks/results/learn_rl2_<preset>.txt; '-': nowhere)")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    overrides = set_overrides(ap, args.set, {})
    if args.time_updates: return speed_report(overrides, args.set, args.out or str(Path(__file__).parent / "results" / "learn_rl2_speed.txt"))
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
            r = train_seed(RL2Config.from_preset(preset, seed=seed, **overrides), Path(args.run_dir or tmp) / f"seed{seed}")
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
    out("training curves (frames: trial return in training / critic's explained variance / policy entropy in nats):")
    for seed, r in rows: out(f"  seed {seed}: " + ", ".join(f"{int(f)}: {ret:.1f}/{ev:.2f}/{ent:.2f}" for f, ret, ev, ent in r["training"]))
    out()
    out("adaptation curves (mean return of episode 1..n of a trial):")
    for seed, r in rows: out(f"curve rl2-seed{seed}: {fmt_curve(r['episodes'])}")
    for line in curves: out(line)
    if path != "-": Path(path).write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
