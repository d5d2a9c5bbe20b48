"""The echo agent's command parsing."""

import pytest

from echo_agent.logic import Command, parse_command, step_text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hello", Command(text="hello")),
        ("task: a", Command(text="a", task=True, steps=1)),
        ("task 3: b", Command(text="b", task=True, steps=3)),
        ("task 3 0.5 fail: c", Command(text="c", task=True, steps=3, delay_s=0.5, fail=True)),
        ("note: not a task", Command(text="note: not a task")),
    ],
)
def test_commands_are_read_from_text(text: str, expected: Command) -> None:
    """Plain text is echoed; 'task N D [fail]: text' describes task work."""
    assert parse_command(text) == expected


@pytest.mark.parametrize("text", ["task x: a", "task 1 y: a", "task 101: a", "task 1 61: a"])
def test_bad_task_commands_are_refused(text: str) -> None:
    """Numbers that are not numbers or out of range are refused with the rule."""
    with pytest.raises(ValueError, match="task command"):
        parse_command(text)


def test_step_text_counts_from_one() -> None:
    """Artifacts are numbered 1..N."""
    assert step_text(Command(text="t", task=True, steps=2), 0) == "t [1/2]"
