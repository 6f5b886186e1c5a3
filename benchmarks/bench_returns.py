"""Returns: torchrl_lit's estimators against TorchRL 0.14.1's functionals, side by side in one process.

Inputs `[16, 1000, 1]` float32 (B = 16 trajectories of T = 1000 steps, time at dim -2), gamma 0.99,
lambda 0.95, about 2% of steps done and half of those terminated. Timed, one thread, warm-up first,
median of interleaved repeats: GAE against TorchRL's `vec_generalized_advantage_estimate` (the target)
and its loop `generalized_advantage_estimate`; TD(lambda) against `vec_td_lambda_return_estimate`;
V-trace against `vtrace_advantage_estimate`.
Run: `.venv-bench/bin/python benchmarks/bench_returns.py`.
"""
from __future__ import annotations
import statistics, time
import torch

from _harness import main, ratio_cells

SHAPE, GAMMA, LMBDA = (16, 1000, 1), 0.99, 0.95
OPS = ("GAE", "GAE vs TorchRL's loop version", "TD(lambda)", "V-trace")


def _inputs(seed: int = 0) -> tuple:
    "Seeded (state_value, next_state_value, reward, done, terminated, log_pi, log_mu)."
    g = torch.Generator().manual_seed(seed)
    sv, nsv, r, log_pi, log_mu = (torch.randn(SHAPE, generator=g) for _ in range(5))
    done = torch.rand(SHAPE, generator=g) < 0.02
    return sv, nsv, r, done, done & (torch.rand(SHAPE, generator=g) < 0.5), log_pi, log_mu


def _ops(F: dict, x: tuple) -> dict:
    "Operation name -> callable; a side without a loop version of GAE times its GAE in that row."
    sv, nsv, r, d, t, lp, lm = x
    gae_loop = F.get("gae_loop", F["gae"])
    return {"GAE": lambda: F["gae"](GAMMA, LMBDA, sv, nsv, r, d, t),
            "GAE vs TorchRL's loop version": lambda: gae_loop(GAMMA, LMBDA, sv, nsv, r, d, t),
            "TD(lambda)": lambda: F["td_lambda"](GAMMA, LMBDA, nsv, r, d, t),
            "V-trace": lambda: F["vtrace"](GAMMA, lp, lm, sv, nsv, r, d, t)}


def _ours() -> dict:
    from torchrl_lit.objectives.value import generalized_advantage_estimate, td_lambda_return_estimate, vtrace_advantage_estimate
    return {"gae": generalized_advantage_estimate, "td_lambda": td_lambda_return_estimate, "vtrace": vtrace_advantage_estimate}


def _torchrl() -> dict | None:
    "TorchRL's functionals, or None when torchrl is not installed."
    try:
        from torchrl.objectives.value import functional as F
    except ImportError:
        return None
    return {"gae": F.vec_generalized_advantage_estimate, "gae_loop": F.generalized_advantage_estimate,
            "td_lambda": F.vec_td_lambda_return_estimate, "vtrace": F.vtrace_advantage_estimate}


def _per_call(fn, calls: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(calls): fn()
    return (time.perf_counter() - start) / calls


def run(repeats: int = 7) -> dict:
    "Median seconds per call, keyed by (operation, 'ours' | 'torchrl')."
    torch.set_num_threads(1)
    x = _inputs()
    sides = {"ours": _ops(_ours(), x)}
    if (peer := _torchrl()) is not None: sides["torchrl"] = _ops(peer, x)
    times = {(op, side): [] for side in sides for op in OPS}
    for rep in range(repeats + 1):  # rep 0 is the warm-up
        for op in OPS:
            for side, ops in sides.items():
                seconds = _per_call(ops[op])
                if rep: times[op, side].append(seconds)
    return {key: statistics.median(v) for key, v in times.items()}


def table(medians: dict) -> str:
    "A markdown table of median microseconds per call and the ratios."
    t = {k: v * 1e6 for k, v in medians.items()}
    lines = ["| [16, 1000, 1] float32 | torchrl_lit µs | TorchRL µs | ours / TorchRL |", "|---|---:|---:|---:|"]
    for op in OPS:
        theirs = t.get((op, "torchrl"))
        lines.append(f"| {op} | " + ratio_cells(t[op, 'ours'], theirs))
    return "\n".join(lines)


if __name__ == "__main__":
    main(__doc__, lambda repeats: table(run(repeats)))
