"""The chaos suite's output: a table of figures per scenario and the one summary line."""

from __future__ import annotations

from chaos.common import Result

__all__ = ["MIN_BAD_INPUTS", "print_report", "summary_line"]

MIN_BAD_INPUTS = 1000
"""Generated bad inputs the suite must have sent (and seen clear errors for)."""


def print_report(results: list[Result]) -> None:
    """Print every scenario's figures, checks and casualties as one table."""
    width = max([len(k) for r in results for k in r.figures] + [10])
    print()
    print(f"{'scenario':<16} {'figure':<{width}}  value")
    print(f"{'-' * 16} {'-' * width}  {'-' * 40}")
    for result in results:
        name = result.name
        rows = [*result.figures.items(), ("seconds", f"{result.seconds:.0f}")]
        rows += [("PROBLEM", p) for p in result.problems]
        rows += [("CRASH", c) for c in result.crashes]
        for key, value in rows:
            print(f"{name:<16} {key:<{width}}  {value}")
            name = ""
    print()


def summary_line(results: list[Result]) -> tuple[str, bool]:
    """The last line of ``make chaos`` and whether every promise held."""
    by_name = {r.name: r for r in results}
    lost = sum(r.lost for r in results)
    duplicates = sum(r.duplicates for r in results)
    poison = by_name.get("poison")
    dlq_ok = poison is not None and poison.figures.get("dlq_ok") == "yes"
    broker = by_name.get("broker-restart")
    broker_lost = int(broker.figures.get("broker_restart_lost", 0)) if broker else 0
    fuzz = by_name.get("bad-inputs")
    bad_inputs = int(fuzz.figures.get("bad_inputs", 0)) if fuzz else 0
    crashes = sum(len(r.crashes) for r in results)
    ok = (
        lost == 0
        and duplicates == 0
        and dlq_ok
        and broker_lost == 0
        and crashes == 0
        and (fuzz is None or bad_inputs >= MIN_BAD_INPUTS)
        and not any(r.problems for r in results)
    )
    line = (
        f"chaos lost={lost} duplicates={duplicates} dlq_ok={'yes' if dlq_ok else 'no'} "
        f"broker_restart_lost={broker_lost} bad_inputs={bad_inputs} crashes={crashes}"
    )
    return line, ok
