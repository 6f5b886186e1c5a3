"""Reference values for the A2C/PPO and SAC/REDQ chapters, computed by TorchRL 0.14.1 on fixed seeded inputs.

Run in the bench venv (TorchRL is never a dependency of torchrl_lit):

    .venv-bench/bin/python benchmarks/make_loss_reference_ppo_sac.py

It writes tests/data/losses_ppo_sac_reference.pt: for each case the loss and its settings, the input
batch, the weights of small seeded networks (plain modules built the same way on both sides; each
network's parameters flattened into one vector in `parameters()` order, which keeps the file small),
the seed set before the forward pass, TorchRL's outputs, the gradients of the sum of its `loss_*`
terms (flattened the same way) and the TD errors it wrote. `tests/test_losses_ppo_sac_reference.py`
rebuilds the same networks in torchrl_lit and compares, without TorchRL.

Randomness: the losses sample (PPO's entropy estimate of a tanh-Gaussian; SAC's next and fresh
actions; REDQ's subset of critics). Both libraries draw in the same order from torch's global
generator with the same shapes (`randperm`, then `randn`-based reparameterised samples), so seeding
the generator before each forward pass gives the same draws on both sides.

Inputs avoid saturated actions (|a| <= 0.999 of the bound): at the bound the log-density of a
tanh-Gaussian depends on how each library clamps atanh's argument, which is not what is compared.
Re-run this script when the cases below change.
"""
from __future__ import annotations
from pathlib import Path
import torch
from torch import nn

OUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "losses_ppo_sac_reference.pt"
B = 32  # batch size of every case
HIDDEN = 16


# ----- networks: the same plain modules on both sides (the test file has a copy of these builders)
def policy_net(kind: str, obs_dim: int, act_dim: int, extractor: nn.Module | None) -> nn.Sequential:
    "Discrete: logits [*, n]. Continuous: loc, scale [*, A] through `extractor` (exp scale mapping on both sides)."
    out = act_dim if kind == "discrete" else 2 * act_dim
    layers = [nn.Linear(obs_dim, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, out)]
    return nn.Sequential(*layers, *([extractor] if extractor is not None else []))


def value_net(obs_dim: int) -> nn.Sequential:
    return nn.Sequential(nn.Linear(obs_dim, HIDDEN), nn.Tanh(), nn.Linear(HIDDEN, 1))


class QNet(nn.Module):
    "Q(s, a) = MLP([s, a])."
    def __init__(self, obs_dim: int, act_dim: int):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(obs_dim + act_dim, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 1))

    def forward(self, observation, action): return self.net(torch.cat([observation, action], -1))


# ----- cases
PPO_CASES = [  # (name, loss class, kind, kwargs shared by both libraries, compare gradients)
    ("a2c_discrete", "A2CLoss", "discrete", {}, True),
    ("a2c_continuous", "A2CLoss", "continuous", {"entropy_coef": 0.05, "loss_critic_type": "l2"}, True),
    ("clip_discrete", "ClipPPOLoss", "discrete", {}, True),
    ("clip_discrete_options", "ClipPPOLoss", "discrete",
     {"clip_epsilon": 0.1, "normalize_advantage": True, "clip_value": True, "loss_critic_type": "l2", "entropy_coef": 0.02,
      "critic_coef": 0.5}, True),
    ("clip_continuous", "ClipPPOLoss", "continuous", {"normalize_advantage": True, "clip_value": 0.5}, True),
    ("clip_continuous_time", "ClipPPOLoss", "continuous", {}, True),  # a [2, B/2] batch, as a collector returns
    ("klpen_discrete", "KLPENPPOLoss", "discrete", {}, False),  # β changes: TorchRL's backward uses the new β
    ("klpen_discrete_steady", "KLPENPPOLoss", "discrete", {"dtarg": None, "beta": 0.7}, True),  # dtarg set to the batch KL
    ("klpen_continuous", "KLPENPPOLoss", "continuous", {"samples_mc_entropy": 2}, False),
]
SAC_CASES = [  # (name, loss class, kwargs shared by both libraries, input variant)
    ("sac_default", "SACLoss", {}, "plain"),
    ("sac_l2_per", "SACLoss", {"loss_function": "l2", "alpha_init": 0.5}, "per"),
    ("sac_nstep", "SACLoss", {"alpha_init": 0.3, "min_alpha": 0.1, "max_alpha": 2.0}, "nstep"),
    ("sac_three_fixed_alpha", "SACLoss", {"num_qvalue_nets": 3, "alpha_init": 0.2, "fixed_alpha": True, "target_entropy": -0.5}, "plain"),
    ("redq_default", "REDQLoss", {}, "plain"),
    ("redq_l2", "REDQLoss", {"loss_function": "l2", "alpha_init": 0.5, "num_qvalue_nets": 5, "sub_sample_len": 3}, "plain"),
]
TORCHRL_NAMES = {"entropy_coef": "entropy_coeff", "critic_coef": "critic_coeff"}


def _flags(g: torch.Generator, shape: tuple) -> tuple[torch.Tensor, torch.Tensor]:
    "done and terminated [*shape, 1]: about 1/4 done, half of them truncations; at least one of each kind."
    done = torch.rand(*shape, 1, generator=g) < 0.25
    terminated = done & (torch.rand(*shape, 1, generator=g) < 0.5)
    flat_d, flat_t = done.view(-1), terminated.view(-1)
    flat_d[:2] = True; flat_t[0], flat_t[1] = True, False
    return done, terminated


def ppo_inputs(kind: str, seed: int, batch_shape: tuple, behaviour: nn.Module) -> dict:
    "A batch as GAE leaves it: observations, actions and log-probs of a behaviour policy, its distribution parameters, advantages, targets, old values."
    from torchrl_lit.modules import OneHotCategorical, TanhNormal
    g = torch.Generator().manual_seed(seed)
    obs_dim = 4 if kind == "discrete" else 3
    x = {"observation": torch.randn(*batch_shape, obs_dim, generator=g)}
    with torch.no_grad():
        if kind == "discrete":
            logits = behaviour(x["observation"])
            dist = OneHotCategorical(logits=logits)
            action = torch.nn.functional.one_hot(torch.multinomial(dist.probs.reshape(-1, 2), 1, generator=g).view(batch_shape), 2)
            x.update(logits=logits, action=action, sample_log_prob=dist.log_prob(action))
        else:
            loc, scale = behaviour(x["observation"])
            u = loc + scale * torch.randn(loc.shape, generator=g)
            action = (2.0 * torch.tanh(u)).clamp(-1.998, 1.998)
            x.update(loc=loc, scale=scale, action=action, sample_log_prob=TanhNormal(loc, scale, -2.0, 2.0).log_prob(action))
    x["advantage"] = torch.randn(*batch_shape, 1, generator=g)
    x["value_target"] = torch.randn(*batch_shape, 1, generator=g)
    x["state_value"] = x["value_target"] + 0.5 * torch.randn(*batch_shape, 1, generator=g)
    x["next.observation"] = torch.randn(*batch_shape, obs_dim, generator=g)
    x["next.reward"] = torch.randn(*batch_shape, 1, generator=g)
    x["next.done"], x["next.terminated"] = _flags(g, batch_shape)
    return x


def sac_inputs(seed: int, variant: str, obs_dim: int = 3, act_dim: int = 2) -> dict:
    "Transitions from a replay buffer; 'per' adds importance weights, 'nstep' the number of steps to the bootstrap state."
    g = torch.Generator().manual_seed(seed)
    x = {"observation": torch.randn(B, obs_dim, generator=g), "action": 1.9 * (2 * torch.rand(B, act_dim, generator=g) - 1),
         "next.observation": torch.randn(B, obs_dim, generator=g), "next.reward": torch.randn(B, 1, generator=g)}
    x["next.done"], x["next.terminated"] = _flags(g, (B,))
    if variant == "per": x["_weight"] = 0.2 + torch.rand(B, generator=g)
    if variant == "nstep": x["next.steps_to_next_obs"] = torch.randint(1, 4, (B, 1), generator=g)
    return x


def _torchrl_td(x: dict, batch_shape: tuple):
    "The inputs as a tensordict.TensorDict, with TorchRL's key names."
    from tensordict import TensorDict
    td = TensorDict({}, batch_size=batch_shape)
    for key, value in x.items():
        if key == "_weight": key = "priority_weight"
        elif key == "next.steps_to_next_obs": key = "steps_to_next_obs"  # TorchRL's estimators read it at the root
        elif key == "sample_log_prob": td.set("action_log_prob", value)  # TorchRL 0.14's default log-prob key
        td.set(tuple(key.split(".")) if "." in key else key, value)
    return td


def _leaves(params) -> list[torch.Tensor]:
    "The parameter tensors of a TorchRL TensorDictParams, in module order."
    return [p for p in params.values(True, True) if isinstance(p, nn.Parameter) and p.requires_grad]


def _vector(module: nn.Module) -> torch.Tensor:
    "The parameters of `module`, flattened into one vector in `parameters()` order (a small file: one tensor per net)."
    return nn.utils.parameters_to_vector(module.parameters()).detach().clone()


def _grads(total: torch.Tensor, groups: dict, stacked: tuple = ()) -> dict:
    "d total / d each parameter group, flattened: [P] per group, or [N, P] for the groups in `stacked` (leading dim N)."
    names, flat = [], []
    for name, ps in groups.items(): names += [name] * len(ps); flat += ps
    grads = torch.autograd.grad(total, flat, allow_unused=True)
    out = {name: [] for name in groups}
    for name, gr, p in zip(names, grads, flat): out[name].append(torch.zeros_like(p) if gr is None else gr.detach())
    return {name: torch.cat([g.reshape(g.shape[0], -1) if name in stacked else g.reshape(-1) for g in gs], -1)
            for name, gs in out.items()}


def ppo_case(name, loss_name, kind, kwargs, with_grads, seed):
    import torchrl.objectives as O
    from torchrl.data import Bounded, OneHot
    from torchrl.modules import ProbabilisticActor, ValueOperator, OneHotCategorical, TanhNormal, NormalParamExtractor
    from tensordict.nn import TensorDictModule
    from torchrl_lit.modules import NormalParamExtractor as OurExtractor
    torch.manual_seed(seed)
    obs_dim, act_dim = (4, 2) if kind == "discrete" else (3, 2)
    actor_net = policy_net(kind, obs_dim, act_dim, None if kind == "discrete" else NormalParamExtractor(scale_mapping="exp"))
    critic_net = value_net(obs_dim)
    behaviour = policy_net(kind, obs_dim, act_dim, None if kind == "discrete" else OurExtractor(scale_mapping="exp"))
    behaviour.load_state_dict(actor_net.state_dict())
    with torch.no_grad():
        for p in behaviour.parameters(): p.add_(0.15 * torch.randn_like(p))  # the collecting policy differs: ratios != 1
    batch_shape = (2, B // 2) if name.endswith("_time") else (B,)
    x = ppo_inputs(kind, seed, batch_shape, behaviour)
    if kind == "discrete":
        module = TensorDictModule(actor_net, ["observation"], ["logits"])
        actor = ProbabilisticActor(module, ["logits"], spec=OneHot(2), distribution_class=OneHotCategorical, return_log_prob=True)
    else:
        module = TensorDictModule(actor_net, ["observation"], ["loc", "scale"])
        actor = ProbabilisticActor(module, ["loc", "scale"], spec=Bounded(-2.0, 2.0, (act_dim,)), distribution_class=TanhNormal,
                                   distribution_kwargs={"low": -2.0, "high": 2.0}, return_log_prob=True)
    critic = ValueOperator(critic_net, in_keys=["observation"])
    kwargs = dict(kwargs)
    if kwargs.get("dtarg", 0) is None:  # a target equal to the batch's KL keeps β where it is
        from torchrl_lit.modules import OneHotCategorical as OurCategorical
        with torch.no_grad():
            kwargs["dtarg"] = float(torch.distributions.kl_divergence(OurCategorical(logits=x["logits"]),
                                                                     OurCategorical(logits=actor_net(x["observation"]))).mean())
    loss = getattr(O, loss_name)(actor, critic, **{TORCHRL_NAMES.get(k, k): v for k, v in kwargs.items()})
    td = _torchrl_td(x, batch_shape)
    torch.manual_seed(seed + 1000)
    out = loss(td)
    keys = [k for k in out.keys() if k in ("loss_objective", "loss_critic", "loss_entropy", "entropy", "kl_approx",
                                           "clip_fraction", "value_clip_fraction", "explained_variance", "kl")]
    outputs = {k: out[k].detach().mean().clone() for k in keys}  # TorchRL's kl is per sample, ours the batch mean
    if len(batch_shape) > 1: outputs.pop("explained_variance")  # TorchRL's is per index of the trailing batch dims, ours one scalar
    grads = None
    if with_grads:
        total = sum(out[k] for k in out.keys() if k.startswith("loss_"))
        grads = _grads(total, {"actor": list(actor_net.parameters()), "critic": list(critic_net.parameters())})
    extra = {"beta_after": loss.beta.detach().clone()} if loss_name == "KLPENPPOLoss" else {}
    return {"name": name, "loss": loss_name, "kind": kind, "kwargs": kwargs, "batch_shape": list(batch_shape), "seed": seed + 1000,
            "inputs": x, "nets": {"actor": _vector(actor_net), "critic": _vector(critic_net)},
            "outputs": outputs, "grads": grads, **extra}


def sac_case(name, loss_name, kwargs, variant, seed):
    import torchrl.objectives as O
    from torchrl.data import Bounded
    from torchrl.modules import ProbabilisticActor, ValueOperator, TanhNormal, NormalParamExtractor
    from tensordict import TensorDict
    from tensordict.nn import TensorDictModule
    torch.manual_seed(seed)
    obs_dim, act_dim = 3, 2
    n = kwargs.get("num_qvalue_nets", 2 if loss_name == "SACLoss" else 10)
    actor_net = policy_net("continuous", obs_dim, act_dim, NormalParamExtractor(scale_mapping="exp"))
    critics = [QNet(obs_dim, act_dim) for _ in range(n)]
    targets = [QNet(obs_dim, act_dim) for _ in range(n)]
    for c, t in zip(critics, targets):
        t.load_state_dict(c.state_dict())
        with torch.no_grad():
            for p in t.parameters(): p.add_(0.05 * torch.randn_like(p))  # the target critics lag behind
    actor = ProbabilisticActor(TensorDictModule(actor_net, ["observation"], ["loc", "scale"]), ["loc", "scale"],
                               spec=Bounded(-2.0, 2.0, (act_dim,)), distribution_class=TanhNormal,
                               distribution_kwargs={"low": -2.0, "high": 2.0})
    loss = getattr(O, loss_name)(actor, [ValueOperator(c, in_keys=["observation", "action"]) for c in critics], **kwargs)
    loss.make_value_estimator(gamma=0.99)
    loss.target_qvalue_network_params.update_(TensorDict.from_modules(*[ValueOperator(t, in_keys=["observation", "action"]) for t in targets]))
    x = sac_inputs(seed, variant, obs_dim, act_dim)
    td = _torchrl_td(x, (B,))
    torch.manual_seed(seed + 1000)
    out = loss(td)
    outputs = {k: out[k].detach().clone() for k in ("loss_actor", "loss_qvalue", "loss_alpha", "alpha", "entropy")}
    total = out["loss_actor"] + out["loss_qvalue"] + out["loss_alpha"]
    groups = {"actor": list(actor_net.parameters()), "qvalue": _leaves(loss.qvalue_network_params)}
    if not kwargs.get("fixed_alpha"): groups["log_alpha"] = [loss.log_alpha]
    grads = _grads(total, groups, stacked=("qvalue",))
    return {"name": name, "loss": loss_name, "kwargs": kwargs, "variant": variant, "seed": seed + 1000, "inputs": x,
            "nets": {"actor": _vector(actor_net), "qvalue": torch.stack([_vector(c) for c in critics]),
                     "target_qvalue": torch.stack([_vector(t) for t in targets])},
            "outputs": outputs, "grads": grads, "td_error": td.get("td_error").detach().clone()}


def main():
    import torchrl  # before torchrl_lit: TorchRL's compiled parts load first
    torch.set_num_threads(1)
    cases = [ppo_case(*c, seed=10 * i) for i, c in enumerate(PPO_CASES)]
    cases += [sac_case(*c, seed=500 + 10 * i) for i, c in enumerate(SAC_CASES)]
    data = {"cases": cases, "torchrl_version": torchrl.__version__, "hidden": HIDDEN}
    OUT.parent.mkdir(parents=True, exist_ok=True)
    torch.save(data, OUT)
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes) with torchrl {torchrl.__version__}: {[c['name'] for c in cases]}")


if __name__ == "__main__":
    main()
