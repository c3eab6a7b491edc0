"""``meta.k8s.io/v1`` Table answers for ``kubectl get`` (Accept ``...;as=Table``), with kube's columns."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

Obj = dict[str, Any]
Column = tuple[str, str, int, Callable[[Obj, datetime], Any]]  # name, type, priority, cell


def human_duration(seconds: float) -> str:
    """k8s.io/apimachinery duration.HumanDuration."""
    s = int(seconds)
    if s < 0:
        return "<invalid>"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    if hours < 192:
        return f"{hours // 24}d{hours % 24}h" if hours % 24 else f"{hours // 24}d"
    days = hours // 24
    if days < 365 * 2:
        return f"{days}d"
    years = days // 365
    if years < 8:
        return f"{years}y{days % 365}d" if days % 365 else f"{years}y"
    return f"{years}y"


def _created(obj: Obj) -> datetime | None:
    text = (obj.get("metadata") or {}).get("creationTimestamp")
    if not text:
        return None
    return datetime.strptime(str(text), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def _age(obj: Obj, now: datetime) -> str:
    created = _created(obj)
    return "<unknown>" if created is None else human_duration((now - created).total_seconds())


def _name(obj: Obj, now: datetime) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def _subjects(kind: str) -> Callable[[Obj, datetime], str]:
    def cell(obj: Obj, now: datetime) -> str:
        names = []
        for subject in obj.get("subjects") or []:
            if subject.get("kind") != kind:
                continue
            name = str(subject.get("name", ""))
            names.append(f"{subject.get('namespace', '')}/{name}" if kind == "ServiceAccount" else name)
        return ", ".join(names)

    return cell


def _ports(obj: Obj, now: datetime) -> str:
    ports = (obj.get("spec") or {}).get("ports") or []
    parts = [f"{p.get('port')}/{p.get('protocol', 'TCP')}" for p in ports]
    return ",".join(parts) or "<none>"


def _replicas(obj: Obj, now: datetime) -> str:
    status = obj.get("status") or {}
    return f"{status.get('readyReplicas', 0)}/{(obj.get('spec') or {}).get('replicas', 1)}"


_NAME: Column = ("Name", "string", 0, _name)
_AGE: Column = ("Age", "string", 0, _age)
_BINDING: list[Column] = [
    _NAME,
    (
        "Role",
        "string",
        0,
        lambda o, n: f"{(o.get('roleRef') or {}).get('kind')}/{(o.get('roleRef') or {}).get('name')}",
    ),
    _AGE,
    ("Users", "string", 1, _subjects("User")),
    ("Groups", "string", 1, _subjects("Group")),
    ("ServiceAccounts", "string", 1, _subjects("ServiceAccount")),
]
_CREATED_AT: Column = (
    "Created At",
    "date",
    0,
    lambda o, n: (o.get("metadata") or {}).get("creationTimestamp", ""),
)

COLUMNS: dict[str, list[Column]] = {
    "ConfigMap": [
        _NAME,
        ("Data", "integer", 0, lambda o, n: len(o.get("data") or {}) + len(o.get("binaryData") or {})),
        _AGE,
    ],
    "Secret": [
        _NAME,
        ("Type", "string", 0, lambda o, n: o.get("type", "Opaque")),
        ("Data", "integer", 0, lambda o, n: len(o.get("data") or {})),
        _AGE,
    ],
    "Namespace": [
        _NAME,
        ("Status", "string", 0, lambda o, n: (o.get("status") or {}).get("phase", "Active")),
        _AGE,
    ],
    "ServiceAccount": [_NAME, ("Secrets", "integer", 0, lambda o, n: len(o.get("secrets") or [])), _AGE],
    "Pod": [
        _NAME,
        ("Ready", "string", 0, lambda o, n: f"0/{len((o.get('spec') or {}).get('containers') or [])}"),
        ("Status", "string", 0, lambda o, n: (o.get("status") or {}).get("phase", "Pending")),
        ("Restarts", "string", 0, lambda o, n: "0"),
        _AGE,
    ],
    "Service": [
        _NAME,
        ("Type", "string", 0, lambda o, n: (o.get("spec") or {}).get("type", "ClusterIP")),
        ("Cluster-IP", "string", 0, lambda o, n: (o.get("spec") or {}).get("clusterIP", "<none>")),
        ("External-IP", "string", 0, lambda o, n: "<none>"),
        ("Port(s)", "string", 0, _ports),
        _AGE,
    ],
    "Deployment": [
        _NAME,
        ("Ready", "string", 0, _replicas),
        ("Up-to-date", "integer", 0, lambda o, n: (o.get("status") or {}).get("updatedReplicas", 0)),
        ("Available", "integer", 0, lambda o, n: (o.get("status") or {}).get("availableReplicas", 0)),
        _AGE,
    ],
    "Role": [_NAME, _CREATED_AT],
    "ClusterRole": [_NAME, _CREATED_AT],
    "RoleBinding": _BINDING,
    "ClusterRoleBinding": _BINDING,
}


def to_table(kind: str, objects: Sequence[Obj], *, resource_version: str, now: datetime) -> Obj:
    columns = COLUMNS.get(kind, [_NAME, _AGE])
    rows = []
    for obj in objects:
        meta = obj.get("metadata") or {}
        rows.append(
            {
                "cells": [cell(obj, now) for _, _, _, cell in columns],
                "object": {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": meta},
            }
        )
    definitions = [
        {
            "name": name,
            "type": "string" if kind_ == "date" else kind_,
            "format": "name" if name == "Name" else ("date-time" if kind_ == "date" else ""),
            "description": name,
            "priority": priority,
        }
        for name, kind_, priority, _ in columns
    ]
    return {
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": {"resourceVersion": resource_version},
        "columnDefinitions": definitions,
        "rows": rows,
    }
