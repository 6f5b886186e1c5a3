"""A recurrent policy's hidden state lives in the TensorDict: it is carried from step to step, across batches and inside
worker processes (`fork` and `spawn`), and restarts from zero when an episode starts (DESIGN.md's promise)."""
import pytest
import torch
from torch import nn

from torchrl_lit.collectors import MultiSyncDataCollector, SyncDataCollector
from torchrl_lit.data.tensordict_module import TensorDictModule, TensorDictSequential
from torchrl_lit.envs import EnvCreator, GymEnv, InitTracker, TransformedEnv
from torchrl_lit.modules import LSTMModule, QValueActor

make_env = EnvCreator(lambda: TransformedEnv(GymEnv("CartPole-v1"), InitTracker()))


def recurrent_policy(env) -> TensorDictSequential:
    torch.manual_seed(0)
    return TensorDictSequential(TensorDictModule(nn.Linear(4, 8), ["observation"], ["embed"]),
                                LSTMModule(8, 8, "embed", "features"),
                                QValueActor(nn.Linear(8, 2), spec=env.action_spec, in_keys="features"))


def check_state_flow(batches):
    "Within a trajectory the state read at step t is the state written at t-1, across batch boundaries too."
    traj = torch.cat([b.reshape(-1, b.batch_size[-1]) for b in batches], dim=-1)  # (n_envs, T_total): batches in time order
    h, h_next, is_init = traj["recurrent_state_h"], traj["next", "recurrent_state_h"], traj["is_init"][..., 0]
    carried = ~is_init[:, 1:]
    assert carried.sum() > 50 and is_init[:, 1:].any(), "the run must hold carried steps and episode starts"
    assert torch.equal(h[:, 1:][carried], h_next[:, :-1][carried])
    assert h_next.abs().sum() > 0  # the LSTM really produced states (zeros everywhere would pass the equality)


def test_state_is_carried_in_process():
    env = make_env()
    collector = SyncDataCollector(env, recurrent_policy(env), frames_per_batch=64, total_frames=192)
    check_state_flow(list(collector))
    collector.shutdown()


@pytest.mark.parametrize("method", ["fork", "spawn"])
def test_state_is_carried_in_workers(method):
    env = make_env()
    collector = MultiSyncDataCollector([make_env], recurrent_policy(env), frames_per_batch=64, total_frames=192, mp_start_method=method)
    try: check_state_flow([b.clone() for b in collector])
    finally: collector.shutdown()
