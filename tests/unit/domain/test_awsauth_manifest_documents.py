"""The aws-auth ConfigMap among the objects of a manifest file (``---`` documents, ``kind: List`` items), as
``kubectl apply -f`` files hold it; the authenticator reads only kube-system/aws-auth
(https://github.com/kubernetes-sigs/aws-iam-authenticator/blob/master/pkg/mapper/configmap/configmap.go)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from eksaccess.domain.awsauth.lint import lint_document
from eksaccess.domain.awsauth.manifest import find_aws_auth, split_manifest_lines
from eksaccess.domain.findings import FindingCode
from eksaccess.errors import InputError

DATA = Path(__file__).resolve().parents[2] / "data" / "aws-auth"
ROLES = "- rolearn: arn:aws:iam::111122223333:role/Dev\n  username: dev\n  groups: [devs]\n"


def aws_auth(namespace: str | None = "kube-system", roles: str = ROLES) -> str:
    ns = f"\n  namespace: {namespace}" if namespace is not None else ""
    body = "".join(f"    {line}\n" for line in roles.splitlines())
    return f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth{ns}\ndata:\n  mapRoles: |\n{body}"


OTHERS = [
    "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata:\n  name: viewer\nrules: []\n",
    "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  namespace: kube-system\ndata:\n  mapRoles: nope\n",
    "apiVersion: v1\nkind: Secret\nmetadata:\n  name: aws-auth\ntype: Opaque\n",
    "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n",
    "# a document of comments only\n",
    "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ServiceAccount\n  metadata:\n    name: ci\n",
]


@settings(max_examples=150, deadline=None)
@given(
    others=st.lists(st.sampled_from(OTHERS), max_size=5),
    at=st.integers(min_value=0, max_value=5),
    wrap_in_list=st.booleans(),
    start_marker=st.booleans(),
)
def test_the_aws_auth_document_is_found_in_any_order(
    others: list[str], at: int, wrap_in_list: bool, start_marker: bool
) -> None:
    target = aws_auth()
    if wrap_in_list:  # the same object as an item of a List
        target = "apiVersion: v1\nkind: List\nitems:\n" + "".join(
            ("- " if i == 0 else "  ") + line + "\n" for i, line in enumerate(target.splitlines())
        )
    documents = [*others]
    documents.insert(min(at, len(documents)), target)
    text = ("---\n" if start_marker else "") + "---\n".join(documents)
    (found,) = find_aws_auth(text)
    assert found.data == {"mapRoles": ROLES}
    lines = text.splitlines()
    assert found.line is not None
    assert lines[found.line - 1].lstrip("- ").startswith("apiVersion: v1")
    # line 1 of mapRoles is the file line offset + 1: the rolearn's line
    assert lines[found.offsets["mapRoles"]].strip() == ROLES.splitlines()[0]
    assert found.objects >= 1 and 1 <= found.position <= found.objects


@settings(max_examples=50, deadline=None)
@given(others=st.lists(st.sampled_from([0, 2, 3]), max_size=4), at=st.integers(min_value=0, max_value=4))
def test_a_json_list_too(others: list[int], at: int) -> None:
    items: list[object] = [
        {"kind": "ClusterRole", "metadata": {"name": "x"}},
        None,
        {"kind": "ConfigMap", "metadata": {"name": "other"}, "data": {"mapRoles": "1"}},
        {"kind": "Secret", "metadata": {"name": "aws-auth"}},
    ]
    chosen = [items[i] for i in others]
    target = {"kind": "ConfigMap", "metadata": {"name": "aws-auth"}, "data": {"mapRoles": ROLES}}
    chosen.insert(min(at, len(chosen)), target)
    (found,) = find_aws_auth(json.dumps({"apiVersion": "v1", "kind": "List", "items": chosen}))
    assert found.data == {"mapRoles": ROLES} and found.position == chosen.index(target) + 1


def test_several_aws_auth_documents_are_each_found_and_the_last_one_is_what_apply_leaves() -> None:
    second = ROLES.replace("Dev", "Ops")
    text = aws_auth() + "---\n" + OTHERS[0] + "---\n" + aws_auth(roles=second)
    first, last = find_aws_auth(text)
    assert (first.place, first.position, last.place, last.position) == ("document 1", 1, "document 3", 3)
    assert split_manifest_lines(text)[0] == {"mapRoles": second}


@pytest.mark.parametrize(
    ("namespace", "reported"),
    [("kube-system", False), (None, False), ("", False), ("default", True), ("Kube-System", True)],
)
def test_a_namespace_other_than_kube_system_is_a_finding(namespace: str | None, reported: bool) -> None:
    text = f'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n  namespace: "{namespace}"\n'
    if namespace is None:
        text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: aws-auth\n"
    (document,) = find_aws_auth(text)
    codes = [f.code for f in lint_document(document)]
    assert (FindingCode.AWS_AUTH_WRONG_NAMESPACE in codes) is reported
    assert document.namespace_decided_by_apply is (not namespace)
    if reported:
        (finding,) = lint_document(document)
        assert finding.line == 5 and f"{namespace}/aws-auth" in finding.detail


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            OTHERS[0] + "---\n" + OTHERS[1],
            "no aws-auth ConfigMap (kind ConfigMap, metadata.name aws-auth) among the 2",
        ),
        (OTHERS[2], "expected a ConfigMap, got kind 'Secret'"),
        (OTHERS[1], "expected the aws-auth ConfigMap, got ConfigMap 'settings'"),
        ("apiVersion: v1\nkind: List\nitems: []\n", "expected a ConfigMap manifest or its data"),
        (
            aws_auth() + "---\na: [\n",
            "not valid YAML (line 13): yaml: line 12: did not find expected node content",
        ),
        ("# comments only\n", "expected a ConfigMap manifest or its data"),
    ],
)
def test_no_aws_auth_is_one_clear_input_error(text: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        find_aws_auth(text)
    assert str(caught.value).startswith(message)


def test_many_other_objects_are_summarised_in_one_line() -> None:
    text = "---\n".join([OTHERS[0]] * 8)
    with pytest.raises(InputError) as caught:
        find_aws_auth(text)
    assert str(caught.value).endswith("ClusterRole 'viewer', and 3 more") and "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "name", ["multi-document.yaml", "list.yaml", "terraform-yamlencode.yaml", "eksctl.yaml"]
)
def test_the_fixtures_hold_one_aws_auth_each(name: str) -> None:
    (found,) = find_aws_auth((DATA / name).read_text())
    assert found.data
