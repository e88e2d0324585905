"""The state machines refuse every transition that is not in their tables."""

import pytest

from chop.verification.models import CompanyVerification, PersonVerification
from chop.verification.states import (
    COMPANY_TRANSITIONS,
    PERSON_TRANSITIONS,
    InvalidTransition,
    State,
    check,
)


@pytest.mark.parametrize(
    ("table", "model"),
    [(PERSON_TRANSITIONS, PersonVerification), (COMPANY_TRANSITIONS, CompanyVerification)],
)
def test_only_listed_transitions_are_allowed(table, model):
    allowed = refused = 0
    for source in State.values:
        for target in State.values:
            case = model(state=source)
            if target in table.get(source, set()):
                check(table, case, target)
                allowed += 1
            else:
                with pytest.raises(InvalidTransition) as err:
                    check(table, case, target)
                assert str(State(source).label) in str(err.value)
                refused += 1
    assert allowed >= 5 and refused >= 20


def test_final_states_have_no_way_out():
    for table in (PERSON_TRANSITIONS, COMPANY_TRANSITIONS):
        for final in (State.APPROVED, State.REJECTED, State.EXPIRED):
            assert not table.get(final)


def test_person_cannot_skip_review():
    assert State.APPROVED in PERSON_TRANSITIONS[State.PENDING_REVIEW]
    assert State.PENDING_AUTHORITY not in PERSON_TRANSITIONS[State.PENDING_PROVIDER]
