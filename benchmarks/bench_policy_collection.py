"""Collection speed with a real policy: torchrl_lit's collectors against TorchRL's and a raw gymnasium loop running the same network.

The policy is what a DQN actor does at collection time: a `TensorDictModule` over
`Linear(4, 64)-Tanh-Linear(64, 64)-Tanh-Linear(64, 2)` that writes `one_hot(argmax)` as the action. The raw loops run the
same network in plain gymnasium code: `from_numpy` -> net -> `argmax().item()` -> `env.step` (one env), or the batch of
observations -> net -> `argmax(-1).numpy()` -> `SyncVectorEnv.step` (8 envs, autoreset as gymnasium does it).

Rows (CartPole-v1, one torch thread, the median of interleaved repeats; every contender is built afresh, warmed up with
one batch, timed, and shut down before the next starts):
- sync, 1 env: `SyncDataCollector` vs TorchRL's `Collector` vs the raw loop;
- sync, 8 envs: ours on `GymEnv(..., num_envs=8)` vs the raw `SyncVectorEnv(8)` loop (and TorchRL on `SerialEnv(8)`);
- multi-sync, 2 workers: `MultiSyncDataCollector` vs TorchRL's `MultiSyncCollector`;
- random policy (special case): the same collectors with `policy=None`, which takes the numpy road of random actions;
- action check: the cost per step of `env.check_actions` (ours with the check on and off);
- the collection phase of training, with SB3 (2.x) as the peer: DQN's (the `dqn.CartPole-v1` preset's collector, its
  Q-network and epsilon-greedy, 256 frames per batch) against SB3's `DQN.collect_rollouts` with the same settings, both
  at the preset's final epsilon (0.04), where a run spends 84% of its frames (SB3 skips its network on the steps it
  explores, so at epsilon 1 it would time the env alone), and
  PPO's (`ppo.CartPole-v1`: 8 envs, 256 frames per batch, the actor sampling and writing log-probabilities) against
  SB3's `PPO.collect_rollouts`. No training step runs in between, on either side. Ours runs as `torchrl-lit train` runs
  it (torch.distributions' argument validation off, as `run_training` sets it); SB3 with its defaults.
Run: `.venv-bench/bin/python benchmarks/bench_policy_collection.py [--repeats 5]`.
"""
from __future__ import annotations
import argparse, os
import torch
try:  # the peer before torchrl_lit (see bench_collectors.py)
    import torchrl.collectors, torchrl.envs
    from tensordict.nn import TensorDictModule as PeerModule
except ImportError:
    PeerModule = None
import gymnasium as gym
from torch import nn
from _harness import interleaved_fps
from torchrl_lit.collectors.multiprocess import MultiSyncDataCollector
from torchrl_lit.collectors.sync import SyncDataCollector
from torchrl_lit.data.tensordict_module import TensorDictModule
from torchrl_lit.envs.libs.gym import GymEnv


class GreedyOneHot(nn.Module):
    "The Q-network of a CartPole DQN and its greedy one-hot action."
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.net = nn.Sequential(nn.Linear(4, 64), nn.Tanh(), nn.Linear(64, 64), nn.Tanh(), nn.Linear(64, 2))

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return nn.functional.one_hot(self.net(obs).argmax(-1), 2)


def ours_policy(): return TensorDictModule(GreedyOneHot(), in_keys=["observation"], out_keys=["action"])
def peer_policy(): return PeerModule(GreedyOneHot(), in_keys=["observation"], out_keys=["action"])
def make_cartpole(): return GymEnv("CartPole-v1")
def make_cartpole8(): return GymEnv("CartPole-v1", num_envs=8)
def make_peer_cartpole():
    from torchrl.envs import GymEnv as PeerGymEnv
    return PeerGymEnv("CartPole-v1")


def _runner(collector, batches: int):
    "(warm-up, timed run, close) for a collector."
    it = iter(collector)
    return (lambda: next(it)), (lambda: [next(it) for _ in range(batches)]), collector.shutdown


def raw_loop(frames: int):
    "(warm-up, timed run, close) for the plain gymnasium loop with the same network."
    env, net = gym.make("CartPole-v1"), GreedyOneHot().net
    state = {"obs": env.reset(seed=0)[0]}
    def run(n):
        obs = state["obs"]
        with torch.no_grad():
            for _ in range(n):
                obs, _, terminated, truncated, _ = env.step(net(torch.from_numpy(obs)).argmax().item())
                if terminated or truncated: obs, _ = env.reset()
        state["obs"] = obs
    return (lambda: run(1000)), (lambda: run(frames)), env.close


def raw_vector_loop(frames: int, n_envs: int = 8):
    "(warm-up, timed run, close) for a raw SyncVectorEnv loop with the same network on the batch of observations."
    envs, net = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1")] * n_envs), GreedyOneHot().net
    state = {"obs": envs.reset(seed=0)[0]}
    def run(n):
        obs = state["obs"]
        with torch.no_grad():
            for _ in range(n // n_envs): obs = envs.step(net(torch.from_numpy(obs)).argmax(-1).numpy())[0]
        state["obs"] = obs
    return (lambda: run(1000)), (lambda: run(frames)), envs.close


def ours_sync(make_env, policy, frames_per_batch: int, batches: int, check: bool = True):
    env = make_env()
    env.check_actions = check
    return _runner(SyncDataCollector(env, policy, frames_per_batch=frames_per_batch), batches)


def peer_sync(n_envs: int, policy, frames_per_batch: int, batches: int):
    from torchrl.collectors import Collector
    from torchrl.envs import SerialEnv
    env = SerialEnv(n_envs, make_peer_cartpole) if n_envs > 1 else make_peer_cartpole()
    return _runner(Collector(env, policy, frames_per_batch=frames_per_batch, total_frames=-1), batches)


def ours_multi(policy, frames_per_batch: int, batches: int):
    return _runner(MultiSyncDataCollector([make_cartpole] * 2, policy, frames_per_batch=frames_per_batch), batches)


def peer_multi(policy, frames_per_batch: int, batches: int):
    from torchrl.collectors import MultiSyncCollector
    return _runner(MultiSyncCollector([make_peer_cartpole] * 2, policy, frames_per_batch=frames_per_batch, total_frames=-1), batches)


def ours_training(algo: str, batches: int):
    "(warm-up, timed run, close) for the collector of a training run built from the preset (what `torchrl-lit train` runs)."
    import tempfile
    run_dir = tempfile.mkdtemp(prefix=f"bench-{algo}-")
    if algo == "dqn":
        from torchrl_lit.algorithms.dqn import DQNConfig, make_dqn_trainer
        cfg = DQNConfig.from_preset("dqn.CartPole-v1", learning_starts=0)
        trainer = make_dqn_trainer(DQNConfig.from_preset("dqn.CartPole-v1", learning_starts=0, eps_init=cfg.eps_end), run_dir, progress=False)
    else:
        from torchrl_lit.algorithms.ppo import PPOConfig, make_ppo_trainer
        trainer = make_ppo_trainer(PPOConfig.from_preset("ppo.CartPole-v1"), run_dir, progress=False)
    collector = trainer.collector

    def as_in_training(fn):
        "Run `fn` as `run_training` runs the collector: torch.distributions' argument validation off (it is restored after)."
        def run():
            validate = torch.distributions.Distribution._validate_args
            torch.distributions.Distribution.set_default_validate_args(False)
            try: return fn()
            finally: torch.distributions.Distribution.set_default_validate_args(validate)
        return run
    return as_in_training(collector.next), as_in_training(lambda: [collector.next() for _ in range(batches)]), collector.shutdown


def sb3_training(algo: str, batches: int):
    "(warm-up, timed run, close) for SB3's `collect_rollouts` with the same preset's settings."
    from stable_baselines3 import DQN, PPO
    from stable_baselines3.common.env_util import make_vec_env
    if algo == "dqn":
        from torchrl_lit.algorithms.dqn import DQNConfig
        cfg = DQNConfig.from_preset("dqn.CartPole-v1")
        model = DQN("MlpPolicy", gym.make("CartPole-v1"), learning_starts=0, train_freq=cfg.train_freq, buffer_size=cfg.buffer_size,
                    exploration_fraction=cfg.exploration_fraction, exploration_initial_eps=cfg.eps_end, exploration_final_eps=cfg.eps_end,
                    policy_kwargs=dict(net_arch=list(cfg.hidden_sizes)), seed=0, device="cpu")
        _, callback = model._setup_learn(10**8, None)
        collect = lambda: model.collect_rollouts(model.env, callback, model.train_freq, model.replay_buffer, learning_starts=0)
    else:
        from torchrl_lit.algorithms.ppo import PPOConfig
        cfg = PPOConfig.from_preset("ppo.CartPole-v1")
        model = PPO("MlpPolicy", make_vec_env("CartPole-v1", n_envs=cfg.num_envs, seed=0), n_steps=cfg.frames_per_batch // cfg.num_envs,
                    batch_size=cfg.mini_batch_size, policy_kwargs=dict(net_arch=list(cfg.hidden_sizes)), seed=0, device="cpu")
        _, callback = model._setup_learn(10**8, None)
        collect = lambda: model.collect_rollouts(model.env, callback, model.rollout_buffer, model.n_steps)
    callback.on_training_start(locals(), globals())
    return collect, (lambda: [collect() for _ in range(batches)]), model.env.close


def compare(title: str, contenders: dict, frames: int, repeats: int) -> dict:
    "Frames/s of each contender: the median of `repeats` interleaved timings (one contender alive at a time)."
    fps = interleaved_fps(contenders, frames, repeats)
    cells = "  ".join(f"{name} {f:9,.0f}" for name, f in fps.items())
    print(f"{title:42s} {cells}")
    return fps


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    peer = PeerModule is not None
    print(f"CartPole-v1, policy: TensorDictModule(Linear(4,64)-Tanh-Linear(64,64)-Tanh-Linear(64,2) -> one_hot(argmax)); "
          f"torch {torch.__version__}, {'TorchRL ' + torchrl.__version__ if peer else 'no TorchRL'}, one torch thread, "
          f"median of {args.repeats} interleaved repeats, frames/s\n")
    rows = []
    f = compare("sync, 1 env (10 x 1000 frames)", {"ours": lambda: ours_sync(make_cartpole, ours_policy(), 1000, 10),
                **({"TorchRL": lambda: peer_sync(1, peer_policy(), 1000, 10)} if peer else {}), "raw": lambda: raw_loop(10_000)}, 10_000, args.repeats)
    rows.append(("sync, 1 env", f, "raw"))
    f = compare("sync, 8 envs (10 x 2000 frames)", {"ours": lambda: ours_sync(make_cartpole8, ours_policy(), 2000, 10),
                **({"TorchRL": lambda: peer_sync(8, peer_policy(), 2000, 10)} if peer else {}), "raw": lambda: raw_vector_loop(20_000)}, 20_000, args.repeats)
    rows.append(("sync, 8 envs (raw: SyncVectorEnv(8))", f, "raw"))
    f = compare("multi-sync, 2 workers (10 x 2000 frames)", {"ours": lambda: ours_multi(ours_policy(), 2000, 10),
                **({"TorchRL": lambda: peer_multi(peer_policy(), 2000, 10)} if peer else {})}, 20_000, args.repeats)
    rows.append(("multi-sync, 2 workers", f, None))
    f = compare("random policy (special case), sync, 1 env", {"ours": lambda: ours_sync(make_cartpole, None, 1000, 10),
                **({"TorchRL": lambda: peer_sync(1, None, 1000, 10)} if peer else {})}, 10_000, args.repeats)
    rows.append(("random policy (special case), sync, 1 env", f, None))
    checks = compare("action check on / off, sync, 1 env", {"check on": lambda: ours_sync(make_cartpole, ours_policy(), 1000, 10, True),
                "check off": lambda: ours_sync(make_cartpole, ours_policy(), 1000, 10, False)}, 10_000, args.repeats)
    try: import stable_baselines3
    except ImportError: stable_baselines3 = None
    for algo in ("dqn", "ppo"):
        f = compare(f"{algo.upper()} collection phase (20 x 256 frames)", {"ours": lambda: ours_training(algo, 20),
                    **({"SB3": lambda: sb3_training(algo, 20)} if stable_baselines3 else {})}, 20 * 256, args.repeats)
        rows.append((f"{algo.upper()} collection phase (preset{', final epsilon' if algo == 'dqn' else ''}, 256 frames/batch)", f, None))
    check_us = 1e6 / checks["check on"] - 1e6 / checks["check off"]
    print(f"\n| collector, policy above | ours fr/s | TorchRL fr/s | SB3 fr/s | raw loop fr/s | ours/TorchRL | ours/raw | ours time / SB3 time |")
    print("|---|---|---|---|---|---|---|---|")
    for name, f, _ in rows:
        fmt = lambda k: f"{f[k]:,.0f}" if k in f else "-"
        ratio = lambda a, b: f"{f[a] / f[b]:.2f}" if a in f and b in f else "-"
        print(f"| {name} | {fmt('ours')} | {fmt('TorchRL')} | {fmt('SB3')} | {fmt('raw')} | {ratio('ours', 'TorchRL')} | {ratio('ours', 'raw')} | {ratio('SB3', 'ours')} |")
    print(f"\naction check (env.check_actions): {check_us:+.2f} us per step, "
          f"{100 * check_us / (1e6 / checks['check on']):+.1f}% of the step ({checks['check on']:,.0f} vs {checks['check off']:,.0f} frames/s)")
    print(f"load average at the end: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
