"""Task tokens: consumed once, bound to their intern, given back only by their own holder."""

from __future__ import annotations

from typing import Any

import pytest


def test_a_token_is_consumed_once_and_can_be_given_back(aws_env: Any) -> None:
    from chalicelib.adapters.store import Conflict, get_store

    store = get_store()
    store.save_task_token("b_t", "funding", "token-1", "exec")

    assert store.consume_task_token("b_t", "funding") == "token-1"
    with pytest.raises(Conflict):
        store.consume_task_token("b_t", "funding")

    store.unconsume_task_token("b_t", "funding", "someone-elses-token")
    assert store.waiting_token("b_t", "funding") is None
    store.unconsume_task_token("b_t", "funding", "token-1")
    assert (store.waiting_token("b_t", "funding") or {})["token"] == "token-1"
    assert store.consume_task_token("b_t", "funding") == "token-1"


def test_a_token_bound_to_an_intern_is_only_theirs(aws_env: Any) -> None:
    from chalicelib.adapters.store import Conflict, get_store

    store = get_store()
    store.save_task_token("b_u", "offer", "token-2", "exec", intern_id="i_first")

    with pytest.raises(Conflict):
        store.consume_task_token("b_u", "offer", "i_other")
    assert store.consume_task_token("b_u", "offer", "i_first") == "token-2"
