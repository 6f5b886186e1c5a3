"""Reference values for the returns chapter, computed by TorchRL on fixed seeded inputs.

Run in the bench venv (TorchRL is never a dependency of torchrl_lit):

    .venv-bench/bin/python benchmarks/make_reference_values.py

It writes tests/data/returns_reference.pt: the inputs, the parameters, and the outputs of
`torchrl.objectives.value.functional` (loop and vectorised GAE and TD(lambda), TD(0), V-trace).
`tests/test_returns_reference.py` compares torchrl_lit.objectives.value with them, without TorchRL.
Re-run this script when the inputs below change.
"""
from __future__ import annotations
from pathlib import Path
import torch

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "returns_reference.pt"
SHAPE = (2, 3, 48, 1)  # [*B, T, 1]: two batch dims, time at dim -2
GAMMA, LMBDA = 0.99, 0.95
VTRACE_THRESHOLDS = [(1.0, 1.0), (2.0, 0.5)]  # (rho_thresh, c_thresh)


def make_inputs(seed: int = 0) -> dict[str, torch.Tensor]:
    "Seeded float32 trajectories with episode ends; about half of them truncations (done, not terminated)."
    g = torch.Generator().manual_seed(seed)
    x = {k: torch.randn(SHAPE, generator=g) for k in ("state_value", "next_state_value", "reward")}
    x["log_pi"], x["log_mu"] = (0.5 * torch.randn(SHAPE, generator=g) for _ in range(2))
    done = torch.rand(SHAPE, generator=g) < 0.08
    done[0, 0, 5], done[0, 0, 6] = True, True  # two episode ends in a row (a one-step episode)
    terminated = done & (torch.rand(SHAPE, generator=g) < 0.5)
    terminated[0, 0, 5], terminated[0, 0, 6] = True, False  # ... a termination, then a truncation
    x["done"], x["terminated"] = done, terminated
    return x


def reference(x: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    "TorchRL's outputs on `x`."
    from torchrl.objectives.value import functional as F
    sv, nsv, r, d, t = (x[k] for k in ("state_value", "next_state_value", "reward", "done", "terminated"))
    out = {}
    out["gae_advantage"], out["gae_value_target"] = F.generalized_advantage_estimate(GAMMA, LMBDA, sv, nsv, r, d, t)
    out["vec_gae_advantage"], out["vec_gae_value_target"] = F.vec_generalized_advantage_estimate(GAMMA, LMBDA, sv, nsv, r, d, t)
    out["td0_return"] = F.td0_return_estimate(GAMMA, nsv, r, t)
    out["td_lambda_return"] = F.td_lambda_return_estimate(GAMMA, LMBDA, nsv, r, d, t)
    out["vec_td_lambda_return"] = F.vec_td_lambda_return_estimate(GAMMA, LMBDA, nsv, r, d, t)
    for i, (rho, c) in enumerate(VTRACE_THRESHOLDS):
        out[f"vtrace_advantage_{i}"], out[f"vtrace_value_target_{i}"] = F.vtrace_advantage_estimate(
            GAMMA, x["log_pi"], x["log_mu"], sv, nsv, r, d, t, rho_thresh=rho, c_thresh=c)
    return {k: v.detach().clone() for k, v in out.items()}


def main():
    import torchrl
    x = make_inputs()
    data = {"inputs": x, "outputs": reference(x), "gamma": GAMMA, "lmbda": LMBDA,
            "vtrace_thresholds": VTRACE_THRESHOLDS, "torchrl_version": torchrl.__version__}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save(data, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) with torchrl {torchrl.__version__}: {sorted(data['outputs'])}")


if __name__ == "__main__":
    main()
