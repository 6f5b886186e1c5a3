"""Reference values of TorchRL 0.14.1's DQN, distributional DQN, DDPG and TD3 losses on fixed seeded inputs.

Writes `tests/data/losses_dqn_ddpg_reference.pt`, which `tests/test_losses_dqn_ddpg_reference.py` reads (without TorchRL)
to check torchrl_lit's losses within atol = rtol = 1e-5, values and gradients.

Each case builds small seeded plain networks (`nn.Sequential`, and a two-input critic `QNet`; the test builds the same
architectures), gives TorchRL's target networks *different* seeded weights (so that a loss that used the online network
where it should use the target one would fail), and runs TorchRL's loss on a batch of 16 transitions in which some steps
terminated, some were truncated, and (in some cases) which carries n-step counts and importance weights. TD3's target
noise is random: both sides draw it with `torch.randn_like(action)` as the first random call after `torch.manual_seed`,
so the same seed gives the same noise. Stored: inputs, every network's weights, the settings, the loss terms, the
diagnostics both sides have, the priorities and the gradients of each loss term with respect to every trained network.

Run (in the peer venv): `.venv-bench/bin/python benchmarks/make_loss_reference_dqn_ddpg.py`.
"""
from __future__ import annotations
from pathlib import Path
import torch
import torchrl  # noqa: F401  (import TorchRL before torchrl_lit, whose envs it would otherwise shadow)
from tensordict import TensorDict
from torch import nn
from torchrl.data import Bounded
from torchrl.modules import Actor, DistributionalQValueActor, QValueActor, ValueOperator
from torchrl.objectives import DDPGLoss, DistributionalDQNLoss, DQNLoss, TD3Loss

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "losses_dqn_ddpg_reference.pt"
B, OBS, N_ACT, ATOMS, OBS_C, ACT_C = 16, 4, 3, 11, 3, 2  # batch; discrete obs/actions/atoms; continuous obs/action dims
LOW, HIGH = torch.tensor([-1.0, -2.0]), torch.tensor([1.0, 2.0])  # continuous action bounds


class QNet(nn.Module):
    "Q(s, a) = MLP([s, a]): the critic of the DDPG/TD3 cases (the test defines the same class)."
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(OBS_C + ACT_C, 16), nn.ReLU(), nn.Linear(16, 1))
    def forward(self, observation, action): return self.net(torch.cat([observation, action], -1))


def networks(kind: str, seed: int) -> nn.Module:
    "The plain network of `kind`, seeded."
    torch.manual_seed(seed)
    if kind == "dqn": return nn.Sequential(nn.Linear(OBS, 16), nn.ReLU(), nn.Linear(16, N_ACT))
    if kind == "c51": return nn.Sequential(nn.Linear(OBS, 16), nn.ReLU(), nn.Linear(16, ATOMS * N_ACT), nn.Unflatten(-1, (ATOMS, N_ACT)))
    if kind == "actor": return nn.Sequential(nn.Linear(OBS_C, 16), nn.Tanh(), nn.Linear(16, ACT_C), nn.Tanh())
    if kind == "critic": return QNet()
    raise ValueError(kind)


def make_batch(seed: int, continuous: bool) -> dict:
    "A neutral batch: plain tensors, 4 terminated steps, 4 truncated ones, n-step counts and importance weights."
    g = torch.Generator().manual_seed(seed)
    obs_dim = OBS_C if continuous else OBS
    terminated = torch.zeros(B, 1, dtype=torch.bool); terminated[[1, 5, 9, 13]] = True
    truncated = torch.zeros(B, 1, dtype=torch.bool); truncated[[2, 6, 10, 14]] = True
    x = {"observation": torch.randn(B, obs_dim, generator=g), "next_observation": torch.randn(B, obs_dim, generator=g),
         "reward": torch.randn(B, 1, generator=g), "terminated": terminated, "truncated": truncated, "done": terminated | truncated,
         "steps": torch.randint(1, 4, (B, 1), generator=g), "weight": torch.rand(B, generator=g) + 0.5}
    if continuous: x["action"] = LOW + (HIGH - LOW) * torch.rand(B, ACT_C, generator=g)
    else:
        x["action_index"] = torch.randint(0, N_ACT, (B,), generator=g)
        x["action_one_hot"] = nn.functional.one_hot(x["action_index"], N_ACT)
    return x


def torchrl_batch(x: dict, action_key: str, nstep: bool, weighted: bool) -> TensorDict:
    "The batch as TorchRL reads it (root 'steps_to_next_obs', 'priority_weight')."
    td = TensorDict({"observation": x["observation"], "action": x[action_key],
                     "next": {"observation": x["next_observation"], "reward": x["reward"], "done": x["done"],
                              "terminated": x["terminated"], "truncated": x["truncated"]}}, [B])
    if nstep: td["steps_to_next_obs"] = x["steps"]
    if weighted: td["priority_weight"] = x["weight"]
    return td


def _match(params: TensorDict, names: list[str]) -> dict:
    "TorchRL parameter key ('module.0.module.0.weight') -> the plain network's name ('0.weight'); other entries (the support) skipped."
    out = {}
    for key in params.keys(True, True):
        found = [n for n in names if ".".join(key).endswith("module." + n)]
        if len(found) > 1: raise RuntimeError(f"{key} matches several names: {found}")
        if found: out[key] = found[0]
    if sorted(out.values()) != sorted(names): raise RuntimeError(f"unmatched names: {set(names) - set(out.values())}")
    return out


def set_plain(params: TensorDict, state: dict, index: int | None = None):
    "Copy a plain state_dict into TorchRL's (target) parameters, at `index` of stacked ones."
    for key, name in _match(params, list(state)).items():
        value = params.get(key)
        (value.data if index is None else value.data[index]).copy_(state[name])


def get_plain(params: TensorDict, names: list[str], index: int | None = None) -> dict:
    "TorchRL's parameters (at `index` of stacked ones) as a plain state_dict."
    return {name: (params.get(key).detach() if index is None else params.get(key).detach()[index]).clone()
            for key, name in _match(params, names).items()}


def grads_of(term: torch.Tensor, params: TensorDict, names: list[str]) -> dict:
    "d term / d params as a plain-name dict (zeros where the term does not depend on a parameter)."
    match = _match(params, names)
    tensors = [params.get(key) for key in match]
    grads = torch.autograd.grad(term, tensors, retain_graph=True, allow_unused=True)
    return {name: (torch.zeros_like(t) if g is None else g).detach().clone() for (key, name), t, g in zip(match.items(), tensors, grads)}


def dqn_case(seed, action_key, loss_function, double_dqn, delay_value, gamma, nstep, weighted):
    net, target = networks("dqn", seed), networks("dqn", seed + 100)
    space = "one-hot" if action_key == "action_one_hot" else "categorical"
    loss = DQNLoss(QValueActor(net, in_keys=["observation"], action_space=space), action_space=space, loss_function=loss_function,
                   delay_value=delay_value, double_dqn=double_dqn)
    loss.make_value_estimator(gamma=gamma)
    if delay_value: set_plain(loss.target_value_network_params, target.state_dict())
    x = make_batch(seed, continuous=False)
    td = torchrl_batch(x, action_key, nstep, weighted)
    out = loss(td)
    names = list(net.state_dict())
    return {"settings": dict(kind="dqn", action_key=action_key, loss_function=loss_function, double_dqn=double_dqn,
                             delay_value=delay_value, gamma=gamma, nstep=nstep, weighted=weighted),
            "batch": x, "state": {"value": get_plain(loss.value_network_params, names), "target_value": target.state_dict()},
            "outputs": {"loss_dqn": out["loss"].detach(), "priority_squared": td["td_error"].squeeze(-1)},
            "grads": {"loss_dqn": {"value": grads_of(out["loss"], loss.value_network_params, names)}}}


def c51_case(seed, action_key, delay_value, gamma, nstep, weighted):
    net, target = networks("c51", seed), networks("c51", seed + 100)
    support = torch.linspace(-5, 5, ATOMS)
    space = "one-hot" if action_key == "action_one_hot" else "categorical"
    loss = DistributionalDQNLoss(DistributionalQValueActor(net, support=support, in_keys=["observation"], action_space=space),
                                 gamma=gamma, delay_value=delay_value)
    if delay_value: set_plain(loss.target_value_network_params, target.state_dict())
    x = make_batch(seed, continuous=False)
    td = torchrl_batch(x, action_key, nstep, weighted)
    out = loss(td)
    names = list(net.state_dict())
    return {"settings": dict(kind="c51", action_key=action_key, delay_value=delay_value, gamma=gamma, nstep=nstep,
                             weighted=weighted, support=support),
            "batch": x, "state": {"value": get_plain(loss.value_network_params, names), "target_value": target.state_dict()},
            "outputs": {"loss_dqn": out["loss"].detach(), "priority": td["td_error"].squeeze(-1)},
            "grads": {"loss_dqn": {"value": grads_of(out["loss"], loss.value_network_params, names)}}}


def ddpg_case(seed, loss_function, delay_actor, gamma, nstep, weighted):
    actor, critic = networks("actor", seed), networks("critic", seed + 1)
    t_actor, t_critic = networks("actor", seed + 100), networks("critic", seed + 101)
    loss = DDPGLoss(Actor(actor, in_keys=["observation"]), ValueOperator(critic, in_keys=["observation", "action"]),
                    loss_function=loss_function, delay_actor=delay_actor, delay_value=True)
    loss.make_value_estimator(gamma=gamma)
    if delay_actor: set_plain(loss.target_actor_network_params, t_actor.state_dict())
    set_plain(loss.target_value_network_params, t_critic.state_dict())
    x = make_batch(seed, continuous=True)
    td = torchrl_batch(x, "action", nstep, weighted)
    out = loss(td)
    a_names, c_names = list(actor.state_dict()), list(critic.state_dict())
    grads = {term: {"actor": grads_of(out[term], loss.actor_network_params, a_names),
                    "value": grads_of(out[term], loss.value_network_params, c_names)} for term in ("loss_actor", "loss_value")}
    return {"settings": dict(kind="ddpg", loss_function=loss_function, delay_actor=delay_actor, gamma=gamma, nstep=nstep, weighted=weighted),
            "batch": x, "state": {"actor": get_plain(loss.actor_network_params, a_names), "value": get_plain(loss.value_network_params, c_names),
                                  "target_actor": t_actor.state_dict(), "target_value": t_critic.state_dict()},
            "outputs": {"loss_actor": out["loss_actor"].detach(), "loss_value": out["loss_value"].detach(),
                        "pred_value": out["pred_value"].mean(), "target_value": out["target_value"].mean(),
                        "pred_value_max": out["pred_value_max"], "target_value_max": out["target_value_max"],
                        "priority_squared": td["td_error"]},
            "grads": grads}


def td3_case(seed, loss_function, policy_noise, noise_clip, delay, gamma, nstep, weighted, noise_seed):
    actor, critic = networks("actor", seed), networks("critic", seed + 1)
    loss = TD3Loss(Actor(actor, in_keys=["observation"]), ValueOperator(critic, in_keys=["observation", "action"]),
                   action_spec=Bounded(LOW, HIGH, shape=(ACT_C,)), num_qvalue_nets=2, policy_noise=policy_noise,
                   noise_clip=noise_clip, loss_function=loss_function, delay_actor=delay, delay_qvalue=delay)
    loss.make_value_estimator(gamma=gamma)
    a_names, c_names = list(actor.state_dict()), list(critic.state_dict())
    state = {"actor": get_plain(loss.actor_network_params, a_names),
             "qvalue": [get_plain(loss.qvalue_network_params, c_names, i) for i in range(2)]}
    if delay:
        state["target_actor"] = networks("actor", seed + 100).state_dict()
        state["target_qvalue"] = [networks("critic", seed + 101 + i).state_dict() for i in range(2)]
        set_plain(loss.target_actor_network_params, state["target_actor"])
        for i in range(2): set_plain(loss.target_qvalue_network_params, state["target_qvalue"][i], i)
    x = make_batch(seed, continuous=True)
    td = torchrl_batch(x, "action", nstep, weighted)
    torch.manual_seed(noise_seed)
    out = loss(td)
    grads = {}
    for term in ("loss_actor", "loss_qvalue"):
        stacked = grads_of(out[term], loss.qvalue_network_params, c_names)
        grads[term] = {"actor": grads_of(out[term], loss.actor_network_params, a_names),
                       "qvalue": [{k: v[i] for k, v in stacked.items()} for i in range(2)]}
    return {"settings": dict(kind="td3", loss_function=loss_function, policy_noise=policy_noise, noise_clip=noise_clip, delay=delay,
                             gamma=gamma, nstep=nstep, weighted=weighted, noise_seed=noise_seed, low=LOW, high=HIGH),
            "batch": x, "state": state,
            "outputs": {"loss_actor": out["loss_actor"].detach(), "loss_qvalue": out["loss_qvalue"].detach(),
                        "pred_value": out["pred_value"].mean(), "target_value": out["target_value"].mean(),
                        "next_state_value": out["next_state_value"].mean(),
                        "state_action_value_actor": out["state_action_value_actor"][0].mean(), "priority_squared": td["td_error"]},
            "grads": grads}


def main():
    cases = {
        "dqn_one_hot_l2": dqn_case(1, "action_one_hot", "l2", False, True, 0.9, False, False),
        "dqn_index_double_huber_nstep_per": dqn_case(2, "action_index", "smooth_l1", True, True, 0.95, True, True),
        "dqn_one_hot_l1_no_target_nstep": dqn_case(3, "action_one_hot", "l1", False, False, 0.99, True, False),
        "c51_one_hot": c51_case(4, "action_one_hot", True, 0.9, False, False),
        "c51_index_nstep_per": c51_case(5, "action_index", True, 0.99, True, True),
        "c51_no_target": c51_case(6, "action_one_hot", False, 0.8, False, False),
        "ddpg_default_l2": ddpg_case(7, "l2", False, 0.9, False, False),
        "ddpg_target_actor_huber_nstep_per": ddpg_case(8, "smooth_l1", True, 0.99, True, True),
        "td3_default": td3_case(9, "smooth_l1", 0.2, 0.5, True, 0.9, False, False, noise_seed=11),
        "td3_l2_wide_noise_nstep_per": td3_case(10, "l2", 2.0, 0.3, True, 0.99, True, True, noise_seed=12),
        "td3_no_targets": td3_case(13, "l2", 0.2, 0.5, False, 0.9, False, False, noise_seed=14),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save({"torchrl_version": torchrl.__version__, "cases": cases}, OUT)
    print(f"wrote {len(cases)} cases to {OUT} ({OUT.stat().st_size / 1e3:.0f} kB), torchrl {torchrl.__version__}")


if __name__ == "__main__":
    main()
