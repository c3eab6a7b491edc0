"""ListAccessPolicies with real boto3: exactly the catalogue's listed policies, in AWS's order (sorted by
name, as a 2026 ``aws eks list-access-policies`` shows), over every page size, with their ARNs in the
caller's partition."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.config import Config

from eksaccess.domain.authz.access_policies import CATALOGUE, listed_policies
from eksaccess.sandbox.testing import RunningSandbox

POLICY = "arn:aws:eks::aws:cluster-access-policy/"
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})
EXPECTED = [p.name for p in listed_policies()]


@pytest.fixture
def eks(sandbox: RunningSandbox) -> Any:
    return sandbox.client("eks", "admin", config=NO_RETRY)


def test_one_call_lists_the_catalogue_in_order(eks: Any) -> None:
    answer = eks.list_access_policies()
    assert "nextToken" not in answer
    assert [p["name"] for p in answer["accessPolicies"]] == EXPECTED
    assert all(p["arn"] == POLICY + p["name"] for p in answer["accessPolicies"])
    assert len(EXPECTED) == 33 and set(CATALOGUE) - set(EXPECTED) == {
        "AmazonEKSClusterInsightsPolicy",
        "AmazonSagemakerHyperpodInferenceMonitoringPolicy",
    }


@pytest.mark.parametrize("size", [1, 5, 32, 33, 100])
def test_every_page_size_gives_the_same_list(eks: Any, size: int) -> None:
    pages = list(eks.get_paginator("list_access_policies").paginate(PaginationConfig={"PageSize": size}))
    assert [len(page["accessPolicies"]) for page in pages[:-1]] == [size] * (len(pages) - 1)
    assert [p["name"] for page in pages for p in page["accessPolicies"]] == EXPECTED


def test_next_token_by_hand(eks: Any) -> None:
    first = eks.list_access_policies(maxResults=30)
    second = eks.list_access_policies(maxResults=30, nextToken=first["nextToken"])
    assert "nextToken" not in second
    names = [p["name"] for p in first["accessPolicies"] + second["accessPolicies"]]
    assert names == EXPECTED
