"""UpdateAssumeRolePolicy with a workload trust (a federated or service principal): the sandbox keeps the
document whole, as STS's web identity and EKS Auth read it, and its plain sts:AssumeRole statements still
decide AssumeRole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from botocore.exceptions import ClientError

from eksaccess.sandbox.testing import running_sandbox

ACCOUNT = "111122223333"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/oidc.eks.us-west-2.amazonaws.com/id/X"


def test_a_workload_trust_is_kept_whole(tmp_path: Path) -> None:
    document = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Federated": PROVIDER},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {"oidc.eks.us-west-2.amazonaws.com/id/X:aud": "sts.amazonaws.com"}
                },
            },
            {
                "Effect": "Allow",
                "Principal": {"Service": "pods.eks.amazonaws.com"},
                "Action": ["sts:AssumeRole", "sts:TagSession"],
            },
            {
                "Effect": "Allow",
                "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:user/admin"},
                "Action": "sts:AssumeRole",
            },
        ],
    }
    with running_sandbox(tmp_path, "irsa-healthy") as sb:
        iam = sb.client("iam", "admin")
        sts = sb.client("sts", "admin", region="us-west-2")
        with pytest.raises(ClientError):  # the scenario's trust names no AWS principal
            sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/web-irsa", RoleSessionName="s1")
        iam.update_assume_role_policy(RoleName="web-irsa", PolicyDocument=json.dumps(document))
        assert iam.get_role(RoleName="web-irsa")["Role"]["AssumeRolePolicyDocument"] == document
        assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/web-irsa", RoleSessionName="s1")
        assert assumed["AssumedRoleUser"]["Arn"].endswith(":assumed-role/web-irsa/s1")
