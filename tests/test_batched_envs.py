"""SerialEnv and ParallelEnv across processes: spawn and fork, partial resets, seeding, worker errors, no orphans."""
import os, pickle, signal, subprocess, sys, textwrap, time
import cloudpickle
import pytest
import torch
from torchrl_lit.envs.batched import EnvCreator, ParallelEnv, SerialEnv
from torchrl_lit.envs.common import check_env_specs
from torchrl_lit.envs.libs.gym import GymEnv
from torchrl_lit.envs.utils import step_mdp

cloudpickle.register_pickle_by_value(sys.modules[__name__])  # the env classes below travel by value to spawn workers
METHODS = ["spawn", "fork"]


class FlakyCartPole(GymEnv):
    "CartPole that raises at its 3rd step (`fail=True`), dies there (`die=True`) or sleeps there (`sleep` seconds)."
    def __init__(self, fail: bool = False, die: bool = False, sleep: float = 0.0, fail_init: bool = False):
        if fail_init: raise OSError("simulator licence not found")
        super().__init__("CartPole-v1")
        self.fail, self.die, self.sleep, self.steps = fail, die, sleep, 0

    def _step(self, td):
        self.steps += 1
        if self.steps == 3:
            if self.fail: raise ValueError("the simulator exploded at step 3")
            if self.die: os._exit(3)
            time.sleep(self.sleep)
        return super()._step(td)


def cartpole():
    return GymEnv("CartPole-v1")


@pytest.mark.parametrize("method", METHODS)
def test_parallel_steps_cartpole(method):
    with ParallelEnv(2, lambda: GymEnv("CartPole-v1"), mp_start_method=method) as env:
        check_env_specs(env, seed=0)
        assert env.batch_size == torch.Size([2]) and env.observation_spec["observation"].shape == torch.Size([2, 4])
        td = env.rollout(30, break_when_any_done=False)
        assert td.batch_size == torch.Size([2, 30])
        # CartPole's physics: the next observation of one step is the observation of the next step, unless it was reset
        done = td["next", "done"][:, :-1, 0]
        same = (td["next", "observation"][:, :-1] == td["observation"][:, 1:]).all(-1)
        assert same[~done].all()
        assert (td["next", "reward"] == 1).all()
        procs = list(env._procs)
    assert env.is_closed and all(not p.is_alive() for p in procs)


@pytest.mark.parametrize("method", METHODS)
def test_partial_reset_resets_only_flagged(method):
    with ParallelEnv(2, cartpole, mp_start_method=method) as env:
        actions = torch.eye(2, dtype=torch.int64)[torch.tensor([0, 1, 1, 0, 1, 0])]  # one-hot, (6, 2)
        env.set_seed(0)
        td = env.reset()
        for a in actions[:5]: td = step_mdp(env.step(td.set("action", a.expand(2, 2))))
        before = td["observation"].clone()
        out = env.reset(td.clone().set("_reset", torch.tensor([[False], [True]])))
        assert torch.equal(out["observation"][0], before[0])  # worker 0 kept its state
        assert not torch.equal(out["observation"][1], before[1]) and out["observation"][1].abs().max() <= 0.05  # worker 1 starts over
        unchanged = env.reset(out.clone().set("_reset", torch.zeros(2, 1, dtype=torch.bool)))
        assert torch.equal(unchanged["observation"], out["observation"])
        # worker 0 goes on from where it was: its next step matches a single env replaying the same actions
        ref = GymEnv("CartPole-v1")
        ref.set_seed(0)
        ref_td = ref.reset()
        for a in actions[:5]: ref_td = step_mdp(ref.step(ref_td.set("action", a)))
        nxt = env.step(out.set("action", actions[5].expand(2, 2)))
        assert torch.equal(nxt["next", "observation"][0], ref.step(ref_td.set("action", actions[5]))["next", "observation"])


def test_same_seed_same_rollout():
    with ParallelEnv(2, cartpole, mp_start_method="fork") as env:
        policy = lambda td: td.set("action", env.action_spec.rand())
        runs = []
        for seed in (7, 7, 8):
            env.set_seed(seed)
            runs.append((env.rollout(40, break_when_any_done=False), env.rollout(40, policy, break_when_any_done=False)))
    for a, b in zip(runs[0], runs[1]): assert (a == b).all()
    assert not (runs[0][0]["observation"] == runs[2][0]["observation"]).all()
    assert not torch.equal(runs[0][0]["observation"][0], runs[0][0]["observation"][1])  # seed + i: the workers differ


@pytest.mark.parametrize("method", METHODS)
def test_serial_and_parallel_rollouts_match(method):
    with SerialEnv(2, cartpole) as serial, ParallelEnv(2, cartpole, mp_start_method=method) as parallel:
        rollouts = []
        for env in (serial, parallel):
            env.set_seed(3)
            fast = env.rollout(300, break_when_any_done=False)  # each copy's own random rollout
            policy = lambda td: td.set("action", env.action_spec.rand())
            stepped = env.rollout(300, policy, break_when_any_done=False)  # one synchronised step at a time
            early = env.rollout(300)  # stops at the first done
            rollouts.append((fast, stepped, early))
    for a, b in zip(*rollouts):
        assert a.batch_size == b.batch_size and (a == b).all()
    assert rollouts[0][0]["next", "done"].any() and rollouts[0][1]["next", "done"].any()  # the resets were exercised


@pytest.mark.parametrize("method", METHODS)
def test_worker_error_names_the_worker(method):
    env = ParallelEnv(2, FlakyCartPole, create_env_kwargs=[{}, {"fail": True}], mp_start_method=method)
    try:
        td = env.reset()
        for _ in range(2): td = step_mdp(env.rand_step(td))
        with pytest.raises(RuntimeError, match="worker 1 raised during 'step': ValueError: the simulator exploded at step 3") as info:
            env.rand_step(td)
        assert "in _step" in str(info.value)  # the worker's traceback
        assert isinstance(info.value.__cause__, ValueError)
        env.rand_step(td)  # the protocol stays in step: the next command works
    finally: env.close()


def test_worker_build_error_and_death_and_timeout():
    with pytest.raises(RuntimeError, match="worker 1 raised during 'start': OSError: simulator licence not found"):
        ParallelEnv(2, FlakyCartPole, create_env_kwargs=[{}, {"fail_init": True}], mp_start_method="fork")
    env = ParallelEnv(2, FlakyCartPole, create_env_kwargs=[{"die": True}, {}], mp_start_method="fork")
    td = env.reset()
    for _ in range(2): td = step_mdp(env.rand_step(td))
    with pytest.raises(RuntimeError, match=r"worker 0 \(pid \d+\) died during 'step' \(exit code 3\)"): env.rand_step(td)
    assert env.is_closed
    env = ParallelEnv(2, FlakyCartPole, create_env_kwargs=[{}, {"sleep": 10.0}], mp_start_method="fork", timeout=0.5)
    td = env.reset()
    for _ in range(2): td = step_mdp(env.rand_step(td))
    start = time.perf_counter()
    with pytest.raises(TimeoutError, match="worker 1 .* did not answer 'step' within 0.5 s"): env.rand_step(td)
    assert env.is_closed and time.perf_counter() - start < 9
    with pytest.raises(RuntimeError, match="is closed"): env.reset()


ORPHAN_SCRIPT = textwrap.dedent('''
    import sys, time
    from torchrl_lit.envs.batched import ParallelEnv
    from torchrl_lit.envs.libs.gym import GymEnv
    if __name__ == "__main__":
        env = ParallelEnv(2, lambda: GymEnv("CartPole-v1"), mp_start_method=sys.argv[1])
        env.rollout(5)
        print(" ".join(str(p.pid) for p in env._procs), flush=True)
        time.sleep(600)
''')


def _alive(pid: int) -> bool:
    "Whether `pid` runs (a zombie waiting for a reaper counts as gone)."
    try:
        with open(f"/proc/{pid}/stat") as f: return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError: return False


@pytest.mark.parametrize("method", METHODS)
def test_killed_parent_leaves_no_worker(tmp_path, method):
    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), method], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(_alive(p) for p in pids)
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
    deadline = time.time() + 10
    while any(_alive(p) for p in pids) and time.time() < deadline: time.sleep(0.1)
    assert not any(_alive(p) for p in pids), f"orphan workers still alive: {[p for p in pids if _alive(p)]}"


def test_env_creator_pickles_lambdas():
    creator = EnvCreator(lambda max_steps: GymEnv("CartPole-v1", max_episode_steps=max_steps), {"max_steps": 7})
    clone = pickle.loads(pickle.dumps(creator))  # as multiprocessing sends it
    assert clone.specs["observation"] == creator.specs["observation"]
    with clone() as env: assert env.rollout(50).batch_size[-1] <= 7
