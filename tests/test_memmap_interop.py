"""A TensorDict saved by `memmap` in torchrl_lit loads in tensordict 0.14, and the other way round.

tensordict is never a dependency of the project: it lives in `.venv-bench` (the benchmark venv that
`make bench` builds). These tests run that interpreter in a subprocess and are skipped without it.
"""
import functools, json, subprocess
from pathlib import Path

import pytest
import torch

from torchrl_lit.data.tensordict import TensorDict

PEER_PYTHON = Path(__file__).resolve().parents[1] / ".venv-bench" / "bin" / "python"

# Run in both interpreters: the same TensorDict, built without randomness, and a summary of it in plain values.
SHARED = '''
import torch
def make(TD):
    "A transition-like TensorDict with every kind of leaf the layout must carry."
    steps = torch.arange(5.)
    return TD({"observation": torch.arange(20.).reshape(5, 4) / 7, "action": torch.arange(10).reshape(5, 2) % 2,
               "done": (steps > 2).reshape(5, 1), "pixels": torch.arange(5 * 3 * 8 * 8).reshape(5, 3, 8, 8).to(torch.uint8),
               "half": (steps / 3).to(torch.bfloat16), "empty": torch.zeros(5, 0), "a/b c": steps,
               "next": {"observation": torch.arange(20.).reshape(5, 4) / 9, "reward": -steps.reshape(5, 1),
                        "deeper": {"x": torch.arange(10, dtype=torch.int32).reshape(5, 2)}}}, batch_size=[5])

def summary(td):
    "Every leaf as [dtype, shape, values], and every batch size, keyed by repr(key)."
    leaves = {repr(k): [str(v.dtype), list(v.shape), v.float().flatten().tolist()] for k, v in td.items(True, True)}
    sizes = {repr(k): list(v.batch_size) for k, v in td.items(True) if not isinstance(v, torch.Tensor)}
    return {"leaves": leaves, "batch_sizes": {"root": list(td.batch_size), **sizes}}
'''
namespace = {}
exec(SHARED, namespace)
make, summary = namespace["make"], namespace["summary"]


@functools.lru_cache(maxsize=1)
def _peer_available() -> bool:
    if not PEER_PYTHON.exists(): return False
    return subprocess.run([str(PEER_PYTHON), "-c", "import tensordict"], capture_output=True, timeout=300).returncode == 0


def run_peer(code: str) -> str:
    "Run `code` (after SHARED) in the tensordict interpreter; return its stdout."
    if not _peer_available(): pytest.skip(f"tensordict is not installed ({PEER_PYTHON} is missing or cannot import it)")
    res = subprocess.run([str(PEER_PYTHON), "-c", SHARED + "\nimport json\nfrom tensordict import TensorDict\n" + code],
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    return res.stdout


def test_tensordict_loads_and_writes_ours(tmp_path):
    ours = make(TensorDict).memmap(tmp_path / "ours")
    out = run_peer(f'''
td = TensorDict.load_memmap({str(tmp_path / "ours")!r})
print(json.dumps(summary(td)))
td["observation"][0] = -1.0      # writes our file
td["next", "deeper", "x"][4] = 99
''')
    assert json.loads(out.splitlines()[-1]) == summary(make(TensorDict))
    assert (ours["observation"][0] == -1).all() and (ours["next", "deeper", "x"][4] == 99).all()


def test_we_load_tensordicts_and_write_the_same_files(tmp_path):
    run_peer(f'''
make(TensorDict).memmap({str(tmp_path / "theirs")!r})
make(TensorDict).memmap_like({str(tmp_path / "theirs_like")!r})
''')
    make(TensorDict).memmap(tmp_path / "ours")  # the same TensorDict saved by us: the same files, bytes and metadata
    files = lambda root: sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    assert files(tmp_path / "ours") == files(tmp_path / "theirs")
    for name in files(tmp_path / "ours"):
        mine, peer = tmp_path / "ours" / name, tmp_path / "theirs" / name
        if name.endswith("meta.json"): assert json.loads(mine.read_text()) == json.loads(peer.read_text()), name
        elif mine.is_file(): assert mine.read_bytes() == peer.read_bytes(), name

    loaded = TensorDict.load_memmap(tmp_path / "theirs")
    assert summary(loaded) == summary(make(TensorDict))
    assert (loaded.is_memmap(), loaded.is_locked) == (False, False)
    loaded["next", "reward"][:] = 3.0
    assert (TensorDict.load_memmap(tmp_path / "theirs")["next", "reward"] == 3).all()  # our write reached their file
    like = TensorDict.load_memmap(tmp_path / "theirs_like")
    assert like.keys(True) == loaded.keys(True) and all(not v.any() for v in like.values(True, True))


def test_same_code_cells_agree_with_tensordict():
    "The chapters' 'Same code, both libraries' cells, run where tensordict is installed: each compares both libraries."
    root = Path(__file__).resolve().parents[1]
    out = run_peer(f'''
import os, re, tempfile
from pathlib import Path
def test_eq(a, b): assert a == b, (a, b)
from torchrl_lit.data.tensordict import TensorDict
from torchrl_lit.data.memmap import MemoryMappedTensor
from tensordict import TensorDict as PeerTensorDict, MemoryMappedTensor as PeerMemoryMappedTensor
for chapter, start in [("11_data.tensordict", "def everyday(TD):"), ("11_data.tensordict", "def locking(TD):"),
                       ("10_data.memmap", "def memory_mapped(cls, folder):")]:
    cells = ["".join(c["source"]) for c in json.load(open({str(root / "nbs")!r} + f"/{{chapter}}.ipynb"))["cells"]]
    (cell,) = [c for c in cells if c.startswith(start)]
    exec(cell, dict(globals()))
    print("agreed:", chapter, start)
''')
    assert out.count("agreed:") == 3, out
