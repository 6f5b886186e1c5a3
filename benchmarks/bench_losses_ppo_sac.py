"""A2C/PPO and SAC/REDQ losses: torchrl_lit against TorchRL 0.14.1, side by side in one process.

One forward and backward pass of each loss (the sum of its `loss_*` terms) on a minibatch of 256,
with the same networks (weights shared) on both sides:
- A2C, clipped PPO and KL-penalty PPO on CartPole-sized data (4 observations, 2 one-hot actions,
  64-64 tanh MLPs for the categorical policy and the critic), and clipped PPO with a tanh-Gaussian
  policy on Pendulum-sized data (3 observations, 1 action in [-2, 2], entropy by one-sample
  Monte Carlo);
- SAC (2 critics) and REDQ (10 critics, subsets of 2) on Pendulum-sized data with 256-256 ReLU MLPs.
One thread, warm-up first, then the median of interleaved repeats. Before timing, each pair is run
once with the same seed and the largest difference between the loss terms both return is printed
(the `max |diff|` column).
Run: `.venv-bench/bin/python benchmarks/bench_losses_ppo_sac.py`.
"""
from __future__ import annotations
import statistics, time
import torch
from torch import nn

from _harness import main

B = 256
CASES = ("A2C (discrete)", "ClipPPO (discrete)", "KLPENPPO (discrete)", "ClipPPO (TanhNormal)", "SAC (2 critics)", "REDQ (10 critics)")


def _mlp(n_in: int, n_out: int, width: int, act: type) -> nn.Sequential:
    return nn.Sequential(nn.Linear(n_in, width), act(), nn.Linear(width, width), act(), nn.Linear(width, n_out))


class _QNet(nn.Module):
    "Q(s, a) = MLP([s, a])."
    def __init__(self, mlp: nn.Module): super().__init__(); self.mlp = mlp
    def forward(self, observation, action): return self.mlp(torch.cat([observation, action], -1))


class _Split(nn.Module):
    "loc, exp(log scale): the same scale mapping on both sides."
    def forward(self, x): loc, log_scale = x.chunk(2, -1); return loc, log_scale.clamp(-5, 2).exp()


def _data(kind: str, g: torch.Generator) -> dict:
    "A minibatch as the loss reads it ('next.x' keys are nested)."
    if kind == "sac":
        done = torch.rand(B, 1, generator=g) < 0.05
        return {"observation": torch.randn(B, 3, generator=g), "action": 1.9 * (2 * torch.rand(B, 1, generator=g) - 1),
                "next.observation": torch.randn(B, 3, generator=g), "next.reward": torch.randn(B, 1, generator=g),
                "next.done": done, "next.terminated": done & (torch.rand(B, 1, generator=g) < 0.5)}
    x = {"observation": torch.randn(B, 4 if kind == "discrete" else 3, generator=g),
         "advantage": torch.randn(B, 1, generator=g), "value_target": torch.randn(B, 1, generator=g)}
    if kind == "discrete":
        x["logits"] = 0.3 * torch.randn(B, 2, generator=g)
        x["action"] = nn.functional.one_hot(torch.randint(0, 2, (B,), generator=g), 2)
        x["sample_log_prob"] = torch.log_softmax(x["logits"], -1).gather(-1, x["action"].argmax(-1, keepdim=True)).squeeze(-1)
    else:
        x["action"] = 1.9 * (2 * torch.rand(B, 1, generator=g) - 1)
        x["sample_log_prob"] = -torch.rand(B, generator=g)
    return x


def _ours(case: str, nets: dict, x: dict):
    "Our loss and its input TensorDict."
    from torchrl_lit.data.specs import Bounded, OneHot
    from torchrl_lit.data.tensordict import TensorDict
    from torchrl_lit.modules import OneHotCategorical, ProbabilisticActor, TanhNormal, TensorDictModule, ValueOperator
    from torchrl_lit.objectives import ppo, sac
    td = TensorDict({}, [B])
    for k, v in x.items(): td.set(tuple(k.split(".")) if "." in k else k, v)
    if "critic" in nets:
        if "TanhNormal" in case:
            actor = ProbabilisticActor(TensorDictModule(nets["actor"], ["observation"], ["loc", "scale"]), ["loc", "scale"],
                                       spec=Bounded(-2.0, 2.0, (1,)), distribution_class=TanhNormal, return_log_prob=True)
        else:
            actor = ProbabilisticActor(TensorDictModule(nets["actor"], ["observation"], ["logits"]), ["logits"], spec=OneHot(2),
                                       distribution_class=OneHotCategorical, return_log_prob=True)
        cls = {"A2C": ppo.A2CLoss, "ClipPPO": ppo.ClipPPOLoss, "KLPENPPO": ppo.KLPENPPOLoss}[case.split()[0]]
        return cls(actor, ValueOperator(nets["critic"])), td
    actor = ProbabilisticActor(TensorDictModule(nets["actor"], ["observation"], ["loc", "scale"]), ["loc", "scale"],
                               spec=Bounded(-2.0, 2.0, (1,)), distribution_class=TanhNormal)
    cls = sac.SACLoss if case.startswith("SAC") else sac.REDQLoss
    loss = cls(actor, ValueOperator(nets["critics"][0], in_keys=["observation", "action"]), num_qvalue_nets=len(nets["critics"]))
    for mine, theirs in zip(loss.qvalue_networks, nets["critics"]): mine.module.load_state_dict(theirs.state_dict())
    for mine, theirs in zip(loss.target_qvalue_networks, nets["critics"]): mine.module.load_state_dict(theirs.state_dict())
    return loss, td


def _torchrl(case: str, nets: dict, x: dict):
    "TorchRL's loss and its input tensordict, or None when torchrl is not installed."
    try:
        import torchrl.objectives as O
        from tensordict import TensorDict
        from tensordict.nn import TensorDictModule
        from torchrl.data import Bounded, OneHot
        from torchrl.modules import OneHotCategorical, ProbabilisticActor, TanhNormal, ValueOperator
    except ImportError:
        return None
    td = TensorDict({}, [B])
    for k, v in x.items():
        td.set(tuple(k.split(".")) if "." in k else k, v)
        if k == "sample_log_prob": td.set("action_log_prob", v)  # TorchRL 0.14's key
    tanh_normal = dict(spec=Bounded(-2.0, 2.0, (1,)), distribution_class=TanhNormal, distribution_kwargs={"low": -2.0, "high": 2.0})
    if "critic" in nets:
        if "TanhNormal" in case:
            actor = ProbabilisticActor(TensorDictModule(nets["actor"], ["observation"], ["loc", "scale"]), ["loc", "scale"],
                                       return_log_prob=True, **tanh_normal)
        else:
            actor = ProbabilisticActor(TensorDictModule(nets["actor"], ["observation"], ["logits"]), ["logits"], spec=OneHot(2),
                                       distribution_class=OneHotCategorical, return_log_prob=True)
        cls = {"A2C": O.A2CLoss, "ClipPPO": O.ClipPPOLoss, "KLPENPPO": O.KLPENPPOLoss}[case.split()[0]]
        return cls(actor, ValueOperator(nets["critic"], in_keys=["observation"])), td
    actor = ProbabilisticActor(TensorDictModule(nets["actor"], ["observation"], ["loc", "scale"]), ["loc", "scale"], **tanh_normal)
    cls = O.SACLoss if case.startswith("SAC") else O.REDQLoss
    loss = cls(actor, [ValueOperator(c, in_keys=["observation", "action"]) for c in nets["critics"]], num_qvalue_nets=len(nets["critics"]))
    loss.make_value_estimator(gamma=0.99)
    return loss, td


def _nets(case: str) -> tuple[dict, str]:
    "Seeded networks shared by both sides, and the kind of data they read."
    torch.manual_seed(0)
    if case.startswith(("SAC", "REDQ")):
        n = 2 if case.startswith("SAC") else 10
        return {"actor": nn.Sequential(_mlp(3, 2, 256, nn.ReLU), _Split()),
                "critics": [_QNet(_mlp(4, 1, 256, nn.ReLU)) for _ in range(n)]}, "sac"
    if "TanhNormal" in case: return {"actor": nn.Sequential(_mlp(3, 2, 64, nn.Tanh), _Split()), "critic": _mlp(3, 1, 64, nn.Tanh)}, "continuous"
    return {"actor": _mlp(4, 2, 64, nn.Tanh), "critic": _mlp(4, 1, 64, nn.Tanh)}, "discrete"


def _step(loss: nn.Module, td) -> dict:
    "One forward and backward pass; the loss terms."
    out = loss(td)
    terms = {k: out[k] for k in out.keys() if isinstance(k, str) and k.startswith("loss_")}
    loss.zero_grad(set_to_none=True)
    sum(terms.values()).backward()
    return {k: v.detach() for k, v in terms.items()}


def _per_call(loss, td, calls: int = 10) -> float:
    start = time.perf_counter()
    for _ in range(calls): _step(loss, td)
    return (time.perf_counter() - start) / calls


def run(repeats: int = 7) -> tuple[dict, dict]:
    "Median seconds per forward+backward keyed by (case, side), and the live max |diff| of the loss terms per case."
    torch.set_num_threads(1)
    sides, diffs = {}, {}
    for case in CASES:
        nets, kind = _nets(case)
        x = _data(kind, torch.Generator().manual_seed(1))
        sides[case, "ours"] = _ours(case, nets, x)
        peer = _torchrl(case, nets, x)
        if peer is None: continue
        sides[case, "torchrl"] = peer
        torch.manual_seed(2); a = _step(*sides[case, "ours"])
        torch.manual_seed(2); b = _step(*peer)
        diffs[case] = max(float((a[k] - b[k]).abs()) for k in a)
    times = {key: [] for key in sides}
    for rep in range(repeats + 1):  # rep 0 is the warm-up
        for case in CASES:
            for side in ("ours", "torchrl"):
                if (case, side) not in sides: continue
                seconds = _per_call(*sides[case, side])
                if rep: times[case, side].append(seconds)
    return {key: statistics.median(v) for key, v in times.items()}, diffs


def table(medians: dict, diffs: dict) -> str:
    "A markdown table of median milliseconds per forward+backward, the ratio and the live difference of the values."
    lines = [f"| minibatch {B}, forward + backward | torchrl_lit ms | TorchRL ms | ours / TorchRL | max \\|diff\\| of loss terms |",
             "|---|---:|---:|---:|---:|"]
    for case in CASES:
        ours, theirs = medians[case, "ours"] * 1e3, medians.get((case, "torchrl"))
        if theirs is None: lines.append(f"| {case} | {ours:.2f} | n/a | n/a | n/a |"); continue
        lines.append(f"| {case} | {ours:.2f} | {theirs * 1e3:.2f} | {ours / (theirs * 1e3):.2f}x | {diffs[case]:.1e} |")
    return "\n".join(lines)


if __name__ == "__main__":
    main(__doc__, lambda repeats: table(*run(repeats)))
