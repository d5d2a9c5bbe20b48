"""Pure logic of the echo agent: parse a command from text, decide the reply."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["MAX_STEPS", "Command", "parse_command", "step_text"]

MAX_STEPS: Final = 100
MAX_DELAY_S: Final = 60.0


@dataclass(frozen=True, slots=True)
class Command:
    """What the agent was asked to do.

    ``text`` is echoed back. As a task (``task`` true) the agent emits ``steps``
    artifacts ``delay_s`` apart; with ``fail`` it ends the task as failed.
    """

    text: str
    task: bool = False
    steps: int = 0
    delay_s: float = 0.0
    fail: bool = False


def parse_command(text: str) -> Command:
    """Read a command: ``task <steps> <delay_s> [fail]: <text>``, anything else is echoed.

    Raises:
        ValueError: a ``task`` command with numbers out of range or not numbers.
    """
    head, sep, rest = text.partition(":")
    words = head.split()
    if not sep or not words or words[0] != "task":
        return Command(text=text)
    try:
        given = words[1:3]
        numbers = given + ["1", "0"][len(given) :]
        steps, delay = int(numbers[0]), float(numbers[1])
    except ValueError as exc:
        raise ValueError(f"task command {head!r}: steps and delay must be numbers") from exc
    if not 0 <= steps <= MAX_STEPS or not 0 <= delay <= MAX_DELAY_S:
        raise ValueError(
            f"task command {head!r}: steps must be 0..{MAX_STEPS}, delay 0..{MAX_DELAY_S:g} s"
        )
    return Command(
        text=rest.strip(), task=True, steps=steps, delay_s=delay, fail="fail" in words[3:]
    )


def step_text(command: Command, step: int) -> str:
    """The content of artifact number ``step``."""
    return f"{command.text} [{step + 1}/{command.steps}]"
