"""Sustainment and adoption score, as a table of cases (DESIGN.md's definitions)."""

import pytest

from checklists.sustainment import Sustainment, adoption_score, sustained_run_length, sustainment_status

SUSTAINED, EMBEDDING, NOT_YET = Sustainment.SUSTAINED, Sustainment.EMBEDDING, Sustainment.NOT_YET

# Levels oldest first: 0 Not at all, 1 Oscillatory, 2 Sometimes, 3 Most of the time.
STATUS_CASES = [
    # (levels, run length, status, why)
    ([], 2, NOT_YET, "never rated"),
    ([0], 2, NOT_YET, "not at all"),
    ([1], 2, NOT_YET, "oscillatory"),
    ([2], 2, EMBEDDING, "sometimes"),
    ([3], 2, EMBEDDING, "one 'most of the time' is not a run of two"),
    ([3, 3], 2, SUSTAINED, "two latest both 'most of the time'"),
    ([0, 1, 3, 3], 2, SUSTAINED, "only the latest two count"),
    ([3, 3, 2], 2, EMBEDDING, "slipped to sometimes at the latest"),
    ([3, 3, 1], 2, NOT_YET, "slipped to oscillatory at the latest"),
    ([3, 2, 3], 2, EMBEDDING, "the run was broken"),
    ([2, 2, 2, 2], 2, EMBEDDING, "steady at sometimes is embedding, not sustained"),
    ([3, 0], 2, NOT_YET, "dropped to not at all"),
    ([3], 1, SUSTAINED, "run length 1: the latest alone"),
    ([3, 3], 3, EMBEDDING, "run length 3 needs three ratings"),
    ([3, 3, 3], 3, SUSTAINED, "run length 3 met"),
    ([1, 3, 3, 3], 3, SUSTAINED, "run length 3, older ratings ignored"),
    ([3, 2, 3, 3], 3, EMBEDDING, "run length 3 broken inside the window"),
]


@pytest.mark.parametrize(("levels", "run_length", "expected", "why"), STATUS_CASES, ids=[c[3] for c in STATUS_CASES])
def test_sustainment_status_table(levels, run_length, expected, why):
    assert sustainment_status(levels, run_length=run_length) == expected


@pytest.mark.parametrize("run_length", [0, -1])
def test_sustainment_status_run_length_below_one_is_refused(run_length):
    with pytest.raises(ValueError, match="run length must be 1 or more"):
        sustainment_status([3, 3], run_length=run_length)


ADOPTION_CASES = [
    # (levels, score)
    ([], None),
    ([0], 0.0),
    ([3], 100.0),
    ([3, 3, 3, 3, 3, 3, 3, 3, 3], 100.0),
    ([0, 0, 0, 0, 0, 0, 0, 0, 0], 0.0),
    ([1, 2], 50.0),
    ([2], 100 * 2 / 3),
    # RSH's 12-week checklist in the demo data: 2+2+1+0+0+3+3+2+2 = 15 of 27.
    ([2, 2, 1, 0, 0, 3, 3, 2, 2], 100 * 15 / 27),
]


@pytest.mark.parametrize(("levels", "expected"), ADOPTION_CASES)
def test_adoption_score_table(levels, expected):
    assert adoption_score(levels) == expected


def test_sustained_run_length_reads_the_setting(settings):
    settings.QMS_SUSTAINED_RUN_LENGTH = 3
    assert sustained_run_length() == 3


def test_sustained_run_length_default_is_two():
    assert sustained_run_length() == 2


def test_sustained_run_length_below_one_is_refused(settings):
    settings.QMS_SUSTAINED_RUN_LENGTH = 0
    with pytest.raises(ValueError, match="QMS_SUSTAINED_RUN_LENGTH must be 1 or more, not 0"):
        sustained_run_length()
