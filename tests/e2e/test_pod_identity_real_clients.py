"""EKS Pod Identity end to end with the real clients: a service-account token -> EKS Auth's
AssumeRoleForPodIdentity through boto3's ``eks-auth`` client (signed by the node role) -> ``aws sts
get-caller-identity`` with the credentials that came back; the TagSession failure; the target-role chain.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import RunningSandbox, running_sandbox

ACCOUNT = "111122223333"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/web-pod-identity"
TARGET = f"arn:aws:iam::{ACCOUNT}:role/web-target"
ONE_TRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
VENV_BIN = Path(sys.executable).parent


def _require(name: str) -> str:
    found = shutil.which(name, path=os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")]))
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{name} is not installed (CI=true: end-to-end tests need the real client)")
        pytest.skip(f"{name} is not installed")
    return found


def _clean_env(extra: Mapping[str, str], home: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in ("LANG", "LC_ALL", "TMPDIR", "CI", "PATH")}
    return {**keep, **extra, "HOME": str(home)}


def _error(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    r = err.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def _eks_auth(sb: RunningSandbox, profile: str = "node") -> Any:
    return sb.client("eks-auth", profile, config=ONE_TRY)


def test_eks_auth_checks_the_caller_cluster_and_token(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, "pod-identity-healthy") as sb:
        with pytest.raises(ClientError) as err:  # the token is not a JWT
            _eks_auth(sb).assume_role_for_pod_identity(clusterName="demo", token="a.b.c")
        assert _error(err)[:2] == ("InvalidTokenException", 400)
        with pytest.raises(ClientError) as err:
            _eks_auth(sb).assume_role_for_pod_identity(clusterName="nope", token="a.b.c")
        assert _error(err) == ("ResourceNotFoundException", 404, "No cluster found for name: nope.")
        with pytest.raises(ClientError) as err:  # "platform" may call eks:*, not eks-auth:*
            _eks_auth(sb, "platform").assume_role_for_pod_identity(clusterName="demo", token="a.b.c")
        code, status, message = _error(err)
        assert (code, status) == ("AccessDeniedException", 400)
        assert "is not authorized to perform: eks-auth:AssumeRoleForPodIdentity" in message


def test_aws_cli_reaches_eks_auth(tmp_path: Path) -> None:
    """The aws CLI signs for ``eks-auth`` and the sandbox routes it (an invalid token: the error is EKS Auth's)."""
    aws = _require("aws")
    with running_sandbox(tmp_path, "pod-identity-healthy") as sb:
        env = _clean_env(sb.env_for("node"), tmp_path)
        done = subprocess.run(
            [aws, "eks-auth", "assume-role-for-pod-identity", "--cluster-name", "demo", "--token", "a.b.c"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode != 0 and "InvalidTokenException" in done.stderr, done.stderr


# --- with a real token ----------------------------------------------------------------------------------


def _token(sb: RunningSandbox, home: Path, *extra: str, account: str = "web", namespace: str = "apps") -> str:
    """``kubectl create token`` (the sandbox's TokenRequest, signed by the cluster's issuer key)."""
    kubectl = _require("kubectl")
    env = _clean_env({**sb.env, "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])}, home)
    argv = [
        kubectl,
        "create",
        "token",
        account,
        "-n",
        namespace,
        "--audience",
        "pods.eks.amazonaws.com",
        *extra,
    ]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _pod_token(sb: RunningSandbox, home: Path) -> str:
    return _token(sb, home, "--bound-object-kind", "Pod", "--bound-object-name", "web-0")


def _caller_with(credentials: Mapping[str, Any], sb: RunningSandbox, home: Path) -> dict[str, Any]:
    """``aws sts get-caller-identity`` with the credentials EKS Auth answered (as a pod's SDK uses them)."""
    aws = _require("aws")
    base = {k: v for k, v in sb.env.items() if k not in ("AWS_PROFILE",)}
    env = _clean_env(
        {
            **base,
            "AWS_CONFIG_FILE": str(home / "no-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
            "AWS_ACCESS_KEY_ID": str(credentials["accessKeyId"]),
            "AWS_SECRET_ACCESS_KEY": str(credentials["secretAccessKey"]),
            "AWS_SESSION_TOKEN": str(credentials["sessionToken"]),
            "AWS_DEFAULT_REGION": "us-west-2",
            "AWS_CA_BUNDLE": str(sb.ca_bundle),
            "AWS_ENDPOINT_URL": sb.aws_endpoint,
        },
        home,
    )
    done = subprocess.run(
        [aws, "sts", "get-caller-identity", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return dict(json.loads(done.stdout))


def test_token_to_credentials_to_caller(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sb", "pod-identity-healthy") as sb:
        token = _pod_token(sb, tmp_path / "home")
        answer = _eks_auth(sb).assume_role_for_pod_identity(clusterName="demo", token=token)
        assert answer["subject"] == {"namespace": "apps", "serviceAccount": "web"}
        assert answer["audience"] == "pods.eks.amazonaws.com"
        association = answer["podIdentityAssociation"]
        assert association["associationArn"].startswith(
            f"arn:aws:eks:us-west-2:{ACCOUNT}:podidentityassociation/demo/a-"
        )
        arn = answer["assumedRoleUser"]["arn"]
        session = arn.rsplit("/", 1)[1]
        assert arn == f"arn:aws:sts::{ACCOUNT}:assumed-role/web-pod-identity/{session}"
        assert session.startswith("eks-demo-web-0-") and len(session) <= 64
        assert answer["assumedRoleUser"]["assumeRoleId"].endswith(":" + session)
        credentials = answer["credentials"]
        assert credentials["accessKeyId"].startswith("ASIA")
        caller = _caller_with(credentials, sb, tmp_path / "home")
        assert caller["Arn"] == arn and caller["Account"] == ACCOUNT

        from eksaccess.sandbox.aws.eks_auth import session_tags_of

        pod_uid = json.loads(_kubectl_json(sb, tmp_path / "home", "get", "pod", "web-0", "-n", "apps"))[
            "metadata"
        ]["uid"]
        assert session_tags_of(sb.store, credentials["accessKeyId"]) == {
            "eks-cluster-arn": f"arn:aws:eks:us-west-2:{ACCOUNT}:cluster/demo",
            "eks-cluster-name": "demo",
            "kubernetes-namespace": "apps",
            "kubernetes-service-account": "web",
            "kubernetes-pod-name": "web-0",
            "kubernetes-pod-uid": pod_uid,
        }


def _kubectl_json(sb: RunningSandbox, home: Path, *args: str) -> str:
    env = _clean_env({**sb.env, "PATH": os.pathsep.join([str(VENV_BIN), os.environ.get("PATH", "")])}, home)
    done = subprocess.run(
        [_require("kubectl"), *args, "-o", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_token_refusals(tmp_path: Path) -> None:
    home = tmp_path / "home"
    with running_sandbox(tmp_path / "sb", "pod-identity-healthy") as sb:
        eks_auth = _eks_auth(sb)
        sts_token = _token(sb, home, "--audience", "sts.amazonaws.com")  # both audiences: still accepted
        assert eks_auth.assume_role_for_pod_identity(clusterName="demo", token=sts_token)["subject"]
        wrong_aud = subprocess.run(
            [_require("kubectl"), "create", "token", "web", "-n", "apps", "--audience", "sts.amazonaws.com"],
            env=_clean_env({**sb.env}, home),
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout.strip()
        with pytest.raises(ClientError) as err:
            eks_auth.assume_role_for_pod_identity(clusterName="demo", token=wrong_aud)
        assert _error(err)[:2] == ("InvalidTokenException", 400)
        good = _pod_token(sb, home)
        head, claims, signature = good.split(".")
        with pytest.raises(ClientError) as err:  # another signature
            eks_auth.assume_role_for_pod_identity(
                clusterName="demo", token=f"{head}.{claims}.{signature[::-1]}"
            )
        assert _error(err)[:2] == ("InvalidTokenException", 400)
        no_association = _token(sb, home, account="default", namespace="default")
        with pytest.raises(ClientError) as err:
            eks_auth.assume_role_for_pod_identity(clusterName="demo", token=no_association)
        assert _error(err)[:2] == ("ResourceNotFoundException", 404)


def test_expired_token(tmp_path: Path) -> None:
    """A token past its exp, signed by the cluster's own key (F's signer: kubectl cannot mint one in the past)."""
    import time

    from eksaccess.domain.workload.oidc import service_account_claims
    from eksaccess.sandbox import oidc

    with running_sandbox(tmp_path / "sb", "pod-identity-healthy") as sb:
        record = sb.store.get_cluster("demo")
        assert record is not None
        claims = service_account_claims(
            issuer=oidc.cluster_issuer(record),
            namespace="apps",
            name="web",
            uid="sa-uid",
            audiences=["pods.eks.amazonaws.com"],
            issued_at=int(time.time()) - 7200,
            expiration_seconds=3600,
        )
        with pytest.raises(ClientError) as err:
            _eks_auth(sb).assume_role_for_pod_identity(
                clusterName="demo", token=oidc.sign_token(sb.store, record, claims)
            )
        assert _error(err)[:2] == ("ExpiredTokenException", 400)
        fresh = {**claims, "iat": int(time.time()), "nbf": int(time.time()), "exp": int(time.time()) + 600}
        answer = _eks_auth(sb).assume_role_for_pod_identity(
            clusterName="demo", token=oidc.sign_token(sb.store, record, fresh)
        )  # not bound to a pod: accepted, the session named without a pod
        assert "/eks-demo--" in answer["assumedRoleUser"]["arn"]


def test_role_without_tag_session_is_access_denied(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sb", "pod-identity-no-tagsession") as sb:
        token = _pod_token(sb, tmp_path / "home")
        with pytest.raises(ClientError) as err:
            _eks_auth(sb).assume_role_for_pod_identity(clusterName="demo", token=token)
        code, status, message = _error(err)
        assert (code, status) == ("AccessDeniedException", 400)
        assert "sts:TagSession" in message and ROLE in message
        # the documented way out without touching the role: no session tags, then AssumeRole alone suffices
        eks = sb.client("eks", "admin", config=ONE_TRY)
        association = eks.list_pod_identity_associations(clusterName="demo")["associations"][0]
        eks.update_pod_identity_association(
            clusterName="demo", associationId=association["associationId"], disableSessionTags=True
        )
        answer = _eks_auth(sb).assume_role_for_pod_identity(clusterName="demo", token=token)
        from eksaccess.sandbox.aws.eks_auth import session_tags_of

        assert session_tags_of(sb.store, answer["credentials"]["accessKeyId"]) == {}
        assert _caller_with(answer["credentials"], sb, tmp_path / "home")["Arn"].startswith(
            f"arn:aws:sts::{ACCOUNT}:assumed-role/web-pod-identity/eks-demo-web-0-"
        )


def test_target_role_chain(tmp_path: Path) -> None:
    with running_sandbox(tmp_path / "sb", "pod-identity-healthy") as sb:
        eks = sb.client("eks", "admin", config=ONE_TRY)
        association = eks.list_pod_identity_associations(clusterName="demo")["associations"][0]
        eks.update_pod_identity_association(
            clusterName="demo", associationId=association["associationId"], targetRoleArn=TARGET
        )
        answer = _eks_auth(sb).assume_role_for_pod_identity(
            clusterName="demo", token=_pod_token(sb, tmp_path / "home")
        )
        arn = answer["assumedRoleUser"]["arn"]
        assert arn.startswith(f"arn:aws:sts::{ACCOUNT}:assumed-role/web-target/eks-demo-web-0-")
        assert _caller_with(answer["credentials"], sb, tmp_path / "home")["Arn"] == arn
        expires = answer["credentials"]["expiration"].timestamp()
        from datetime import UTC, datetime

        assert expires - datetime.now(UTC).timestamp() <= 3600 + 5  # role chaining: one hour at most

        # a target whose trust does not name the first role: refused
        eks.update_pod_identity_association(
            clusterName="demo",
            associationId=association["associationId"],
            targetRoleArn=f"arn:aws:iam::{ACCOUNT}:role/eks-node",
        )
        with pytest.raises(ClientError) as err:
            _eks_auth(sb).assume_role_for_pod_identity(
                clusterName="demo", token=_pod_token(sb, tmp_path / "home")
            )
        assert _error(err)[:2] == ("AccessDeniedException", 400)


def test_irsa_and_pod_identity_both_work_and_the_association_wins(tmp_path: Path) -> None:
    """pod-identity-and-irsa: each chain works on its own; at admission the association wins (facts §6)."""
    from eksaccess.domain.workload.pod_identity import InjectedCredentials, injected_credentials

    home = tmp_path / "home"
    with running_sandbox(tmp_path / "sb", "pod-identity-and-irsa") as sb:
        pod_identity = _eks_auth(sb).assume_role_for_pod_identity(
            clusterName="demo", token=_pod_token(sb, home)
        )
        assert "/web-pod-identity/" in pod_identity["assumedRoleUser"]["arn"]
        irsa_token = _token(sb, home, "--audience", "sts.amazonaws.com")
        irsa = sb.client("sts", "admin", config=ONE_TRY).assume_role_with_web_identity(
            RoleArn=f"arn:aws:iam::{ACCOUNT}:role/web-irsa",
            RoleSessionName="app",
            WebIdentityToken=irsa_token,
        )
        assert "/web-irsa/app" in irsa["AssumedRoleUser"]["Arn"]
        account = json.loads(_kubectl_json(sb, home, "get", "serviceaccount", "web", "-n", "apps"))
        annotation = account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"]
        associated = sb.client("eks", "admin", config=ONE_TRY).list_pod_identity_associations(
            clusterName="demo", namespace="apps", serviceAccount="web"
        )["associations"]
        assert annotation.endswith("role/web-irsa") and len(associated) == 1
        got = injected_credentials(has_association=bool(associated), irsa_role_arn=annotation)
        assert got is InjectedCredentials.POD_IDENTITY


@pytest.mark.parametrize(
    ("scenario", "before"), [("pod-identity-healthy", False), ("pod-identity-pod-before-association", True)]
)
def test_pod_creation_against_association_creation(scenario: str, before: bool, tmp_path: Path) -> None:
    """What the later doctor check compares: the pod's creationTimestamp and the association's createdAt."""
    from datetime import datetime

    from eksaccess.domain.workload.pod_identity import admitted_before_association

    home = tmp_path / "home"
    with running_sandbox(tmp_path / "sb", scenario) as sb:
        pod = json.loads(_kubectl_json(sb, home, "get", "pod", "web-0", "-n", "apps"))
        created = datetime.fromisoformat(pod["metadata"]["creationTimestamp"].replace("Z", "+00:00"))
        eks = sb.client("eks", "admin", config=ONE_TRY)
        summary = eks.list_pod_identity_associations(clusterName="demo")["associations"][0]
        association = eks.describe_pod_identity_association(
            clusterName="demo", associationId=summary["associationId"]
        )["association"]
        assert (
            admitted_before_association(
                pod_created_at=created.timestamp(),
                association_created_at=association["createdAt"].timestamp(),
            )
            is before
        )
        # the association itself works in both scenarios
        assert _eks_auth(sb).assume_role_for_pod_identity(clusterName="demo", token=_pod_token(sb, home))
