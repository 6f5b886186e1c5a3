"""RayCollector beyond the chapter: no Ray process outlives it (after a normal run and after a worker's error),
a worker on a second node of a two-node cluster delivers batches, losing that node raises an error naming the
worker instead of hanging, and without Ray the library still imports and says what to install."""
import subprocess, sys, textwrap, time
from functools import partial

import cloudpickle
import pytest
import torch
from torch import nn

ray = pytest.importorskip("ray")
from ray.cluster_utils import Cluster

from torchrl_lit.collectors.distributed import RayCollector
from torchrl_lit.data.tensordict_module import TensorDictModule
from torchrl_lit.envs.libs.gym import GymEnv

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # workers cannot import this test module: send its classes by value


class Greedy(nn.Module):
    "A CartPole policy: one-hot argmax of a small MLP."
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 2))
    def forward(self, observation): return nn.functional.one_hot(self.net(observation).argmax(-1), 2)


def run_script(code: str, clean_env: dict, timeout: float = 240) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=clean_env, capture_output=True, text=True, timeout=timeout)


LEAK_CHECK = """
    import time, psutil
    from functools import partial
    from torch import nn
    from torchrl_lit.collectors.distributed import RayCollector
    from torchrl_lit.data.tensordict_module import TensorDictModule
    from torchrl_lit.envs.libs.gym import GymEnv

    class Boom(GymEnv):
        "CartPole that raises after 20 steps."
        def _step(self, td):
            self.n = getattr(self, "n", 0) + 1
            if self.n > 20: raise ValueError("boom from the simulator")
            return super()._step(td)

    def descendants():
        return {p.pid: p for p in psutil.Process().children(recursive=True)}

    def alive(procs):
        time.sleep(3)
        out = []
        for pid, p in procs.items():
            try:
                if p.is_running() and p.status() != psutil.STATUS_ZOMBIE: out.append((pid, " ".join(p.cmdline())[:80]))
            except psutil.NoSuchProcess: pass
        return out

    collector = RayCollector(partial(GymEnv, "CartPole-v1"), None, frames_per_batch=100, total_frames=1_000)
    procs = descendants()
    assert len(procs) >= 4, procs  # gcs, raylet, agents and the two workers at least
    for batch in collector: pass  # the end of the run shuts down, and stops the Ray this collector started
    print("after a run:", alive(procs))

    class Left(nn.Module):
        "Always push left (a real policy: the env steps through _step)."
        def forward(self, observation): return nn.functional.one_hot(observation[..., 0].long() * 0, 2)

    policy = TensorDictModule(Left(), ["observation"], ["action"])
    collector = RayCollector([partial(GymEnv, "CartPole-v1"), partial(Boom, "CartPole-v1")], policy, frames_per_batch=50)
    procs = descendants()
    try:
        for _ in range(20): collector.next()
        print("no error")
    except RuntimeError as e:
        print("error names the worker:", "worker 1 of RayCollector" in str(e) and "boom from the simulator" in str(e))
    print("after an error:", alive(procs))
"""


def test_no_ray_process_outlives_the_collector(clean_env):
    res = run_script(LEAK_CHECK, clean_env)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "after a run: []" in res.stdout, res.stdout
    assert "error names the worker: True" in res.stdout, res.stdout + res.stderr[-3000:]
    assert "after an error: []" in res.stdout, res.stdout


def test_without_ray_the_library_imports_and_says_what_to_install(clean_env):
    res = run_script("""
        import sys
        sys.modules["ray"] = None  # as if Ray were not installed
        import torchrl_lit.collectors, torchrl_lit.collectors.distributed as d
        from functools import partial
        from torchrl_lit.envs.libs.gym import GymEnv
        try: d.RayCollector(partial(GymEnv, "CartPole-v1"), None, frames_per_batch=10)
        except ImportError as e: print(e)
    """, clean_env, timeout=120)
    assert res.returncode == 0, res.stderr[-3000:]
    assert "pip install 'torchrl_lit[distributed]'" in res.stdout


@pytest.fixture
def two_nodes():
    "A head node and a second node with 1 CPU each; the second has a resource 'second' to place a worker on it."
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    second = cluster.add_node(num_cpus=1, resources={"second": 1})
    cluster.wait_for_nodes()
    yield cluster, second
    ray.shutdown()
    cluster.shutdown()


def test_two_nodes_deliver_and_a_lost_node_names_its_worker(two_nodes, monkeypatch):
    cluster, second = two_nodes
    monkeypatch.setenv("RAY_ADDRESS", cluster.address)  # the same code as on one machine joins the cluster
    torch.manual_seed(0)
    policy = TensorDictModule(Greedy(), ["observation"], ["action"])
    collector = RayCollector(partial(GymEnv, "CartPole-v1"), policy, frames_per_batch=100, num_collectors=2,
                             remote_configs=[{"num_cpus": 1}, {"num_cpus": 1, "resources": {"second": 1}}], timeout=120)
    assert collector.where[1][1] == second.node_id and collector.where[0][1] != second.node_id
    seen = set()
    for _ in range(8):
        batch = collector.next()
        seen.add(int(batch["collector", "worker_id"][0]))
        collector.update_policy_weights_()
    assert seen == {0, 1}  # the worker on the second node delivered
    assert len(ray.nodes()) == 2  # it joined the cluster instead of starting a local Ray

    cluster.remove_node(second)
    start = time.time()
    with pytest.raises(RuntimeError, match="worker 1 of RayCollector"):
        for _ in range(10_000): collector.next()
    assert time.time() - start < 120
    assert collector._closed and not ray.is_initialized()  # this driver left the cluster it had joined...
    assert cluster.head_node.remaining_processes_alive()  # ...which keeps running for other drivers
