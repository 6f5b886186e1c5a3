"""Reference values for the returns chapter, computed by TorchRL on fixed seeded inputs.

Run in the bench venv (TorchRL is never a dependency of torchrl_lit):

    .venv-bench/bin/python benchmarks/make_reference_values.py

It writes tests/data/returns_reference.pt: the inputs, the parameters, and the outputs of
`torchrl.objectives.value.functional` (loop and vectorised GAE and TD(lambda), TD(0), V-trace), and,
under "vtrace_module", the inputs, the weights of a tiny actor and critic, and the outputs of
TorchRL's `VTrace` module.
`tests/test_returns_reference.py` compares torchrl_lit.objectives.value with them, without TorchRL.
Re-run this script when the inputs below change.
"""
from __future__ import annotations
from pathlib import Path
import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "returns_reference.pt"
SHAPE = (2, 3, 48, 1)  # [*B, T, 1]: two batch dims, time at dim -2
GAMMA, LMBDA = 0.99, 0.95
VTRACE_THRESHOLDS = [(1.0, 1.0), (2.0, 0.5)]  # (rho_thresh, c_thresh)
MODULE_SHAPE, OBS_DIM, HIDDEN, N_ACTIONS = (3, 40), 4, 8, 3  # the VTrace module's trajectories [*B, T] and networks


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


def mlp(weights: dict[str, torch.Tensor]) -> nn.Sequential:
    "The Linear-Tanh-Linear network that `weights` (a state dict) belong to; its output size is read from them."
    net = nn.Sequential(nn.Linear(OBS_DIM, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, weights["2.bias"].shape[0]))
    net.load_state_dict(weights)
    return net


def make_networks(seed: int = 1) -> dict[str, dict[str, torch.Tensor]]:
    "Seeded state dicts of a tiny actor (observation -> logits of 3 actions) and critic (observation -> value)."
    g = torch.Generator().manual_seed(seed)
    def weights(out: int) -> dict[str, torch.Tensor]:
        shapes = {"0.weight": (HIDDEN, OBS_DIM), "0.bias": (HIDDEN,), "2.weight": (out, HIDDEN), "2.bias": (out,)}
        return {k: 0.5 * torch.randn(s, generator=g) for k, s in shapes.items()}
    return {"actor": weights(N_ACTIONS), "critic": weights(1)}


def make_module_inputs(networks: dict, seed: int = 2) -> dict[str, torch.Tensor]:
    """Seeded trajectories [*B, T] for the VTrace module, with the behaviour policy's log-probabilities.

    TorchRL 0.14.1's `VTrace` does not score the stored action: it scores the actor's mode (or, under
    random interaction, a fresh sample). Each stored action is therefore the actor's most likely one, where
    both readings give log pi(a_t|s_t); the behaviour policy mu is the actor with perturbed logits.
    """
    g = torch.Generator().manual_seed(seed)
    obs, next_obs = (torch.randn(*MODULE_SHAPE, OBS_DIM, generator=g) for _ in range(2))
    reward = torch.randn(*MODULE_SHAPE, 1, generator=g)
    done = torch.rand(*MODULE_SHAPE, 1, generator=g) < 0.1
    done[0, 3], done[0, 4] = True, True  # a termination, then a one-step episode truncated
    terminated = done & (torch.rand(*MODULE_SHAPE, 1, generator=g) < 0.5)
    terminated[0, 3], terminated[0, 4] = True, False
    with torch.no_grad(): logits = mlp(networks["actor"])(obs)  # [*B, T, N_ACTIONS]
    action = logits.argmax(-1)  # [*B, T]
    mu_logits = logits + 0.7 * torch.randn(logits.shape, generator=g)
    sample_log_prob = torch.distributions.Categorical(logits=mu_logits).log_prob(action)  # log mu(a_t|s_t), [*B, T]
    return {"observation": obs, "action": action, "sample_log_prob": sample_log_prob, "next_observation": next_obs,
            "reward": reward, "done": done, "terminated": terminated}


def module_reference(x: dict[str, torch.Tensor], networks: dict) -> dict[str, torch.Tensor]:
    "TorchRL's `VTrace` module on `x` with the stored actor and critic, for each pair of thresholds."
    from tensordict import TensorDict
    from tensordict.nn import InteractionType, TensorDictModule, set_interaction_type
    from torchrl.modules import ProbabilisticActor, ValueOperator
    from torchrl.objectives.value import VTrace
    from torchrl.objectives.value import functional as F
    actor = ProbabilisticActor(TensorDictModule(mlp(networks["actor"]), ["observation"], ["logits"]), in_keys=["logits"],
                               distribution_class=torch.distributions.Categorical, return_log_prob=True)
    critic = ValueOperator(mlp(networks["critic"]), in_keys=["observation"])
    flags = {"reward": x["reward"], "done": x["done"], "terminated": x["terminated"]}
    out = {}
    for i, (rho, c) in enumerate(VTRACE_THRESHOLDS):
        estimator = VTrace(gamma=GAMMA, actor_network=actor, value_network=critic, rho_thresh=rho, c_thresh=c)
        estimator.set_keys(sample_log_prob="sample_log_prob")  # TorchRL 0.14 reads "action_log_prob" by default
        td = TensorDict({"observation": x["observation"], "action": x["action"], "sample_log_prob": x["sample_log_prob"],
                         "next": {"observation": x["next_observation"], **flags}}, batch_size=MODULE_SHAPE)
        with torch.no_grad(), set_interaction_type(InteractionType.DETERMINISTIC):
            estimator(td)
        out[f"advantage_{i}"], out[f"value_target_{i}"] = td["advantage"], td["value_target"]
        # the outputs are V-trace with log pi of the stored action (the functional, checked above, on the same numbers)
        with torch.no_grad():
            log_pi = torch.distributions.Categorical(logits=mlp(networks["actor"])(x["observation"])).log_prob(x["action"])
            values = [mlp(networks["critic"])(x[k]) for k in ("observation", "next_observation")]
        expected = F.vtrace_advantage_estimate(GAMMA, log_pi.unsqueeze(-1), x["sample_log_prob"].unsqueeze(-1), *values,
                                               *flags.values(), rho_thresh=rho, c_thresh=c)
        for name, ours, theirs in zip(("advantage", "value_target"), expected, (td["advantage"], td["value_target"])):
            torch.testing.assert_close(ours, theirs, msg=lambda m: f"VTrace module {name}: {m}")
    return {k: v.detach().clone() for k, v in out.items()}


def main():
    import torchrl
    x = make_inputs()
    networks = make_networks()
    module_inputs = make_module_inputs(networks)
    data = {"inputs": x, "outputs": reference(x), "gamma": GAMMA, "lmbda": LMBDA,
            "vtrace_thresholds": VTRACE_THRESHOLDS, "torchrl_version": torchrl.__version__,
            "vtrace_module": {"inputs": module_inputs, "networks": networks,
                              "outputs": module_reference(module_inputs, networks)}}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save(data, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) with torchrl {torchrl.__version__}: {sorted(data['outputs'])}, "
          f"vtrace_module {sorted(data['vtrace_module']['outputs'])}")


if __name__ == "__main__":
    main()
