"""Bad records, dead letters, deadlines and redelivery, on the real broker."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from a2a.types import GetTaskRequest, Message, Part, Role, SendMessageRequest, TaskState
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from agentbus import AgentClients, Headers, KafkaBus, KafkaConsumerHandler
from agentbus.deadletter import redrive
from agentbus.logreader import CompactedTopicReader
from agentbus.metrics import get_metrics
from agentbus.wire import DEADLINE_EXCEEDED_CODE, decode_headers, now_ms
from tests.support import kafka_settings


@pytest.fixture(scope="module")
async def raw(echo_agents: dict[str, str]) -> AsyncIterator[KafkaBus]:
    """A started bus to publish raw records to the echo agent and read its replies."""
    bus = KafkaBus(kafka_settings(echo_agents["bootstrap"]), name="rawcaller")
    await bus.start()
    yield bus
    await bus.stop()


async def send_raw(
    bus: KafkaBus, value: bytes | None, *, extra: dict[str, str] | None = None, reply: bool = True
) -> tuple[str, dict[str, Any] | None]:
    """Publish a raw request record to agent.echo.requests; return its id and the reply."""
    correlation = str(uuid.uuid4())
    headers = {Headers.CORRELATION_ID: correlation, Headers.SENDER: bus.name, **(extra or {})}
    if reply:
        headers[Headers.REPLY_TOPIC] = bus.inbox_topic
        headers[Headers.REPLY_PARTITION] = str(bus.inbox_partition)
    with bus.expect_replies(correlation) as queue:
        await bus.publish("agent.echo.requests", value, key=correlation, headers=headers)
        if not reply:
            return correlation, None
        record = await asyncio.wait_for(queue.get(), timeout=15)
    return correlation, json.loads(record.value)


async def publish_bytes(bus: KafkaBus, value: bytes, headers: list[tuple[str, bytes]]) -> None:
    """Publish a record with raw header bytes, as a client with another encoding would."""
    producer = AIOKafkaProducer(bootstrap_servers=bus.settings.kafka.bootstrap_servers)
    await producer.start()
    try:
        await producer.send_and_wait("agent.echo.requests", value, headers=headers)
    finally:
        await producer.stop()


async def dead_letters(
    bootstrap: str, correlation: str, *, header: str = Headers.CORRELATION_ID
) -> list[dict[str, str]]:
    """Headers of the DLQ records of the echo agent whose ``header`` is ``correlation``."""
    consumer = AIOKafkaConsumer(
        "agent.echo.dlq", bootstrap_servers=bootstrap, auto_offset_reset="earliest"
    )
    await consumer.start()
    found: list[dict[str, str]] = []
    try:
        for _ in range(50):
            batches = await consumer.getmany(timeout_ms=200)
            for records in batches.values():
                for record in records:
                    headers = decode_headers(record.headers)
                    if headers.get(header) == correlation:
                        found.append(headers)
            if found:
                break
    finally:
        await consumer.stop()
    return found


def rpc(method: str, params: Any, rid: Any = "r1") -> bytes:
    return json.dumps({"jsonrpc": "2.0", "id": rid, "method": method, "params": params}).encode()


@pytest.mark.parametrize(
    ("value", "code", "reason"),
    [
        (b"{not json", -32700, "malformed-json"),
        (b"\xff\xfe\x00", -32700, "malformed-json"),
        (b'[{"jsonrpc": "2.0"}]', -32600, "invalid-jsonrpc"),
        (b'{"jsonrpc": "1.0", "id": 1, "method": "GetTask"}', -32600, "invalid-jsonrpc"),
        (b'{"jsonrpc": "2.0", "id": true, "method": "GetTask"}', -32600, "invalid-jsonrpc"),
        (rpc("DropAllTables", {}), -32601, "unknown-method"),
        (rpc("GetTask", {"id": 42}), -32602, "invalid-params"),
        (rpc("SendMessage", {"message": {"parts": "not a list"}}), -32602, "invalid-params"),
        (b'{"x": "' + b"y" * 1_100_000 + b'"}', -32600, "oversized"),
        (b"[" * 100_000, -32700, "malformed-json"),
        (
            b'{"jsonrpc": "2.0", "id": ' + b"9" * 5000 + b', "method": "GetTask"}',
            -32700,
            "malformed-json",
        ),
    ],
)
async def test_records_that_cannot_be_processed_are_answered_and_dead_lettered(
    raw: KafkaBus, echo_agents: dict[str, str], value: bytes, code: int, reason: str
) -> None:
    """Each kind of bad record gets its JSON-RPC error at once and a DLQ copy saying why."""
    correlation, reply = await send_raw(raw, value)
    letters = await dead_letters(echo_agents["bootstrap"], correlation)

    assert reply is not None
    assert reply["error"]["code"] == code
    assert reply["error"]["message"]
    assert [h["agentbus-dlq-reason"] for h in letters] == [reason]
    assert letters[0][Headers.ORIGINAL_TOPIC] == "agent.echo.requests"
    assert letters[0][Headers.ERROR_CODE] == str(code)


@pytest.mark.parametrize(
    ("header", "code"),
    [
        (Headers.DEADLINE, -32001),  # no readable deadline: handled (the task is not found)
        ("traceparent", -32001),  # no readable trace context: handled in a new trace
        (Headers.A2A_VERSION, -32009),  # an unreadable version is not a supported one
    ],
)
async def test_headers_that_are_not_utf8_still_get_an_answer(
    raw: KafkaBus, header: str, code: int
) -> None:
    """A header value that is not UTF-8 never drops a request: it gets a JSON-RPC answer."""
    correlation = str(uuid.uuid4())
    headers = [
        (Headers.CORRELATION_ID, correlation.encode()),
        (Headers.REPLY_TOPIC, raw.inbox_topic.encode()),
        (Headers.REPLY_PARTITION, str(raw.inbox_partition).encode()),
        (header, b"\xff\xfe"),
    ]
    with raw.expect_replies(correlation) as queue:
        await publish_bytes(raw, rpc("GetTask", {"id": "no-such-task"}), headers)
        record = await asyncio.wait_for(queue.get(), timeout=15)

    assert json.loads(record.value)["error"]["code"] == code


@pytest.mark.parametrize(
    "unreadable", [Headers.CORRELATION_ID, Headers.REPLY_TOPIC, Headers.REPLY_PARTITION]
)
async def test_unreadable_routing_headers_are_dead_lettered(
    raw: KafkaBus, echo_agents: dict[str, str], unreadable: str
) -> None:
    """Without a readable way back there is no answering: unroutable, in the DLQ."""
    marker = str(uuid.uuid4())
    routing = {
        Headers.CORRELATION_ID: marker.encode(),
        Headers.REPLY_TOPIC: raw.inbox_topic.encode(),
        Headers.REPLY_PARTITION: str(raw.inbox_partition).encode(),
    }
    routing[unreadable] = b"\xff"
    headers = [*routing.items(), ("test-marker", marker.encode())]
    await publish_bytes(raw, rpc("GetTask", {"id": "x"}), headers)

    letters = await dead_letters(echo_agents["bootstrap"], marker, header="test-marker")

    assert [h["agentbus-dlq-reason"] for h in letters] == ["unroutable"]


async def test_a_failure_inside_the_agent_is_answered_and_dead_lettered(
    raw: KafkaBus, echo_agents: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unexpected exception while handling gets an internal error and a DLQ copy."""

    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("a bug")

    monkeypatch.setattr(KafkaConsumerHandler, "_answer", broken)
    message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": "x"}]}

    correlation, reply = await send_raw(raw, rpc("SendMessage", {"message": message}))
    letters = await dead_letters(echo_agents["bootstrap"], correlation)

    assert reply is not None
    assert reply["error"]["code"] == -32603
    assert reply["id"] == "r1"
    assert [h["agentbus-dlq-reason"] for h in letters] == ["internal-error"]
    assert "RuntimeError: a bug" in letters[0][Headers.ERROR_MESSAGE]


async def test_a_task_log_still_catching_up_delays_a_request_instead_of_failing_it(
    raw: KafkaBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A task log read behind (as after a broker restart) is waited out, then answered."""
    original = CompactedTopicReader.catch_up
    timed_out: list[str] = []

    async def behind_once(self: CompactedTopicReader, timeout: float) -> None:
        if self.topic == raw.topics.tasks and not timed_out:
            timed_out.append(self.topic)
            raise TimeoutError
        await original(self, timeout)

    monkeypatch.setattr(CompactedTopicReader, "lagging", lambda _: True)
    monkeypatch.setattr(CompactedTopicReader, "catch_up", behind_once)
    retries = get_metrics().retries.labels("echo", "request")
    before = retries._value.get()
    message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": "hi"}]}

    _, reply = await send_raw(raw, rpc("SendMessage", {"message": message}))

    assert timed_out == [raw.topics.tasks]
    assert reply is not None
    assert "error" not in reply
    assert reply["result"]["message"]["parts"][0]["text"] == "echo: hi"
    assert retries._value.get() == before + 1


async def test_a_record_nobody_can_answer_is_dead_lettered(
    raw: KafkaBus, echo_agents: dict[str, str]
) -> None:
    """A request without a reply topic cannot be answered, so it goes to the DLQ."""
    correlation, _ = await send_raw(raw, rpc("GetTask", {"id": "x"}), reply=False)

    letters = await dead_letters(echo_agents["bootstrap"], correlation)

    assert [h["agentbus-dlq-reason"] for h in letters] == ["unroutable"]


async def test_a_poison_record_does_not_block_the_requests_behind_it(raw: KafkaBus) -> None:
    """A valid request sent right after a poison record, on the same key, is answered."""
    await send_raw(raw, b"poison")
    message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": "after"}]}

    _, reply = await send_raw(raw, rpc("SendMessage", {"message": message}))

    assert reply is not None
    assert reply["result"]["message"]["parts"][0]["text"] == "echo: after"


async def test_an_expired_request_gets_a_deadline_error_instead_of_work(raw: KafkaBus) -> None:
    """A request whose deadline passed before the agent read it is refused, not worked on."""
    metric = get_metrics().requests.labels("echo", "SendMessage", "kafka", "deadline")
    before = metric._value.get()
    message = {"messageId": str(uuid.uuid4()), "role": "ROLE_USER", "parts": [{"text": "late"}]}

    _, reply = await send_raw(
        raw,
        rpc("SendMessage", {"message": message}),
        extra={Headers.DEADLINE: str(now_ms() - 1000)},
    )

    assert reply is not None
    assert reply["error"]["code"] == DEADLINE_EXCEEDED_CODE
    assert "echo" in reply["error"]["message"]
    assert metric._value.get() == before + 1


def message(text: str, message_id: str) -> SendMessageRequest:
    return SendMessageRequest(
        message=Message(role=Role.ROLE_USER, message_id=message_id, parts=[Part(text=text)])
    )


async def test_a_repeated_message_id_gets_the_stored_result(
    callers: dict[str, AgentClients],
) -> None:
    """Sending the same messageId again returns the same finished task; nothing is redone."""
    client = await callers["kafka"].get("echo")
    hits = get_metrics().dedup_hits.labels("echo")
    before = hits._value.get()
    message_id = str(uuid.uuid4())

    first = [e async for e in client.send_message(message("task 2 0.05: once", message_id))]
    again = [e async for e in client.send_message(message("task 2 0.05: once", message_id))]

    assert again[-1].task.id == first[-1].task.id
    assert again[-1].task.status.state == TaskState.TASK_STATE_COMPLETED
    assert len(again[-1].task.artifacts) == 2
    assert hits._value.get() == before + 1


async def test_a_repeat_of_a_running_task_does_not_start_it_twice(
    callers: dict[str, AgentClients],
) -> None:
    """A repeat that arrives while the task runs joins it instead of starting a second run."""
    polling = await callers["kafka"].get("echo", polling=True)
    client = await callers["kafka"].get("echo")
    message_id = str(uuid.uuid4())

    first = [e async for e in polling.send_message(message("task 5 0.1: slow", message_id))]
    again = [e async for e in polling.send_message(message("task 5 0.1: slow", message_id))]
    for _ in range(100):
        task = await client.get_task(GetTaskRequest(id=first[-1].task.id))
        if task.status.state == TaskState.TASK_STATE_COMPLETED:
            break
        await asyncio.sleep(0.05)

    assert again[-1].task.id == first[-1].task.id
    assert task.status.state == TaskState.TASK_STATE_COMPLETED
    assert len(task.artifacts) == 5


async def test_dead_letters_can_be_redriven_after_a_fix(
    raw: KafkaBus, echo_agents: dict[str, str]
) -> None:
    """Redrive puts dead letters back on the request topic, each once."""
    await send_raw(raw, rpc("NotYetKnown", {}))

    first = await redrive(raw, "echo", reasons={"unknown-method"})
    await asyncio.sleep(2)  # the agent refuses the re-driven records again
    second = await redrive(raw, "echo", reasons={"unknown-method"})

    assert first.redriven >= 1
    # The re-driven record failed again (the method is still unknown), so it came back
    # to the DLQ once more, and only that new letter is left to re-drive.
    assert second.redriven == first.redriven


async def test_a_reused_message_id_right_after_a_failure_gets_a_clear_answer(
    raw: KafkaBus,
) -> None:
    """A send refused by the executor, then at once another with the same messageId.

    The second must get a real answer (the stored outcome, or its own), never an
    internal error from resuming a task that had only just stopped on this replica.
    """
    replies = []
    for gap in (0.0, 0.002, 0.005, 0.01, 0.02, 0.05):
        message_id = str(uuid.uuid4())
        bad = {"messageId": message_id, "role": "ROLE_USER", "parts": [{"text": "task x y: z"}]}
        good = {"messageId": message_id, "role": "ROLE_USER", "parts": [{"text": "hello"}]}

        async def later(body: dict[str, Any], delay: float) -> tuple[str, Any]:
            await asyncio.sleep(delay)
            return await send_raw(raw, rpc("SendMessage", {"message": body}))

        first, second = await asyncio.gather(later(bad, 0), later(good, gap))
        replies.append((gap, first[1], second[1]))

    for gap, first, second in replies:
        assert first is not None
        assert first["error"]["code"] == -32602, (gap, first)
        assert second is not None
        if "error" in second:
            assert second["error"]["code"] != -32603, (gap, second)
            assert second["error"]["message"], (gap, second)
