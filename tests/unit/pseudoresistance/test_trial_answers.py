"""The pre-answers without words (restage, issue 18) are the worded pre-answers' answers.

`trial_answers` reads only each rule's decision; over random trials of every kind, agent, dose,
serum level, weeks, sessions, adherence, episode and reason for stopping it must give, item by
item, the answer and the RED proposal of `trial_pre_answers` with `stopped_for_adverse_effects`.
"""

import datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from pseudoresistance.checklist_data import DERIVED_RULES_BY_KEY, Answer
from pseudoresistance.derived import (
    STOPPED_FOR_ADVERSE_EFFECTS,
    stopped_for_adverse_effects,
    trial_answers,
    trial_pre_answers,
)
from staging.adequacy import assess_trial, index_history
from staging.history import (
    Adherence,
    BaselineSeverity,
    Diagnosis,
    Episode,
    History,
    Params,
    Trial,
    TrialKind,
)

ONSET = datetime.date(2026, 1, 5)
# Catalogued agents of each unit (mg/day, a serum level) and an uncatalogued one.
AGENTS = (None, "sertraline", "lithium", "venlafaxine", "an agent of no catalogue")


def _optional(values: st.SearchStrategy[object]) -> st.SearchStrategy[object]:
    return st.one_of(st.none(), values)


trials = st.builds(
    Trial,
    id=st.just("T1"),
    seq=st.just(1),
    start_date=st.dates(ONSET - datetime.timedelta(days=400), ONSET + datetime.timedelta(days=60)),
    kind=st.sampled_from(TrialKind),
    episode=_optional(st.sampled_from(Episode)),
    agent=st.sampled_from(AGENTS),
    drug_class=st.sampled_from((None, "SSRI", "SNRI", "lithium")),
    dose_mg_per_day=_optional(st.floats(0, 400)),
    serum_level_mmol_per_l=_optional(st.floats(0, 1.5)),
    weeks=_optional(st.floats(0, 30)),
    sessions=_optional(st.integers(0, 30)),
    adherence=_optional(st.sampled_from(Adherence)),
    percent_symptom_reduction=_optional(st.floats(-20, 100)),
)


@settings(max_examples=400, deadline=None)
@given(
    trial=trials,
    reason_stopped=st.sampled_from(("", STOPPED_FOR_ADVERSE_EFFECTS, "other")),
)
def test_trial_answers_are_the_pre_answers_without_words(trial: Trial, reason_stopped: str) -> None:
    history = History(
        diagnosis=Diagnosis.MDD,
        episode_onset_date=ONSET,
        assessment_date=ONSET + datetime.timedelta(days=120),
        baseline_severity=BaselineSeverity(scale="HAM-D17", score=20),
        trials=(trial,),
    )
    assessment = assess_trial(trial, index_history(history), Params())
    worded = trial_pre_answers(trial, assessment, onset=ONSET)
    if stopped := stopped_for_adverse_effects(reason_stopped, assessment):
        worded[DERIVED_RULES_BY_KEY[stopped.rule].item_code] = stopped
    expected: dict[str, tuple[Answer, bool]] = {
        code: (answer.answer, answer.escalate) for code, answer in worded.items()
    }
    assert trial_answers(trial, assessment, onset=ONSET, reason_stopped=reason_stopped) == expected
