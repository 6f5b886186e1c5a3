"""torchrl_lit's returns against TorchRL 0.14.1's, from values stored by benchmarks/make_reference_values.py (no TorchRL needed)."""
from pathlib import Path
import pytest
import torch
from torch import nn
from torchrl_lit.data.tensordict import TensorDict
from torchrl_lit.modules import ProbabilisticActor, TensorDictModule, ValueOperator
from torchrl_lit.objectives.value import (VTrace, generalized_advantage_estimate, td0_return_estimate, td_lambda_return_estimate,
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


def _mlp(weights: dict) -> nn.Sequential:
    "The Linear-Tanh-Linear network of a stored state dict (sizes read from the weights)."
    hidden, obs_dim = weights["0.weight"].shape
    net = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, weights["2.bias"].shape[0]))
    net.load_state_dict(weights)
    return net


@pytest.mark.parametrize("i", range(len(REF["vtrace_thresholds"])))
def test_vtrace_module(i):
    module = REF["vtrace_module"]
    x, nets, rho_thresh, c_thresh = module["inputs"], module["networks"], *REF["vtrace_thresholds"][i]
    actor = ProbabilisticActor(TensorDictModule(_mlp(nets["actor"]), in_keys=["observation"], out_keys=["logits"]),
                               in_keys=["logits"], distribution_class=torch.distributions.Categorical, return_log_prob=True)
    critic = ValueOperator(_mlp(nets["critic"]), in_keys=["observation"])
    batch = TensorDict({"observation": x["observation"], "action": x["action"], "sample_log_prob": x["sample_log_prob"],
                        "next": {"observation": x["next_observation"], "reward": x["reward"], "done": x["done"],
                                 "terminated": x["terminated"]}}, batch_size=x["action"].shape)
    assert (x["done"] & x["terminated"]).any() and (x["done"] & ~x["terminated"]).any()
    VTrace(GAMMA, actor, critic, rho_thresh=rho_thresh, c_thresh=c_thresh)(batch)
    for key in ("advantage", "value_target"):
        torch.testing.assert_close(batch.get(key), module["outputs"][f"{key}_{i}"], atol=1e-5, rtol=1e-5,
                                   msg=lambda m: f"VTrace module {key}_{i}: {m}")
