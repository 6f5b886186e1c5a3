"""Run a command and fail if it changed any file under the given paths.

`make test` uses it to prove that the package is what the notebooks export (`nbdev-export`) and
that the notebooks are clean (`nbdev-clean`). Untracked files count: an exported module that no
notebook produces is a change too.

Usage: python tools/check_tree.py --paths torchrl_lit -- nbdev-export
"""
from __future__ import annotations

import argparse, hashlib, subprocess, sys
from pathlib import Path

SKIP = {"__pycache__", ".ipynb_checkpoints"}


def snapshot(paths: list[str]) -> dict[str, str]:
    "Map every file under `paths` to the hash of its bytes."
    files = {}
    for p in map(Path, paths):
        for f in (p.rglob("*") if p.is_dir() else [p] if p.exists() else []):
            if f.is_file() and not SKIP & set(f.parts):
                files[str(f)] = hashlib.sha1(f.read_bytes()).hexdigest()
    return files


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--paths", nargs="+", required=True)
    ap.add_argument("--why", default="the notebooks and the package disagree, or a notebook is not clean",
                    help="what a change means, for the error message")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    before = snapshot(args.paths)
    subprocess.run(cmd, check=True)
    after = snapshot(args.paths)
    changed = sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))
    if changed:
        print(f"`{' '.join(cmd)}` changed {len(changed)} file(s): {args.why}. "
              "Run the command, review `git diff`, and commit:")
        for f in changed:
            print("   ", f, "(new)" if f not in before else "(deleted)" if f not in after else "(modified)")
        sys.exit(1)
    print(f"ok: `{' '.join(cmd)}` changed nothing under {', '.join(args.paths)}")


if __name__ == "__main__":
    main()
