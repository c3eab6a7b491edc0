"""The token kubectl sends, beside doctor's own: stale aws CLI cached credentials, and static tokens."""

from __future__ import annotations

import json
import shlex
from datetime import UTC, datetime
from pathlib import Path

import pytest

from eksaccess.adapters.aws import CallerIdentity
from eksaccess.adapters.kube import KubeCallError, WhoAmI
from eksaccess.adapters.kubeconfig_files import LoadedKubeconfig, load
from eksaccess.adapters.ports import ExecRun
from eksaccess.domain.cli_cache import CacheEntry
from eksaccess.domain.findings import Finding, FindingCode
from eksaccess.domain.kubeconfig import ExecConfig, ExecPlugin
from eksaccess.domain.token import encode_token
from eksaccess.features.doctor.checks.kubectl_token import kubectl_token
from eksaccess.features.doctor.model import finding_json
from eksaccess.features.doctor.probe import Facts, Outcome
from eksaccess.features.doctor.target import DoctorOptions, Target, resolve_target

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/developer"
CLUSTER_ARN = f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/demo"
SECRET = "k8s-aws-v1.c2VjcmV0LXRva2Vu"  # stands for a token: must never be rendered
KEY = "9985bf73dc037dcbd2511160f85650a9695de548"
WHO = WhoAmI(username="developer", groups=("system:authenticated",), uid="u", extra={})
UNAUTHORIZED = KubeCallError("Unauthorized", status=401)


def _target(**changes: object) -> Target:
    base: dict[str, object] = {
        "cluster_name": "demo",
        "token_cluster_name": "demo",
        "region": "us-west-2",
        "token_region": "us-west-2",
        "profile": "developer",
        "role_arn": None,
        "context": "developer",
        "server": "https://demo.example",
        "ca_data": "Q0E=",
        "namespace": "dev",
        "plugin": ExecPlugin.AWS_CLI,
        "exec_command": "aws",
        "exec_config": ExecConfig(api_version="client.authentication.k8s.io/v1beta1", command="aws"),
        "user_name": "developer",
    }
    base.update(changes)
    return Target(**base)  # type: ignore[arg-type]


def _entry(exists: bool = True, home: str = "/home/me") -> CacheEntry:
    path = f"{home}/.aws/cli/cache/{KEY}.json"
    return CacheEntry(
        profile="developer", role_arn=ROLE, path=path, shown=f"~/.aws/cli/cache/{KEY}.json", exists=exists
    )


def _facts(
    *,
    exec_token: str | None = SECRET,
    exec_whoami: Outcome[WhoAmI] | None = None,
    own: Outcome[WhoAmI] | None = None,
    cache: tuple[CacheEntry, ...] = (),
    target: Target | None = None,
) -> Facts:
    facts = Facts(target=target or _target(), options=DoctorOptions(context="developer"))
    facts.exec_run = ExecRun(
        cpu_seconds=0.5, wall_seconds=0.6, finished=True, ok=exec_token is not None, token=exec_token
    )
    facts.exec_whoami = exec_whoami if exec_whoami is not None else Outcome(error=UNAUTHORIZED)
    facts.whoami = own if own is not None else Outcome(value=WHO)
    facts.exec_sts = (403, '{"Error": {"Code": "InvalidClientTokenId", "Message": "invalid"}}')
    facts.cli_cache = cache
    return facts


def _rendered(findings: list[Finding]) -> str:
    return json.dumps([finding_json(f) for f in findings])


def test_a_refused_exec_token_beside_an_accepted_own_token_names_the_cache_file() -> None:
    findings = kubectl_token(_facts(cache=(_entry(),)))
    assert [f.code for f in findings] == [FindingCode.CACHED_CREDENTIALS_STALE]
    (finding,) = findings
    assert finding.evidence["cacheFile"] == f"/home/me/.aws/cli/cache/{KEY}.json"
    assert (finding.evidence["stsStatus"], finding.evidence["stsError"]) == (403, "InvalidClientTokenId")
    assert f"~/.aws/cli/cache/{KEY}.json" in finding.detail and "InvalidClientTokenId" in finding.detail
    (step,) = finding.fix
    assert step.plain == (f"rm -f ~/.aws/cli/cache/{KEY}.json",)
    assert step.eksaccess == ("eksaccess doctor --fix --context developer",)
    assert SECRET not in _rendered(findings)


def test_a_path_outside_home_is_printed_absolute_and_quoted() -> None:
    entry = CacheEntry(
        profile="developer",
        role_arn=ROLE,
        path="/srv/my home/x.json",
        shown="/srv/my home/x.json",
        exists=True,
    )
    (finding,) = kubectl_token(_facts(cache=(entry,)))
    assert shlex.split(finding.fix[0].plain[0]) == ["rm", "-f", "/srv/my home/x.json"]


def test_without_a_cache_file_the_whole_cli_cache_is_named() -> None:
    (finding,) = kubectl_token(_facts(cache=(_entry(exists=False),)))
    assert finding.code is FindingCode.CACHED_CREDENTIALS_STALE
    assert finding.fix[0].plain == ("rm -f ~/.aws/cli/cache/*.json",)
    assert finding.evidence["cacheFile"] is None


@pytest.mark.parametrize(
    "facts",
    [
        _facts(exec_whoami=Outcome(value=WHO), cache=(_entry(),)),  # kubectl's token works
        _facts(own=Outcome(error=UNAUTHORIZED), cache=(_entry(),)),  # both refused: not this finding
        _facts(exec_token=None, exec_whoami=Outcome(), cache=(_entry(),)),  # the plugin failed (exit != 0)
        _facts(exec_whoami=Outcome(error=KubeCallError("refused", status=None)), cache=(_entry(),)),
        _facts(exec_whoami=Outcome(error=KubeCallError("Forbidden", status=403)), cache=(_entry(),)),
    ],
    ids=["exec-ok", "both-refused", "plugin-failed", "unreachable", "forbidden"],
)
def test_no_finding_unless_only_kubectls_token_is_refused(facts: Facts) -> None:
    assert kubectl_token(facts) == []


def test_the_token_is_never_in_a_repr() -> None:
    facts = _facts(target=_target(static_token=SECRET))
    assert SECRET not in repr(facts.exec_run)
    assert SECRET not in repr(facts.target)
    assert SECRET not in repr(facts)


def test_an_expired_static_token_is_rejected_with_the_switch_to_an_exec_entry() -> None:
    target = _target(static_token=SECRET, exec_config=None, plugin=None, exec_command=None, profile=None)
    facts = Facts(target=target, options=DoctorOptions())
    facts.static_token_error = (
        "X-Amz-Date parameter is expired (15 minute expiration) 2024-05-01 12:00:00 +0000 UTC"
    )
    (finding,) = kubectl_token(facts)
    assert finding.code is FindingCode.TOKEN_REJECTED
    assert "expired" in finding.detail
    plain = [c for step in finding.fix for c in step.plain]
    assert any(
        c.startswith("aws eks update-kubeconfig --name demo --region us-west-2") and "--alias developer" in c
        for c in plain
    ), plain
    assert SECRET not in _rendered([finding])


# --- the kubeconfig's reading of a static token ----------------------------------------------------------


def _static_kubeconfig(tmp_path: Path, token: str, cluster: str = CLUSTER_ARN) -> Path:
    path = tmp_path / "config"
    path.write_text(f"""\
apiVersion: v1
kind: Config
current-context: static
clusters:
- name: {cluster}
  cluster: {{server: "https://demo.example", certificate-authority-data: Q0E=}}
users:
- name: static-user
  user: {{token: {token}}}
contexts:
- name: static
  context: {{cluster: {cluster}, user: static-user, namespace: dev}}
""")
    return path


def _resolve(path: Path, options: DoctorOptions | None = None) -> Target:
    def loader() -> LoadedKubeconfig:
        return load(str(path), {"HOME": "/nonexistent"})

    return resolve_target(options or DoctorOptions(), loader, lambda _cmd: "/usr/bin/aws")


def _token(region: str = "eu-central-1") -> str:
    url = (
        f"https://sts.{region}.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15"
        "&X-Amz-Algorithm=AWS4-HMAC-SHA256"
        f"&X-Amz-Credential=AKIAEXAMPLE%2F20240501%2F{region}%2Fsts%2Faws4_request"
        "&X-Amz-Date=20240501T120000Z&X-Amz-Expires=60&X-Amz-SignedHeaders=host%3Bx-k8s-aws-id"
        "&X-Amz-Signature=abc"
    )
    return encode_token(url)


def test_a_static_eks_token_is_what_kubectl_sends(tmp_path: Path) -> None:
    token = _token("us-west-2")
    target = _resolve(_static_kubeconfig(tmp_path, token))
    assert target.findings == ()
    assert target.static_token == token
    assert (target.cluster_name, target.region, target.token_region) == ("demo", "us-west-2", "us-west-2")
    assert (target.exec_config, target.profile, target.user_name) == (None, None, "static-user")
    assert token not in repr(target)


def test_the_token_tells_the_region_it_was_signed_for(tmp_path: Path) -> None:
    target = _resolve(_static_kubeconfig(tmp_path, _token("eu-central-1")))
    assert (target.region, target.token_region) == ("us-west-2", "eu-central-1")


def test_a_static_token_without_a_cluster_arn_asks_for_the_name(tmp_path: Path) -> None:
    target = _resolve(_static_kubeconfig(tmp_path, _token(), cluster="my-cluster"))
    assert [f.code for f in target.findings] == [FindingCode.KUBECONFIG_NOT_EKS_EXEC]
    assert "--cluster" in target.findings[0].detail
    target = _resolve(
        _static_kubeconfig(tmp_path, _token(), cluster="my-cluster"), DoctorOptions(cluster="demo")
    )
    assert target.findings == () and target.cluster_name == "demo"


def test_another_bearer_token_is_not_an_eks_token(tmp_path: Path) -> None:
    target = _resolve(_static_kubeconfig(tmp_path, "eyJhbGciOi.service-account"))
    assert [f.code for f in target.findings] == [FindingCode.KUBECONFIG_NOT_EKS_EXEC]
    assert target.static_token is None


def test_the_static_identity_is_the_sts_caller() -> None:
    from eksaccess.domain.token import TokenRequest
    from eksaccess.features.doctor.probe import _sts_caller

    request = TokenRequest(
        url="https://sts/", host="sts", region="us-west-2", access_key_id="ASIAX", signed_at=datetime.now(UTC)
    )
    arn = f"arn:aws:sts::{ACCOUNT}:assumed-role/developer/session"
    body = json.dumps(
        {
            "GetCallerIdentityResponse": {
                "GetCallerIdentityResult": {"Arn": arn, "UserId": "AROA:session", "Account": ACCOUNT}
            }
        }
    )
    xml = (
        f"<GetCallerIdentityResult><Arn>{arn}</Arn><UserId>AROA:session</UserId><Account>{ACCOUNT}</Account>"
    )
    expected = CallerIdentity(arn=arn, account=ACCOUNT, user_id="AROA:session", access_key_id="ASIAX")
    assert _sts_caller((200, body), request).value == expected
    assert _sts_caller((200, xml), request).value == expected
    assert _sts_caller((403, body), request).value is None
