"""Name rules for what eksaccess writes: namespaces, usernames, groups, partitions (pure).

Each rule is one function, checked wherever a principal spec enters (grant flags, desired-state files,
migrate's conversions) before anything is written; a broken rule is one ``InputError`` line (exit 2).

* A namespace is a DNS-1123 label: at most 63 characters of ``[a-z0-9-]``, starting and ending with a
  letter or digit. An access scope may end a name with ``*`` (``dev-*``;
  https://docs.aws.amazon.com/eks/latest/APIReference/API_AccessScope.html).
* A username or group holds only the templates the authenticator renders (``templates.KNOWN_TEMPLATES``,
  https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/server/server.go ``renderTemplate``); any other ``{{...}}`` would stay literal text and match nobody.
* aws-auth: a username starting with ``system:`` is reserved to Kubernetes; only the node usernames belong
  there (the lock-out guard refuses others without --force). Adding the group ``system:masters`` makes a
  principal cluster-admin outside any access policy: it needs an explicit allowance.
* A principal or policy ARN is in the cluster's partition.

EKS's own rules for access entries (reserved username prefixes, ``system:`` groups) are
``access.validate_username`` / ``access.validate_groups``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from eksaccess.domain.access import NODE_USERNAME_EC2, NODE_USERNAME_SESSION
from eksaccess.domain.iam.principal import arn_partition
from eksaccess.domain.iam.templates import KNOWN_TEMPLATES
from eksaccess.errors import InputError

MAX_NAMESPACE = 63
_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
_LABEL_PREFIX = re.compile(r"([a-z0-9][-a-z0-9]*)?")
_TEMPLATE = re.compile(r"\{\{[^{}]*\}\}")

RESERVED_AWS_AUTH_PREFIX = "system:"
NODE_USERNAMES: tuple[str, ...] = (NODE_USERNAME_EC2, NODE_USERNAME_SESSION)
SYSTEM_MASTERS = "system:masters"
ALLOW_MASTERS_FLAG = "--allow-system-masters"


def validate_namespace(namespace: str, *, wildcard: bool = False) -> str:
    """A DNS-1123 label; with ``wildcard`` a label prefix followed by ``*`` is accepted too."""
    if wildcard and namespace.endswith("*"):
        prefix = namespace[:-1]
        if len(namespace) <= MAX_NAMESPACE and _LABEL_PREFIX.fullmatch(prefix):
            return namespace
    elif len(namespace) <= MAX_NAMESPACE and _LABEL.fullmatch(namespace):
        return namespace
    shown = (
        repr(namespace) if len(namespace) <= 80 else f"{namespace[:60]!r}... ({len(namespace)} characters)"
    )
    star = "; a trailing * matches every namespace starting with what precedes it" if wildcard else ""
    raise InputError(
        f"namespace {shown} is not a valid Kubernetes namespace name: at most {MAX_NAMESPACE} characters "
        f"of lower-case letters, digits and '-', starting and ending with a letter or digit{star}"
    )


def unknown_templates(text: str) -> tuple[str, ...]:
    """The ``{{...}}`` parts of ``text`` that the authenticator does not render."""
    return tuple(t for t in _TEMPLATE.findall(text) if t not in KNOWN_TEMPLATES)


def validate_templates(text: str, *, what: str) -> str:
    """Refuse a username or group (``what`` names it) holding a template nobody renders."""
    unknown = unknown_templates(text)
    if unknown:
        raise InputError(
            f"{what} {text!r} uses {', '.join(unknown)}, which the authenticator does not render (it would "
            f"stay literal text); use only {', '.join(KNOWN_TEMPLATES)}"
        )
    return text


def is_reserved_aws_auth_username(username: str) -> bool:
    """A ``system:`` username other than a node username: Kubernetes reserves these for its components."""
    return username.startswith(RESERVED_AWS_AUTH_PREFIX) and username not in NODE_USERNAMES


def masters_warning(arn: str, added_groups: Iterable[str], *, allowed: bool) -> str | None:
    """None unless ``added_groups`` adds ``system:masters`` (aws-auth); then the plain warning when allowed,
    else an InputError naming the flag."""
    if SYSTEM_MASTERS not in set(added_groups):
        return None
    what = (
        f"the group {SYSTEM_MASTERS} makes {arn} cluster-admin outside any access policy: Kubernetes "
        "lets that group do everything, no RBAC object or access policy grants it and none can limit it"
    )
    if not allowed:
        raise InputError(
            f"refusing to add {SYSTEM_MASTERS}: {what}; pass {ALLOW_MASTERS_FLAG} if that is meant, or grant "
            "--policy cluster-admin"
        )
    return what


def validate_partition(arn: str, partition: str, *, what: str = "principal") -> str:
    """The ARN (a principal's or a policy's) is in the cluster's partition."""
    if not arn.startswith("arn:"):
        return arn  # not an ARN: its own parser reports that
    theirs = arn_partition(arn)
    if theirs != partition:
        raise InputError(
            f"the {what} {arn} is in partition {theirs}, the cluster in {partition}: "
            f"use the arn:{partition}:... ARN"
        )
    return arn
