"""Same-key work runs in arrival order; different keys run concurrently."""

import asyncio

from agentbus.ordering import KeyedSequencer


async def test_same_key_runs_in_reservation_order() -> None:
    """Work reserved for one key runs one at a time, in the order it was reserved."""
    sequencer = KeyedSequencer()
    order: list[int] = []

    async def work(n: int, reservation: object, delay: float) -> None:
        async with sequencer.turn(reservation):  # type: ignore[arg-type]
            await asyncio.sleep(delay)
            order.append(n)

    reservations = [sequencer.reserve("ctx") for _ in range(3)]
    # Start them in reverse, with the first being slowest: order must still hold.
    await asyncio.gather(*(work(n, reservations[n], 0.03 - n * 0.01) for n in (2, 1, 0)))

    assert order == [0, 1, 2]
    assert len(sequencer) == 0


async def test_different_keys_do_not_wait_for_each_other() -> None:
    """A slow holder of one key does not delay work on another key."""
    sequencer = KeyedSequencer()
    finished: list[str] = []
    slow_res, fast_res = sequencer.reserve("a"), sequencer.reserve("b")

    async def work(name: str, reservation: object, delay: float) -> None:
        async with sequencer.turn(reservation):  # type: ignore[arg-type]
            await asyncio.sleep(delay)
            finished.append(name)

    await asyncio.gather(work("slow", slow_res, 0.05), work("fast", fast_res, 0))

    assert finished == ["fast", "slow"]


async def test_keyless_work_never_waits() -> None:
    """Records without a key are not ordered against anything."""
    sequencer = KeyedSequencer()

    previous, _ = sequencer.reserve(None)

    assert previous is None
    assert len(sequencer) == 0
