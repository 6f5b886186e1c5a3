"""Memory-mapped tensors: raw numpy memmap, raw torch.from_file, torchrl_lit's MemmapTensor, tensordict's MemoryMappedTensor.

Times four operations on a 100 MB float32 tensor, one thread, warm-up first, median of interleaved repeats:
create (a new file from an in-RAM tensor), overwrite (the whole file from an in-RAM tensor), read (the whole
file into a new in-RAM tensor) and read into a preallocated tensor. The last one isolates the mapping from the
cost of allocating 100 MB: numpy asks the kernel for transparent huge pages on large arrays, PyTorch's CPU
allocator only with THP_MEM_ALLOC_ENABLE=1. Run: `.venv-bench/bin/python benchmarks/bench_memmap.py`.
"""
from __future__ import annotations
import argparse, os, statistics, tempfile, time
import numpy as np
import torch
from torchrl_lit.data.memmap import MemmapTensor


def _numpy_impl(src: torch.Tensor) -> dict:
    "Raw `np.memmap` ops (numpy side of the comparison)."
    src_np = src.numpy()
    def create(path):
        mm = np.memmap(path, mode="w+", dtype=np.float32, shape=tuple(src.shape))
        mm[:] = src_np
        return mm
    def write(mm): mm[:] = src_np
    def read(mm): return torch.from_numpy(np.array(mm))
    def read_into(mm, out): np.copyto(out.numpy(), mm)
    return dict(create=create, write=write, read=read, read_into=read_into)


def _torch_impl(src: torch.Tensor, backend: str) -> dict:
    "Raw torch ops on a file mapped by `torch.from_file(shared=True)` or by `np.memmap` (what MemmapTensor uses)."
    def create(path):
        with open(path, "wb") as f: f.truncate(src.numel() * src.element_size())
        if backend == "from_file": t = torch.from_file(path, shared=True, size=src.numel(), dtype=src.dtype)
        else: t = torch.from_numpy(np.memmap(path, mode="r+", dtype=np.float32, shape=(src.numel(),)))
        t = t.view(src.shape)
        t.copy_(src)
        return t
    def write(t): t.copy_(src)
    def read(t): return t.clone()
    def read_into(t, out): out.copy_(t)
    return dict(create=create, write=write, read=read, read_into=read_into)


def _ours_impl(src: torch.Tensor) -> dict:
    "torchrl_lit's MemmapTensor through its public API."
    def create(path): return MemmapTensor.from_tensor(src, filename=path)
    def write(m): m[:] = src
    def read(m): return m.to("cpu")
    def read_into(m, out): out.copy_(m)
    return dict(create=create, write=write, read=read, read_into=read_into)


def _tensordict_impl(src: torch.Tensor) -> dict | None:
    "tensordict's MemoryMappedTensor, or None when tensordict is not installed."
    try:
        from tensordict import MemoryMappedTensor
    except ImportError:
        return None
    def create(path): return MemoryMappedTensor.from_tensor(src, filename=path)
    def write(m): m.copy_(src)
    def read(m): return m.clone()
    def read_into(m, out): out.copy_(m)
    return dict(create=create, write=write, read=read, read_into=read_into)


OPS = ("create", "write", "read", "read_into")
OP_NAMES = {"create": "create from tensor", "write": "overwrite from tensor", "read": "read to new tensor",
            "read_into": "read into tensor"}


def _time(fn, *args) -> float:
    start = time.perf_counter(); fn(*args); return time.perf_counter() - start


def run(mb: int = 100, repeats: int = 7) -> dict:
    "Median seconds per (operation, implementation); files live in a temporary directory removed at the end."
    torch.set_num_threads(1)
    src = torch.rand(mb * 1_000_000 // 4)  # float32: `mb` MB
    out = torch.empty_like(src)  # preallocated destination of `read_into`
    impls = {"numpy": _numpy_impl(src), "from_file": _torch_impl(src, "from_file"),
             "from_numpy": _torch_impl(src, "from_numpy"), "ours": _ours_impl(src)}
    if (td := _tensordict_impl(src)) is not None: impls["tensordict"] = td
    times = {(op, name): [] for op in OPS for name in impls}
    with tempfile.TemporaryDirectory() as tmpdir:
        for rep in range(repeats + 1):  # rep 0 is the warm-up
            for name, impl in impls.items():
                path = os.path.join(tmpdir, f"{name}.bin")
                start = time.perf_counter(); mapped = impl["create"](path); seconds = {"create": time.perf_counter() - start}
                seconds["write"] = _time(impl["write"], mapped)
                seconds["read"] = _time(impl["read"], mapped)
                seconds["read_into"] = _time(impl["read_into"], mapped, out)
                if rep:
                    for op in OPS: times[op, name].append(seconds[op])
                del mapped
                os.remove(path)
    return {key: statistics.median(v) for key, v in times.items()}


def table(medians: dict, mb: int) -> str:
    "A text table of median milliseconds and the ratios ours/numpy and ours/tensordict."
    names = list(dict.fromkeys(name for _, name in medians))
    has_td = "tensordict" in names
    head = f"{str(mb) + ' MB float32, ms':24}" + "".join(f"{n:>11}" for n in names)
    head += f"{'ours/numpy':>12}" + (f"{'ours/td':>9}" if has_td else "")
    lines = [head]
    for op in OPS:
        ms = {n: medians[op, n] * 1e3 for n in names}
        line = f"{OP_NAMES[op]:24}" + "".join(f"{ms[n]:11.1f}" for n in names) + f"{ms['ours'] / ms['numpy']:12.2f}"
        if has_td: line += f"{ms['ours'] / ms['tensordict']:9.2f}"
        lines.append(line)
    lines.append("numpy: np.memmap ops; from_file / from_numpy: torch ops on torch.from_file(shared=True) / "
                 "torch.from_numpy(np.memmap); ours: MemmapTensor; td: tensordict.MemoryMappedTensor"
                 + ("" if has_td else " (not installed: column skipped)"))
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=100, help="tensor size in MB")
    parser.add_argument("--repeats", type=int, default=7, help="timed repeats (>= 5) after one warm-up")
    args = parser.parse_args()
    thp = os.environ.get("THP_MEM_ALLOC_ENABLE", "0")
    print(f"torch {torch.__version__}, numpy {np.__version__}, 1 thread, median of {args.repeats} interleaved repeats, "
          f"THP_MEM_ALLOC_ENABLE={thp}")
    print(table(run(args.mb, args.repeats), args.mb))
