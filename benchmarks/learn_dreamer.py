"""Dreamer on dm_control cartpole-balance (state observations or 64x64 pixels, action repeat 2) against its learning bar.

The bar: an evaluation return >= 800 within 100,000 environment frames (50,000 agent steps with action repeat 2)
in at least 3 of 5 seeds; DreamerV3's published 5-seed mean at 100k frames is 731. Each seed trains the preset
`dreamer.cartpole-balance` with `torchrl_lit.algorithms.dreamer.train` (one torch thread) and is evaluated every
`eval_interval` agent steps on 5 deterministic episodes. The report gives the frames at which the bar was first
reached, the final evaluation, the seconds per 10,000 environment frames and the curve.

A run that was stopped before its end (a shared machine, a time limit) still has its metrics.csv: `--from-run DIR`
writes the same report from it, saying how far it got.

`--preset dreamer.cartpole-balance-pixels` trains from pixels (DreamerV3's vision 5-seed mean at 100k frames: 430).
`--time` first times the preset's two costs on one thread: acting (rendering and the policy, seconds per 1,000
environment frames) and one gradient step (model, actor and value on a slice batch), and adds them to the report.

(`--time --seeds 0` times without training.)

Usage: python benchmarks/learn_dreamer.py [--preset NAME] [--seeds 5] [--first-seed 0] [--frames N] [--set KEY=VALUE ...] [--time] [--out FILE]
       python benchmarks/learn_dreamer.py --from-run RUN_DIR [--out FILE]
"""
from __future__ import annotations
import argparse, json, os, statistics, sys, tempfile, time
from pathlib import Path

import torch

from torchrl_lit.algorithms.dreamer import DreamerConfig, DreamerPolicy, _make_env, _stored, make_dreamer_trainer, train
from torchrl_lit.trainers import read_metrics
from _learning import set_overrides

BAR, PRESET = 800.0, "dreamer.cartpole-balance"
REFERENCE = {False: ("state", 731), True: ("pixels", 430)}  # DreamerV3's 5-seed means at 100k frames, proprio and vision


def time_road(cfg: DreamerConfig, steps: int = 10, acting_steps: int = 200) -> list[str]:
    "Report lines: seconds per 1,000 environment frames of acting, and the median seconds of one gradient step (after 2 warm-up ones)."
    with tempfile.TemporaryDirectory() as tmp:
        trainer = make_dreamer_trainer(cfg, tmp, progress=False)
        loss, optimizer, buffer = trainer.loss_module, trainer.optimizer, trainer.replay_buffer
        env = _make_env(cfg)
        policy = DreamerPolicy(loss.model_loss.world_model, loss.actor_loss.actor_model)
        env.set_seed(cfg.seed)
        start = time.perf_counter()
        episode = env.rollout(acting_steps, policy, break_when_any_done=False)
        acting = (time.perf_counter() - start) / (acting_steps * cfg.action_repeat) * 1000  # s per 1,000 environment frames
        for _ in range(max(1, -(-cfg.batch_length * 4 // acting_steps))): buffer.extend(episode.select(*_stored(cfg)))
        times = []
        for _ in range(steps + 2):
            batch = buffer.sample(cfg.batch_size * cfg.batch_length).reshape(cfg.batch_size, cfg.batch_length)  # [B, T]
            start = time.perf_counter()
            terms = loss(batch)
            optimizer.zero_grad()
            sum(v for k, v in terms.items() if k.startswith("loss_")).backward()
            optimizer.step()
            times.append(time.perf_counter() - start)
        trainer.collector.shutdown()
        env.close()
    step = statistics.median(times[2:])
    per_1k = 1000 / cfg.action_repeat * cfg.train_ratio  # gradient steps per 1,000 environment frames
    return [f"timed on one thread, load average {os.getloadavg()[0]:.1f} at the end: acting (render + policy) {acting:.1f} s per 1,000 frames; "
            f"one gradient step (model + actor + value, slices {cfg.batch_size} x {cfg.batch_length}) {step:.2f} s (median of {steps}), "
            f"x {per_1k:g} steps per 1,000 frames = {step * per_1k:.0f} s; total {acting + step * per_1k:.0f} s per 1,000 frames, "
            f"{(acting + step * per_1k) * 100 / 3600:.1f} h per 100,000 frames before evaluations"]


def summarise(run_dir: Path) -> dict:
    "Evaluations `(environment frames, return)`, the losses' last values and the pace of a run folder (finished or not)."
    cfg = json.loads((run_dir / "config.json").read_text())
    m = read_metrics(run_dir / "metrics.csv")
    repeat = cfg["action_repeat"]
    evals = [(int(f) * repeat, v) for f, v in zip(m["frames"], m["eval_return"]) if v == v]
    frames, seconds = [int(f) * repeat for f in m["frames"]], list(m["seconds"])
    # pace after the random prefill, where every agent step also pays for its gradient steps
    start = next((i for i, f in enumerate(frames) if f > cfg["init_random_frames"] * repeat), None)
    pace = (10_000 * (seconds[-1] - seconds[start]) / (frames[-1] - frames[start])
            if start is not None and frames[-1] > frames[start] else None)
    return {"cfg": cfg, "evals": evals, "frames": frames[-1] if frames else 0, "seconds": seconds[-1] if seconds else 0.0,
            "pace": pace, "first": next((f for f, v in evals if v >= BAR), None), "final": evals[-1][1] if evals else None,
            "last": {k: m[k][-1] for k in ("loss_model_reco", "loss_model_reward", "kl", "loss_actor", "loss_value", "imagined_return") if k in m}}


def report(runs: list[Path], note: str = "", preset: str = PRESET) -> str:
    "The results table of the runs, one seed a row, with their evaluation curves."
    rows = [summarise(r) for r in runs]
    cfg = rows[0]["cfg"]
    kind, reference = REFERENCE[bool(cfg.get("from_pixels", False))]
    pixels = f", conv channels {cfg['conv_channels']}" if cfg.get("from_pixels") else ""
    lines = [f"# Dreamer learning bar: {cfg['env_name']} ({kind}), action repeat {cfg['action_repeat']}, evaluation return >= {BAR:g} within "
             f"100,000 environment frames in >= 3/5 seeds (DreamerV3's 5-seed mean at 100k: {reference})",
             f"# preset {preset}: train ratio {cfg['optim_steps_per_batch'] / cfg['frames_per_batch']:g} gradient steps per agent step, "
             f"slices {cfg['batch_size']} x {cfg['batch_length']}, imagination {cfg['imagination_horizon']}, GRU {cfg['rnn_hidden_dim']}, "
             f"layers {cfg['hidden_dim']}, latent {cfg['state_dim']}{pixels}; lr model {cfg['model_lr']:g}, actor {cfg['actor_lr']:g}, value {cfg['value_lr']:g}",
             f"# evaluation: mean return of {cfg['eval_episodes']} deterministic episodes every {cfg['eval_interval'] * cfg['action_repeat']} frames; "
             f"frames are environment steps (agent steps x action repeat); torch {torch.__version__}, one thread",
             "| seed | frames run | frames to 800 | final eval | seconds | s per 10k frames (after prefill) |", "|---|---|---|---|---|---|"]
    for r in rows:
        final = "-" if r["final"] is None else f"{r['final']:.1f}"
        pace = "-" if r["pace"] is None else f"{r['pace']:.0f}"
        lines.append(f"| {r['cfg']['seed']} | {r['frames']} | {r['first'] or '-'} | {final} | {r['seconds']:.0f} | {pace} |")
        lines.append("#   evaluations (frames: return): " + ", ".join(f"{f}: {v:.0f}" for f, v in r["evals"]))
        lines.append("#   last logged losses: " + ", ".join(f"{k} {v:.3g}" for k, v in r["last"].items()))
    ok = sum(r["first"] is not None and r["first"] <= 100_000 for r in rows)
    lines.append(f"# bar reached within 100,000 frames: {ok}/{len(rows)} seeds")
    lines += [f"# {line}" for line in note.splitlines() if line]
    return "\n".join(lines) + "\n"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default=PRESET, help="the settings.ini section to train (e.g. dreamer.cartpole-balance-pixels)")
    ap.add_argument("--time", action="store_true", help="first time acting and one gradient step of the preset, and report them")
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--first-seed", type=int, default=0)
    ap.add_argument("--frames", type=int, default=None, help="total_frames in agent steps (default: the preset's)")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="override a DreamerConfig field of the preset")
    ap.add_argument("--run-root", default=None, help="folder for the runs (default: a temporary one)")
    ap.add_argument("--from-run", action="append", default=[], help="report on existing run folder(s) instead of training")
    ap.add_argument("--note", default="", help="a line appended to the report (e.g. the machine's load)")
    ap.add_argument("--out", default=None, help="also write the report to this file")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    overrides = set_overrides(ap, args.set, {} if args.frames is None else {"total_frames": args.frames})
    note = args.note
    if args.time:
        note = "\n".join([*time_road(DreamerConfig.from_preset(args.preset, seed=args.first_seed, **overrides)), note])
        print(note, flush=True)
    if args.from_run: runs = [Path(r) for r in args.from_run]
    else:
        root = Path(args.run_root or tempfile.mkdtemp())
        runs = []
        for seed in range(args.first_seed, args.first_seed + args.seeds):
            run_dir = root / f"seed{seed}"
            train(DreamerConfig.from_preset(args.preset, seed=seed, **overrides), run_dir, progress=False)
            runs.append(run_dir)
            print(report(runs[-1:], preset=args.preset), flush=True)
    if not runs: return  # --time --seeds 0: the timing only
    text = report(runs, note, args.preset)
    print(text)
    if args.out: Path(args.out).write_text(text)


if __name__ == "__main__":
    main()
