"""The package alone (issue 19: "Works from the wheel alone", "A proper package").

The sdist is built as ``python -m build --sdist`` builds it and its members checked (the package, its
tests and docs, the LICENSE); the wheel is built from that sdist (``pip wheel --no-deps``), so nothing of
the working tree but what the sdist holds can leak into it. The wheel goes into a fresh virtual environment
outside the repository (its dependencies from the index ``make install`` uses, through pip's cache), and
its ``eksaccess`` runs ``demo``, ``sandbox up``, ``doctor`` and ``audit -o html`` (then ``sandbox down``)
twice: with the aws CLI on PATH, and without it, when the sandbox's kubeconfig runs ``eksaccess token``.
PATH then holds only the venv's bin and a directory of links to the programs needed (kubectl, python,
and aws in the first run). Without kubectl, the aws CLI or ``build`` the test skips; under ``CI=true`` it
fails.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from eksaccess.sandbox.scenarios.model import builtin_names

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
TIMEOUT = 300  # seconds for any one step
# What a source distribution of a Python project carries beside the package (issue 19: tests and docs).
SDIST_MEMBERS = (
    "LICENSE",
    "README.md",
    "pyproject.toml",
    "MANIFEST.in",
    "Makefile",
    "PKG-INFO",
    "docs/ARCHITECTURE.md",
    "docs/doctor-findings.md",
    "tests/conftest.py",
    "tests/support/__init__.py",
    "tests/e2e/test_wheel.py",
    "scripts/generate.py",
    "src/eksaccess/py.typed",
    "src/eksaccess/cli/main.py",
    "src/eksaccess/sandbox/scenarios/baseline.yaml",
)


DATA_SUFFIXES = {".yaml", ".json", ".css", ".js", ".typed"}  # pyproject: [tool.setuptools.package-data]


def _missing(what: str) -> NoReturn:
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: the wheel test needs it)")
    pytest.skip(what)


def _tool(name: str) -> Path:
    found = shutil.which(name, path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found is None:
        _missing(f"{name} is not installed")
    return Path(str(found))


def _run(
    argv: list[str], *, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, env=env, cwd=cwd, capture_output=True, text=True, check=False, timeout=TIMEOUT
    )


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, (
        f"{shlex.join(result.args)}: exit {result.returncode}\n{result.stderr[-3000:]}"
    )
    return result


@dataclass(frozen=True, kw_only=True)
class Built:
    sdist: Path
    venv_bin: Path


def _build(work: Path) -> Built:
    """The sdist, the wheel built from it, and a fresh venv (outside the repository) with the wheel."""
    dist = work / "dist"
    _ok(_run([sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), str(ROOT)]))
    (sdist,) = dist.glob("eksaccess-*.tar.gz")
    _ok(_run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", str(sdist), "-w", str(dist)]))
    (wheel,) = dist.glob("eksaccess-*.whl")
    venv = work / "venv"
    _ok(_run([sys.executable, "-m", "venv", str(venv)]))
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    _ok(_run([*pip, str(wheel)], cwd=work))
    return Built(sdist=sdist, venv_bin=venv / "bin")


def _check_sdist(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    missing = [member for member in SDIST_MEMBERS if member not in names]
    assert not missing, missing
    assert not [n for n in names if "__pycache__" in n or n.endswith(".pyc")]
    assert not [n for n in names if n.startswith((".ci/", ".venv/", "build/", "bench/out/"))]


def _check_installed(built: Built) -> None:
    """Every built-in scenario and every data file of the package (policy data, report assets) come with
    the wheel, and so does its metadata (license, URLs, classifiers, README)."""
    eksaccess = str(built.venv_bin / "eksaccess")
    listed = json.loads(
        _ok(_run([eksaccess, "sandbox", "scenarios", "-o", "json"], cwd=built.venv_bin)).stdout
    )
    assert [s["name"] for s in listed] == builtin_names()
    python = str(built.venv_bin / "python")
    code = (
        "import importlib.metadata as m, json; md = m.metadata('eksaccess'); "
        "print(json.dumps({'license': md['License-Expression'], 'urls': md.get_all('Project-URL'), "
        "'classifiers': md.get_all('Classifier'), 'readme': md['Description-Content-Type'], "
        "'files': [str(f) for f in m.files('eksaccess') if 'licenses' in str(f)]}))"
    )
    meta = json.loads(_ok(_run([python, "-c", code], cwd=built.venv_bin)).stdout)
    assert meta["license"] == "Apache-2.0"
    assert {u.split(",")[0] for u in meta["urls"]} == {"Homepage", "Documentation", "Issues"}
    assert "Typing :: Typed" in meta["classifiers"] and meta["readme"] == "text/markdown"
    assert any(f.endswith("LICENSE") for f in meta["files"])
    where = "import eksaccess, pathlib; print(pathlib.Path(eksaccess.__file__).parent)"
    installed = Path(_ok(_run([python, "-c", where], cwd=built.venv_bin)).stdout.strip())
    assert ROOT not in installed.parents
    source = ROOT / "src" / "eksaccess"
    data = {
        p.relative_to(source)
        for p in source.rglob("*")
        if p.suffix in DATA_SUFFIXES and "__pycache__" not in p.parts and p.is_file()
    }
    assert len(data) > 50  # scenarios, policy data and its JSON twins, the report's assets
    assert [str(p) for p in sorted(data) if not (installed / p).is_file()] == []


def _path_dir(directory: Path, programs: dict[str, Path]) -> Path:
    """A directory of links to the programs a run needs (kubectl and python; aws in the first run)."""
    directory.mkdir(parents=True)
    for name, target in programs.items():
        (directory / name).symlink_to(target)
    return directory


def _env(built: Built, tools: Path, home: Path) -> dict[str, str]:
    """The environment of a person with only the wheel: no AWS or kubectl settings, a fresh HOME."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "KUBECONFIG", "VIRTUAL_ENV"))}
    home.mkdir(parents=True)
    return {**keep, "PATH": os.pathsep.join([str(built.venv_bin), str(tools)]), "HOME": str(home)}


def _exports(stdout: str) -> dict[str, str]:
    """The variables of ``export KEY=VALUE`` lines, as the shell's eval sets them."""
    found: dict[str, str] = {}
    for line in stdout.splitlines():
        key, value = shlex.split(line.removeprefix("export "))[0].split("=", 1)
        found[key] = value
    return found


def _use(built: Built, tools: Path, work: Path, *, with_aws: bool) -> None:
    """demo, sandbox up, eval of sandbox env, kubectl, doctor, audit -o html, sandbox down."""
    env = _env(built, tools, work / "home")
    assert (shutil.which("aws", path=env["PATH"]) is not None) is with_aws

    demo = _ok(_run(["eksaccess", "demo"], env=env, cwd=work))
    assert ("the aws CLI is not installed" in demo.stderr) is not with_aws
    assert "chain still broken" not in demo.stdout

    state = ["--state-dir", str(work / "state")]
    up = _ok(_run(["eksaccess", "sandbox", "up", *state], env=env, cwd=work))
    try:
        exports = _exports(_ok(_run(["eksaccess", "sandbox", "env", *state], env=env, cwd=work)).stdout)
        assert exports == _exports(up.stdout)
        assert exports["AWS_PROFILE"] == "admin"  # the current context's profile (baseline: admin)
        shell = {**env, **exports}
        kubeconfig = Path(exports["KUBECONFIG"]).read_text()
        assert ("command: aws\n" in kubeconfig) is with_aws
        assert ("command: eksaccess\n" in kubeconfig) is not with_aws
        if with_aws:  # right after eval "$(eksaccess sandbox env)", the aws CLI answers as kubectl's identity
            caller = json.loads(_ok(_run(["aws", "sts", "get-caller-identity"], env=shell, cwd=work)).stdout)
            assert caller["Arn"] == "arn:aws:iam::111122223333:user/admin"
        _ok(_run(["kubectl", "get", "namespaces"], env=shell, cwd=work))
        doctor = _run(["eksaccess", "doctor", "-o", "json"], env=shell, cwd=work)
        assert doctor.returncode == 0, doctor.stdout[-3000:] + doctor.stderr[-2000:]
        audit = _run(["eksaccess", "audit", "--cluster", "demo", "-o", "html"], env=shell, cwd=work)
        assert audit.returncode in (0, 1), audit.stderr  # 1: a risk of severity error (docs/audit.md)
        assert audit.stdout.lstrip().lower().startswith("<!doctype html")
        assert "Traceback" not in audit.stderr + doctor.stderr
    finally:
        down = _run(["eksaccess", "sandbox", "down", *state], env=env, cwd=work)
    assert down.returncode == 0 and "sandbox stopped" in down.stdout


def test_the_wheel_alone(tmp_path: Path) -> None:
    """One build and one venv for both runs (with and without the aws CLI): about a minute."""
    try:
        import build  # noqa: F401  (the dev extra's; python -m build runs it)
    except ImportError:
        _missing("the build package is not installed (pip install -e '.[dev]')")
    kubectl, aws, python = _tool("kubectl"), _tool("aws"), Path(sys.executable).resolve()
    built = _build(tmp_path / "build")
    _check_sdist(built.sdist)
    _check_installed(built)
    without = _path_dir(tmp_path / "tools-without-aws", {"kubectl": kubectl, "python3": python})
    with_ = _path_dir(tmp_path / "tools-with-aws", {"kubectl": kubectl, "python3": python, "aws": aws})
    _use(built, with_, tmp_path / "with-aws", with_aws=True)
    _use(built, without, tmp_path / "without-aws", with_aws=False)
