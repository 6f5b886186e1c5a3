"""Temporary MemmapTensor files do not outlive the worker processes that own them."""
import os, subprocess, sys

SCRIPT = '''
import multiprocessing as mp
from torchrl_lit.data.memmap import MemmapTensor

def make(_):
    global keep  # alive until the worker exits: only the exit can clean it up
    keep = MemmapTensor.zeros(4)
    return keep.filename

if __name__ == "__main__":
    pool = mp.get_context("{method}").Pool(1)
    print(pool.map(make, [0])[0])
    pool.close(); pool.join()
'''


def _worker_file(tmp_path, method):
    script = tmp_path / "worker_memmap.py"
    script.write_text(SCRIPT.format(method=method))
    env = dict(os.environ, TMPDIR=str(tmp_path))
    res = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr
    return res.stdout.strip()


def test_worker_temp_files_removed_fork(tmp_path):
    filename = _worker_file(tmp_path, "fork")
    assert filename.startswith(str(tmp_path)) and not os.path.exists(filename)


def test_worker_temp_files_removed_spawn(tmp_path):
    filename = _worker_file(tmp_path, "spawn")
    assert filename.startswith(str(tmp_path)) and not os.path.exists(filename)
