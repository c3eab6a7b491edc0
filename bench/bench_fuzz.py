"""Fuzzing of every parser a user feeds eksaccess, and of the sandbox's HTTP handlers.

    .venv/bin/python bench/bench_fuzz.py [--inputs 10000] [--seconds 600] [--only NAME ...] [--json FILE]
    .venv/bin/python bench/bench_fuzz.py --atheris NAME --runs 20000     # coverage-guided, one target

The rule checked on every input: a parser returns, or raises the error family its caller turns into a
clear message (``InputError`` -> one line, exit 2; ``TokenError`` -> the authenticator's 401 text), with
a message of exactly one line; an HTTP handler answers with a status below 500 (client garbage is the
client's fault). Anything else (another exception, a multi-line message, an input that takes more than
``HANG_SECONDS``, a 5xx) is a finding. Edits of aws-auth must re-parse without losing a key.

Inputs come from hypothesis (structured documents with garbage in their fields, mutations of valid seed
documents, arbitrary text) and, when the ``atheris`` package is importable, from libFuzzer's
coverage-guided mutator (``--atheris``). The run stops after ``--inputs`` inputs per target or when the
time budget (``--seconds``, shared by all targets) is spent, whichever comes first, and prints a table
(markdown) of inputs tried and findings. The tests in ``tests/fuzz/`` import this module (small slices in
``make test``, the 10,000-input corpora marked ``slow``).
"""

from __future__ import annotations

import argparse
import base64
import functools
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

HANG_SECONDS = 2.0  # CPU seconds any input may take, plus one second per BYTES_PER_SECOND of input
BYTES_PER_SECOND = 20_000  # slower than this counts as a hang (ruamel's round-trip loader: ~50-80 KB/s)
ACCT = "111122223333"
Check = Callable[[Any], None]


class ViolationError(AssertionError):
    """An input broke the rule (see the module docstring)."""


# --- the rule ------------------------------------------------------------------------------------------


def clean_call(call: Callable[[], Any], allowed: tuple[type[BaseException], ...], size: int = 0) -> Any:
    """Run ``call``; return its result, or None when it raised an allowed error with a one-line message.

    ``size`` (bytes of input) raises the time allowed: parsing is linear, a hang is not.
    """
    start = time.thread_time()  # CPU time of this thread: other processes on the machine do not count
    try:
        result = call()
    except allowed as err:
        message = str(err)
        if not message.strip():
            raise ViolationError(f"{type(err).__name__} with an empty message") from err
        if "\n" in message or "\r" in message:
            raise ViolationError(f"{type(err).__name__} message is not one line: {message[:200]!r}") from err
        result = None
    except RecursionError as err:
        raise ViolationError("RecursionError") from err
    except Exception as err:  # any other exception is the finding
        raise ViolationError(f"unexpected {type(err).__name__}: {str(err)[:200]}") from err
    elapsed = time.thread_time() - start
    if elapsed > HANG_SECONDS + size / BYTES_PER_SECOND:
        raise ViolationError(f"slow: {elapsed:.1f} s of CPU for {size} bytes of input")
    return result


# --- strategies shared by the targets -------------------------------------------------------------------

JUNK = st.text(alphabet=st.characters(codec="utf-8"), max_size=40)
NASTY = st.sampled_from(
    [
        "",
        " ",
        "\n",
        "\x00",
        "\t",
        "\r\n",
        "::",
        "/",
        "../",
        "..%2f",
        "*",
        "?",
        "{{SessionName}}",
        "{{",
        "}}",
        "%",
        "'",
        '"',
        "\\",
        "- ",
        ": ",
        "#",
        "&a",
        "*a",
        "!!binary",
        "!!python/object:os.system",
        "[",
        "]",
        "{",
        "}",
        "~",
        "null",
        "true",
        "0x1F",
        "1e400",
        "-0",
        "9" * 40,
        "\u2028",
        "\ufeff",
        "é",
        "\U0001f600",
        "arn:aws:iam::111122223333:role/x",
        "arn:aws:sts::111122223333:assumed-role/r/s",
        "arn:aws-cn:iam::111122223333:user/a/b",
        "system:masters",
        "k8s-aws-v1.",
    ]
)
PIECE = st.one_of(NASTY, JUNK)
WORD = st.lists(PIECE, max_size=4).map("".join)
ID = st.from_regex(r"\A[A-Za-z0-9_+=,.@-]{1,12}\Z")


def mutations(seeds: list[str]) -> st.SearchStrategy[str]:
    """A valid seed document with a few random edits (replace, insert, delete, duplicate a slice)."""

    @st.composite
    def build(draw: st.DrawFn) -> str:
        text = draw(st.sampled_from(seeds))
        for _ in range(draw(st.integers(1, 4))):
            if not text:
                break
            i = draw(st.integers(0, len(text)))
            j = draw(st.integers(i, min(len(text), i + 12)))
            op = draw(st.sampled_from(["replace", "insert", "delete", "duplicate"]))
            if op == "replace":
                text = text[:i] + draw(PIECE) + text[j:]
            elif op == "insert":
                text = text[:i] + draw(PIECE) + text[i:]
            elif op == "delete":
                text = text[:i] + text[j:]
            else:
                text = text[:i] + text[i:j] * draw(st.integers(2, 50)) + text[j:]
        return text

    return build()


def yaml_value(depth: int = 2) -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), WORD)
    if depth <= 0:
        return scalars
    inner = yaml_value(depth - 1)
    return st.one_of(
        scalars, st.lists(inner, max_size=3), st.dictionaries(st.one_of(WORD, ID), inner, max_size=3)
    )


def documents(shape: st.SearchStrategy[Any], seeds: list[str], *, big: bool = True) -> st.SearchStrategy[str]:
    """Text for a document parser: structured (JSON or YAML of ``shape``), mutated seeds, raw text."""
    from io import StringIO

    from ruamel.yaml import YAML

    def as_yaml(obj: Any) -> str:
        out = StringIO()
        yaml = YAML(typ="safe", pure=True)
        yaml.default_flow_style = False
        yaml.dump(obj, out)
        return out.getvalue()

    options: list[st.SearchStrategy[str]] = [
        shape.map(lambda o: json.dumps(o, default=str)),
        shape.map(as_yaml),
        mutations(seeds),
        mutations(seeds),
        st.text(max_size=200),
    ]
    normal = st.one_of(options)
    if not big:
        return normal
    large = st.tuples(st.sampled_from(seeds), st.integers(5, 40)).map(lambda t: t[0] * t[1])
    # one input in 50 is large: a seed repeated (duplicate keys, long lists, up to ~100 KB)
    return st.tuples(st.integers(0, 49), normal, large).map(lambda t: t[2] if t[0] == 0 else t[1])


# --- targets ---------------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Target:
    name: str
    what: str
    strategy: Callable[[], st.SearchStrategy[Any]]
    setup: Callable[[ExitStack, Path], Check]  # returns the check of one input
    from_bytes: Callable[[bytes], Any] = field(default=lambda data: data.decode("utf-8", "replace"))
    http: bool = False


def _pure(check: Check) -> Callable[[ExitStack, Path], Check]:
    return lambda _stack, _tmp: check


def _arn_shape() -> st.SearchStrategy[str]:
    parts = st.tuples(
        st.sampled_from(["arn", "ARN", "", "arn "]),
        st.sampled_from(["aws", "aws-cn", "aws-us-gov", "", "x"]) | WORD,
        st.sampled_from(["iam", "sts", "eks", ""]) | WORD,
        st.just("") | WORD,
        st.sampled_from([ACCT, "", "12345", "aws"]) | WORD,
        st.lists(st.sampled_from(["role", "user", "assumed-role", "root", "group"]) | WORD | ID, max_size=5),
    )
    return parts.map(lambda p: ":".join(p[:5]) + ":" + "/".join(p[5]))


def check_arn(text: str) -> None:
    from eksaccess.domain.iam.principal import canonicalize, parse_principal
    from eksaccess.errors import InputError

    principal = clean_call(lambda: parse_principal(text), (InputError,))
    if principal is not None:
        canonical = principal.canonical_arn
        again = clean_call(lambda: canonicalize(canonical), (InputError,))
        if again != canonical:
            raise ViolationError(f"canonical ARN not stable: {canonical!r} -> {again!r}")


AWS_AUTH_SEED = {
    "mapRoles": (
        f"- rolearn: arn:aws:iam::{ACCT}:role/nodes  # nodes\n"
        "  username: system:node:{{EC2PrivateDNSName}}\n"
        "  groups:\n    - system:bootstrappers\n    - system:nodes\n"
        f"- rolearn: arn:aws:iam::{ACCT}:role/ops\n  username: 'ops:{{{{SessionName}}}}'\n"
        "  groups: [system:masters]\n"
    ),
    "mapUsers": f'- userarn: arn:aws:iam::{ACCT}:user/alice\n  username: alice\n  groups: ["dev"]\n',
    "mapAccounts": f'- "{ACCT}"\n',
}


def _aws_auth_key_text() -> st.SearchStrategy[str]:
    entry = st.fixed_dictionaries(
        {},
        optional={
            "rolearn": st.one_of(_arn_shape(), WORD, yaml_value(0)),
            "userarn": st.one_of(_arn_shape(), WORD),
            "username": st.one_of(WORD, yaml_value(1)),
            "groups": st.one_of(st.lists(WORD, max_size=3), yaml_value(1)),
            "other": yaml_value(1),
        },
    )
    return documents(st.one_of(st.lists(entry, max_size=4), yaml_value()), list(AWS_AUTH_SEED.values()))


def _aws_auth_data() -> st.SearchStrategy[dict[str, str]]:
    keys = st.sampled_from(["mapRoles", "mapUsers", "mapAccounts", "maproles", "MapUsers", "other"]) | WORD
    return st.dictionaries(keys, _aws_auth_key_text(), max_size=4)


def check_aws_auth(data: dict[str, str]) -> None:
    from eksaccess.domain.awsauth.reader import inspect_aws_auth, parse_aws_auth
    from eksaccess.errors import InputError

    size = sum(len(k) + len(v) for k, v in data.items())
    clean_call(lambda: parse_aws_auth(data), (InputError,), size)
    clean_call(lambda: inspect_aws_auth(data), (InputError,), size)


def _manifest_text() -> st.SearchStrategy[str]:
    seed_yaml = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: kube-system\ndata:\n"
        "  mapRoles: |\n"
        + "".join("    " + line + "\n" for line in AWS_AUTH_SEED["mapRoles"].splitlines())
        + '  mapAccounts: "- \\"111122223333\\"\\n"\n'
    )
    seed_json = json.dumps({"apiVersion": "v1", "kind": "ConfigMap", "data": AWS_AUTH_SEED})
    shape = st.fixed_dictionaries(
        {},
        optional={
            "apiVersion": yaml_value(0),
            "kind": st.sampled_from(["ConfigMap", "List", "Secret"]) | WORD,
            "data": st.one_of(st.dictionaries(WORD, yaml_value(1), max_size=3), yaml_value(1)),
            "items": yaml_value(2),
        },
    )
    return documents(shape, [seed_yaml, seed_json, AWS_AUTH_SEED["mapRoles"]])


def check_split_manifest(text: str) -> None:
    from eksaccess.domain.awsauth.reader import parse_aws_auth, split_manifest
    from eksaccess.errors import InputError

    data = clean_call(lambda: split_manifest(text), (InputError,), len(text))
    if data is not None:
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
            raise ViolationError("split_manifest returned non-string data")
        clean_call(lambda: parse_aws_auth(data), (InputError,), len(text))


EDIT_OPS = ["upsert_role", "remove_role", "upsert_user", "remove_user", "add_account", "remove_account"]


def _edit_case() -> st.SearchStrategy[tuple[dict[str, str], str, str, str | None, list[str]]]:
    data: st.SearchStrategy[dict[str, str]] = st.one_of(
        _aws_auth_data(), st.just(dict(AWS_AUTH_SEED)), st.just({}), st.just({"mapRoles": "[]\n"})
    )
    arn = st.one_of(
        _arn_shape(), st.sampled_from([f"arn:aws:iam::{ACCT}:role/ops", f"arn:aws:iam::{ACCT}:user/alice"])
    )
    arg = st.one_of(arn, st.sampled_from([ACCT, "123", "x" * 12]), WORD)
    return st.tuples(
        data,
        st.sampled_from(EDIT_OPS),
        arg,
        st.one_of(st.none(), WORD),
        st.lists(st.one_of(WORD, st.just("system:masters")), max_size=3),
    )


def check_aws_auth_edit(case: tuple[dict[str, str], str, str, str | None, list[str]]) -> None:
    from eksaccess.domain.awsauth import edit as awsauth_edit
    from eksaccess.domain.awsauth.reader import parse_aws_auth
    from eksaccess.errors import InputError

    data, op, arg, username, groups = case
    size = sum(len(k) + len(v) for k, v in data.items())
    before = clean_call(lambda: parse_aws_auth(data), (InputError,), size)
    fn = getattr(awsauth_edit, op)
    if op.startswith("upsert"):
        result = clean_call(lambda: fn(data, arg, username=username, groups=groups), (InputError,), size)
    else:
        result = clean_call(lambda: fn(data, arg), (InputError,), size)
    if result is None or before is None:
        return
    after = parse_aws_auth(result)
    old_dropped = {d.key for d in before.dropped}
    new_dropped = {d.key for d in after.dropped} - old_dropped
    if new_dropped:
        raise ViolationError(f"{op} made key(s) {sorted(new_dropped)} unparseable")
    for key in set(data) - {"mapRoles", "mapUsers", "mapAccounts"}:
        if result.get(key) != data[key]:
            raise ViolationError(f"{op} changed the unrelated key {key!r}")


KUBECONFIG_SEED = """apiVersion: v1
kind: Config
clusters:
- name: demo
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: LS0t
contexts:
- name: admin
  context: {cluster: demo, user: admin, namespace: dev}
current-context: admin
users:
- name: admin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: aws
      args: [--region, us-west-2, eks, get-token, --cluster-name, demo, --output, json]
      env: [{name: AWS_PROFILE, value: admin}]
      interactiveMode: IfAvailable
"""


def _kubeconfig_text() -> st.SearchStrategy[str]:
    named = st.lists(
        st.fixed_dictionaries(
            {},
            optional={
                "name": st.one_of(WORD, yaml_value(0)),
                "cluster": yaml_value(2),
                "user": yaml_value(2),
                "context": yaml_value(2),
            },
        ),
        max_size=3,
    )
    shape = st.fixed_dictionaries(
        {},
        optional={
            "apiVersion": yaml_value(0),
            "clusters": st.one_of(named, yaml_value(1)),
            "users": st.one_of(named, yaml_value(1)),
            "contexts": st.one_of(named, yaml_value(1)),
            "current-context": yaml_value(0),
        },
    )
    return documents(shape, [KUBECONFIG_SEED])


def check_kubeconfig(text: str) -> None:
    from eksaccess.domain.kubeconfig import eks_exec, load_raw, merge
    from eksaccess.errors import InputError

    raw = clean_call(lambda: load_raw(text, source="fuzz"), (InputError,), len(text))
    if raw is None:
        return
    merged = clean_call(lambda: merge([("fuzz", raw), ("second", raw)]), (InputError,), len(text))
    if merged is None:
        return
    for user in merged.users.values():
        clean_call(functools.partial(eks_exec, user), (InputError,))
    clean_call(lambda: merged.context(), (InputError,))


@functools.cache
def _state_seed() -> list[str]:
    from eksaccess.domain.state import dump_cluster_state
    from eksaccess.sandbox.scenarios.model import load_scenario

    out = []
    for name in ("baseline", "aws-auth-malformed", "namespace-scope-elsewhere"):
        for cluster in load_scenario(name).clusters:
            out.append(dump_cluster_state(cluster.cluster_state()))
    examples = Path(__file__).resolve().parents[1] / "examples" / "snapshot.yaml"
    if examples.is_file():
        out.append(examples.read_text(encoding="utf-8"))
    return out


def _state_text() -> st.SearchStrategy[str]:
    entry = st.fixed_dictionaries(
        {"principalArn": st.one_of(_arn_shape(), WORD)},
        optional={
            "type": st.sampled_from(["STANDARD", "EC2_LINUX", "FARGATE_LINUX", "bogus"]),
            "username": yaml_value(0),
            "kubernetesGroups": yaml_value(1),
            "accessPolicies": st.lists(
                st.fixed_dictionaries(
                    {
                        "policyArn": st.one_of(
                            WORD, st.just("arn:aws:eks::aws:cluster-access-policy/AmazonEKSViewPolicy")
                        )
                    },
                    optional={"accessScope": yaml_value(2)},
                ),
                max_size=2,
            ),
        },
    )
    shape = st.fixed_dictionaries(
        {
            "apiVersion": st.sampled_from(["eksaccess/v1", "v1"]),
            "kind": st.sampled_from(["ClusterState", "x"]),
        },
        optional={
            "cluster": st.one_of(
                st.fixed_dictionaries(
                    {"name": WORD, "region": WORD, "accountId": st.one_of(st.just(ACCT), WORD, st.integers())}
                ),
                yaml_value(1),
            ),
            "authenticationMode": st.sampled_from(["API", "CONFIG_MAP", "API_AND_CONFIG_MAP", "x"]),
            "accessEntries": st.one_of(st.lists(entry, max_size=3), yaml_value(1)),
            "awsAuth": st.one_of(st.none(), _aws_auth_data(), yaml_value(1)),
            "kubernetes": yaml_value(2),
        },
    )
    return documents(shape, _state_seed())


def check_state(text: str) -> None:
    from eksaccess.domain.state import dump_cluster_state, parse_cluster_state
    from eksaccess.errors import InputError

    state = clean_call(lambda: parse_cluster_state(text, source="fuzz"), (InputError,), len(text))
    if state is None:
        return
    clean_call(lambda: state.access_entries(), (InputError,))
    dumped = clean_call(lambda: dump_cluster_state(state), (), len(text))
    again = clean_call(lambda: parse_cluster_state(dumped, source="dump"), (), len(text))
    if again != state:
        raise ViolationError("a parsed snapshot does not survive dump + parse")


@functools.cache
def _scenario_seed() -> list[str]:
    from eksaccess.sandbox.scenarios.model import builtin_names, builtin_text

    return [builtin_text(name) for name in builtin_names()]


def _scenario_text() -> st.SearchStrategy[str]:
    shape = st.fixed_dictionaries(
        {"apiVersion": st.just("eksaccess/v1"), "kind": st.just("Scenario"), "name": WORD},
        optional={
            "accounts": st.dictionaries(st.one_of(st.just(ACCT), WORD), yaml_value(2), max_size=2),
            "clusters": yaml_value(2),
            "profiles": st.lists(
                st.fixed_dictionaries(
                    {"name": WORD},
                    optional={"user": _arn_shape(), "roleArn": _arn_shape(), "sourceProfile": WORD},
                ),
                max_size=3,
            ),
            "kubeconfig": yaml_value(2),
        },
    )
    return documents(shape, _scenario_seed())


def check_scenario(text: str) -> None:
    from eksaccess.errors import InputError
    from eksaccess.sandbox.scenarios.model import parse_scenario

    clean_call(lambda: parse_scenario(text, source="fuzz"), (InputError,), len(text))


@functools.cache
def _desired_seed() -> list[str]:
    try:
        from eksaccess.features.manage.desired import dump_cluster_access, export_access
    except ImportError:
        return []
    from eksaccess.sandbox.scenarios.model import load_scenario

    out = []
    for name in ("baseline", "aws-auth-role-path", "namespace-scope-elsewhere"):
        for cluster in load_scenario(name).clusters:
            out.append(dump_cluster_access(export_access(cluster)))
    return out


def _desired_text() -> st.SearchStrategy[str]:
    principal = st.fixed_dictionaries(
        {"arn": st.one_of(_arn_shape(), WORD)},
        optional={
            "via": st.sampled_from(["access-entry", "aws-auth", "x"]),
            "groups": yaml_value(1),
            "username": yaml_value(0),
            "type": WORD,
            "policies": st.lists(
                st.fixed_dictionaries(
                    {"policy": st.one_of(WORD, st.sampled_from(["view", "edit", "admin", "cluster-admin"]))},
                    optional={"namespaces": yaml_value(1)},
                ),
                max_size=2,
            ),
        },
    )
    shape = st.fixed_dictionaries(
        {"apiVersion": st.just("eksaccess/v1"), "kind": st.just("ClusterAccess")},
        optional={
            "cluster": yaml_value(1),
            "principals": st.one_of(st.lists(principal, max_size=3), yaml_value(1)),
        },
    )
    return documents(shape, _desired_seed() or ["apiVersion: eksaccess/v1\nkind: ClusterAccess\n"])


def check_desired(text: str) -> None:
    from eksaccess.errors import InputError
    from eksaccess.features.manage.desired import dump_cluster_access, parse_cluster_access

    access = clean_call(lambda: parse_cluster_access(text, source="fuzz"), (InputError,), len(text))
    if access is not None:
        clean_call(lambda: parse_cluster_access(dump_cluster_access(access), source="dump"), (), len(text))


TOKEN_URL = (
    "https://sts.us-west-2.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
    "&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20250101%2Fus-west-2%2Fsts%2Faws4_request"
    "&X-Amz-Date=20250101T000000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"
    "&X-Amz-Signature=" + "ab" * 32
)


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")


def _token_text() -> st.SearchStrategy[str]:
    urls = st.one_of(mutations([TOKEN_URL]), st.text(max_size=80), _arn_shape())
    return st.one_of(
        urls.map(lambda u: "k8s-aws-v1." + _b64(u)),
        mutations(["k8s-aws-v1." + _b64(TOKEN_URL)]),
        st.text(max_size=120),
        st.tuples(
            st.just("k8s-aws-v1."), st.text(alphabet="ABCDEFGHabcdefgh0123456789-_=+/. ", max_size=200)
        ).map("".join),
        st.integers(5000, 20000).map(lambda n: "k8s-aws-v1." + "A" * n),
    )


def check_token(token: str) -> None:
    from eksaccess.domain.token import TokenError, decode_token, verify_token

    clean_call(lambda: decode_token(token), (TokenError,))
    now = datetime(2025, 1, 1, 0, 5, tzinfo=UTC)
    clean_call(
        lambda: verify_token(
            token, cluster_id="demo", now=now, region="us-west-2", extra_sts_hosts=("127.0.0.1:4566",)
        ),
        (TokenError,),
    )


# --- HTTP targets (in-process, through the WSGI apps of a running sandbox) ---------------------------------

AWS_PATHS = [
    "/",
    "/clusters",
    "/clusters/demo",
    "/clusters/demo/access-entries",
    f"/clusters/demo/access-entries/{quote(f'arn:aws:iam::{ACCT}:user/admin', safe='')}",
    f"/clusters/demo/access-entries/{quote(f'arn:aws:iam::{ACCT}:role/developer', safe='')}/access-policies",
    "/access-policies",
    "/clusters/demo/updates",
    "/__sandbox/health",
]


def _segment() -> st.SearchStrategy[str]:
    return st.one_of(
        ID,
        st.sampled_from(
            [
                "..",
                "%2e%2e",
                "..%2F..",
                "%00",
                "%0d%0aX-Injected:%201",
                "a%2Fb",
                "%ff",
                "demo",
                "dev",
                "default",
                "kube-system",
                "aws-auth",
            ]
        ),
        WORD.map(lambda w: quote(w, safe="")),
    )


def _aws_request() -> st.SearchStrategy[dict[str, Any]]:
    path = st.one_of(
        st.sampled_from(AWS_PATHS),
        st.lists(_segment(), min_size=1, max_size=6).map(lambda segs: "/" + "/".join(segs)),
        st.tuples(st.sampled_from(AWS_PATHS), _segment()).map(lambda t: t[0].rstrip("/") + "/" + t[1]),
    )
    action = (
        st.sampled_from(
            ["GetCallerIdentity", "AssumeRole", "GetRole", "GetUser", "ListRoles", "DescribeCluster", "Bogus"]
        )
        | WORD
    )
    query = st.one_of(
        st.just(""),
        st.dictionaries(
            st.sampled_from(
                [
                    "Action",
                    "Version",
                    "RoleArn",
                    "RoleSessionName",
                    "DurationSeconds",
                    "RoleName",
                    "UserName",
                    "maxResults",
                    "nextToken",
                    "X-Amz-Signature",
                    "X-Amz-Credential",
                ]
            )
            | WORD,
            st.one_of(action, WORD, st.integers().map(str)),
            max_size=4,
        ).map(lambda d: "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in d.items())),
    )
    body = st.one_of(
        st.just(b""),
        st.binary(max_size=200),
        yaml_value(2).map(lambda o: json.dumps(o).encode()),
        st.fixed_dictionaries(
            {},
            optional={
                "principalArn": st.one_of(_arn_shape(), WORD, yaml_value(0)),
                "kubernetesGroups": yaml_value(1),
                "username": yaml_value(0),
                "type": yaml_value(0),
                "policyArn": yaml_value(0),
                "accessScope": yaml_value(2),
                "name": yaml_value(0),
                "roleArn": yaml_value(0),
                "accessConfig": yaml_value(2),
            },
        ).map(lambda d: json.dumps(d).encode()),
        st.sampled_from([b"{", b'{"a":', b"[]", b"null", b'"x"', b"\xff\xfe", b"{" * 5000]),
        st.integers(1, 3).map(lambda n: b"A" * (n * 700_000)),
    )
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
            "path": path,
            "query": query,
            "body": body,
            "sign": st.sampled_from(["eks", "sts", "iam", "none", "garbage", "wrong-secret", "unknown-key"]),
            "content_type": st.sampled_from(
                [
                    "application/json",
                    "application/x-www-form-urlencoded; charset=utf-8",
                    "text/plain",
                    "",
                    "application/x-amz-json-1.1",
                ]
            ),
            "headers": st.dictionaries(
                st.sampled_from(
                    ["X-Amz-Date", "X-Amz-Security-Token", "Accept", "X-Amz-Target", "Host", "Content-Length"]
                )
                | ID,
                WORD,
                max_size=3,
            ),
            "garbage": WORD,
        }
    )


def _aws_setup(stack: ExitStack, tmp: Path) -> Check:
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials
    from werkzeug.test import Client

    from eksaccess.sandbox.aws.routing import make_aws_app
    from eksaccess.sandbox.testing import running_sandbox

    sb = stack.enter_context(running_sandbox(tmp, "baseline", state_dir=tmp / "aws-fuzz"))
    assert sb.server is not None and sb.server.ctx is not None
    client = Client(make_aws_app(sb.server.ctx))
    creds = sb.boto_session("admin").get_credentials().get_frozen_credentials()
    good = Credentials(creds.access_key, creds.secret_key, creds.token)
    host = sb.aws_endpoint.split("://", 1)[1]

    def check(req: dict[str, Any]) -> None:
        url = f"https://{host}{req['path']}" + (f"?{req['query']}" if req["query"] else "")
        headers = {k: v for k, v in req["headers"].items() if k.lower() != "content-length"}
        if req["content_type"]:
            headers["Content-Type"] = req["content_type"]
        sign = req["sign"]
        if sign in ("eks", "sts", "iam", "wrong-secret", "unknown-key"):
            signer_creds = {
                "wrong-secret": Credentials(good.access_key, "x" * 40),
                "unknown-key": Credentials("AKIA" + "Z" * 16, "x" * 40),
            }.get(sign, good)
            service = sign if sign in ("eks", "sts", "iam") else "eks"
            aws = AWSRequest(method=req["method"], url=url, data=req["body"], headers=headers)
            try:
                SigV4Auth(signer_creds, service, "us-west-2").add_auth(aws)
            except (ValueError, UnicodeError):
                return  # botocore cannot sign it: nothing reaches the server
            headers = dict(aws.headers.items())
        elif sign == "garbage":
            headers["Authorization"] = req["garbage"]
        headers.pop("Host", None)
        try:
            response = client.open(
                req["path"],
                method=req["method"],
                query_string=req["query"],
                data=req["body"],
                headers=headers,
                base_url=f"https://{host}",
            )
        except (ValueError, UnicodeError):
            return  # the test client refuses the request (e.g. a newline in a header): nothing was sent
        if response.status_code >= 500:
            raise ViolationError(
                f"AWS side answered {response.status_code} to {req['method']} {req['path'][:80]}: {response.get_data()[:200]!r}"
            )

    return check


KUBE_PATHS = [
    "/api",
    "/apis",
    "/version",
    "/healthz",
    "/openapi/v2",
    "/openapi/v3",
    "/api/v1/namespaces",
    "/api/v1/namespaces/dev",
    "/api/v1/namespaces/dev/configmaps",
    "/api/v1/namespaces/kube-system/configmaps/aws-auth",
    "/api/v1/namespaces/dev/pods",
    "/api/v1/namespaces/dev/secrets",
    "/api/v1/nodes",
    "/apis/rbac.authorization.k8s.io/v1/clusterroles",
    "/apis/rbac.authorization.k8s.io/v1/namespaces/dev/rolebindings",
    "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
    "/apis/authorization.k8s.io/v1/selfsubjectrulesreviews",
    "/apis/authentication.k8s.io/v1/selfsubjectreviews",
    "/apis/apps/v1/namespaces/dev/deployments",
]
KUBE_OBJECT = {
    "apiVersion": "v1",
    "kind": "ConfigMap",
    "metadata": {"name": "x", "namespace": "dev"},
    "data": {"a": "b"},
}


def _kube_request() -> st.SearchStrategy[dict[str, Any]]:
    path = st.one_of(
        st.sampled_from(KUBE_PATHS),
        st.tuples(st.sampled_from(KUBE_PATHS), st.lists(_segment(), min_size=1, max_size=3)).map(
            lambda t: t[0] + "/" + "/".join(t[1])
        ),
        st.lists(_segment(), min_size=1, max_size=7).map(lambda segs: "/" + "/".join(segs)),
    )
    obj = st.fixed_dictionaries(
        {},
        optional={
            "apiVersion": st.one_of(
                st.sampled_from(["v1", "rbac.authorization.k8s.io/v1", "authorization.k8s.io/v1"]),
                yaml_value(0),
            ),
            "kind": st.one_of(
                st.sampled_from(
                    [
                        "ConfigMap",
                        "Role",
                        "RoleBinding",
                        "ClusterRole",
                        "SelfSubjectAccessReview",
                        "Namespace",
                    ]
                ),
                yaml_value(0),
            ),
            "metadata": st.one_of(
                st.fixed_dictionaries(
                    {},
                    optional={
                        "name": st.one_of(_segment(), yaml_value(0)),
                        "namespace": yaml_value(0),
                        "labels": yaml_value(1),
                        "resourceVersion": yaml_value(0),
                    },
                ),
                yaml_value(1),
            ),
            "data": yaml_value(1),
            "rules": yaml_value(2),
            "subjects": yaml_value(2),
            "roleRef": yaml_value(1),
            "spec": yaml_value(2),
            "aggregationRule": yaml_value(2),
        },
    )
    body = st.one_of(
        st.just(b""),
        st.binary(max_size=200),
        obj.map(lambda o: json.dumps(o).encode()),
        st.just(json.dumps(KUBE_OBJECT).encode()),
        st.sampled_from([b"{", b"[]", b"null", b"\xff", b"[" * 3000, b'{"metadata":' * 500]),
        st.integers(1, 3).map(lambda n: b" " * (n * 1_500_000)),
    )
    return st.fixed_dictionaries(
        {
            "method": st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]),
            "path": path,
            "query": st.one_of(
                st.just(""),
                st.sampled_from(
                    [
                        "watch=true",
                        "labelSelector=a%3Db",
                        "labelSelector=%21%21",
                        "fieldSelector=metadata.name%3D%3Dx",
                        "limit=-1",
                        "limit=x",
                        "continue=%ff",
                        "dryRun=All",
                        "fieldManager=%00",
                    ]
                ),
                WORD.map(lambda w: "labelSelector=" + quote(w, safe="")),
            ),
            "token": st.sampled_from(["admin", "developer", "garbage", "none", "basic"]),
            "content_type": st.sampled_from(
                [
                    "application/json",
                    "application/yaml",
                    "application/merge-patch+json",
                    "application/strategic-merge-patch+json",
                    "application/json-patch+json",
                    "application/apply-patch+yaml",
                    "application/vnd.kubernetes.protobuf",
                    "text/plain",
                    "",
                ]
            ),
            "accept": st.sampled_from(
                [
                    "application/json",
                    "application/json;as=Table;v=v1;g=meta.k8s.io",
                    "application/vnd.kubernetes.protobuf",
                    "*/*",
                    "",
                ]
            ),
            "impersonate": st.one_of(
                st.just({}),
                st.dictionaries(
                    st.sampled_from(
                        [
                            "Impersonate-User",
                            "Impersonate-Group",
                            "Impersonate-Uid",
                            "Impersonate-Extra-Scopes",
                        ]
                    ),
                    WORD,
                    min_size=1,
                    max_size=3,
                ),
            ),
            "body": body,
            "garbage": WORD,
        }
    )


def _is_documented_500(req: dict[str, Any], body: bytes) -> bool:
    """kube-apiserver answers 500 to impersonating groups, uid or extra without a user; so does the sandbox."""
    imp = {k.lower(): v for k, v in req["impersonate"].items()}
    return not imp.get("impersonate-user", "").strip() and b"without a user" in body


def _kube_setup(stack: ExitStack, tmp: Path) -> Check:
    import logging

    from werkzeug.test import Client

    from eksaccess.domain.token import encode_token
    from eksaccess.sandbox.kube.app import make_kube_app
    from eksaccess.sandbox.testing import presign_token_url, running_sandbox

    sb = stack.enter_context(running_sandbox(tmp, "baseline", state_dir=tmp / "kube-fuzz"))
    assert sb.server is not None and sb.server.ctx is not None
    app = make_kube_app("demo", sb.server.ctx)
    quiet = logging.getLogger("eksaccess.fuzz.quiet")
    quiet.disabled = True
    if hasattr(app, "log"):
        app.log = quiet  # the app logs each 401 and 500; the check reads statuses, not the log
    client = Client(app)
    tokens = {
        "admin": encode_token(presign_token_url(sb, "admin", "demo")),
        "developer": encode_token(presign_token_url(sb, "developer", "demo")),
    }

    def check(req: dict[str, Any]) -> None:
        headers = {"Accept": req["accept"]} if req["accept"] else {}
        if req["token"] in tokens:
            headers["Authorization"] = f"Bearer {tokens[req['token']]}"
        elif req["token"] == "garbage":
            headers["Authorization"] = f"Bearer {req['garbage']}"
        elif req["token"] == "basic":
            headers["Authorization"] = "Basic " + req["garbage"]
        if req["content_type"]:
            headers["Content-Type"] = req["content_type"]
        headers.update(req["impersonate"])
        try:
            response = client.open(
                req["path"],
                method=req["method"],
                query_string=req["query"],
                data=req["body"],
                headers=headers,
            )
        except (ValueError, UnicodeError):
            return  # not sendable (control characters in a header)
        body = response.get_data()
        if response.status_code >= 500 and not _is_documented_500(req, body):
            raise ViolationError(
                f"Kubernetes side answered {response.status_code} to {req['method']} {req['path'][:80]} ({req['content_type']}): {body[:200]!r}"
            )

    return check


TARGETS: dict[str, Target] = {
    t.name: t
    for t in [
        Target(
            name="arn",
            what="ARNs (domain.arn.parse_principal, canonicalize)",
            strategy=lambda: st.one_of(
                _arn_shape(),
                st.text(max_size=60),
                mutations([f"arn:aws:sts::{ACCT}:assumed-role/dev/alice", f"arn:aws:iam::{ACCT}:role/a/b/c"]),
            ),
            setup=_pure(check_arn),
        ),
        Target(
            name="aws-auth",
            what="aws-auth data (domain.awsauth.parse_aws_auth, inspect_aws_auth)",
            strategy=_aws_auth_data,
            setup=_pure(check_aws_auth),
            from_bytes=lambda b: {"mapRoles": b.decode("utf-8", "replace")},
        ),
        Target(
            name="aws-auth-manifest",
            what="aws-auth manifests (domain.awsauth.split_manifest)",
            strategy=_manifest_text,
            setup=_pure(check_split_manifest),
        ),
        Target(
            name="aws-auth-edit",
            what="aws-auth edits (domain.awsauth_edit: upsert/remove role, user, account)",
            strategy=_edit_case,
            setup=_pure(check_aws_auth_edit),
            from_bytes=lambda b: (
                {"mapRoles": b[4:].decode("utf-8", "replace")},
                EDIT_OPS[b[0] % len(EDIT_OPS) if b else 0],
                f"arn:aws:iam::{ACCT}:role/ops",
                None,
                ["g"],
            ),
        ),
        Target(
            name="kubeconfig",
            what="kubeconfig files (domain.kubeconfig.load_raw, merge, eks_exec)",
            strategy=_kubeconfig_text,
            setup=_pure(check_kubeconfig),
        ),
        Target(
            name="cluster-state",
            what="ClusterState snapshots (domain.state.parse_cluster_state, dump round trip)",
            strategy=_state_text,
            setup=_pure(check_state),
        ),
        Target(
            name="scenario",
            what="scenario files (sandbox.scenarios.model.parse_scenario)",
            strategy=_scenario_text,
            setup=_pure(check_scenario),
        ),
        Target(
            name="desired-state",
            what="desired-state files (features.manage.desired.parse_cluster_access)",
            strategy=_desired_text,
            setup=_pure(check_desired),
        ),
        Target(
            name="token",
            what="tokens (domain.token.decode_token, verify_token)",
            strategy=_token_text,
            setup=_pure(check_token),
        ),
        Target(
            name="http-aws",
            what="sandbox AWS endpoint (EKS/STS/IAM WSGI app): signed and unsigned garbage",
            strategy=_aws_request,
            setup=_aws_setup,
            http=True,
        ),
        Target(
            name="http-kube",
            what="sandbox Kubernetes API (WSGI app): authenticated garbage",
            strategy=_kube_request,
            setup=_kube_setup,
            http=True,
        ),
    ]
}


def available() -> dict[str, Target]:
    """Targets whose code exists in this tree (desired-state files arrive with management)."""
    import importlib.util

    out = dict(TARGETS)
    if importlib.util.find_spec("eksaccess.features.manage.desired") is None:
        out.pop("desired-state")
    return out


# --- running ---------------------------------------------------------------------------------------------


@dataclass(kw_only=True)
class Outcome:
    target: str
    inputs: int = 0
    seconds: float = 0.0
    findings: dict[str, str] = field(default_factory=dict)  # kind -> one example input (repr, cut)
    engine: str = "hypothesis"


@contextmanager
def opened(target: Target, tmp: Path) -> Iterator[Check]:
    with ExitStack() as stack:
        yield target.setup(stack, tmp)


def run_hypothesis(target: Target, inputs: int, deadline: float) -> Outcome:
    """Feed up to ``inputs`` generated inputs; record every distinct finding instead of stopping."""
    outcome = Outcome(target=target.name)
    start = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp, opened(target, Path(tmp)) as check:

        @settings(
            max_examples=inputs,
            database=None,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.generate],
        )
        @given(target.strategy())
        def feed(value: Any) -> None:
            if time.monotonic() > deadline:
                return
            outcome.inputs += 1
            try:
                check(value)
            except ViolationError as err:
                kind = str(err).split(":")[0][:120]
                outcome.findings.setdefault(kind, f"{err} <- {value!r}"[:600])

        feed()
    outcome.seconds = time.monotonic() - start
    return outcome


def run_atheris(name: str, runs: int) -> int:
    """libFuzzer over one pure target (this process exits when it is done)."""
    import atheris

    target = TARGETS[name]
    with atheris.instrument_imports(include=["eksaccess"]):
        import eksaccess.domain.awsauth.edit
        import eksaccess.domain.awsauth.reader
        import eksaccess.domain.iam.principal
        import eksaccess.domain.kubeconfig
        import eksaccess.domain.state
        import eksaccess.domain.token
        import eksaccess.sandbox.scenarios.model  # noqa: F401
    with tempfile.TemporaryDirectory() as tmp, opened(target, Path(tmp)) as check:
        count = 0

        def one(data: bytes) -> None:
            nonlocal count
            count += 1
            check(target.from_bytes(data))

        atheris.Setup([sys.argv[0], f"-runs={runs}", "-max_len=4096", "-print_final_stats=1"], one)
        atheris.Fuzz()
    return 0


def atheris_available() -> bool:
    import importlib.util

    return importlib.util.find_spec("atheris") is not None


def run_atheris_subprocess(name: str, runs: int, timeout: float) -> Outcome:
    import re
    import subprocess

    outcome = Outcome(target=name, engine="atheris")
    start = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, __file__, "--atheris", name, "--runs", str(runs)],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        out = proc.stderr
        done = re.findall(r"stat::number_of_executed_units:\s*(\d+)", out)
        outcome.inputs = int(done[-1]) if done else 0
        if proc.returncode != 0:
            cause = re.search(r"ViolationError: ([^\n]*)", out)
            outcome.findings[(cause.group(1) if cause else f"exit {proc.returncode}")[:120]] = out[-600:]
    except subprocess.TimeoutExpired:
        outcome.findings["atheris run exceeded its time bound"] = ""
    outcome.seconds = time.monotonic() - start
    return outcome


def _run_one(name: str, inputs: int, seconds: float) -> Outcome:
    """One target in its own process: an input that kills the interpreter is a finding of that target."""
    import subprocess

    argv = [sys.executable, __file__, "--worker", name, "--inputs", str(inputs), "--seconds", str(seconds)]
    start = time.monotonic()
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 120)
    except subprocess.TimeoutExpired:
        return Outcome(
            target=name, seconds=time.monotonic() - start, findings={"worker exceeded its time bound": ""}
        )
    try:
        return Outcome(**json.loads(proc.stdout))
    except (ValueError, TypeError):
        kind = f"worker process died (exit {proc.returncode})"
        return Outcome(target=name, seconds=time.monotonic() - start, findings={kind: proc.stderr[-600:]})


def table(outcomes: list[Outcome]) -> str:
    lines = ["| target | engine | inputs | seconds | findings |", "|---|---|---:|---:|---|"]
    for o in outcomes:
        found = "; ".join(sorted(o.findings)) or "none"
        lines.append(f"| {o.target} | {o.engine} | {o.inputs} | {o.seconds:.1f} | {found} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--inputs", type=int, default=10_000, help="inputs per target (hypothesis)")
    parser.add_argument("--seconds", type=float, default=1500.0, help="time budget for the whole run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="targets fuzzed at once")
    parser.add_argument("--only", nargs="*", default=None, help="target names (default: all)")
    parser.add_argument("--atheris", metavar="NAME", help="run libFuzzer on one target in this process")
    parser.add_argument("--runs", type=int, default=10_000, help="atheris runs per target")
    parser.add_argument("--no-atheris", action="store_true", help="hypothesis only")
    parser.add_argument("--worker", metavar="NAME", help=argparse.SUPPRESS)  # one target, JSON outcome
    parser.add_argument("--json", type=Path, help="also write the outcomes as JSON here")
    args = parser.parse_args()
    if args.atheris:
        return run_atheris(args.atheris, args.runs)
    if args.worker:
        outcome = run_hypothesis(available()[args.worker], args.inputs, time.monotonic() + args.seconds)
        print(json.dumps(outcome.__dict__))
        return 0
    targets = available()
    names = args.only or list(targets)
    deadline = time.monotonic() + args.seconds
    outcomes: list[Outcome] = []
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = [pool.submit(_run_one, name, args.inputs, deadline - time.monotonic()) for name in names]
        for future in futures:
            outcome = future.result()
            outcomes.append(outcome)
            print(
                f"{outcome.target}: {outcome.inputs} inputs, {len(outcome.findings)} findings, {outcome.seconds:.1f}s",
                file=sys.stderr,
                flush=True,
            )
    if atheris_available() and not args.no_atheris:
        for name in names:
            if targets[name].http:
                continue
            outcomes.append(run_atheris_subprocess(name, args.runs, timeout=120))
            print(f"{name} (atheris): {outcomes[-1].inputs} inputs", file=sys.stderr, flush=True)
    elif not args.no_atheris:
        print("atheris is not installed: hypothesis only", file=sys.stderr)
    print(table(outcomes))
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=2) + "\n", encoding="utf-8")
    return 1 if any(o.findings for o in outcomes) else 0


if __name__ == "__main__":
    raise SystemExit(main())
