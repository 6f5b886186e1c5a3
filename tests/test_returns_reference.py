"""torchrl_lit's returns against TorchRL 0.14.1's, from values stored by benchmarks/make_reference_values.py (no TorchRL needed)."""
from pathlib import Path
import pytest
import torch
from torchrl_lit.objectives.value import (generalized_advantage_estimate, td0_return_estimate, td_lambda_return_estimate,
                                          vtrace_advantage_estimate)

REF = torch.load(Path(__file__).parent / "data" / "returns_reference.pt", weights_only=True)
X, OUT, GAMMA, LMBDA = REF["inputs"], REF["outputs"], REF["gamma"], REF["lmbda"]
SV, NSV, R, D, T = (X[k] for k in ("state_value", "next_state_value", "reward", "done", "terminated"))


def close(ours: torch.Tensor, key: str):
    torch.testing.assert_close(ours, OUT[key], atol=1e-5, rtol=1e-5, msg=lambda m: f"{key}: {m}")


def test_inputs_have_every_kind_of_episode_end():
    assert (D & T).any() and (D & ~T).any() and (~D).any()


@pytest.mark.parametrize("peer", ["gae", "vec_gae"])
def test_gae(peer):
    advantage, value_target = generalized_advantage_estimate(GAMMA, LMBDA, SV, NSV, R, D, T)
    close(advantage, f"{peer}_advantage")
    close(value_target, f"{peer}_value_target")


def test_td0():
    close(td0_return_estimate(GAMMA, NSV, R, T), "td0_return")


@pytest.mark.parametrize("peer", ["td_lambda", "vec_td_lambda"])
def test_td_lambda(peer):
    close(td_lambda_return_estimate(GAMMA, LMBDA, NSV, R, D, T), f"{peer}_return")


@pytest.mark.parametrize("i", range(len(REF["vtrace_thresholds"])))
def test_vtrace(i):
    rho_thresh, c_thresh = REF["vtrace_thresholds"][i]
    advantage, value_target = vtrace_advantage_estimate(GAMMA, X["log_pi"], X["log_mu"], SV, NSV, R, D, T, rho_thresh, c_thresh)
    close(advantage, f"vtrace_advantage_{i}")
    close(value_target, f"vtrace_value_target_{i}")
