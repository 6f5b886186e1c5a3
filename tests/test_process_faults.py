"""Process faults, under `fork` and `spawn`: a killed parent leaves no worker, a killed or hung worker is named and
everything shut down, a script without a `__main__` guard and an unpicklable factory get errors that say the fix."""
import os, signal, subprocess, sys, textwrap, threading, time
from functools import partial

import pytest

from torchrl_lit.collectors.multiprocess import MultiaSyncDataCollector, MultiSyncDataCollector
from torchrl_lit.envs.batched import ParallelEnv
from torchrl_lit.envs.libs.gym import GymEnv

METHODS = ["fork", "spawn"]
COLLECTORS = [MultiSyncDataCollector, MultiaSyncDataCollector]
make_env = partial(GymEnv, "CartPole-v1")  # importable: works under spawn


def gone(pid: int) -> bool:
    "Whether `pid` has exited and been reaped (a zombie still counts as there)."
    return not os.path.exists(f"/proc/{pid}")


def running(pid: int) -> bool:
    "Whether `pid` runs (a zombie waiting for a reaper counts as stopped)."
    try:
        with open(f"/proc/{pid}/stat") as f: return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError: return False


ORPHAN_SCRIPT = textwrap.dedent('''
    import sys
    from functools import partial
    from torchrl_lit.collectors.multiprocess import MultiaSyncDataCollector, MultiSyncDataCollector
    from torchrl_lit.envs.libs.gym import GymEnv
    if __name__ == "__main__":
        cls = {"sync": MultiSyncDataCollector, "async": MultiaSyncDataCollector}[sys.argv[2]]
        collector = cls([partial(GymEnv, "CartPole-v1")] * 2, None, frames_per_batch=64, total_frames=-1, mp_start_method=sys.argv[1])
        collector.next()
        print(" ".join(str(p.pid) for p in collector._procs), flush=True)
        for batch in collector: pass
''')


@pytest.mark.parametrize("method,kind", [("fork", "sync"), ("fork", "async"), ("spawn", "sync")])
def test_killed_parent_leaves_no_collector_worker(tmp_path, method, kind):
    script = tmp_path / "parent.py"
    script.write_text(ORPHAN_SCRIPT)
    parent = subprocess.Popen([sys.executable, str(script), method, kind], stdout=subprocess.PIPE, text=True)
    try:
        pids = [int(p) for p in parent.stdout.readline().split()]
        assert len(pids) == 2 and all(running(p) for p in pids)
        time.sleep(0.5)  # the parent is now iterating
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
    killed, deadline = time.monotonic(), time.monotonic() + 5
    while any(running(p) for p in pids) and time.monotonic() < deadline: time.sleep(0.05)
    print(f"{method}/{kind}: workers gone {time.monotonic() - killed:.2f} s after the parent's SIGKILL")
    assert not any(running(p) for p in pids), f"orphan workers still alive 5 s after their parent died: {[p for p in pids if running(p)]}"


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cls", COLLECTORS)
def test_killed_worker_is_named_and_reaped(method, cls):
    collector = cls([make_env] * 2, None, frames_per_batch=40, mp_start_method=method)
    collector.next()
    victim = collector._procs[1].pid
    os.kill(victim, signal.SIGKILL)
    with pytest.raises(RuntimeError, match=rf"worker 1 of {cls.__name__} \(pid {victim}\) died during 'next' with exit code -9"):
        for _ in range(10): collector.next()
    assert collector._closed and not any(p.is_alive() for p in collector._procs)
    assert gone(victim), "the killed worker was left a zombie"
    with pytest.raises(RuntimeError, match="was shut down"): collector.next()


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("cls", COLLECTORS)
def test_hung_worker_times_out(method, cls):
    collector = cls([make_env] * 2, None, frames_per_batch=40, mp_start_method=method, timeout=1.0)
    collector.next()
    hung = collector._procs[1].pid
    os.kill(hung, signal.SIGSTOP)  # a worker that never answers again
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=rf"worker 1 of {cls.__name__} \(pid {hung}\) did not answer 'next' within 1.0 s"):
        for _ in range(2000): collector.next()  # the async collector must not keep serving the healthy worker alone
    assert time.monotonic() - start < 10
    assert collector._closed and gone(hung) and not any(p.is_alive() for p in collector._procs)


UNGUARDED_SCRIPT = textwrap.dedent('''
    from functools import partial
    from torchrl_lit.collectors.multiprocess import MultiSyncDataCollector
    from torchrl_lit.envs.batched import ParallelEnv
    from torchrl_lit.envs.libs.gym import GymEnv
    make_env = partial(GymEnv, "CartPole-v1")
    env = ParallelEnv(1, make_env, mp_start_method="spawn") if "{cls}" == "ParallelEnv" else \\
          MultiSyncDataCollector([make_env], None, frames_per_batch=10, mp_start_method="spawn")
''')


@pytest.mark.parametrize("cls", ["ParallelEnv", "MultiSyncDataCollector"])
def test_spawn_script_without_main_guard_says_what_to_add(tmp_path, cls):
    script = tmp_path / "unguarded.py"
    script.write_text(UNGUARDED_SCRIPT.replace("{cls}", cls))
    out = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert out.returncode != 0
    assert f"{cls} was created while a worker process was starting" in out.stderr
    assert 'Put the code that creates the %s under `if __name__ == "__main__":`' % cls in out.stderr
    assert "died during 'start'" in out.stderr  # the parent's own error points at the worker's


def test_unpicklable_factory_is_named():
    lock = threading.Lock()

    def cartpole_under_lock():
        with lock: return GymEnv("CartPole-v1")

    with pytest.raises(TypeError, match="the env factory .*cartpole_under_lock cannot be pickled .*create that object inside the env factory"):
        ParallelEnv(2, cartpole_under_lock, mp_start_method="spawn")
    for cls in COLLECTORS:
        with pytest.raises(TypeError, match="the env factory .*cartpole_under_lock cannot be pickled .*_thread.lock"):
            cls([cartpole_under_lock] * 2, None, frames_per_batch=20, mp_start_method="fork")
