"""Returns: torchrl_lit's estimators against TorchRL 0.14.1's, side by side in one process.

Inputs `[16, 1000, 1]` float32 (B = 16 trajectories of T = 1000 steps, time at dim -2), gamma 0.99,
lambda 0.95, about 2% of steps done and half of those terminated. Timed, one thread, warm-up first,
median of interleaved repeats: GAE against TorchRL's `vec_generalized_advantage_estimate` (the target)
and its loop `generalized_advantage_estimate`; TD(lambda) against `vec_td_lambda_return_estimate`;
V-trace against `vtrace_advantage_estimate`; and the `VTrace` module, on a `[16, 1000]` TensorDict of
4-dim observations, with the same actor (logits of 2 actions) and critic on both sides: each call runs
the critic on the observations and the next observations, scores the stored actions with the actor, and
writes "advantage" and "value_target". With linear networks the row times the module's own work; with
2-layer MLPs of 64 the networks take most of the time.
Run: `.venv-bench/bin/python benchmarks/bench_returns.py`.
"""
from __future__ import annotations
import copy, statistics, time
import torch
from torch import nn

from _harness import main, ratio_cells

SHAPE, GAMMA, LMBDA = (16, 1000, 1), 0.99, 0.95
OBS_DIM, HIDDEN, N_ACTIONS = 4, 64, 2
MODULE_OPS = {"VTrace module, linear actor and critic": 0, "VTrace module, MLP actor and critic (64x2)": 2}  # hidden layers
OPS = ("GAE", "GAE vs TorchRL's loop version", "TD(lambda)", "V-trace", *MODULE_OPS)


def _inputs(seed: int = 0) -> tuple:
    "Seeded (state_value, next_state_value, reward, done, terminated, log_pi, log_mu)."
    g = torch.Generator().manual_seed(seed)
    sv, nsv, r, log_pi, log_mu = (torch.randn(SHAPE, generator=g) for _ in range(5))
    done = torch.rand(SHAPE, generator=g) < 0.02
    return sv, nsv, r, done, done & (torch.rand(SHAPE, generator=g) < 0.5), log_pi, log_mu


def _trajectories(x: tuple, seed: int = 0) -> dict:
    "The VTrace module's batch as plain tensors: seeded observations, actions and behaviour log-probs, the flags of `x`."
    g = torch.Generator().manual_seed(seed)
    obs, next_obs = (torch.randn(*SHAPE[:-1], OBS_DIM, generator=g) for _ in range(2))
    action = torch.randint(N_ACTIONS, SHAPE[:-1], generator=g)
    sample_log_prob = -torch.rand(SHAPE[:-1], generator=g)
    return {"observation": obs, "action": action, "sample_log_prob": sample_log_prob,
            "next": {"observation": next_obs, "reward": x[2], "done": x[3], "terminated": x[4]}}


def _networks(hidden_layers: int, seed: int = 0) -> tuple[nn.Module, nn.Module]:
    "A seeded actor (observation -> logits) and critic (observation -> value), Tanh MLPs of width 64; each side copies them."
    torch.manual_seed(seed)
    def mlp(out: int) -> nn.Sequential:
        sizes = [OBS_DIM, *[HIDDEN] * hidden_layers]
        layers = [m for i in range(hidden_layers) for m in (nn.Linear(sizes[i], sizes[i + 1]), nn.Tanh())]
        return nn.Sequential(*layers, nn.Linear(sizes[-1], out))
    return mlp(N_ACTIONS), mlp(1)


def _ops(F: dict, x: tuple, networks: dict) -> dict:
    "Operation name -> callable; a side without a loop version of GAE times its GAE in that row."
    sv, nsv, r, d, t, lp, lm = x
    gae_loop = F.get("gae_loop", F["gae"])
    modules = {op: F["vtrace_module"](*copy.deepcopy(networks[op]), _trajectories(x)) for op in MODULE_OPS}
    return {"GAE": lambda: F["gae"](GAMMA, LMBDA, sv, nsv, r, d, t),
            "GAE vs TorchRL's loop version": lambda: gae_loop(GAMMA, LMBDA, sv, nsv, r, d, t),
            "TD(lambda)": lambda: F["td_lambda"](GAMMA, LMBDA, nsv, r, d, t),
            "V-trace": lambda: F["vtrace"](GAMMA, lp, lm, sv, nsv, r, d, t), **modules}


def _our_vtrace_module(actor_net: nn.Module, critic_net: nn.Module, batch: dict):
    "A call of our VTrace on `batch`."
    from torchrl_lit.data.tensordict import TensorDict
    from torchrl_lit.modules import ProbabilisticActor, TensorDictModule, ValueOperator
    from torchrl_lit.objectives.value import VTrace
    actor = ProbabilisticActor(TensorDictModule(actor_net, in_keys=["observation"], out_keys=["logits"]), in_keys=["logits"],
                               distribution_class=torch.distributions.Categorical, return_log_prob=True)
    estimator = VTrace(GAMMA, actor, ValueOperator(critic_net, in_keys=["observation"]))
    td = TensorDict(batch, batch_size=SHAPE[:-1])
    return lambda: estimator(td)


def _torchrl_vtrace_module(actor_net: nn.Module, critic_net: nn.Module, batch: dict):
    "A call of TorchRL's VTrace on `batch` (it reads the behaviour log-prob at the same key as ours)."
    from tensordict import TensorDict
    from tensordict.nn import TensorDictModule
    from torchrl.modules import ProbabilisticActor, ValueOperator
    from torchrl.objectives.value import VTrace
    actor = ProbabilisticActor(TensorDictModule(actor_net, in_keys=["observation"], out_keys=["logits"]), in_keys=["logits"],
                               distribution_class=torch.distributions.Categorical, return_log_prob=True)
    estimator = VTrace(gamma=GAMMA, actor_network=actor, value_network=ValueOperator(critic_net, in_keys=["observation"]))
    estimator.set_keys(sample_log_prob="sample_log_prob")
    td = TensorDict(batch, batch_size=SHAPE[:-1])
    return lambda: estimator(td)


def _ours() -> dict:
    from torchrl_lit.objectives.value import generalized_advantage_estimate, td_lambda_return_estimate, vtrace_advantage_estimate
    return {"gae": generalized_advantage_estimate, "td_lambda": td_lambda_return_estimate, "vtrace": vtrace_advantage_estimate,
            "vtrace_module": _our_vtrace_module}


def _torchrl() -> dict | None:
    "TorchRL's functionals, or None when torchrl is not installed."
    try:
        from torchrl.objectives.value import functional as F
    except ImportError:
        return None
    return {"gae": F.vec_generalized_advantage_estimate, "gae_loop": F.generalized_advantage_estimate,
            "td_lambda": F.vec_td_lambda_return_estimate, "vtrace": F.vtrace_advantage_estimate,
            "vtrace_module": _torchrl_vtrace_module}


def _per_call(fn, calls: int = 20) -> float:
    start = time.perf_counter()
    for _ in range(calls): fn()
    return (time.perf_counter() - start) / calls


def run(repeats: int = 7) -> dict:
    "Median seconds per call, keyed by (operation, 'ours' | 'torchrl')."
    torch.set_num_threads(1)
    x, networks = _inputs(), {op: _networks(layers) for op, layers in MODULE_OPS.items()}
    sides = {"ours": _ops(_ours(), x, networks)}
    if (peer := _torchrl()) is not None: sides["torchrl"] = _ops(peer, x, networks)
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
