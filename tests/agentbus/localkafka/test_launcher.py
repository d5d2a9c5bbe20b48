from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from agentbus.localkafka import (
    BrokerStartError,
    JavaNotFoundError,
    LocalKafka,
    PortInUseError,
    broker_is_ready,
)


async def create_topic(bootstrap_servers: str) -> str:
    name = f"test-{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(name, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    return name


async def produce(bootstrap_servers: str, topic: str, value: bytes) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap_servers, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(topic, value)
    finally:
        await producer.stop()


async def consume_one(bootstrap_servers: str, topic: str) -> bytes | None:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap_servers, auto_offset_reset="earliest"
    )
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            record = await consumer.getone()
    finally:
        await consumer.stop()
    value: bytes | None = record.value
    return value


@pytest.fixture
def own_kafka(tmp_path: Path, kafka_cache_dir: Path) -> Iterator[LocalKafka]:
    """A broker of the test's own (not started), stopped at teardown whatever happened."""
    broker = LocalKafka(tmp_path / "kafka", cache_dir=kafka_cache_dir)
    yield broker
    broker.stop()


async def test_the_session_broker_serves_admin_producer_and_consumer(
    bootstrap_servers: str,
) -> None:
    """A topic can be created on the session broker, and a record produced to it is consumed."""
    topic = await create_topic(bootstrap_servers)

    await produce(bootstrap_servers, topic, b"hello")
    value = await consume_one(bootstrap_servers, topic)

    assert value == b"hello"


@pytest.mark.kafka
@pytest.mark.parametrize("crash", [False, True], ids=["graceful", "crash"])
async def test_a_restarted_broker_keeps_its_records_and_address(
    own_kafka: LocalKafka, crash: bool
) -> None:
    """A record produced before a clean or SIGKILL restart is read after it, at the same address."""
    await asyncio.to_thread(own_kafka.start)
    address = own_kafka.bootstrap_servers
    topic = await create_topic(address)
    await produce(address, topic, b"survives")

    if crash:
        own_kafka.kill()
        assert not own_kafka.is_running
    await asyncio.to_thread(own_kafka.restart)
    value = await consume_one(own_kafka.bootstrap_servers, topic)

    assert own_kafka.bootstrap_servers == address
    assert value == b"survives"


@pytest.mark.kafka
def test_stop_is_a_no_op_on_a_stopped_broker(own_kafka: LocalKafka) -> None:
    """Stopping a broker that never started, or stopping twice, does nothing and raises nothing."""
    own_kafka.stop()
    own_kafka.start()
    own_kafka.stop()

    own_kafka.stop()

    assert not own_kafka.is_running
    assert own_kafka.pid is None
    with pytest.raises(ConnectionRefusedError):
        broker_is_ready("127.0.0.1", int(own_kafka.bootstrap_servers.rpartition(":")[2]))


def test_a_missing_java_is_reported_before_anything_runs(tmp_path: Path) -> None:
    """start() with a java that does not exist raises JavaNotFoundError and creates nothing."""
    broker = LocalKafka(tmp_path / "kafka", java=str(tmp_path / "no-jdk" / "java"))

    with pytest.raises(JavaNotFoundError, match="apt-get install openjdk-17-jre-headless"):
        broker.start()

    assert not (tmp_path / "kafka").exists()


def test_java_home_pointing_at_an_empty_folder_is_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """JAVA_HOME without a java in it is named in the error rather than silently ignored."""
    monkeypatch.setenv("JAVA_HOME", str(tmp_path))

    with pytest.raises(JavaNotFoundError, match="JAVA_HOME"):
        LocalKafka(tmp_path / "kafka").start()


@pytest.mark.kafka
def test_a_taken_port_is_reported_with_what_to_do(tmp_path: Path, kafka_cache_dir: Path) -> None:
    """A client port held by another socket gives PortInUseError naming the port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        broker = LocalKafka(tmp_path / "kafka", port=port, cache_dir=kafka_cache_dir)

        with pytest.raises(PortInUseError, match=f"port {port} on 127.0.0.1 is already in use"):
            broker.start()


@pytest.mark.kafka
def test_a_broker_that_dies_during_startup_shows_its_last_output(own_kafka: LocalKafka) -> None:
    """A JVM that exits at once (heap too small) raises BrokerStartError with its own words."""
    own_kafka.heap = "1k"

    with pytest.raises(BrokerStartError, match="exited with code 1") as caught:
        own_kafka.start()

    assert "heap" in str(caught.value).lower()
    assert not own_kafka.is_running
