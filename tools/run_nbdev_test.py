"""Run `nbdev-test` on each folder and fail if a folder that should have notebooks has none.

`nbdev-test` exits 0 when it finds no notebook ("No files were eligible for testing"), also for a
wrong path; `make test` must not pass on that. `nbs/` must hold notebooks; other folders are tested
when they have any.

Usage: python tools/run_nbdev_test.py [--flags slow] nbs tutorials
"""
from __future__ import annotations

import argparse, os, subprocess, sys, time
from pathlib import Path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flags", default="")
    ap.add_argument("folders", nargs="+")
    args = ap.parse_args()
    exe = Path(sys.executable).with_name("nbdev-test")
    for i, folder in enumerate(args.folders):
        nbs = sorted(p for p in Path(folder).glob("*.ipynb") if not p.name.startswith("_"))
        if not nbs:
            if i == 0: sys.exit(f"no notebooks found in {folder}/: nothing would be tested")
            print(f"{folder}/: no notebooks yet")
            continue
        cmd = [str(exe), folder, "--timing", "--n-workers", str(min(2, os.cpu_count() or 1))]
        if args.flags: cmd += ["--flags", args.flags]
        t0 = time.time()
        res = subprocess.run(cmd, capture_output=True, text=True)
        sys.stdout.write(res.stdout); sys.stderr.write(res.stderr)
        if res.returncode != 0: sys.exit(f"nbdev-test failed in {folder}/")
        if "No files were eligible" in res.stdout + res.stderr:
            sys.exit(f"nbdev-test found no notebooks in {folder}/ although {len(nbs)} exist")
        print(f"{folder}/: {len(nbs)} notebooks passed in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
