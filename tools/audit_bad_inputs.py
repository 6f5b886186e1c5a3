"""Feed torchrl_lit the bad inputs a user will sooner or later give it, and sort what happens into three kinds.

- clear: an exception whose message names what is at fault (every word listed for the case appears in it);
- confusing: an exception, but its message does not name what is at fault (a bare KeyError, a torch internal error, ...);
- silent: no exception at all, so garbage flows on.

The words of each case were chosen as what a user needs to read to fix the call: the key, the bad value, the spec or
the file. Run `python tools/audit_bad_inputs.py` (about a minute); it prints one line per case and the totals, and
`--out FILE` also writes them. The process faults (killed parents and workers, hung workers, killed checkpoints) need
processes of their own: they are the tests in `tests/test_process_faults.py`, `tests/test_batched_envs.py`,
`tests/test_replay_buffer_processes.py` and `tests/test_memmap_processes.py`.
"""
from __future__ import annotations

import argparse
import io
import signal
import sys
import tempfile
import warnings
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import torch

from torchrl_lit.data.memmap import MemmapTensor
from torchrl_lit.data.replay_buffers import (LazyMemmapStorage, LazyTensorStorage, ListStorage, PrioritizedSampler,
                                             ReplayBuffer, TensorDictReplayBuffer)
from torchrl_lit.data.specs import Bounded, Categorical, Composite, OneHot, Unbounded
from torchrl_lit.data.tensordict import TensorDict
from torchrl_lit.data.tensordict_module import TensorDictModule
from torchrl_lit.envs.libs.gym import GymEnv

CASES: list[tuple[str, str, callable, list[str]]] = []


def case(area: str, what: str, *words: str):
    "Register the decorated zero-argument function as a bad-input case whose error must contain `words`."
    def register(fn):
        CASES.append((area, what, fn, list(words)))
        return fn
    return register


def tmp() -> Path: return Path(tempfile.mkdtemp(prefix="audit-"))


# --- TensorDict ---------------------------------------------------------------------------------------------------
@case("tensordict", "an entry that is a string", "'s'")
def _(): TensorDict({"s": "abc"}, [])

@case("tensordict", "an entry whose shape does not start with the batch size", "'obs'", "(3, 4)")
def _(): TensorDict({"obs": torch.zeros(3, 4)}, [4])

@case("tensordict", "reading a missing key", "'acton'")
def _(): TensorDict({"action": torch.zeros(2)}, [2])["acton"]

@case("tensordict", "a negative batch size", "-1")
def _(): TensorDict({}, [-1])

@case("tensordict", "setting an entry of the wrong batch shape", "'x'", "(3,)")
def _(): TensorDict({}, [2]).set("x", torch.zeros(3))

@case("tensordict", "stacking TensorDicts with different keys", "'b'")
def _(): torch.stack([TensorDict({"a": torch.zeros(1)}, [1]), TensorDict({"b": torch.zeros(1)}, [1])])

@case("tensordict", "indexing past the batch size", "index 5", "size 2")
def _(): TensorDict({"a": torch.zeros(2)}, [2])[5]

@case("tensordict", "a batch size longer than the entries' dims", "'a'", "(2,)")
def _(): TensorDict({"a": torch.zeros(2)}, [2, 3])


# --- specs --------------------------------------------------------------------------------------------------------
@case("specs", "Categorical(0)", "n", "0")
def _(): Categorical(0)

@case("specs", "OneHot(0)", "n", "0")
def _(): OneHot(0)

@case("specs", "Bounded with low > high", "low", "high")
def _(): Bounded(1.0, -1.0, (2,))

@case("specs", "Bounded with NaN bounds", "nan")
def _(): Bounded(float("nan"), 1.0, (2,))

@case("specs", "Composite entry of a wrong leading shape", "'obs'", "(3,)")
def _(): Composite(obs=Unbounded((3,)), shape=(4,))

@case("specs", "project a value of the wrong shape", "(3,)", "(2,)")
def _(): Bounded(-1.0, 1.0, (2,)).project(torch.zeros(3))

@case("specs", "update_mask with no allowed action", "mask")
def _(): OneHot(3).update_mask(torch.zeros(3, dtype=torch.bool))

@case("specs", "update_mask with a float mask", "mask", "bool")
def _(): OneHot(3).update_mask(torch.ones(3))

@case("specs", "a missing key of a Composite", "'acton'")
def _(): Composite(action=OneHot(2))["acton"]


# --- memmap -------------------------------------------------------------------------------------------------------
@case("memmap", "reopening with another dtype of the same size", "float32", "int32")
def _():
    d = tmp(); MemmapTensor.from_tensor(torch.zeros(4), filename=str(d / "x.memmap"))
    MemmapTensor.from_filename(str(d / "x.memmap"), torch.int32, (4,))

@case("memmap", "reopening with another shape of the same size", "(4,)", "(2, 2)")
def _():
    d = tmp(); MemmapTensor.from_tensor(torch.zeros(4), filename=str(d / "x.memmap"))
    MemmapTensor.from_filename(str(d / "x.memmap"), torch.float32, (2, 2))

@case("memmap", "a negative shape", "-3")
def _(): MemmapTensor.empty((-3,), torch.float32)

@case("memmap", "a missing file", "nowhere")
def _(): MemmapTensor.from_filename("/tmp/nowhere/x.memmap", torch.float32, (4,))


# --- replay buffers -----------------------------------------------------------------------------------------------
def _filled(storage, n=10) -> TensorDictReplayBuffer:
    rb = TensorDictReplayBuffer(storage=storage)
    rb.extend(TensorDict({"obs": torch.arange(n, dtype=torch.float32)[:, None]}, [n]))
    return rb

@case("replay buffers", "sample(-3)", "-3")
def _(): _filled(LazyTensorStorage(100)).sample(-3)

@case("replay buffers", "sample from an empty buffer", "empty")
def _(): TensorDictReplayBuffer(storage=LazyTensorStorage(10)).sample(4)

@case("replay buffers", "a zero-capacity storage", "0")
def _(): LazyTensorStorage(0)

@case("replay buffers", "extend with a new key after the layout is fixed", "'other'")
def _(): _filled(LazyTensorStorage(100)).extend(TensorDict({"other": torch.zeros(2, 1)}, [2]))

@case("replay buffers", "extend with a wrong trailing shape", "'obs'", "(3,)")
def _(): _filled(LazyTensorStorage(100)).extend(TensorDict({"obs": torch.zeros(2, 3)}, [2]))

@case("replay buffers", "loads a LazyTensorStorage dump into a ListStorage buffer", "buffer.pt")
def _():
    d = tmp(); _filled(LazyTensorStorage(100)).dumps(d)
    TensorDictReplayBuffer(storage=ListStorage(100)).loads(d)

@case("replay buffers", "loads a uniform dump into a prioritized buffer", "priorit")
def _():
    d = tmp(); _filled(LazyTensorStorage(100)).dumps(d)
    TensorDictReplayBuffer(storage=LazyTensorStorage(100), sampler=PrioritizedSampler(100, 0.6, 0.4)).loads(d)

@case("replay buffers", "loads a zero-byte buffer.pt", "buffer.pt")
def _():
    d = tmp(); _filled(LazyTensorStorage(100)).dumps(d)
    for f in d.rglob("*.pt"): f.write_bytes(b"")
    TensorDictReplayBuffer(storage=LazyTensorStorage(100)).loads(d)

@case("replay buffers", "loads a folder that does not exist", "nothing-here")
def _(): TensorDictReplayBuffer(storage=LazyTensorStorage(100)).loads("/tmp/nothing-here")

@case("replay buffers", "re-opening a memmap storage whose layout.json is garbage", "layout.json")
def _():
    d = tmp() / "scratch"; _filled(LazyMemmapStorage(100, scratch_dir=d))
    (d / "layout.json").write_text("{not json")
    LazyMemmapStorage(100, scratch_dir=d)

@case("replay buffers", "re-opening a memmap storage with another max_size", "max_size", "100")
def _():
    d = tmp() / "scratch"; _filled(LazyMemmapStorage(100, scratch_dir=d))
    LazyMemmapStorage(50, scratch_dir=d)

@case("replay buffers", "PrioritizedSampler with alpha < 0", "alpha")
def _(): PrioritizedSampler(100, -0.5, 0.4)

@case("replay buffers", "update_priority with a NaN priority", "nan")
def _():
    rb = TensorDictReplayBuffer(storage=LazyTensorStorage(100), sampler=PrioritizedSampler(100, 0.6, 0.4))
    rb.extend(TensorDict({"obs": torch.zeros(4, 1)}, [4]))
    rb.update_priority(torch.arange(4), torch.tensor([1.0, float("nan"), 1.0, 1.0]))

@case("replay buffers", "update_priority at an index never written", "7")
def _():
    rb = TensorDictReplayBuffer(storage=LazyTensorStorage(100), sampler=PrioritizedSampler(100, 0.6, 0.4))
    rb.extend(TensorDict({"obs": torch.zeros(4, 1)}, [4]))
    rb.update_priority(torch.tensor([7]), torch.tensor([1.0]))


# --- environments -------------------------------------------------------------------------------------------------
def _stepped(env, action):
    td = env.reset(); td["action"] = action
    return env.step(td)

@case("envs", "CartPole action [0.3, 0.7]", "'action'", "[0.3, 0.7]")
def _(): _stepped(GymEnv("CartPole-v1"), torch.tensor([0.3, 0.7]))

@case("envs", "CartPole action [0, 0]", "'action'", "[0, 0]")
def _(): _stepped(GymEnv("CartPole-v1"), torch.tensor([0, 0]))

@case("envs", "CartPole action of shape (3,)", "'action'", "(3,)")
def _(): _stepped(GymEnv("CartPole-v1"), torch.tensor([0, 1, 0]))

@case("envs", "Pendulum action of shape (2,)", "'action'", "(2,)")
def _(): _stepped(GymEnv("Pendulum-v1"), torch.tensor([0.5, 0.5]))

@case("envs", "Pendulum action NaN", "'action'", "nan")
def _(): _stepped(GymEnv("Pendulum-v1"), torch.tensor([float("nan")]))

@case("envs", "Pendulum action 5.0 outside [-2, 2]", "'action'", "5.0")
def _(): _stepped(GymEnv("Pendulum-v1"), torch.tensor([5.0]))

@case("envs", "Pendulum integer action", "'action'", "int64")
def _(): _stepped(GymEnv("Pendulum-v1"), torch.tensor([1]))

@case("envs", "dm_control action 5.0 where the range is [-1, 1]", "'action'", "5.0")
def _():
    from torchrl_lit.envs.libs.dm_control import DMControlEnv
    _stepped(DMControlEnv("cartpole", "balance"), torch.tensor([5.0]))

@case("envs", "dm_control action of the wrong shape", "'action'", "(2,)")
def _():
    from torchrl_lit.envs.libs.dm_control import DMControlEnv
    _stepped(DMControlEnv("cartpole", "balance"), torch.tensor([0.1, 0.2]))

@case("envs", "dm_control unknown task", "balanse")
def _():
    from torchrl_lit.envs.libs.dm_control import DMControlEnv
    DMControlEnv("cartpole", "balanse")

@case("envs", "GymEnv(num_envs=0)", "num_envs", "0")
def _(): GymEnv("CartPole-v1", num_envs=0)

@case("envs", "an unknown gymnasium id", "CartPole", "v9")
def _(): GymEnv("CartPole-v9")

@case("envs", "step without an action", "'action'")
def _(): (env := GymEnv("CartPole-v1")).step(env.reset())

@case("envs", "step with a TensorDict of another batch size", "batch_size")
def _():
    env = GymEnv("CartPole-v1", num_envs=2)
    env.step(TensorDict({"action": torch.tensor([[1, 0], [0, 1], [1, 0]])}, [3]))

@case("envs", "a policy that returns None", "None")
def _(): GymEnv("CartPole-v1").rollout(5, lambda td: None)

@case("envs", "a policy that returns a bare tensor", "Tensor")
def _(): GymEnv("CartPole-v1").rollout(5, lambda td: torch.tensor([1, 0]))

@case("envs", "a policy that writes a float, not one-hot action", "'action'", "0.")
def _(): GymEnv("CartPole-v1").rollout(5, lambda td: td.set("action", torch.tensor([0.2, 0.9])))

@case("envs", "step after close", "closed")
def _():
    env = GymEnv("CartPole-v1"); td = env.reset(); env.close(); env.rand_step(td)

@case("envs", "rollout(0)", "max_steps", "0")
def _(): GymEnv("CartPole-v1").rollout(0)


# --- collectors ---------------------------------------------------------------------------------------------------
@case("collectors", "frames_per_batch=0", "frames_per_batch", "0")
def _():
    from torchrl_lit.collectors import SyncDataCollector
    SyncDataCollector(lambda: GymEnv("CartPole-v1"), None, frames_per_batch=0, total_frames=100)

@case("collectors", "frames_per_batch not a multiple of the env batch", "frames_per_batch", "3")
def _():
    from torchrl_lit.collectors import SyncDataCollector
    c = SyncDataCollector(lambda: GymEnv("CartPole-v1", num_envs=2), None, frames_per_batch=3, total_frames=100)
    next(iter(c))

@case("collectors", "a policy that writes no action", "'action'")
def _():
    from torchrl_lit.collectors import SyncDataCollector
    policy = TensorDictModule(torch.nn.Linear(4, 2), ["observation"], ["logits"])
    next(iter(SyncDataCollector(lambda: GymEnv("CartPole-v1"), policy, frames_per_batch=8, total_frames=8)))

@case("collectors", "an env factory that is not callable", "create_env_fn")
def _():
    from torchrl_lit.collectors import SyncDataCollector
    SyncDataCollector(42, None, frames_per_batch=8, total_frames=8)


# --- modules and losses -------------------------------------------------------------------------------------------
@case("modules", "a TensorDictModule reading a missing key", "'obs'")
def _(): TensorDictModule(torch.nn.Linear(4, 2), ["obs"], ["out"])(TensorDict({"observation": torch.zeros(4)}, []))

@case("modules", "a network of the wrong input width", "'observation'", "(3,)")
def _(): TensorDictModule(torch.nn.Linear(4, 2), ["observation"], ["out"])(TensorDict({"observation": torch.zeros(3)}, []))

@case("modules", "TanhNormal with a zero scale", "scale")
def _():
    from torchrl_lit.modules import TanhNormal
    TanhNormal(torch.zeros(2), torch.zeros(2))

@case("modules", "Categorical with NaN logits", "nan")
def _():
    from torchrl_lit.modules import Categorical as CategoricalDist
    CategoricalDist(torch.tensor([0.0, float("nan")]))

@case("modules", "NormalParamExtractor on an odd width", "even", "(3,)")
def _():
    from torchrl_lit.modules import NormalParamExtractor
    NormalParamExtractor()(torch.zeros(3))

@case("losses", "SACLoss with a wrong action width", "action")
def _():
    from torchrl_lit.modules import make_sac_models
    from torchrl_lit.objectives import SACLoss
    env = GymEnv("Pendulum-v1")
    actor, qvalue = make_sac_models(env)
    loss = SACLoss(actor, qvalue)
    td = env.rollout(4)
    td["action"] = torch.zeros(4, 3)
    loss(td)

@case("losses", "DQNLoss on a batch without ('next', 'reward')", "reward")
def _():
    from torchrl_lit.modules import make_dqn_actor
    from torchrl_lit.objectives import DQNLoss
    env = GymEnv("CartPole-v1")
    td = env.rollout(4)
    del td["next"]["reward"]
    DQNLoss(make_dqn_actor(env))(td)

@case("losses", "GAE on a batch without a time dim", "time")
def _():
    from torchrl_lit.objectives import GAE
    value = TensorDictModule(torch.nn.Linear(4, 1), ["observation"], ["state_value"])
    td = GymEnv("CartPole-v1").rollout(4)[0]
    GAE(gamma=0.99, lmbda=0.95, value_network=value)(td)


@case("losses", "ClipPPOLoss on a batch without sample_log_prob", "sample_log_prob")
def _():
    from torchrl_lit.modules import make_ppo_models
    from torchrl_lit.objectives import ClipPPOLoss
    env = GymEnv("CartPole-v1")
    actor, critic = make_ppo_models(env)
    td = env.rollout(4, actor)
    td["advantage"], td["value_target"] = torch.zeros(4, 1), torch.zeros(4, 1)
    del td["sample_log_prob"]
    ClipPPOLoss(actor, critic)(td)

@case("envs", "SerialEnv with 0 workers", "num_workers", "0")
def _():
    from torchrl_lit.envs import SerialEnv
    SerialEnv(0, lambda: GymEnv("CartPole-v1"))

@case("collectors", "MultiSyncDataCollector with no env factories", "create_env_fn")
def _():
    from torchrl_lit.collectors import MultiSyncDataCollector
    MultiSyncDataCollector([], None, frames_per_batch=8, total_frames=8)


# --- configs and the command line ---------------------------------------------------------------------------------
def _cli(*argv: str):
    "Run the command line in-process; a clear error is exit code 2 with one line naming the key."
    from torchrl_lit.cli import main
    err = io.StringIO()
    with redirect_stderr(err), redirect_stdout(io.StringIO()):
        try: code = main(list(argv))
        except SystemExit as e: code = e.code
    if code != 0: raise RuntimeError(f"exit {code}: {err.getvalue().strip()}")

for algo, arg, words in [
        ("dqn", "--total_frames=0", ["total_frames", "0"]), ("dqn", "--total_frames=-5000", ["total_frames", "-5000"]),
        ("dqn", "--eval_interval=0", ["eval_interval", "0"]), ("dqn", "--log_interval=0", ["log_interval", "0"]),
        ("dqn", "--train_freq=0", ["train_freq", "0"]), ("dqn", "--eval_episodes=0", ["eval_episodes", "0"]),
        ("dqn", "--total_frames=abc", ["total_frames", "abc"]), ("dqn", "--total_frames=100", ["total_frames", "100"]),
        ("dqn", "--gamma=1.5", ["gamma", "1.5"]), ("dqn", "--lr=-1", ["lr", "-1"]), ("dqn", "--no_such_key=1", ["no_such_key"]),
        ("ppo", "--clip_epsilon=0", ["clip_epsilon", "0"]), ("ppo", "--num_envs=0", ["num_envs", "0"]),
        ("dqn", "--gradient_steps=-1", ["gradient_steps", "-1"]), ("sac", "--gradient_steps=-1", ["gradient_steps", "-1"]), ("sac", "--batch_size=0", ["batch_size", "0"]),
        ("ddpg", "--tau=2", ["tau", "2"]), ("impala", "--num_workers=0", ["num_workers", "0"]),
        ("rl2", "--num_trials=0", ["num_trials"]), ("dreamer", "--imagination_horizon=0", ["imagination_horizon", "0"])]:
    short = [] if "total_frames" in arg else ["--total_frames=2048"]  # a value that slips through trains briefly, not for an hour
    case("command line", f"torchrl-lit train {algo} {arg}", *words)(
        lambda algo=algo, arg=arg, short=short: _cli("train", algo, arg, *short, "--no-progress", "--run-dir", str(tmp())))

@case("command line", "an unknown preset", "CartPole-v9")
def _(): _cli("train", "dqn", "--preset", "CartPole-v9", "--no-progress")

@case("command line", "eval of a folder that is not a run", "run.json")
def _(): _cli("eval", str(tmp()))

@case("command line", "resume of a folder that is not a run", "run.json")
def _(): _cli("train", "ppo", "--resume", str(tmp()), "--no-progress")


# --- checkpoints --------------------------------------------------------------------------------------------------
def _trainer(run_dir):
    from torchrl_lit.algorithms.dqn import DQNConfig, make_dqn_trainer
    return make_dqn_trainer(DQNConfig.from_preset("dqn.CartPole-v1", total_frames=512), run_dir, progress=False)

@case("checkpoints", "Trainer.load of a truncated trainer.pt", "trainer.pt")
def _():
    d = tmp(); _trainer(d).save(d / "ckpt")
    (d / "ckpt" / "trainer.pt").write_bytes((d / "ckpt" / "trainer.pt").read_bytes()[:100])
    _trainer(d).load(d / "ckpt")

@case("checkpoints", "Trainer.load of a run folder without a checkpoint", "checkpoint")
def _(): (d := tmp()) and _trainer(d).load(d / "ckpt")

@case("checkpoints", "resuming with a different n_steps", "n_steps")
def _():
    from torchrl_lit.algorithms.dqn import DQNConfig, make_dqn_trainer
    d = tmp(); _trainer(d).save(d / "ckpt")
    make_dqn_trainer(DQNConfig.from_preset("dqn.CartPole-v1", total_frames=512, n_steps=3), d, progress=False).load(d / "ckpt")

@case("checkpoints", "resuming with prioritized replay switched on", "prioritized")
def _():
    from torchrl_lit.algorithms.dqn import DQNConfig, make_dqn_trainer
    d = tmp(); _trainer(d).save(d / "ckpt")
    make_dqn_trainer(DQNConfig.from_preset("dqn.CartPole-v1", total_frames=512, prioritized=True), d, progress=False).load(d / "ckpt")


def _plain(text: str) -> str:
    "`text` lower-cased, with [3, 4] and (3, 4) written alike (a shape may be printed either way)."
    return text.lower().replace("torch.size(", "").replace("[", "(").replace("]", ")").replace(",)", ")")


class _Hang(Exception):
    "A case still running after its time limit: the bad input was accepted and the call runs on (e.g. a loop that never ends)."


def _alarm(signum, frame): raise _Hang()


def run(case_fn, words: list[str], limit: int = 120) -> tuple[str, str]:
    "('clear' | 'confusing' | 'silent', the message) for one case; a case that runs past `limit` seconds is silent."
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        signal.signal(signal.SIGALRM, _alarm)
        signal.alarm(limit)
        try: case_fn()
        except _Hang: return "silent", f"still running after {limit} s"
        except Exception as e:
            msg = f"{type(e).__name__}: {e}"
            return ("clear" if all(_plain(w) in _plain(msg) for w in words) else "confusing"), msg
        finally: signal.alarm(0)
    return "silent", ""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=None, help="also write the report to this file")
    ap.add_argument("--limit", type=int, default=120, help="seconds after which a case that still runs counts as silent")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every message, not only the first line")
    args = ap.parse_args()
    torch.set_num_threads(1)
    lines, totals = [], {"clear": 0, "confusing": 0, "silent": 0}
    for area, what, fn, words in CASES:
        kind, msg = run(fn, words, args.limit)
        totals[kind] += 1
        first = msg.splitlines()[0] if msg else ""
        lines.append(f"{kind:9s} {area:15s} {what}" + (f"\n          {first[:300 if args.verbose else 160]}" if kind != "clear" or args.verbose else ""))
        print(lines[-1], flush=True)
    summary = f"\n{len(CASES)} bad inputs: {totals['clear']} clear, {totals['confusing']} confusing, {totals['silent']} silent"
    print(summary)
    if args.out: Path(args.out).write_text("\n".join(lines) + summary + "\n")
    return 0 if totals["clear"] == len(CASES) else 1


if __name__ == "__main__":
    sys.exit(main())
