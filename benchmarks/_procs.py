"""What benchmarks need to run the project's own processes: a broker when none is given."""

from __future__ import annotations

import asyncio
import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from devstack.processes import progress

__all__ = ["local_kafka", "warm_up"]


async def warm_up(bootstrap: str, seconds: float = 6.0) -> int:
    """Produce and fetch small records for ``seconds``; return how many round trips.

    A fresh broker's JIT has not compiled its request paths yet; the benchmarks
    measure a broker in steady state, as production runs it.
    """
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition  # noqa: PLC0415
    from aiokafka.admin import AIOKafkaAdminClient, NewTopic  # noqa: PLC0415

    topic = "agentbus-bench-warmup"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        if topic not in await admin.list_topics():
            await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=0
    )
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, fetch_max_wait_ms=100)
    await producer.start()
    await consumer.start()
    rounds = 0
    try:
        consumer.assign([TopicPartition(topic, 0)])
        await consumer.seek_to_end(TopicPartition(topic, 0))
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        while loop.time() < until:
            await producer.send_and_wait(topic, b"x" * 1024, key=b"warm-up")
            await consumer.getone()
            rounds += 1
    finally:
        await consumer.stop()
        await producer.stop()
    return rounds


@contextlib.contextmanager
def local_kafka(bootstrap: str | None) -> Iterator[str]:
    """Yield bootstrap servers: ``bootstrap`` if given, else a fresh local broker."""
    if bootstrap:
        yield bootstrap
        return
    from agentbus.localkafka import LocalKafka  # noqa: PLC0415

    with tempfile.TemporaryDirectory(prefix="agentbus-bench-") as tmp:
        progress("starting a local Apache Kafka broker")
        kafka = LocalKafka(Path(tmp) / "kafka")
        kafka.start()
        try:
            progress(f"Kafka ready at {kafka.bootstrap_servers}; warming its JIT up")
            asyncio.run(warm_up(kafka.bootstrap_servers))
            yield kafka.bootstrap_servers
        finally:
            kafka.stop()
