"""``ab_revisions.py`` measures two revisions in worktrees of their own and cleans them up.
(It reports timings; the test checks what it runs and prints, not how fast anything is.)"""

import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.join(os.path.dirname(__file__), "..", "..")
SCRIPT = os.path.join(ROOT, "benchmarks", "ab_revisions.py")


def _git(*args):
    return subprocess.run(["git", "-C", ROOT, *args], capture_output=True, text=True)


pytestmark = pytest.mark.skipif(_git("rev-parse", "HEAD").returncode != 0, reason="not a git checkout")


def _run(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=600)


def test_compares_a_commit_with_the_working_tree_and_removes_its_worktree():
    before = _git("worktree", "list").stdout
    out = _run("HEAD", ".", "--rounds", "2", "--repeat", "2")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("mlp: graphgrad / numpy-by-hand, paired in each process (2 rounds of 2 steps")
    head = _git("rev-parse", "--short", "HEAD").stdout.strip()
    a, b = lines[1].split(), lines[2].split()
    assert a[:3] == ["A", "HEAD", f"({head})"] and b[:2] == ["B", "working"]
    for row in (a, b):  # a median and one figure per round, each a ratio of two step times
        values = [float(v) for v in row[row.index("median") + 1 :] if v != "rounds"]
        assert len(values) == 3 and all(math.isfinite(v) and v > 0 for v in values)
    assert lines[3].startswith("  B - A, round by round: median ")
    assert _git("worktree", "list").stdout == before  # the temporary worktree is gone


def test_names_a_revision_that_does_not_exist():
    out = _run("no-such-revision", ".", "--rounds", "1")
    assert out.returncode != 0 and "'no-such-revision' is not a revision" in out.stderr
