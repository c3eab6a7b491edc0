"""EKS pagination: maxResults bounds, opaque tokens, every key exactly once."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eksaccess.sandbox.aws.errors import AwsError
from eksaccess.sandbox.aws.pagination import page


@given(
    keys=st.sets(st.text(min_size=1, max_size=20), max_size=60), size=st.integers(min_value=1, max_value=100)
)
def test_pages_cover_every_key_once(keys: set[str], size: int) -> None:
    seen: list[str] = []
    params: dict[str, str] = {"maxResults": str(size)}
    while True:
        chunk, token = page(sorted(keys), params, kind="k")
        assert len(chunk) <= size
        seen += chunk
        if token is None:
            break
        params = {"maxResults": str(size), "nextToken": token}
    assert seen == sorted(keys)


@pytest.mark.parametrize(
    "params",
    [
        {"maxResults": "0"},
        {"maxResults": "101"},
        {"maxResults": "x"},
        {"nextToken": "!!"},
        {"nextToken": "e30"},
    ],
)
def test_bad_parameters(params: dict[str, str]) -> None:
    with pytest.raises(AwsError) as err:
        page(["a"], params, kind="k")
    assert err.value.code == "InvalidParameterException"


def test_token_of_another_listing_is_refused() -> None:
    _, token = page(["a", "b"], {"maxResults": "1"}, kind="one")
    assert token
    with pytest.raises(AwsError):
        page(["a", "b"], {"nextToken": token}, kind="two")
