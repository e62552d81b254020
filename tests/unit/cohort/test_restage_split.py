"""restage's progress line and its split of the episodes among worker processes (issue 18)."""

from cohort.restage import progress_line, split_by_patient


def test_progress_line_gives_the_rate_and_the_time_left() -> None:
    line = progress_line(1_500, 6_000, 1.0)
    assert line.startswith("1,500/6,000 episodes restaged")
    assert "1,500 episodes/s" in line
    assert "about 3 s left" in line


def test_progress_line_counts_minutes_left() -> None:
    assert "about 1 min 30 s left" in progress_line(100, 9_100, 1.0)


def test_the_last_progress_line_has_no_time_left() -> None:
    assert "left" not in progress_line(10, 10, 2.0)


def test_a_patient_is_never_split_between_workers() -> None:
    pairs = [(1, 10), (1, 11), (2, 20), (3, 30), (3, 31), (3, 32), (4, 40)]
    shares = split_by_patient(pairs, 2)
    assert len(shares) == 2
    assert sorted(e for share in shares for e in share) == [episode for _patient, episode in pairs]
    owner = {episode: patient for patient, episode in pairs}
    patients = [{owner[episode] for episode in share} for share in shares]
    assert not patients[0] & patients[1]


def test_fewer_patients_than_workers_leaves_no_empty_share() -> None:
    assert split_by_patient([(1, 10), (1, 11)], 2) == [[10, 11]]
    assert split_by_patient([], 2) == []
