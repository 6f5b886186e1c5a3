"""Multiprocess collectors under `fork` and `spawn`: weights reach the workers, seeds differ, errors surface, no process outlives them."""
import gc
from functools import partial

import pytest
import torch
from torch import nn

from torchrl_lit.collectors.multiprocess import MultiSyncDataCollector, MultiaSyncDataCollector, aSyncDataCollector
from torchrl_lit.data.tensordict_module import TensorDictModule
from torchrl_lit.envs.libs.gym import GymEnv

METHODS = ["fork", "spawn"]
make_env = partial(GymEnv, "CartPole-v1")  # importable: works under spawn


def bias_policy(bias: list) -> TensorDictModule:
    "A linear policy with zero weights: it writes `bias` as the action (a one-hot row for the env to accept), so a batch shows which weights acted."
    policy = TensorDictModule(nn.Linear(4, 2), in_keys=["observation"], out_keys=["action"])
    nn.init.zeros_(policy.module.weight)
    policy.module.bias.data = torch.tensor(bias)
    return policy


def all_stopped(procs) -> bool:
    for p in procs: p.join(10)
    return not any(p.is_alive() for p in procs)


@pytest.mark.parametrize("method", METHODS)
def test_update_policy_weights_reaches_workers(method):
    policy = bias_policy([1.0, 0.0])
    collector = MultiSyncDataCollector([make_env] * 2, policy, frames_per_batch=40, mp_start_method=method)
    try:
        assert (collector.next()["action"] == torch.tensor([1.0, 0.0])).all()
        policy.module.bias.data = torch.tensor([0.0, 1.0])
        collector.update_policy_weights_()
        batch = collector.next()
        assert batch.batch_size == (2, 20)
        assert (batch["action"] == torch.tensor([0.0, 1.0])).all()  # both workers
    finally:
        collector.shutdown()
    assert all_stopped(collector._procs)


@pytest.mark.parametrize("method", METHODS)
def test_workers_seeded_distinctly_and_reproducibly(method):
    collector = MultiSyncDataCollector([make_env] * 2, None, frames_per_batch=40, mp_start_method=method)
    try:
        first = collector.next()
        assert not torch.equal(first["observation"][0], first["observation"][1])
        collector.set_seed(7); a = collector.next()
        collector.set_seed(7); b = collector.next()
        assert not torch.equal(a["observation"][0], a["observation"][1])
        assert torch.equal(a["observation"], b["observation"]) and torch.equal(a["action"], b["action"])
    finally:
        collector.shutdown()
    assert all_stopped(collector._procs)


@pytest.mark.parametrize("method", METHODS)
def test_raising_worker_surfaces_with_its_index(method):
    with pytest.raises(RuntimeError, match="worker 1 of MultiSyncDataCollector raised"):
        MultiSyncDataCollector([make_env, partial(GymEnv, "NoSuchEnv-v0")], None, frames_per_batch=20, mp_start_method=method)
    bad_policy = TensorDictModule(nn.Linear(4, 2), in_keys=["pixels"], out_keys=["action"])
    collector = MultiaSyncDataCollector([make_env] * 2, bad_policy, frames_per_batch=20, mp_start_method=method)
    with pytest.raises(RuntimeError, match=r"worker \d of MultiaSyncDataCollector raised:(.|\n)*pixels"):
        collector.next()
    assert all_stopped(collector._procs)


@pytest.mark.parametrize("method", METHODS)
def test_no_process_left_after_break(method):
    collector = MultiaSyncDataCollector([make_env] * 2, None, frames_per_batch=100, mp_start_method=method)
    for i, batch in enumerate(collector):
        assert batch.batch_size == (100,)
        if i == 2: break
    collector.shutdown()  # a worker was still collecting a batch nobody will read
    assert all_stopped(collector._procs)
    sync = MultiSyncDataCollector([make_env] * 2, None, frames_per_batch=100, mp_start_method=method)
    procs = sync._procs
    for i, batch in enumerate(sync):
        if i == 1: break
    del sync, batch  # garbage collection shuts it down too
    gc.collect()
    assert all_stopped(procs)


@pytest.mark.parametrize("method", METHODS)
def test_async_collector_runs_to_total_frames(method):
    collector = aSyncDataCollector(make_env, None, frames_per_batch=50, total_frames=200, split_trajs=True, mp_start_method=method)
    batches = list(collector)
    collector.shutdown()
    assert len(batches) == len(collector) == 4
    assert all(int(b["collector", "mask"].sum()) == 50 for b in batches)
    assert all_stopped(collector._procs)
