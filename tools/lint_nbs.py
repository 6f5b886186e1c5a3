"""Check chapter conventions that nbdev does not: where imports may appear, and slow cells.

The docs build (`nbdev-proc-nbs`) executes exported cells, `show_doc` cells and every cell that
contains an import, out of context: an example cell that imports would run without the variables
of the cells before it, and a `#| slow` cell that imports would run training during the build.
So imports live in the import cells at the top (exported, or `#| hide`), nowhere else, and a
non-exported import cell holds only imports: nbdev runs the whole cell during the docs build (and
warns "Found cells containing imports and other code"), so a statement such as
`torch.set_num_threads(1)` goes in a `#| hide` cell of its own below.

Usage: python tools/lint_nbs.py nbs tutorials
"""
from __future__ import annotations

import ast, json, sys
from pathlib import Path


def _directives(src: str) -> set[str]:
    return {l[2:].strip().split(":")[0].split()[0] for l in src.splitlines() if l.startswith("#|") and l[2:].strip()}


def problems(nb_path: Path) -> list[str]:
    out = []
    cells = json.loads(nb_path.read_text())["cells"]
    seen_prose = False
    for i, cell in enumerate(cells):
        src = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            seen_prose = seen_prose or src.lstrip().startswith("# ")
            continue
        if cell["cell_type"] != "code": continue
        dirs = _directives(src)
        try: tree = ast.parse("\n".join(l for l in src.splitlines() if not l.lstrip().startswith(("%", "!"))))
        except SyntaxError: continue
        imports = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in ast.walk(tree))
        is_header = not seen_prose and ({"export", "exports", "hide"} & dirs or not dirs)
        top_imports = any(isinstance(n, (ast.Import, ast.ImportFrom)) for n in tree.body)
        top_code = [n for n in tree.body if isinstance(n, (ast.Expr, ast.Assign))]
        if (top_imports and top_code and not {"export", "exports", "exporti", "exec_doc"} & dirs
                and "nbdev_export()" not in src):
            out.append(f"{nb_path}: cell {i} mixes imports and code (nbdev runs it while building the docs): move "
                       f"`{ast.unparse(top_code[0])[:60]}` to a `#| hide` cell of its own")
        if imports and "slow" in dirs:
            out.append(f"{nb_path}: cell {i} is `#| slow` and imports: move the import to the import cells")
        elif imports and not is_header and not {"export", "exports", "exporti"} & dirs and "nbdev_export()" not in src:
            out.append(f"{nb_path}: cell {i} imports outside the import cells at the top:\n    "
                       + src.splitlines()[0][:100])
    return out


def main():
    found = [p for folder in sys.argv[1:] for nb in sorted(Path(folder).glob("*.ipynb")) for p in problems(nb)]
    if found:
        print("\n".join(found))
        sys.exit(1)
    print("ok: imports only in the import cells, no importing slow cells")


if __name__ == "__main__":
    main()
