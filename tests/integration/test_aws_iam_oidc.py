"""IAM OpenID Connect providers with boto3 against the sandbox (botocore's ``iam`` model; facts
workload-identity.md §2), and the clusters' issuer documents the sandbox serves."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from eksaccess.domain.workload import jwt
from eksaccess.sandbox.testing import RunningSandbox, https_request

MakeSandbox = Callable[..., RunningSandbox]
ISSUER = "https://oidc.eks.us-west-2.amazonaws.com/id/FA5F6DDBA3B7768CE286B9597942AA19"
ARN = "arn:aws:iam::111122223333:oidc-provider/" + ISSUER.removeprefix("https://")
THUMB = "9e99a48a9960b14926bb7f3b02e22da2b0ab7280"


def _code(err: pytest.ExceptionInfo[ClientError]) -> tuple[str, int, str]:
    e = err.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]["Message"]


def test_provider_lifecycle(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("irsa-no-oidc-provider")
    iam = sb.client("iam", "admin")
    assert iam.list_open_id_connect_providers()["OpenIDConnectProviderList"] == []
    made = iam.create_open_id_connect_provider(
        Url=ISSUER,
        ClientIDList=["sts.amazonaws.com"],
        ThumbprintList=[THUMB],
        Tags=[{"Key": "k", "Value": "v"}],
    )
    assert made["OpenIDConnectProviderArn"] == ARN
    got = iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    assert got["Url"] == ISSUER.removeprefix("https://")
    assert got["ClientIDList"] == ["sts.amazonaws.com"] and got["ThumbprintList"] == [THUMB]
    assert got["Tags"] == [{"Key": "k", "Value": "v"}]
    assert [p["Arn"] for p in iam.list_open_id_connect_providers()["OpenIDConnectProviderList"]] == [ARN]
    with pytest.raises(ClientError) as err:
        iam.create_open_id_connect_provider(
            Url=ISSUER, ClientIDList=["sts.amazonaws.com"], ThumbprintList=[THUMB]
        )
    assert _code(err) == ("EntityAlreadyExists", 409, f"Provider with url {ISSUER} already exists.")
    iam.add_client_id_to_open_id_connect_provider(OpenIDConnectProviderArn=ARN, ClientID="other")
    iam.add_client_id_to_open_id_connect_provider(
        OpenIDConnectProviderArn=ARN, ClientID="other"
    )  # idempotent
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)["ClientIDList"] == [
        "sts.amazonaws.com",
        "other",
    ]
    iam.remove_client_id_from_open_id_connect_provider(
        OpenIDConnectProviderArn=ARN, ClientID="sts.amazonaws.com"
    )
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)["ClientIDList"] == ["other"]
    iam.update_open_id_connect_provider_thumbprint(OpenIDConnectProviderArn=ARN, ThumbprintList=["A" * 40])
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)["ThumbprintList"] == ["A" * 40]
    iam.delete_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    with pytest.raises(iam.exceptions.NoSuchEntityException) as missing:
        iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)
    assert _code(missing)[:2] == ("NoSuchEntity", 404)


@pytest.mark.parametrize(
    ("url", "thumbprints"),
    [
        ("http://oidc.example.com", [THUMB]),
        ("https://oidc.example.com:8443/x", [THUMB]),
        ("https://o.example.com", ["z" * 40]),
    ],
)
def test_invalid_input(make_sandbox: MakeSandbox, url: str, thumbprints: list[str]) -> None:
    iam = make_sandbox("irsa-no-oidc-provider").client("iam", "admin")
    with pytest.raises(iam.exceptions.InvalidInputException) as err:
        iam.create_open_id_connect_provider(
            Url=url, ClientIDList=["sts.amazonaws.com"], ThumbprintList=thumbprints
        )
    assert _code(err)[:2] == ("InvalidInput", 400)


def test_scenario_provider_and_issuer_documents(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("irsa-healthy")
    iam = sb.client("iam", "admin")
    assert iam.get_open_id_connect_provider(OpenIDConnectProviderArn=ARN)["ClientIDList"] == [
        "sts.amazonaws.com"
    ]
    issuer = sb.client("eks", "admin", region="us-west-2").describe_cluster(name="demo")["cluster"][
        "identity"
    ]["oidc"]["issuer"]
    assert issuer == ISSUER
    base = (
        sb.env["EKSACCESS_OIDC_BASE_URL"]
        if "EKSACCESS_OIDC_BASE_URL" in sb.env
        else sb.env_for()["EKSACCESS_OIDC_BASE_URL"]
    )
    status, _, body = https_request(
        sb, f"{base}/{issuer.removeprefix('https://')}/.well-known/openid-configuration"
    )
    assert status == 200
    doc = json.loads(body)
    assert doc["issuer"] == ISSUER and doc["jwks_uri"] == ISSUER + "/keys"
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    status, headers, body = https_request(sb, f"{base}/{issuer.removeprefix('https://')}/keys")
    assert status == 200 and "max-age" in headers.get("Cache-Control", "")
    (key,) = json.loads(body)["keys"]
    assert (
        key["kty"] == "RSA"
        and key["alg"] == "RS256"
        and key["kid"] == jwt.key_id(jwt.public_key_from_jwk(key))
    )
    status, _, _ = https_request(sb, f"{base}/oidc.eks.us-west-2.amazonaws.com/id/0000/keys")
    assert status == 404


def test_needs_iam_permission(make_sandbox: MakeSandbox) -> None:
    sb = make_sandbox("pod-identity-healthy")  # "platform" may call eks:* only
    iam = sb.client("iam", "platform")
    with pytest.raises(ClientError) as err:
        iam.create_open_id_connect_provider(
            Url=ISSUER, ClientIDList=["sts.amazonaws.com"], ThumbprintList=[THUMB]
        )
    assert _code(err)[0] == "AccessDenied"
