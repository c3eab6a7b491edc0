"""Kubeconfig files on disk, found exactly as kubectl finds them.

``--kubeconfig`` names one file that must exist; otherwise ``$KUBECONFIG`` is a list of paths
(``os.pathsep``-separated; missing files are skipped); otherwise ``~/.kube/config``.
Writes are atomic and mode 0600, like ``aws eks update-kubeconfig``.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eksaccess.adapters.files import read_text
from eksaccess.domain.kubeconfig import Kubeconfig, KubeconfigError, dump_raw, load_config, load_raw, merge
from eksaccess.errors import InputError


@dataclass(frozen=True, kw_only=True)
class LoadedKubeconfig:
    config: Kubeconfig
    paths: tuple[Path, ...]  # the files that exist and were read, in precedence order
    documents: tuple[tuple[Path, dict[str, Any]], ...]


def default_path(env: Mapping[str, str]) -> Path:
    home = env.get("HOME") or str(Path.home())
    return Path(home) / ".kube" / "config"


def candidate_paths(explicit: str | None, env: Mapping[str, str]) -> tuple[Path, ...]:
    if explicit:
        return (Path(explicit).expanduser(),)
    listed = env.get("KUBECONFIG")
    if listed:
        return tuple(Path(p).expanduser() for p in listed.split(os.pathsep) if p)
    return (default_path(env),)


def load(explicit: str | None, env: Mapping[str, str]) -> LoadedKubeconfig:
    """Load and merge the kubeconfig files: KubeconfigError when kubectl would refuse one (or the explicit
    one does not exist), InputError when one is not a file eksaccess reads (adapters.files)."""
    paths = candidate_paths(explicit, env)
    if explicit and not paths[0].exists():
        raise KubeconfigError(f"kubeconfig {paths[0]} does not exist")
    documents: list[tuple[Path, dict[str, Any]]] = []
    for path in paths:
        if not path.exists():
            continue
        text = read_text(path)
        try:
            documents.append((path, load_config(text, source=str(path))))
        except KubeconfigError as err:
            raise KubeconfigError(err.message, path=str(path), hint=err.hint) from err
    config = merge([(str(p), d) for p, d in documents])
    return LoadedKubeconfig(config=config, paths=tuple(p for p, _ in documents), documents=tuple(documents))


def write_target(explicit: str | None, env: Mapping[str, str], cluster_arn: str) -> Path:
    """The file update-kubeconfig writes: --kubeconfig, else the first $KUBECONFIG file that already
    holds the cluster, else the first $KUBECONFIG path, else ~/.kube/config."""
    if explicit:
        return Path(explicit).expanduser()
    paths = candidate_paths(None, env)
    for path in paths:
        if path.is_file():
            try:
                raw = load_config(read_text(path), source=str(path))
            except InputError:
                continue
            for item in raw.get("clusters") or []:
                if isinstance(item, Mapping) and item.get("name") == cluster_arn:
                    return path
    return paths[0]


def read_document(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    return load_raw(read_text(path), source=str(path))


def write_document(path: Path, document: Mapping[str, Any]) -> None:
    """Write atomically with mode 0600; the parent directory is created."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = dump_raw(document)
    fd, tmp = tempfile.mkstemp(prefix=".kubeconfig-", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
