"""Counts in words (controller.counted): the singular for exactly one, the plural else."""

from __future__ import annotations

import pytest

from controller.counted import counted, named


@pytest.mark.parametrize(
    ("n", "said"), [(0, "0 ticks"), (1, "1 tick"), (2, "2 ticks"), (11, "11 ticks")]
)
def test_one_thing_is_one_and_none_or_more_are_many(n: int, said: str) -> None:
    assert counted(n, "tick", "ticks") == said


@pytest.mark.parametrize(("ids", "said"), [([8], "run 8"), ([8, 9], "runs 8, 9")])
def test_one_thing_is_named_alone_and_more_by_the_plural(ids: list[int], said: str) -> None:
    assert named(ids, "run", "runs") == said
