"""Static checks on runtime code: bandit finds nothing medium or high, and nothing loads code
from data (pickle, joblib, eval, unsafe yaml)."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_PACKAGES = ("backend", "frontend", "ml", "security")
FORBIDDEN_MODULES = {"pickle", "cPickle", "joblib", "cloudpickle", "dill", "marshal", "shelve"}
FORBIDDEN_CALLS = {"eval", "exec"}


def _runtime_files() -> list[Path]:
    return sorted(p for pkg in RUNTIME_PACKAGES for p in (ROOT / pkg).rglob("*.py"))


def test_bandit_reports_no_medium_or_high_finding():
    result = subprocess.run(
        [sys.executable, "-m", "bandit", "-q", "-r", *RUNTIME_PACKAGES, "-ll", "-f", "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )
    report = json.loads(result.stdout)
    findings = [
        f"{r['filename']}:{r['line_number']} {r['test_id']} {r['issue_text']}"
        for r in report["results"]
        if r["issue_severity"] in {"MEDIUM", "HIGH"}
    ]
    assert findings == []
    assert report["metrics"]["_totals"]["loc"] > 500  # it really scanned the code


def test_runtime_code_never_deserialises_code_or_evaluates_strings():
    offences: list[str] = []
    for path in _runtime_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            where = f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Import):
                offences += [f"{where} import {a.name}" for a in node.names
                             if a.name.split(".")[0] in FORBIDDEN_MODULES]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in FORBIDDEN_MODULES:
                offences.append(f"{where} from {node.module} import")
            elif isinstance(node, ast.Call):
                func = node.func
                if isinstance(func, ast.Name) and func.id in FORBIDDEN_CALLS:
                    offences.append(f"{where} {func.id}()")
                if isinstance(func, ast.Attribute) and func.attr == "load" and \
                        isinstance(func.value, ast.Name) and func.value.id == "yaml":
                    offences.append(f"{where} yaml.load()")
                if isinstance(func, ast.Attribute) and func.attr == "load" and \
                        isinstance(func.value, ast.Name) and func.value.id in {"np", "numpy"}:
                    allow = [k for k in node.keywords if k.arg == "allow_pickle"]
                    if not allow or not (isinstance(allow[0].value, ast.Constant) and allow[0].value.value is False):
                        offences.append(f"{where} np.load without allow_pickle=False")
    assert offences == []


def test_the_static_check_catches_a_planted_offence(tmp_path):
    # The checker above must be able to fail: plant the patterns and parse them the same way.
    planted = "import pickle\nimport yaml\nyaml.load(open('x'))\neval('1')\n"
    tree = ast.parse(planted)
    names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    calls = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert "pickle" in names & FORBIDDEN_MODULES and "eval" in calls & FORBIDDEN_CALLS
