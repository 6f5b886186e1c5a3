"""A memory-mapped replay buffer survives `kill -9` of the process writing into it.

A writer subprocess extends a `LazyMemmapStorage`-backed buffer in a loop with rows whose every entry
holds the row's write number; the parent kills it with SIGKILL while it runs, re-opens the buffer
from its folder, and checks that every completed write is intact and that writing resumes at the
killed writer's cursor.
"""
import signal, subprocess, sys, textwrap, time
from pathlib import Path

import pytest
import torch

from torchrl_lit.data.replay_buffers import LazyMemmapStorage, TensorDictReplayBuffer
from torchrl_lit.data.tensordict import TensorDict

CAPACITY, BATCH = 1_000_000, 2_000

WRITER = textwrap.dedent("""
    import sys, torch
    torch.set_num_threads(1)
    from torchrl_lit.data.replay_buffers import LazyMemmapStorage, TensorDictReplayBuffer
    from torchrl_lit.data.tensordict import TensorDict
    path, capacity, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rb = TensorDictReplayBuffer(storage=LazyMemmapStorage(capacity, scratch_dir=path))
    step = 0
    while True:  # until killed
        rows = torch.arange(step, step + batch)
        rb.extend(TensorDict({"step": rows, "observation": rows[:, None].expand(batch, 4).float(),
                              "next": {"reward": rows[:, None].double(), "done": (rows % 7 == 0)[:, None]}}, [batch]))
        step += batch
""")


def _rows_written(path: Path) -> int:
    "How many rows the storage under `path` counts (0 before its first write)."
    if not (path / "layout.json").exists(): return 0
    return len(LazyMemmapStorage(CAPACITY, scratch_dir=path))


def _check_rows(storage: LazyMemmapStorage, rows: torch.Tensor):
    "Every entry of the given rows holds the same write number, as the writer wrote it."
    td = storage.get(rows)
    step = td["step"]
    assert torch.equal(td["observation"], step[:, None].expand(-1, 4).float())
    assert torch.equal(td["next", "reward"], step[:, None].double())
    assert torch.equal(td["next", "done"], (step % 7 == 0)[:, None])
    return step


@pytest.mark.parametrize("kill_at", [CAPACITY // 2, CAPACITY])  # half full; full, so the writer is overwriting old rows
def test_memmap_buffer_survives_kill_9(tmp_path, clean_env, kill_at):
    path = tmp_path / "buffer"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(CAPACITY), str(BATCH)],
                            env=clean_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while _rows_written(path) < kill_at:  # kill it mid-run
            if proc.poll() is not None: pytest.fail(f"the writer exited early:\n{proc.stderr.read().decode()}")
            if time.monotonic() > deadline: pytest.fail("the writer wrote too little in 120 s")
            time.sleep(0.01)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None: proc.kill(); proc.wait(timeout=30)
        proc.stdout.close(); proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    rb = TensorDictReplayBuffer(storage=LazyMemmapStorage(CAPACITY, scratch_dir=path))
    n, cursor = len(rb), rb.writer._cursor
    assert n >= kill_at and n % BATCH == 0 and cursor % BATCH == 0
    # The oldest completed row first: rows [cursor, n) then [0, cursor), skipping the batch an interrupted
    # write may have been overwriting (it was neither old nor new data any more).
    if n < CAPACITY: order = torch.arange(cursor)
    else: order = torch.cat([torch.arange(cursor + BATCH, CAPACITY), torch.arange(cursor)])
    steps = _check_rows(rb.storage, order)
    assert torch.equal(steps, steps[0] + torch.arange(len(order)))  # consecutive writes, none missing or torn
    assert torch.equal(steps % CAPACITY, order)  # each at the row the round-robin writer put it

    # A new writer resumes after the last completed write.
    new = torch.arange(10**9, 10**9 + 5)
    index = rb.extend(TensorDict({"step": new, "observation": new[:, None].expand(5, 4).float(),
                                  "next": {"reward": new[:, None].double(), "done": (new % 7 == 0)[:, None]}}, [5]))
    assert torch.equal(index, (cursor + torch.arange(5)) % CAPACITY)
    assert torch.equal(_check_rows(rb.storage, index), new)
