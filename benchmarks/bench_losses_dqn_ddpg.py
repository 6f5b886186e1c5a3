"""DQN, double DQN, C51, DDPG and TD3 losses: torchrl_lit against TorchRL 0.14.1, side by side in one process.

Each loss is timed forward + backward (`sum of the loss terms`.backward()) on a replay-buffer batch of 256 transitions
with the usual network sizes: DQN-style MLPs 4 -> [256, 256] -> 2 actions (C51: 51 atoms), DDPG/TD3 actor and critic
MLPs [256, 256] on a 17-dim observation and a 6-dim action (HalfCheetah-sized); and again with a batch of 32 and
MLPs [32, 32], where the per-call overhead of the loss code dominates. Both sides get the same weights
(TorchRL's twin critics are copied into ours) and the same batch (a few steps terminated or truncated); before timing,
the loss values are checked equal (TD3: with the same seed for the target-policy noise). One thread, warm-up first,
median of interleaved repeats.
Run: `.venv-bench/bin/python benchmarks/bench_losses_dqn_ddpg.py`.
"""
from __future__ import annotations
import argparse, statistics, time
import torch
import torchrl  # import TorchRL before torchrl_lit
from tensordict import TensorDict as TDict
from torch import nn
from torchrl.data import Bounded as TBounded
from torchrl.modules import Actor as TActor, DistributionalQValueActor as TDistActor, QValueActor as TQActor, ValueOperator as TValue
from torchrl.objectives import DDPGLoss as TDDPG, DistributionalDQNLoss as TC51, DQNLoss as TDQN, TD3Loss as TTD3
from torchrl_lit.data.specs import Bounded, OneHot
from torchrl_lit.data.tensordict import TensorDict
from torchrl_lit.modules import Actor, DistributionalQValueActor, QValueActor, ValueOperator
from torchrl_lit.objectives.common import sum_losses
from torchrl_lit.objectives.ddpg import DDPGLoss, TD3Loss
from torchrl_lit.objectives.dqn import DistributionalDQNLoss, DQNLoss

ATOMS, CONFIGS = 51, ((256, 256), (32, 32))  # (batch size, hidden width)
OBS_D, N_ACT, OBS_C, ACT_C = 4, 2, 17, 6
OPS = ("DQN", "double DQN", "C51", "DDPG", "TD3")


class QNet(nn.Module):
    "Q(s, a) = MLP([s, a])."
    def __init__(self, hidden: int):
        super().__init__()
        self.net = mlp(OBS_C + ACT_C, 1, hidden)
    def forward(self, observation, action): return self.net(torch.cat([observation, action], -1))


def mlp(n_in: int, n_out: int, hidden: int, *tail: nn.Module) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, n_out), *tail)


def batches(continuous: bool, B: int, seed: int = 0) -> tuple[TensorDict, TDict]:
    "The same batch for both sides: one-hot actions (discrete) or actions in [-1, 1] (continuous)."
    g = torch.Generator().manual_seed(seed)
    obs_dim = OBS_C if continuous else OBS_D
    done = torch.rand(B, 1, generator=g) < 0.05
    terminated = done & (torch.rand(B, 1, generator=g) < 0.5)
    action = torch.rand(B, ACT_C, generator=g) * 2 - 1 if continuous else nn.functional.one_hot(torch.randint(0, N_ACT, (B,), generator=g), N_ACT)
    x = {"observation": torch.randn(B, obs_dim, generator=g), "action": action,
         "next": {"observation": torch.randn(B, obs_dim, generator=g), "reward": torch.randn(B, 1, generator=g),
                  "done": done, "terminated": terminated, "truncated": done & ~terminated}}
    return TensorDict(x, [B]), TDict(x, [B])


def copy_params(theirs: TDict, ours: nn.Module, index: int | None = None):
    "TorchRL's parameters (at `index` of stacked ones) into the plain network `ours`, matched by name suffix."
    for name, p in ours.named_parameters():
        [key] = [k for k in theirs.keys(True, True) if ".".join(k).endswith("module." + name)]
        value = theirs.get(key).detach()
        p.data.copy_(value if index is None else value[index])


def setups(B: int, hidden: int) -> dict:
    "Operation name -> (our loss, our batch, TorchRL's loss, TorchRL's batch, seed or None)."
    torch.manual_seed(0)
    out = {}
    d_ours, d_theirs = batches(False, B)
    for name, double in (("DQN", False), ("double DQN", True)):
        net = mlp(OBS_D, N_ACT, hidden)
        theirs = TDQN(TQActor(net, in_keys=["observation"], spec=torchrl.data.OneHot(N_ACT)), action_space="one-hot", double_dqn=double)
        theirs.make_value_estimator(gamma=0.99)
        out[name] = (DQNLoss(QValueActor(net, spec=OneHot(N_ACT)), gamma=0.99, double_dqn=double), d_ours, theirs, d_theirs, None)
    net = mlp(OBS_D, ATOMS * N_ACT, hidden, nn.Unflatten(-1, (ATOMS, N_ACT)))
    support = torch.linspace(-10, 10, ATOMS)
    theirs = TC51(TDistActor(net, support=support, in_keys=["observation"], action_space="one-hot"), gamma=0.99)
    out["C51"] = (DistributionalDQNLoss(DistributionalQValueActor(net, support=support, spec=OneHot(N_ACT)), gamma=0.99),
                  d_ours, theirs, d_theirs, None)
    c_ours, c_theirs = batches(True, B)
    actor, critic = mlp(OBS_C, ACT_C, hidden, nn.Tanh()), QNet(hidden)
    theirs = TDDPG(TActor(actor, in_keys=["observation"]), TValue(critic, in_keys=["observation", "action"]))
    theirs.make_value_estimator(gamma=0.99)
    out["DDPG"] = (DDPGLoss(Actor(actor), ValueOperator(critic, in_keys=["observation", "action"]), gamma=0.99), c_ours, theirs, c_theirs, None)
    actor, critic = mlp(OBS_C, ACT_C, hidden, nn.Tanh()), QNet(hidden)
    theirs = TTD3(TActor(actor, in_keys=["observation"]), TValue(critic, in_keys=["observation", "action"]),
                  action_spec=TBounded(-1.0, 1.0, shape=(ACT_C,)))
    theirs.make_value_estimator(gamma=0.99)
    ours = TD3Loss(Actor(actor), ValueOperator(critic, in_keys=["observation", "action"]), action_spec=Bounded(-1.0, 1.0, shape=(ACT_C,)))
    for i in range(2):
        copy_params(theirs.qvalue_network_params, ours.qvalue_networks[i].module, i)
        copy_params(theirs.target_qvalue_network_params, ours.target_qvalue_networks[i].module, i)
    out["TD3"] = (ours, c_ours, theirs, c_theirs, 0)
    return out


def check_equal(setup: dict):
    "Every loss term of ours equals TorchRL's on the benchmark batch (TorchRL names the DQN term 'loss')."
    names = {"loss": "loss_dqn"}
    for op, (ours, x_ours, theirs, x_theirs, seed) in setup.items():
        if seed is not None: torch.manual_seed(seed)
        a = ours(x_ours.clone())
        if seed is not None: torch.manual_seed(seed)
        b = theirs(x_theirs.clone())
        for key in b.keys():
            if isinstance(key, str) and key.startswith("loss"):
                torch.testing.assert_close(a[names.get(key, key)], b[key], atol=1e-5, rtol=1e-5, msg=lambda m: f"{op} {key}: {m}")


def _step_ours(loss, x): sum_losses(loss(x)).backward()
def _step_theirs(loss, x):
    out = loss(x)
    sum(v for k, v in out.items() if isinstance(k, str) and k.startswith("loss")).backward()


def _per_call(fn, calls: int = 10) -> float:
    start = time.perf_counter()
    for _ in range(calls): fn()
    return (time.perf_counter() - start) / calls


def run(B: int, hidden: int, repeats: int = 7) -> dict:
    "Median seconds per forward + backward, keyed by (operation, 'ours' | 'torchrl')."
    torch.set_num_threads(1)
    setup = setups(B, hidden)
    check_equal(setup)
    calls = {(op, "ours"): (lambda l=s[0], x=s[1]: _step_ours(l, x)) for op, s in setup.items()}
    calls.update({(op, "torchrl"): (lambda l=s[2], x=s[3]: _step_theirs(l, x)) for op, s in setup.items()})
    times = {key: [] for key in calls}
    for rep in range(repeats + 1):  # rep 0 is the warm-up
        for op in OPS:
            for side in ("ours", "torchrl"):
                seconds = _per_call(calls[op, side])
                if rep: times[op, side].append(seconds)
    return {key: statistics.median(v) for key, v in times.items()}


def table(medians: dict, B: int, hidden: int) -> str:
    "A markdown table of median microseconds per forward + backward and the ratios."
    t = {k: v * 1e6 for k, v in medians.items()}
    lines = [f"| loss, batch {B}, MLPs [{hidden}, {hidden}] | torchrl_lit µs | TorchRL µs | ours / TorchRL |", "|---|---:|---:|---:|"]
    for op in OPS:
        lines.append(f"| {op} | {t[op, 'ours']:.0f} | {t[op, 'torchrl']:.0f} | {t[op, 'ours'] / t[op, 'torchrl']:.2f}x |")
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (>= 5) after one warm-up")
    args = parser.parse_args()
    print(f"torch {torch.__version__}, torchrl {torchrl.__version__}, 1 thread, median of {args.repeats} interleaved repeats; "
          "loss values checked equal (atol = rtol = 1e-5) before timing")
    for B, hidden in CONFIGS:
        print(); print(table(run(B, hidden, args.repeats), B, hidden))
