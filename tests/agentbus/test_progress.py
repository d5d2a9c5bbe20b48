"""Which offset may be committed while records finish out of order."""

from agentbus.progress import PartitionProgress


def test_nothing_is_committable_before_anything_started() -> None:
    """A partition with no records has nothing to commit."""
    progress = PartitionProgress()

    assert progress.committable() is None


def test_the_lowest_unfinished_offset_bounds_the_commit() -> None:
    """With 10 still running, finishing 11 and 12 allows committing only up to 10."""
    progress = PartitionProgress()
    for offset in (10, 11, 12):
        progress.start(offset)

    progress.finish(11)
    progress.finish(12)

    assert progress.committable() == 10
    assert progress.in_flight == 1


def test_when_all_finished_the_commit_is_one_past_the_last() -> None:
    """Once every started record is done, the commit points past the last one."""
    progress = PartitionProgress()
    for offset in (5, 6, 7):
        progress.start(offset)

    for offset in (7, 5, 6):
        progress.finish(offset)

    assert progress.committable() == 8


def test_an_offset_already_committed_is_not_offered_again() -> None:
    """After a commit is recorded, the same offset is not committable again."""
    progress = PartitionProgress()
    progress.start(3)
    progress.finish(3)

    progress.mark_committed(4)

    assert progress.committable() is None
