"""Bad inputs for the gateway API and the Kafka wire: each must get a clear answer.

Each surface gets a fixed matrix of known-bad inputs plus inputs that Hypothesis
generates (used as a seeded generator, outside pytest: ``@given`` on an inner
function that only collects what it is given). The inputs are generated first and
sent afterwards, concurrently: with the same code, the seed fixes every generated
input (message ids included, so a second run with the same seed also meets the
agents' de-duplication); only the matrix's message ids and every record's
correlation id are fresh per run. (Hypothesis also draws string and number
literals from the loaded modules, so a change anywhere in the code may change
what a seed generates.)

* :func:`fuzz_gateway` (sync; call it in a thread from async code) sends HTTP
  requests to a running gateway. A clear answer arrives within the time limit, has
  a status below 500 (502, 503 and 504 are the gateway's own answers for an agent
  that failed or was late) and, from 400 on, the body ``{"error": {"code",
  "message"}}``.
* :func:`fuzz_wire` (async, on a started :class:`agentbus.KafkaBus`) publishes
  records to ``agent.<name>.requests``. A clear answer is a JSON-RPC 2.0 response on
  the caller's inbox within the time limit, echoing the request's id, every stream
  ended by its final record; a record without usable routing headers (an unreadable
  reply partition included) must reach ``agent.<name>.dlq`` as ``unroutable`` instead.

Inputs that would make agents do real work are kept few and cheap: a body the
gateway would accept is pointed at the data agent with a short timeout and a
harmless webhook, and generated A2A sends carry short texts.

The modules, each surface as cases (matrix), strategies (generated) and the sender::

    report              FuzzReport, unclear answers grouped by kind, processes_alive
    strategies          seeded drawing, JSON encoding, strategies both surfaces share
    gateway_cases       HttpCase, gateway_matrix
    gateway_strategies  gateway_inputs
    gateway             fuzz_gateway: send over HTTP, judge the answers
    wire_cases          WireCase, wire_matrix
    wire_strategies     wire_inputs
    sweeper             finds dead letters and replies on other inbox partitions
    wire                fuzz_wire: publish to Kafka, judge the replies
"""

from __future__ import annotations

from chaos.fuzz.gateway import fuzz_gateway
from chaos.fuzz.gateway_cases import HttpCase, gateway_matrix
from chaos.fuzz.gateway_strategies import gateway_inputs
from chaos.fuzz.report import FuzzReport, processes_alive
from chaos.fuzz.wire import fuzz_wire
from chaos.fuzz.wire_cases import WireCase, wire_matrix
from chaos.fuzz.wire_strategies import wire_inputs

__all__ = [
    "FuzzReport",
    "HttpCase",
    "WireCase",
    "fuzz_gateway",
    "fuzz_wire",
    "gateway_inputs",
    "gateway_matrix",
    "processes_alive",
    "wire_inputs",
    "wire_matrix",
]
