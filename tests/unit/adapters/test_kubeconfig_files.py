"""Finding kubeconfig files as kubectl does, and writing them as update-kubeconfig does."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from eksaccess.adapters.kubeconfig_files import load, write_document, write_target
from eksaccess.domain.kubeconfig import KubeconfigError


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_kubeconfig_list_skips_missing_files(tmp_path: Path) -> None:
    a = _write(tmp_path / "a", "current-context: x\ncontexts: [{name: x, context: {cluster: c, user: u}}]\n")
    env = {"KUBECONFIG": os.pathsep.join([str(tmp_path / "missing"), str(a)]), "HOME": str(tmp_path)}
    loaded = load(None, env)
    assert loaded.paths == (a,)
    assert loaded.config.current_context == "x"


def test_home_default(tmp_path: Path) -> None:
    (tmp_path / ".kube").mkdir()
    _write(tmp_path / ".kube" / "config", "current-context: home\n")
    assert load(None, {"HOME": str(tmp_path)}).config.current_context == "home"


def test_explicit_file_must_exist(tmp_path: Path) -> None:
    with pytest.raises(KubeconfigError):
        load(str(tmp_path / "nope"), {})


def test_write_target_prefers_the_file_holding_the_cluster(tmp_path: Path) -> None:
    a = _write(tmp_path / "a", "clusters: []\n")
    b = _write(tmp_path / "b", "clusters: [{name: arn:c, cluster: {server: https://x}}]\n")
    env = {"KUBECONFIG": os.pathsep.join([str(a), str(b)])}
    assert write_target(None, env, "arn:c") == b
    assert write_target(None, env, "arn:other") == a
    assert write_target(str(tmp_path / "z"), env, "arn:c") == tmp_path / "z"


def test_writes_are_0600(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "config"
    write_document(target, {"apiVersion": "v1", "kind": "Config"})
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "kind: Config" in target.read_text()
