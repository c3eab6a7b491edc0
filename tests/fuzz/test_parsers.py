"""Every parser a user feeds, under generated bad input: a clear one-line error or a result, never a
traceback, a hang or a lost aws-auth key (the rule is in bench/bench_fuzz.py).

A slice of each target runs in ``make test``; the 10,000-input corpora are marked ``slow``.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import eksaccess_bench_fuzz as fuzz  # type: ignore[import-not-found]  # registered by conftest.py
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

TARGETS = fuzz.available()
PURE = [name for name, t in TARGETS.items() if not t.http]
HTTP = [name for name, t in TARGETS.items() if t.http]
SLICE = settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
CORPUS = 10_000


@functools.cache
def strategy(name: str) -> st.SearchStrategy[Any]:
    made: st.SearchStrategy[Any] = TARGETS[name].strategy()
    return made


@pytest.fixture(scope="module")
def checks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Callable[[Any], None]]]:
    """One opened check per target (the HTTP ones share a running sandbox each for the module)."""
    with ExitStack() as stack:
        tmp = tmp_path_factory.mktemp("fuzz")
        yield {name: target.setup(stack, Path(tmp)) for name, target in TARGETS.items()}


def test_every_user_parser_has_a_target() -> None:
    assert set(PURE) >= {
        "arn",
        "aws-auth",
        "aws-auth-manifest",
        "aws-auth-edit",
        "kubeconfig",
        "cluster-state",
        "scenario",
        "token",
    }
    assert set(HTTP) == {"http-aws", "http-kube"}


@pytest.mark.parametrize("name", PURE + HTTP)
@SLICE
@given(data=st.data())
def test_slice(checks: dict[str, Callable[[Any], None]], name: str, data: st.DataObject) -> None:
    checks[name](data.draw(strategy(name), label=name))


@pytest.mark.slow
@pytest.mark.parametrize("name", PURE + HTTP)
def test_corpus_of_ten_thousand(name: str) -> None:
    outcome = fuzz.run_hypothesis(TARGETS[name], CORPUS, time.monotonic() + 1500)
    assert not outcome.findings, outcome.findings
    assert outcome.inputs == CORPUS
