"""torchrl_lit's DQN, distributional DQN, DDPG and TD3 losses against TorchRL 0.14.1's, from the values stored by
benchmarks/make_loss_reference_dqn_ddpg.py (no TorchRL needed): loss terms, diagnostics, priorities and gradients."""
from pathlib import Path
import pytest
import torch
from torch import nn
from torchrl_lit.data.specs import Bounded, Categorical, OneHot
from torchrl_lit.data.tensordict import TensorDict
from torchrl_lit.modules import Actor, DistributionalQValueActor, QValueActor, ValueOperator
from torchrl_lit.objectives.ddpg import DDPGLoss, TD3Loss
from torchrl_lit.objectives.dqn import DistributionalDQNLoss, DQNLoss

REF = torch.load(Path(__file__).parent / "data" / "losses_dqn_ddpg_reference.pt", weights_only=True)
CASES = REF["cases"]
B, OBS, N_ACT, ATOMS, OBS_C, ACT_C = 16, 4, 3, 11, 3, 2  # as in the reference script


class QNet(nn.Module):
    "Q(s, a) = MLP([s, a]), the same architecture as the reference script's critic."
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(OBS_C + ACT_C, 16), nn.ReLU(), nn.Linear(16, 1))
    def forward(self, observation, action): return self.net(torch.cat([observation, action], -1))


def plain(kind: str, state: dict) -> nn.Module:
    "The reference script's plain network of `kind`, with the stored weights."
    net = {"dqn": lambda: nn.Sequential(nn.Linear(OBS, 16), nn.ReLU(), nn.Linear(16, N_ACT)),
           "c51": lambda: nn.Sequential(nn.Linear(OBS, 16), nn.ReLU(), nn.Linear(16, ATOMS * N_ACT), nn.Unflatten(-1, (ATOMS, N_ACT))),
           "actor": lambda: nn.Sequential(nn.Linear(OBS_C, 16), nn.Tanh(), nn.Linear(16, ACT_C), nn.Tanh()),
           "critic": QNet}[kind]()
    net.load_state_dict(state)
    return net


def batch(x: dict, action_key: str, nstep: bool, weighted: bool) -> TensorDict:
    "The stored batch as torchrl_lit reads it: n-step counts at ('next', 'steps_to_next_obs'), weights at '_weight'."
    td = TensorDict({"observation": x["observation"], "action": x[action_key],
                     "next": {"observation": x["next_observation"], "reward": x["reward"], "done": x["done"],
                              "terminated": x["terminated"], "truncated": x["truncated"]}}, [B])
    if nstep: td["next", "steps_to_next_obs"] = x["steps"]
    if weighted: td["_weight"] = x["weight"]
    return td


def close(ours: torch.Tensor, theirs: torch.Tensor, what: str):
    torch.testing.assert_close(ours.detach(), theirs, atol=1e-5, rtol=1e-5, msg=lambda m: f"{what}: {m}")


def close_grads(term: torch.Tensor, nets: dict, expected: dict, what: str):
    "d term / d parameters of each plain network in `nets`, against the stored gradients (zeros: no dependence)."
    names = list(nets)
    params = [p for name in names for p in nets[name].parameters()]
    grads = iter(torch.autograd.grad(term, params, retain_graph=True, allow_unused=True))
    for name in names:
        for (pname, p), g in zip(nets[name].named_parameters(), grads):
            close(torch.zeros_like(p) if g is None else g, expected[name][pname], f"{what}: d/d {name}.{pname}")


def test_reference_file_covers_terminated_truncated_nstep_and_weights():
    assert REF["torchrl_version"] == "0.14.1"
    x = CASES["dqn_one_hot_l2"]["batch"]
    assert (x["terminated"]).any() and (x["truncated"]).any() and (~x["done"]).any()
    assert any(c["settings"]["nstep"] and c["settings"]["weighted"] for c in CASES.values())


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n]["settings"]["kind"] == "dqn"])
def test_dqn(name):
    case, s = CASES[name], CASES[name]["settings"]
    spec = OneHot(N_ACT) if s["action_key"] == "action_one_hot" else Categorical(N_ACT)
    net = plain("dqn", case["state"]["value"])
    loss = DQNLoss(QValueActor(net, spec=spec), gamma=s["gamma"], loss_function=s["loss_function"],
                   delay_value=s["delay_value"], double_dqn=s["double_dqn"])
    if s["delay_value"]: loss.target_value_network.module[0].module.load_state_dict(case["state"]["target_value"])
    td = batch(case["batch"], s["action_key"], s["nstep"], s["weighted"])
    out = loss(td)
    close(out["loss_dqn"], case["outputs"]["loss_dqn"], f"{name} loss_dqn")
    close(td["td_error"] ** 2, case["outputs"]["priority_squared"], f"{name} td_error^2")
    close_grads(out["loss_dqn"], {"value": net}, case["grads"]["loss_dqn"], name)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n]["settings"]["kind"] == "c51"])
def test_distributional_dqn(name):
    case, s = CASES[name], CASES[name]["settings"]
    spec = OneHot(N_ACT) if s["action_key"] == "action_one_hot" else Categorical(N_ACT)
    net = plain("c51", case["state"]["value"])
    loss = DistributionalDQNLoss(DistributionalQValueActor(net, support=s["support"], spec=spec), gamma=s["gamma"],
                                 delay_value=s["delay_value"])
    if s["delay_value"]: loss.target_value_network.module[0].module.load_state_dict(case["state"]["target_value"])
    td = batch(case["batch"], s["action_key"], s["nstep"], s["weighted"])
    out = loss(td)
    close(out["loss_dqn"], case["outputs"]["loss_dqn"], f"{name} loss_dqn")
    close(td["td_error"], case["outputs"]["priority"], f"{name} td_error")
    close_grads(out["loss_dqn"], {"value": net}, case["grads"]["loss_dqn"], name)


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n]["settings"]["kind"] == "ddpg"])
def test_ddpg(name):
    case, s, state = CASES[name], CASES[name]["settings"], CASES[name]["state"]
    actor, critic = plain("actor", state["actor"]), plain("critic", state["value"])
    loss = DDPGLoss(Actor(actor), ValueOperator(critic, in_keys=["observation", "action"]), gamma=s["gamma"],
                    loss_function=s["loss_function"], delay_actor=s["delay_actor"], delay_value=True)
    if s["delay_actor"]: loss.target_actor_network.module.load_state_dict(state["target_actor"])
    loss.target_value_network.module.load_state_dict(state["target_value"])
    td = batch(case["batch"], "action", s["nstep"], s["weighted"])
    out = loss(td)
    for key in ("loss_actor", "loss_value", "pred_value", "target_value", "pred_value_max", "target_value_max"):
        close(out[key], case["outputs"][key], f"{name} {key}")
    close(td["td_error"] ** 2, case["outputs"]["priority_squared"], f"{name} td_error^2")
    for term in ("loss_actor", "loss_value"):
        close_grads(out[term], {"actor": actor, "value": critic}, case["grads"][term], f"{name} {term}")


@pytest.mark.parametrize("name", [n for n in CASES if CASES[n]["settings"]["kind"] == "td3"])
def test_td3(name):
    case, s, state = CASES[name], CASES[name]["settings"], CASES[name]["state"]
    actor, critic = plain("actor", state["actor"]), plain("critic", state["qvalue"][0])
    loss = TD3Loss(Actor(actor), ValueOperator(critic, in_keys=["observation", "action"]),
                   action_spec=Bounded(s["low"], s["high"]), num_qvalue_nets=2, policy_noise=s["policy_noise"],
                   noise_clip=s["noise_clip"], gamma=s["gamma"], loss_function=s["loss_function"],
                   delay_actor=s["delay"], delay_qvalue=s["delay"])
    loss.qvalue_networks[1].module.load_state_dict(state["qvalue"][1])
    if s["delay"]:
        loss.target_actor_network.module.load_state_dict(state["target_actor"])
        for i in range(2): loss.target_qvalue_networks[i].module.load_state_dict(state["target_qvalue"][i])
    td = batch(case["batch"], "action", s["nstep"], s["weighted"])
    torch.manual_seed(s["noise_seed"])  # the same target-policy noise as TorchRL's
    out = loss(td)
    for key in ("loss_actor", "loss_qvalue", "pred_value", "target_value", "next_state_value", "state_action_value_actor"):
        close(out[key], case["outputs"][key], f"{name} {key}")
    close(td["td_error"] ** 2, case["outputs"]["priority_squared"], f"{name} td_error^2")
    critics = [c.module for c in loss.qvalue_networks]
    for term in ("loss_actor", "loss_qvalue"):
        expected = case["grads"][term]
        close_grads(out[term], {"actor": actor}, {"actor": expected["actor"]}, f"{name} {term}")
        for i in range(2):
            close_grads(out[term], {"qvalue": critics[i]}, {"qvalue": expected["qvalue"][i]}, f"{name} {term} critic {i}")
