"""The lock-out guard: a pure check of a change, given the cluster before and after it.

A change is refused (unless ``--force``) when after it

* no principal holds cluster-admin any more (the admin request ``* */*`` cluster-wide is allowed to nobody,
  and somebody had it before);
* the operator running the command can no longer update ``kube-system/aws-auth`` although they could
  before (for changes that write aws-auth);
* the operator loses any permission they had over the probe set (for changes touching their own access
  entry, policies or aws-auth mapping);
* a principal that had ``system:nodes`` (a node or Fargate role) no longer has it, or keeps it but loses its
  node username (``system:node:<name>``, which the Node authorizer needs) or another of its node groups;
* an aws-auth row is given a ``system:`` username other than the node usernames (reserved to Kubernetes).

Everything is evaluated by the engine (identity resolution + authorizer) on the two ClusterStates.
"""

from __future__ import annotations

from collections.abc import Collection

from eksaccess.domain.awsauth.reader import AwsAuth
from eksaccess.domain.findings import Catalogue, Definition, Finding, FindingCode, Link, Reporter, Severity
from eksaccess.domain.iam.identity import Caller
from eksaccess.domain.iam.principal import principal_key
from eksaccess.domain.names import NODE_USERNAMES, is_reserved_aws_auth_username
from eksaccess.domain.risk import NO_CLUSTER_ADMIN
from eksaccess.domain.state import ClusterState
from eksaccess.features.manage.evaluate import (
    ADMIN_REQUEST,
    AWS_AUTH_WRITE,
    NODE_GROUP,
    Evaluator,
    Identity,
    describe_probe,
    shared_probes,
)

FORCE_HINT = "re-run with --force if this is really what you want"
# The groups of a node identity: aws-auth node rows and node-type access entries
# (https://docs.aws.amazon.com/eks/latest/userguide/creating-access-entries.html, auth-configmap.html).
NODE_IDENTITY_GROUPS = frozenset(
    {"system:bootstrappers", NODE_GROUP, "system:node-proxier", "eks:kube-proxy-windows"}
)


_GUARD = frozenset({Reporter.GUARD})

# The lock-out rules: every violation refuses the change (unless --force). NO_CLUSTER_ADMIN is audit's fact too.
GUARDS = Catalogue(
    Reporter.GUARD,
    (
        NO_CLUSTER_ADMIN,
        Definition(
            code=FindingCode.OPERATOR_LOSES_AWS_AUTH_WRITE,
            severity=Severity.ERROR,
            link=Link.AUTHORIZATION,
            title="the operator would lose the right to update aws-auth",
            why="the change is made through aws-auth: after it, the operator could not undo it that way",
            fix="make the change as another admin",
            reporters=_GUARD,
        ),
        Definition(
            code=FindingCode.OPERATOR_LOSES_ACCESS,
            severity=Severity.ERROR,
            link=Link.AUTHORIZATION,
            title="the operator would lose access they use now",
            why="a change to one's own access entry, policies or aws-auth row can lock oneself out",
            fix="make the change as another admin",
            reporters=_GUARD,
        ),
        Definition(
            code=FindingCode.NODE_LOSES_NODE_GROUP,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title=f"a node role would lose {NODE_GROUP}",
            why="nodes whose role is not in system:nodes go NotReady",
            fix="keep its aws-auth row, or give it an access entry of type EC2_LINUX / FARGATE_LINUX",
            reporters=_GUARD,
        ),
        Definition(
            code=FindingCode.NODE_IDENTITY_CHANGED,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="a node role's username or node groups would change",
            why="the Node authorizer needs the node username and the node groups",
            fix="leave a node row's username and groups alone",
            reporters=_GUARD,
        ),
        Definition(
            code=FindingCode.RESERVED_USERNAME,
            severity=Severity.ERROR,
            link=Link.MAPPING,
            title="an aws-auth row would get a reserved system: username",
            why="Kubernetes reserves system: usernames for its own components; only the node usernames belong in "
            "aws-auth",
            fix="choose another username",
            reporters=_GUARD,
        ),
    ),
)


def check_lockout(
    before: ClusterState,
    after: ClusterState,
    *,
    operator: Caller,
    touched: Collection[str] | None = None,
    writes_aws_auth: bool = False,
) -> tuple[Finding, ...]:
    """Violations of the lock-out rules; ``touched`` limits the per-principal checks to these principal
    keys (``principal.principal_key``); None checks every principal."""
    old, new = Evaluator(before), Evaluator(after)
    found = [*_admins(old, new), *_operator(old, new, operator, touched, writes_aws_auth)]
    found.extend(_nodes(old, new, touched))
    found.extend(_reserved_usernames(old.aws_auth, new.aws_auth, touched))
    return tuple(found)


def _admins(old: Evaluator, new: Evaluator) -> list[Finding]:
    if new.admins() or not old.admins():
        # Only a change that takes the last admin away is refused: on a cluster where no principal the state
        # names holds cluster-admin (a CONFIG_MAP cluster whose creator is unknown), granting a developer
        # does not make anything worse and must not need --force.
        return []
    had = sorted(old.principals()[k] for k in old.admins())
    lost = f"; it would be taken from {', '.join(had)}" if had else ""
    message = (
        f"after this change no principal holds cluster-admin{lost}. Keep or grant one admin first "
        f"(eksaccess grant ARN --policy cluster-admin), or {FORCE_HINT}"
    )
    return [GUARDS.finding(FindingCode.NO_CLUSTER_ADMIN, subject=", ".join(had), detail=message)]


def _operator(
    old: Evaluator, new: Evaluator, operator: Caller, touched: Collection[str] | None, writes_aws_auth: bool
) -> list[Finding]:
    found: list[Finding] = []
    me = operator.arn
    key = principal_key(me)
    loses_write = writes_aws_auth and not new.allows(me, AWS_AUTH_WRITE, operator)
    if loses_write and old.allows(me, AWS_AUTH_WRITE, operator):
        found.append(
            GUARDS.finding(
                FindingCode.OPERATOR_LOSES_AWS_AUTH_WRITE,
                subject=me,
                detail=(
                    f"you ({me}) would lose the right to update configmaps/aws-auth in kube-system, "
                    "the access this change is made with, and could not undo it through aws-auth. "
                    f"Make the change as another admin, or {FORCE_HINT}"
                ),
            )
        )
    if touched is not None and key not in touched:
        return found
    probes = shared_probes(old.state, new.state)
    lost = old.permissions(me, probes, operator) - new.permissions(me, probes, operator)
    if lost:
        ordered = sorted(lost, key=lambda a: (a != ADMIN_REQUEST, a.describe()))
        sample = "; ".join(describe_probe(a) for a in ordered[:3])
        more = f" and {len(ordered) - 3} more" if len(ordered) > 3 else ""
        found.append(
            GUARDS.finding(
                FindingCode.OPERATOR_LOSES_ACCESS,
                subject=me,
                detail=(
                    f"you ({me}) would lose access you use now: {sample}{more}. "
                    f"Make the change as another admin, or {FORCE_HINT}"
                ),
            )
        )
    return found


def _nodes(old: Evaluator, new: Evaluator, touched: Collection[str] | None) -> list[Finding]:
    found: list[Finding] = []
    arns = old.principals()
    for key in sorted(old.nodes()):
        if touched is not None and key not in touched:
            continue
        arn = arns[key]
        before, after = old.identity(arn), new.identity(arn)
        if after is None or NODE_GROUP not in after.groups:
            found.append(
                GUARDS.finding(
                    FindingCode.NODE_LOSES_NODE_GROUP,
                    subject=arn,
                    detail=(
                        f"{arn} is a node role (its identity has {NODE_GROUP}); after this change it "
                        "would not, and its nodes would go NotReady. Keep its aws-auth row or give it an "
                        f"access entry of type EC2_LINUX / FARGATE_LINUX, or {FORCE_HINT}"
                    ),
                )
            )
        elif before is not None and _node_identity_changed(before, after):
            found.append(_node_identity_violation(arn, str(old.resolve(arn).source), after))
    return found


def _node_identity_changed(before: Identity, after: Identity) -> bool:
    return before.username != after.username or bool((before.groups & NODE_IDENTITY_GROUPS) - after.groups)


def _node_identity_violation(arn: str, mapping: str, after: Identity) -> Finding:
    groups = ", ".join(sorted(after.groups & NODE_IDENTITY_GROUPS))
    return GUARDS.finding(
        FindingCode.NODE_IDENTITY_CHANGED,
        subject=arn,
        detail=(
            f"{arn} is a node role ({mapping}); after this change its username would be {after.username} "
            f"with node groups [{groups}], but the Node authorizer needs the node username "
            f"({' or '.join(NODE_USERNAMES)}) and the node groups, so every node of this role would lose "
            "its node permissions. Leave its username and groups alone (a node row is written by "
            f"eksaccess grant ARN --type EC2_LINUX), or {FORCE_HINT}"
        ),
    )


def _reserved_usernames(old: AwsAuth, new: AwsAuth, touched: Collection[str] | None) -> list[Finding]:
    """aws-auth rows this change gives a reserved ``system:`` username (rows already so are left alone)."""
    before = {r.rolearn.lower(): r.username for r in old.roles} | {
        u.userarn.lower(): u.username for u in old.users
    }
    rows = [(r.rolearn, r.username) for r in new.roles] + [(u.userarn, u.username) for u in new.users]
    found: list[Finding] = []
    for arn, username in rows:
        if touched is not None and principal_key(arn) not in touched:
            continue
        if not username or before.get(arn.lower()) == username or not is_reserved_aws_auth_username(username):
            continue
        found.append(
            GUARDS.finding(
                FindingCode.RESERVED_USERNAME,
                subject=arn,
                detail=(
                    f"the aws-auth username {username} of {arn} starts with system:, which Kubernetes "
                    f"reserves for its own components (only the node usernames {', '.join(NODE_USERNAMES)} "
                    f"belong in aws-auth); choose another username, or {FORCE_HINT}"
                ),
            )
        )
    return found
