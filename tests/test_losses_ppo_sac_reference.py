"""torchrl_lit's A2C/PPO and SAC/REDQ losses against TorchRL 0.14.1's, from values stored by
benchmarks/make_loss_reference_ppo_sac.py (no TorchRL needed).

Each case rebuilds the networks the script built (same modules, weights loaded from the file), runs our loss
on the same batch after seeding torch's generator with the same seed (both libraries draw their random
actions and subsets in the same order), and compares every loss term, the diagnostics both report, the
gradients of the summed loss terms and the TD errors written for prioritized replay, within 1e-5.
"""
from pathlib import Path
import pytest
import torch
from torch import nn
from torchrl_lit.data.specs import Bounded, OneHot
from torchrl_lit.data.tensordict import TensorDict
from torchrl_lit.modules import NormalParamExtractor, OneHotCategorical, ProbabilisticActor, TanhNormal, TensorDictModule, ValueOperator
from torchrl_lit.objectives import ppo, sac

REF = torch.load(Path(__file__).parent / "data" / "losses_ppo_sac_reference.pt", weights_only=True)
HIDDEN = REF["hidden"]
CASES = {c["name"]: c for c in REF["cases"]}
PPO_CASES = [n for n, c in CASES.items() if c["loss"] in ("A2CLoss", "ClipPPOLoss", "KLPENPPOLoss")]
SAC_CASES = [n for n, c in CASES.items() if c["loss"] in ("SACLoss", "REDQLoss")]
TOL = dict(atol=1e-5, rtol=1e-5)


# ----- the networks of the reference script, built the same way
def policy_net(kind: str, obs_dim: int, act_dim: int) -> nn.Sequential:
    out = act_dim if kind == "discrete" else 2 * act_dim
    layers = [nn.Linear(obs_dim, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, out)]
    return nn.Sequential(*layers, *([] if kind == "discrete" else [NormalParamExtractor(scale_mapping="exp")]))


def value_net(obs_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(obs_dim, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, 1))


class QNet(nn.Module):
    def __init__(self, obs_dim: int, act_dim: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim + act_dim, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))

    def forward(self, observation, action): return self.net(torch.cat([observation, action], -1))


def load(module: nn.Module, vector: torch.Tensor) -> nn.Module:
    "Copy a flat parameter vector (parameters() order) into `module`."
    with torch.no_grad(): nn.utils.vector_to_parameters(vector.clone(), module.parameters())
    return module


def batch(inputs: dict, batch_shape) -> TensorDict:
    "The stored inputs as our TensorDict ('next.x' keys are nested)."
    td = TensorDict({}, batch_shape)
    for key, value in inputs.items(): td.set(tuple(key.split(".")) if "." in key else key, value.clone())
    return td


def close(ours: torch.Tensor, theirs: torch.Tensor, what: str):
    torch.testing.assert_close(ours.detach().reshape(theirs.shape), theirs, **TOL, msg=lambda m: f"{what}: {m}")


def flat_grads(total: torch.Tensor, params: list) -> torch.Tensor:
    grads = torch.autograd.grad(total, params, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for g, p in zip(grads, params)])


def test_reference_cover_what_they_should():
    assert REF["torchrl_version"].startswith("0.14")
    for c in CASES.values():  # every batch holds terminations and truncations
        done, terminated = c["inputs"]["next.done"], c["inputs"]["next.terminated"]
        assert (done & terminated).any() and (done & ~terminated).any()
    assert CASES["klpen_discrete"]["beta_after"] != 1.0  # β adapted in TorchRL
    assert CASES["clip_discrete"]["outputs"]["clip_fraction"] > 0  # the ratios differ from 1
    assert "_weight" in CASES["sac_l2_per"]["inputs"] and "next.steps_to_next_obs" in CASES["sac_nstep"]["inputs"]


@pytest.mark.parametrize("name", PPO_CASES)
def test_ppo_family(name):
    c = CASES[name]
    kind, kwargs = c["kind"], c["kwargs"]
    obs_dim, act_dim = (4, 2) if kind == "discrete" else (3, 2)
    actor_net, critic_net = load(policy_net(kind, obs_dim, act_dim), c["nets"]["actor"]), load(value_net(obs_dim), c["nets"]["critic"])
    if kind == "discrete":
        actor = ProbabilisticActor(TensorDictModule(actor_net, ["observation"], ["logits"]), ["logits"], spec=OneHot(2),
                                   distribution_class=OneHotCategorical, return_log_prob=True)
    else:
        actor = ProbabilisticActor(TensorDictModule(actor_net, ["observation"], ["loc", "scale"]), ["loc", "scale"],
                                   spec=Bounded(-2.0, 2.0, (act_dim,)), distribution_class=TanhNormal, return_log_prob=True)
    loss = getattr(ppo, c["loss"])(actor, ValueOperator(critic_net), **kwargs)
    torch.manual_seed(c["seed"])
    out = loss(batch(c["inputs"], c["batch_shape"]))
    for key, theirs in c["outputs"].items(): close(out[key], theirs, f"{name} {key}")
    if "beta_after" in c: close(loss.beta, c["beta_after"], f"{name} beta after the call")
    if c["grads"] is not None:
        total = sum(out[k] for k in out.keys() if k.startswith("loss_"))
        close(flat_grads(total, list(actor_net.parameters()) + list(critic_net.parameters())),
              torch.cat([c["grads"]["actor"], c["grads"]["critic"]]), f"{name} gradients")


@pytest.mark.parametrize("name", SAC_CASES)
def test_sac_family(name):
    c = CASES[name]
    n = len(c["nets"]["qvalue"])
    actor_net = load(policy_net("continuous", 3, 2), c["nets"]["actor"])
    actor = ProbabilisticActor(TensorDictModule(actor_net, ["observation"], ["loc", "scale"]), ["loc", "scale"],
                               spec=Bounded(-2.0, 2.0, (2,)), distribution_class=TanhNormal)
    loss = getattr(sac, c["loss"])(actor, ValueOperator(QNet(3, 2), in_keys=["observation", "action"]), **c["kwargs"])
    assert len(loss.qvalue_networks) == n
    for i in range(n):
        load(loss.qvalue_networks[i].module, c["nets"]["qvalue"][i])
        load(loss.target_qvalue_networks[i].module, c["nets"]["target_qvalue"][i])
    data = batch(c["inputs"], [c["inputs"]["observation"].shape[0]])
    torch.manual_seed(c["seed"])
    out = loss(data)
    for key, theirs in c["outputs"].items(): close(out[key], theirs, f"{name} {key}")
    close(data["td_error"], c["td_error"], f"{name} td_error")
    total = out["loss_actor"] + out["loss_qvalue"] + out["loss_alpha"]
    critics = [list(q.parameters()) for q in loss.qvalue_networks]
    params = list(actor_net.parameters()) + [p for ps in critics for p in ps] + ([] if loss.fixed_alpha else [loss.log_alpha])
    grads = flat_grads(total, params)
    n_actor, n_q = sum(p.numel() for p in actor_net.parameters()), sum(p.numel() for p in critics[0])
    close(grads[:n_actor], c["grads"]["actor"], f"{name} actor gradient")
    close(grads[n_actor:n_actor + n * n_q].reshape(n, n_q), c["grads"]["qvalue"], f"{name} critic gradients")
    if not loss.fixed_alpha: close(grads[-1:], c["grads"]["log_alpha"], f"{name} log_alpha gradient")
