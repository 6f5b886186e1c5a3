"""The book's exercises: every checker a chapter registers is exported, names a real chapter, refuses
a placeholder or nonsense answer without raising, and is proven in its chapter's notebook (a
`prove_exercise` call that the notebook test runs: the checker accepts the reference answer and
rejects a known wrong one)."""
from __future__ import annotations

import contextlib, io, json, re, subprocess, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "nbs").glob("*.ipynb")) + sorted((ROOT / "tutorials").glob("*.ipynb"))
REGISTER = re.compile(r"""^\s*@exercise\(\s*["']([^"']+)["']""", re.M)
PROVE = re.compile(r"""^[^#\n]*\bprove_exercise\(\s*["']([^"']+)["']""", re.M)


def _code_cells(nb: Path) -> list[str]:
    cells = json.loads(nb.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _scan(pattern: re.Pattern, skip_directive: str | None = None) -> dict[str, list[str]]:
    "id -> the notebooks (stems) whose code cells match `pattern` for it."
    found: dict[str, list[str]] = {}
    for nb in NOTEBOOKS:
        for src in _code_cells(nb):
            if skip_directive and re.search(rf"^#\|\s*{skip_directive}", src, re.M): continue
            for m in pattern.finditer(src): found.setdefault(m[1], []).append(nb.stem)
    return found


@pytest.fixture(scope="module")
def fresh() -> dict:
    "The exercises a fresh interpreter sees: id -> [chapter, statement, module]."
    code = ("import json; from torchrl_lit.exercises import EXERCISES as E; "
            "print(json.dumps({k: [e.chapter, e.statement, e.module] for k, e in E.items()}))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_every_notebook_exercise_is_exported(fresh):
    declared = _scan(REGISTER)
    assert len(fresh) >= 2 and declared, "no exercises found"
    missing = sorted(set(declared) - set(fresh))
    assert not missing, f"registered in a notebook but not in torchrl_lit.exercises (run nbdev-export): {missing}"
    orphans = sorted(set(fresh) - set(declared))
    assert not orphans, f"in torchrl_lit.exercises but declared by no notebook: {orphans}"
    twice = {k: v for k, v in declared.items() if len(set(v)) > 1}
    assert not twice, f"exercise ids declared by several notebooks: {twice}"
    assert all(m == "torchrl_lit.exercises" for _, _, m in fresh.values())


def test_ids_statements_and_chapters(fresh):
    declared = _scan(REGISTER)
    for id_, (chapter, statement, _) in fresh.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*", id_), id_
        assert statement.strip() and "\n" not in statement, f"{id_}: the statement must be one line"
        assert (ROOT / "nbs" / f"{chapter}.ipynb").exists() or (ROOT / "tutorials" / f"{chapter}.ipynb").exists(), \
            f"{id_}: chapter {chapter!r} is neither in nbs/ nor in tutorials/"
        where = declared.get(id_, [])
        assert where and set(where) == {chapter}, f"{id_}: says chapter {chapter}, declared in {where or 'no notebook'}"


def test_every_exercise_is_proven_in_its_chapter(fresh):
    proven = _scan(PROVE, skip_directive=r"eval:\s*false")
    unproven = sorted(k for k, (chapter, _, _) in fresh.items() if chapter not in proven.get(k, []))
    assert not unproven, f"no prove_exercise(id, reference, wrong...) call in the chapter of: {unproven}"
    unknown = sorted(set(proven) - set(fresh))
    assert not unknown, f"prove_exercise calls for ids that no checker registers: {unknown}"


def test_check_never_raises_on_a_wrong_answer(fresh):
    from torchrl_lit.exercises import EXERCISES, check
    for id_ in fresh:
        for junk in (None, object(), "nonsense", lambda *a, **k: 1 / 0):
            with contextlib.redirect_stdout(io.StringIO()) as out: ok = check(id_, junk)
            assert ok is False, f"{id_} accepts {junk!r}"
            assert out.getvalue().strip(), f"{id_}: rejected {junk!r} without saying why"
    assert set(EXERCISES) == set(fresh)


def test_unknown_id_suggests_the_closest():
    from torchrl_lit.exercises import check
    with pytest.raises(KeyError, match="did you mean exercises.discounted_return"):
        check("exercises.discounted_retrun", 1.0)
