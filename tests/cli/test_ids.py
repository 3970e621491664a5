"""Ids stay in their lane: an id is checked against its kind's shape and percent-encoded
before it goes into a URL path, so no id can reach another endpoint."""

import pytest

from o4cli.core.errors import UsageError
from o4cli.core.http.api import segment


@pytest.mark.parametrize(
    ("value", "prefix", "ok"),
    [
        ("batch_abc123", "batch_", True),
        ("ftjob-AbC_12", "ftjob-", True),
        ("ft:o4-mini-2025-04-16:acme:triage:abc", None, True),
        ("../fine_tuning/jobs/ftjob-1", "batch_", False),
        ("batch_1/../../fine_tuning/jobs/ftjob-1", "batch_", False),
        ("batch_..", "batch_", False),
        ("batch_1?x=1", "batch_", False),
        ("batch_1#frag", "batch_", False),
        ("batch_1%2Fcancel", "batch_", False),
        ("ftjob-1", "batch_", False),
        ("", "batch_", False),
        ("batch_1\n", "batch_", False),
    ],
)
def test_segment(value, prefix, ok):
    if ok:
        assert segment(value, what="id", prefix=prefix) == value
    else:
        with pytest.raises(UsageError):
            segment(value, what="id", prefix=prefix)


@pytest.mark.parametrize(
    "args",
    [
        ("batch", "cancel", "../fine_tuning/jobs/ftjob-1"),
        ("batch", "status", "batch_1/../../fine_tuning/jobs/ftjob-1"),
        ("batch", "results", "ftjob-1"),
        ("finetune", "cancel", "../../batches/batch_1"),
        ("finetune", "status", "ftjob-1/../../../batches/batch_1"),
        ("models", "show", "../files/file-1", "--remote"),
    ],
)
def test_a_crafted_id_is_refused_before_anything_is_sent(o4, emulator, args):
    r = o4(*args)
    assert r.code == 2 and "not a" in r.stderr, r.stderr
    assert emulator.log == []
