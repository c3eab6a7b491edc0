"""IAM trust chains: which IAM users and roles can reach (assume, transitively) a role.

Pure graph code over IAM's own documents, as ``iam GetAccountAuthorizationDetails`` returns them: the
roles' trust policies and every principal's identity policies (inline, attached managed, and its groups').

One hop P -> R exists when R's trust policy allows P ``sts:AssumeRole`` and, unless the trust policy names
P's own ARN in P's own account, P's identity policies allow ``sts:AssumeRole`` on R (IAM's rule: a grant
to the account root, to ``*`` or across accounts needs both sides). Statements:

* Allow with ``Action``/``Resource`` wildcards (``*``, ``?``); actions compare case-insensitively.
* Deny statements subtract (an unconditional Deny on either side removes the hop).
* ``NotAction``, ``NotResource`` and ``NotPrincipal`` statements are ignored, with a note (we then
  over-report reach on an Allow, and may miss a Deny: an audit errs towards showing more access).
* Conditions are not evaluated: an Allow with a Condition counts, marked ``conditional``; a conditional
  Deny does not subtract.
* Trust principals: AWS ARNs (users, roles, assumed-role sessions of a role), account ids and account
  roots (any principal of that account whose identity policies allow it), ``*`` (anyone, in any account),
  ``Service`` and ``Federated`` principals (kept as external sources). Principals of accounts whose
  details are unknown stay external sources (``arn:aws:iam::ACCOUNT:root`` stands for all of them).
* Not modelled: permissions boundaries, SCPs/RCPs, session policies (all can only remove access).

Reach walks hops backwards from a role with a visited set, so cycles (A trusts B trusts A) end.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from functools import cache
from typing import Any
from urllib.parse import unquote

from eksaccess.domain.iam.principal import arn_account, arn_partition

ASSUME_ROLE = "sts:AssumeRole"
ANYONE = "*"


class TrustSourceKind(StrEnum):
    USER = "user"
    ROLE = "role"
    ACCOUNT = "account"  # an account root of an account whose principals are unknown
    ANYONE = "anyone"
    SERVICE = "service"
    FEDERATED = "federated"
    EXTERNAL = "external"  # a named principal ARN in an account whose details are unknown


@dataclass(frozen=True, kw_only=True, slots=True)
class Statement:
    allow: bool
    actions: tuple[str, ...] = ()
    resources: tuple[str, ...] = ()
    aws: tuple[str, ...] = ()  # Principal.AWS values ("*", account ids, ARNs)
    services: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    negated: str = ""  # "NotAction" / "NotResource" / "NotPrincipal": the statement is ignored
    conditional: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyDocument:
    statements: tuple[Statement, ...] = ()
    name: str = ""


@dataclass(frozen=True, kw_only=True, slots=True)
class IamPrincipal:
    arn: str
    kind: TrustSourceKind  # USER or ROLE
    account: str
    name: str
    unique_id: str | None = None
    policies: tuple[PolicyDocument, ...] = ()
    trust: PolicyDocument | None = None  # roles only
    active_keys: int | None = None  # users: active long-term access keys; None when unknown


@dataclass(frozen=True, kw_only=True, slots=True)
class AccountIam:
    """One account's IAM users and roles, as complete as the reader could make it."""

    account: str
    principals: tuple[IamPrincipal, ...] = ()
    notes: tuple[str, ...] = ()


# ------------------------------------------------------------------------------------------- parsing


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    return (str(value),)


def load_document(raw: Any) -> Mapping[str, Any]:
    """A policy document as IAM sends it: a dict, JSON text, or URL-encoded JSON text."""
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, str):
        text = raw if raw.lstrip().startswith("{") else unquote(raw)
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return data if isinstance(data, Mapping) else {}
    return {}


def _statement(raw: Mapping[str, Any]) -> Statement:
    negated = next((k for k in ("NotAction", "NotResource", "NotPrincipal") if k in raw), "")
    principal = raw.get("Principal")
    aws: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    federated: tuple[str, ...] = ()
    if principal == ANYONE:
        aws = (ANYONE,)
    elif isinstance(principal, Mapping):
        aws = _strings(principal.get("AWS"))
        services = _strings(principal.get("Service"))
        federated = _strings(principal.get("Federated"))
    return Statement(
        allow=str(raw.get("Effect", "")) == "Allow",
        actions=_strings(raw.get("Action")),
        resources=_strings(raw.get("Resource")),
        aws=aws,
        services=services,
        federated=federated,
        negated=negated,
        conditional=bool(raw.get("Condition")),
    )


def parse_policy(raw: Any, name: str = "") -> PolicyDocument:
    data = load_document(raw)
    statements = data.get("Statement") or []
    if isinstance(statements, Mapping):
        statements = [statements]
    parsed = tuple(_statement(s) for s in statements if isinstance(s, Mapping))
    return PolicyDocument(statements=parsed, name=name)


@cache
def _account_of(arn: str) -> str:
    return arn_account(arn)


def _inline(items: Any) -> list[PolicyDocument]:
    return [
        parse_policy(p.get("PolicyDocument"), str(p.get("PolicyName", "")))
        for p in items or []
        if isinstance(p, Mapping)
    ]


def _managed_index(data: Mapping[str, Any]) -> dict[str, PolicyDocument]:
    found: dict[str, PolicyDocument] = {}
    for policy in data.get("Policies") or []:
        default = policy.get("DefaultVersionId")
        for version in policy.get("PolicyVersionList") or []:
            if version.get("IsDefaultVersion") or version.get("VersionId") == default:
                found[str(policy.get("Arn"))] = parse_policy(version.get("Document"), str(policy.get("Arn")))
    return found


def _attached(items: Any, managed: Mapping[str, PolicyDocument]) -> list[PolicyDocument]:
    return [managed[p["PolicyArn"]] for p in items or [] if p.get("PolicyArn") in managed]


def _active_keys(user: Mapping[str, Any]) -> int | None:
    keys = user.get("AccessKeyMetadata")
    if keys is None:
        return None
    return sum(1 for k in keys if str(k.get("Status", "Active")) == "Active")


def parse_authorization_details(data: Mapping[str, Any], *, account: str | None = None) -> AccountIam:
    """``GetAccountAuthorizationDetails`` output (pages merged) -> AccountIam.

    Users may carry ``AccessKeyMetadata`` (ListAccessKeys' shape), which eksaccess adds when it read it.
    """
    managed = _managed_index(data)
    groups: dict[str, list[PolicyDocument]] = {}
    for group in data.get("GroupDetailList") or []:
        groups[str(group.get("GroupName"))] = _inline(group.get("GroupPolicyList")) + _attached(
            group.get("AttachedManagedPolicies"), managed
        )
    principals: list[IamPrincipal] = []
    for user in data.get("UserDetailList") or []:
        policies = _inline(user.get("UserPolicyList")) + _attached(
            user.get("AttachedManagedPolicies"), managed
        )
        for name in user.get("GroupList") or []:
            policies += groups.get(str(name), [])
        principals.append(
            IamPrincipal(
                arn=str(user["Arn"]),
                kind=TrustSourceKind.USER,
                account=_account_of(str(user["Arn"])),
                name=str(user.get("UserName", "")),
                unique_id=user.get("UserId"),
                policies=tuple(policies),
                active_keys=_active_keys(user),
            )
        )
    for role in data.get("RoleDetailList") or []:
        policies = _inline(role.get("RolePolicyList")) + _attached(
            role.get("AttachedManagedPolicies"), managed
        )
        principals.append(
            IamPrincipal(
                arn=str(role["Arn"]),
                kind=TrustSourceKind.ROLE,
                account=_account_of(str(role["Arn"])),
                name=str(role.get("RoleName", "")),
                unique_id=role.get("RoleId"),
                policies=tuple(policies),
                trust=parse_policy(role.get("AssumeRolePolicyDocument"), "trust policy"),
            )
        )
    found = account or next((p.account for p in principals if p.account), "")
    return AccountIam(account=found, principals=tuple(principals))


# ------------------------------------------------------------------------------------------- matching


@cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in text)
    return re.compile(f"^{body}$", re.IGNORECASE if ignore_case else 0)


def action_matches(patterns: Iterable[str], action: str = ASSUME_ROLE) -> bool:
    return any(_pattern(p, True).match(action) for p in patterns)


def resource_matches(patterns: Iterable[str], arn: str) -> bool:
    return any(_pattern(p, False).match(arn) for p in patterns)


def _role_of_session(arn: str) -> str | None:
    """``arn:aws:sts::A:assumed-role/R/S`` -> ``arn:aws:iam::A:role/R`` (path unknown: name only)."""
    match = re.match(r"^arn:([\w-]+):sts::(\d{12}):assumed-role/([^/]+)/", arn)
    return f"arn:{match[1]}:iam::{match[2]}:role/{match[3]}" if match else None


@cache
def _name_key(arn: str) -> str:
    """Roles compare by account and name (a session ARN has no path); everything else by ARN."""
    match = re.match(r"^arn:[\w-]+:iam::(\d{12}):(role|user)/(?:.*/)?([^/]+)$", arn)
    return f"{match[1]}:{match[2]}:{match[3].lower()}" if match else arn.lower()


_ACCOUNT_ID = re.compile(r"\d{12}")
_ACCOUNT_ROOT = re.compile(r"arn:[\w-]+:iam::\d{12}:root")


@dataclass(frozen=True, kw_only=True, slots=True)
class TrustRule:
    """One trust statement that concerns sts:AssumeRole, its ``Principal.AWS`` values sorted by how they
    match: ``*``, whole accounts (ids and roots), and principals by name key (sessions: their role)."""

    allow: bool
    conditional: bool
    anyone: bool = False
    accounts: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()


@dataclass(frozen=True, kw_only=True, slots=True)
class AssumeGrant:
    """One identity statement that concerns sts:AssumeRole, with its resources as compiled patterns."""

    allow: bool
    conditional: bool
    resources: tuple[re.Pattern[str], ...]
    policy: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Verdict:
    allowed: bool
    conditional: bool = False
    needs_identity: bool = True
    notes: tuple[str, ...] = ()


def trust_rules(trust: PolicyDocument) -> tuple[tuple[TrustRule, ...], tuple[str, ...]]:
    """A trust policy compiled once: its AssumeRole rules, and notes on the statements it ignores."""
    rules: list[TrustRule] = []
    notes: list[str] = []
    for st in trust.statements:
        if st.negated:
            notes.append(f"{trust.name}: a statement with {st.negated} is ignored")
            continue
        if not action_matches(st.actions):
            continue
        accounts: set[str] = set()
        names: set[str] = set()
        for value in st.aws:
            if _ACCOUNT_ID.fullmatch(value):
                accounts.add(value)
            elif _ACCOUNT_ROOT.fullmatch(value):
                accounts.add(_account_of(value))
            elif value != ANYONE:
                names.add(_name_key(_role_of_session(value) or value))
        rules.append(
            TrustRule(
                allow=st.allow,
                conditional=st.conditional,
                anyone=ANYONE in st.aws,
                accounts=frozenset(accounts),
                names=frozenset(names),
            )
        )
    return tuple(rules), tuple(notes)


def _fold(matching: Iterable[tuple[bool, bool, str]]) -> Verdict:
    """Matching statements as (allow, conditional, who) combined as IAM does for one action: an
    unconditional Deny wins; a conditional Deny is noted, not evaluated; any Allow allows, conditional
    only if every Allow is."""
    allowed = conditional = False
    notes: list[str] = []
    for allow, is_conditional, who in matching:
        if not allow:
            if not is_conditional:
                return Verdict(allowed=False, notes=tuple(notes))
            notes.append(f"{who}: a conditional Deny is not evaluated")
            continue
        if not allowed or conditional:
            conditional = is_conditional
        allowed = True
    return Verdict(allowed=allowed, conditional=conditional, notes=tuple(notes))


def judge_trust(rules: Sequence[TrustRule], me: IamPrincipal, name: str = "trust policy") -> Verdict:
    """Whether trust rules let ``me`` call sts:AssumeRole, and if the identity side is needed (it is,
    unless an Allow names ``me`` itself)."""
    key = _name_key(me.arn)
    matching = [r for r in rules if key in r.names or r.anyone or me.account in r.accounts]
    verdict = _fold((r.allow, r.conditional, name) for r in matching)
    direct = verdict.allowed and any(r.allow and key in r.names for r in matching)
    return replace(verdict, needs_identity=not direct)


def assume_grants(policies: Sequence[PolicyDocument]) -> tuple[tuple[AssumeGrant, ...], tuple[str, ...]]:
    """Identity policies compiled once: the statements about sts:AssumeRole, and notes on ignored ones."""
    grants: list[AssumeGrant] = []
    notes: list[str] = []
    for doc in policies:
        for st in doc.statements:
            if st.negated:
                notes.append(f"policy {doc.name}: a statement with {st.negated} is ignored")
            elif action_matches(st.actions):
                patterns = tuple(_pattern(r, False) for r in st.resources)
                grants.append(
                    AssumeGrant(
                        allow=st.allow, conditional=st.conditional, resources=patterns, policy=doc.name
                    )
                )
    return tuple(grants), tuple(notes)


def judge_identity(grants: Sequence[AssumeGrant], role_arn: str) -> Verdict:
    """Whether identity grants allow sts:AssumeRole on ``role_arn`` (Deny statements subtract)."""
    matching = (g for g in grants if any(p.match(role_arn) for p in g.resources))
    return _fold((g.allow, g.conditional, f"policy {g.policy}") for g in matching)


# --------------------------------------------------------------------------------------------- graph


@dataclass(frozen=True, kw_only=True, slots=True)
class Hop:
    source: str  # a principal ARN, an account root, "*", "service:NAME" or "federated:ARN"
    kind: TrustSourceKind
    target: str  # the role ARN
    conditional: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Chain:
    """``arns[0]`` can reach ``arns[-1]`` by assuming each next role in turn."""

    arns: tuple[str, ...]
    kind: TrustSourceKind  # of arns[0]
    conditional: bool = False

    @property
    def source(self) -> str:
        return self.arns[0]

    def to_json(self) -> dict[str, Any]:
        """``via``: the roles assumed on the way (the chain without its source and its target)."""
        return {
            "arn": self.source,
            "kind": str(self.kind),
            "via": list(self.arns[1:-1]),
            "conditional": self.conditional,
        }


@dataclass(kw_only=True)
class TrustGraph:
    """Who can assume which role, over the accounts whose IAM details are known."""

    principals: dict[str, IamPrincipal]  # by lower-cased ARN
    hops_into: dict[str, list[Hop]]  # by role name key
    notes: list[str] = field(default_factory=list)
    by_name: dict[str, IamPrincipal] = field(default_factory=dict)
    _into: dict[str, list[tuple[str, Hop]]] | None = None  # hops_into with each source's name key

    @classmethod
    def build(cls, accounts: Iterable[AccountIam]) -> TrustGraph:
        known = {a.account: a for a in accounts}
        everyone = [p for a in known.values() for p in a.principals]
        graph = cls(principals={p.arn.lower(): p for p in everyone}, hops_into={})
        for account in known.values():
            graph.notes.extend(account.notes)
        by_name = {_name_key(p.arn): p for p in everyone}
        judge = _Judge()
        assumers: dict[str, list[IamPrincipal]] = {}  # per account: identity policies allow some AssumeRole
        for p in everyone:
            graph.notes.extend(_not_action_notes(p))
            grants, ignored = assume_grants(p.policies)
            graph.notes.extend(f"{p.arn}: {n}" for n in ignored)
            if judge.add(p, grants):
                assumers.setdefault(p.account, []).append(p)
        for role in everyone:
            if role.kind is TrustSourceKind.ROLE and role.trust is not None:
                rules, ignored = trust_rules(role.trust)
                graph.notes.extend(f"{role.arn}: {n}" for n in ignored)
                hops = judge.hops(role, rules, _candidates(rules, by_name, assumers), graph.notes)
                graph.hops_into[_name_key(role.arn)] = hops + _external_hops(role, known)
        graph.by_name = by_name
        graph.notes = list(dict.fromkeys(graph.notes))
        return graph

    def principal(self, arn: str) -> IamPrincipal | None:
        found = self.principals.get(arn.lower())
        if found is not None:
            return found
        return self.by_name.get(_name_key(arn))

    def reachers(self, role_arn: str) -> list[Chain]:
        """Every source that can reach the role, each with its shortest chain (breadth first)."""
        target = self.principal(role_arn)
        start = target.arn if target else role_arn
        if self._into is None:
            self._into = {k: [(_name_key(h.source), h) for h in hops] for k, hops in self.hops_into.items()}
        chains: list[Chain] = []
        start_key = _name_key(start)
        queue: deque[tuple[str, tuple[str, ...], bool]] = deque([(start_key, (start,), False)])
        seen = {start_key}
        while queue:
            key, arns, conditional = queue.popleft()
            for source_key, hop in self._into.get(key, ()):
                if source_key in seen:
                    continue
                seen.add(source_key)
                path = (hop.source, *arns)
                chains.append(Chain(arns=path, kind=hop.kind, conditional=conditional or hop.conditional))
                if hop.kind is TrustSourceKind.ROLE:
                    queue.append((source_key, path, conditional or hop.conditional))
        return chains


class _Judge:
    """Hop verdicts with the work shared: principals with equal identity grants (the same managed or
    group policies) are judged once per role, and principals a trust policy lets in only through their
    account or ``*`` get the same trust verdict per account."""

    def __init__(self) -> None:
        self.grant_ids: dict[str, int] = {}  # principal ARN -> id of its grants
        self.grant_sets: dict[tuple[AssumeGrant, ...], int] = {}
        self.grants: list[tuple[AssumeGrant, ...]] = []
        self.identity: dict[tuple[int, str], Verdict] = {}

    def add(self, p: IamPrincipal, grants: tuple[AssumeGrant, ...]) -> bool:
        """Record a principal's grants; whether any of them allows some AssumeRole."""
        gid = self.grant_ids[p.arn] = self.grant_sets.setdefault(grants, len(self.grant_sets))
        if gid == len(self.grants):
            self.grants.append(grants)
        return any(g.allow for g in grants)

    def _identity(self, me: IamPrincipal, role_arn: str) -> Verdict:
        gid = self.grant_ids[me.arn]
        found = self.identity.get((gid, role_arn))
        if found is None:
            found = self.identity[(gid, role_arn)] = judge_identity(self.grants[gid], role_arn)
        return found

    def hops(
        self,
        role: IamPrincipal,
        rules: Sequence[TrustRule],
        candidates: Iterable[IamPrincipal],
        notes: list[str],
    ) -> list[Hop]:
        assert role.trust is not None
        named = frozenset(k for rule in rules for k in rule.names)
        by_account: dict[str, Verdict] = {}
        hops: list[Hop] = []
        for me in candidates:
            if me.arn == role.arn:
                continue
            if _name_key(me.arn) in named:
                trust = judge_trust(rules, me, role.trust.name)
            else:  # let in (or not) by account or "*": the same verdict for the whole account
                found = by_account.get(me.account)
                if found is None:
                    found = by_account[me.account] = judge_trust(rules, me, role.trust.name)
                trust = found
            if trust.notes:
                notes.extend(f"{role.arn}: {n}" for n in trust.notes)
            if not trust.allowed:
                continue
            identity = self._identity(me, role.arn)
            if identity.notes:
                notes.extend(f"{me.arn}: {n}" for n in identity.notes)
            if (trust.needs_identity or me.account != role.account) and not identity.allowed:
                continue
            conditional = trust.conditional or (identity.allowed and identity.conditional)
            hops.append(Hop(source=me.arn, kind=me.kind, target=role.arn, conditional=conditional))
        return hops


def _not_action_notes(p: IamPrincipal) -> list[str]:
    """An Allow with NotAction that does not list sts:AssumeRole would allow it: say it was ignored."""
    return [
        f"{p.arn}: policy {doc.name}: a statement with NotAction is ignored (it may allow sts:AssumeRole)"
        for doc in p.policies
        for st in doc.statements
        if st.allow and st.negated == "NotAction"
    ]


def _candidates(
    rules: Sequence[TrustRule],
    by_name: Mapping[str, IamPrincipal],
    assumers: Mapping[str, list[IamPrincipal]],
) -> list[IamPrincipal]:
    """The known principals a trust policy may let in: those it names, and for an account root or ``*``
    the principals of that account (or of every account) whose identity policies allow some AssumeRole."""
    found: dict[str, IamPrincipal] = {}
    for rule in rules:
        if not rule.allow:
            continue
        if rule.anyone:
            found.update((p.arn, p) for ps in assumers.values() for p in ps)
        for account in rule.accounts:
            found.update((p.arn, p) for p in assumers.get(account, ()))
        for key in rule.names:
            named = by_name.get(key)
            if named is not None:
                found[named.arn] = named
    return list(found.values())


def _external_hops(role: IamPrincipal, known: Mapping[str, AccountIam]) -> list[Hop]:
    """Sources outside the known accounts: anyone, unknown accounts and principals, services, federation."""
    assert role.trust is not None
    partition = arn_partition(role.arn)
    hops: dict[str, Hop] = {}
    denied: set[str] = set()
    for st in role.trust.statements:
        if st.negated or not action_matches(st.actions):
            continue
        sources = [_external(value, partition, known) for value in st.aws]
        sources += [(f"service:{s}", TrustSourceKind.SERVICE) for s in st.services]
        sources += [(f"federated:{f}", TrustSourceKind.FEDERATED) for f in st.federated]
        for found in sources:
            if found is None:
                continue
            source, kind = found
            if not st.allow:
                if not st.conditional:
                    denied.add(source)
                continue
            previous = hops.get(source)
            if previous is None or previous.conditional:
                hops[source] = Hop(source=source, kind=kind, target=role.arn, conditional=st.conditional)
    return [hop for source, hop in hops.items() if source not in denied]


def _external(
    value: str, partition: str, known: Mapping[str, AccountIam]
) -> tuple[str, TrustSourceKind] | None:
    if value == ANYONE:
        return ANYONE, TrustSourceKind.ANYONE
    if re.fullmatch(r"\d{12}", value):
        value = f"arn:{partition}:iam::{value}:root"
    account = _account_of(value)
    if account in known:
        return None  # its principals are hops of their own, evaluated one by one
    if value.endswith(":root"):
        return value, TrustSourceKind.ACCOUNT
    return value, TrustSourceKind.EXTERNAL
