"""Generated bad input on the gateway API and on the Kafka wire: every one a clear error."""

from __future__ import annotations

import asyncio
import time

from chaos.common import Result, Stage
from chaos.fuzz import fuzz_gateway, fuzz_wire, processes_alive
from chaos.load import caller, caller_settings
from chaos.team import Deployment
from devstack.processes import progress

__all__ = ["bad_inputs"]


async def bad_inputs(stage: Stage, team: Deployment, *, examples: int, seed: int) -> Result:
    """The bad-input matrix plus ``examples`` generated inputs per surface, on ``team``.

    ``bad_inputs`` counts the inputs that got a clear error: inputs the system took
    as valid (and answered with a result) are not bad, and unclear answers (a 500,
    no answer in time, a reply without the request's id) are not clear.
    """
    result = Result("bad-inputs")
    started = time.monotonic()
    progress(f"  gateway: the matrix and {examples} generated requests")
    gateway = await asyncio.to_thread(
        fuzz_gateway, team.url("gateway"), examples=examples, seed=seed
    )
    progress(f"  Kafka wire to data: the matrix and {examples} generated records")
    async with caller(caller_settings(stage.bootstrap, team.prefix), name="fuzzer") as me:
        wire = await fuzz_wire(me.bus, "data", examples=examples, seed=seed)
    report = gateway.merged(wire)
    clear_errors = report.inputs - report.accepted - report.unclear_total
    result.figures.update(
        {
            "gateway inputs": gateway.gateway_inputs,
            "Kafka wire inputs": wire.wire_inputs,
            "taken as valid and answered": report.accepted,
            "without a clear answer": report.unclear_total,
            "bad_inputs": clear_errors,
            "seed": seed,
        }
    )
    for problem in report.unclear:
        result.problems.append(f"unclear answer: {problem}")
    urls = [
        service.url
        for name, service in team.services.items()
        if name not in team.stopped_on_purpose
    ]
    result.crashes = await asyncio.to_thread(processes_alive, urls)
    result.seconds = time.monotonic() - started
    return result
