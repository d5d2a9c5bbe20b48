"""Resolving the official Apache Kafka jars from Maven Central, once, into a local cache.

Layout of a cache directory (one per Kafka version)::

    <cache_dir>/<kafka version>/
        .lock            fcntl lock held while Maven runs, so concurrent starts wait
        libs/            the jars, moved here in one rename once Maven succeeded
        libs/.complete   stamp naming the pom it was resolved from
        .staging-*/      work directory of a resolution in progress (or interrupted)

A ``libs`` directory is trusted only when its stamp matches the pom this
module renders; an interrupted download never reaches ``libs`` at all.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from agentbus.localkafka.errors import JarResolutionError
from agentbus.localkafka.toolchain import find_maven
from agentbus.versions import KAFKA_VERSION, SCALA_BINARY_VERSION

__all__ = ["LOG4J_VERSION", "default_cache_dir", "render_pom", "resolve_jars"]

LOG4J_VERSION = "2.25.4"
"""log4j2 release bound to the broker's slf4j logging, so it logs through log4j2."""

DEPENDENCY_PLUGIN_VERSION = "3.8.1"
"""maven-dependency-plugin pinned so every machine copies jars the same way."""

_STAMP = ".complete"
_TAIL_LINES = 30
_log = logging.getLogger(__name__)


def render_pom(kafka_version: str = KAFKA_VERSION, scala: str = SCALA_BINARY_VERSION) -> str:
    """Render the pom whose runtime dependencies are exactly the broker's classpath.

    Args:
        kafka_version: Apache Kafka release of the ``kafka_<scala>`` server artifact.
        scala: Scala binary version of that artifact.

    Returns:
        The text of a ``pom.xml`` with packaging ``pom``.
    """
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.agentbus</groupId>
  <artifactId>local-kafka-runtime</artifactId>
  <version>{kafka_version}</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency>
      <groupId>org.apache.kafka</groupId>
      <artifactId>kafka_{scala}</artifactId>
      <version>{kafka_version}</version>
    </dependency>
    <dependency>
      <groupId>org.apache.logging.log4j</groupId>
      <artifactId>log4j-slf4j-impl</artifactId>
      <version>{LOG4J_VERSION}</version>
    </dependency>
  </dependencies>
  <build>
    <pluginManagement>
      <plugins>
        <plugin>
          <groupId>org.apache.maven.plugins</groupId>
          <artifactId>maven-dependency-plugin</artifactId>
          <version>{DEPENDENCY_PLUGIN_VERSION}</version>
        </plugin>
      </plugins>
    </pluginManagement>
  </build>
</project>
"""


def default_cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Return the cache root shared by all Kafka versions: ``~/.cache/agentbus/kafka``.

    ``XDG_CACHE_HOME`` replaces ``~/.cache`` when set. ``AGENTBUS_KAFKA_CACHE``
    is not read here; the CLI and the test fixtures read it and pass it on.

    Args:
        environ: Environment to read ``XDG_CACHE_HOME`` from; the process's by default.

    Returns:
        The cache root; jars live in its ``<kafka version>/libs`` subdirectory.
    """
    env = os.environ if environ is None else environ
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "agentbus" / "kafka"


def resolve_jars(
    cache_dir: Path,
    *,
    mvn: str | None = None,
    kafka_version: str = KAFKA_VERSION,
    timeout: float = 900,
) -> Path:
    """Return the directory holding the broker's jars, running Maven first if needed.

    Safe when several processes call it at once: one runs Maven, the others wait
    on the lock and then use its result.

    Args:
        cache_dir: Cache root, e.g. :func:`default_cache_dir`; the version is appended.
        mvn: The ``mvn`` executable; ``mvn`` on ``PATH`` by default.
        kafka_version: Apache Kafka release to resolve.
        timeout: Seconds Maven may take before it is stopped.

    Returns:
        The ``libs`` directory; ``<libs>/*`` is the broker's classpath.

    Raises:
        MavenNotFoundError: If the jars are not cached and ``mvn`` is missing.
        JarResolutionError: If Maven fails; the message ends with its output.
    """
    pom = render_pom(kafka_version)
    stamp = {"kafka": kafka_version, "pom_sha256": hashlib.sha256(pom.encode()).hexdigest()}
    version_dir = cache_dir / kafka_version
    libs = version_dir / "libs"
    if _is_complete(libs, stamp):
        return libs
    maven = find_maven(mvn)
    version_dir.mkdir(parents=True, exist_ok=True)
    with _locked(version_dir / ".lock"):
        if _is_complete(libs, stamp):  # another process finished while we waited
            return libs
        for stale in version_dir.glob(".staging-*"):
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=version_dir))
        try:
            jars = _run_maven(maven, pom, staging, kafka_version, timeout)
            (jars / _STAMP).write_text(json.dumps(stamp, indent=2) + "\n")
            if libs.exists():
                shutil.rmtree(libs)
            jars.rename(libs)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return libs


def _run_maven(maven: str, pom: str, staging: Path, kafka_version: str, timeout: float) -> Path:
    """Run Maven in ``staging`` and return the directory it copied the jars to."""
    _log.info("resolving Apache Kafka %s jars with Maven (first run only)…", kafka_version)
    (staging / "pom.xml").write_text(pom)
    jars = staging / "jars"
    maven_log = staging / "maven.log"
    command = [
        maven,
        "-B",
        "-q",
        "-Dstyle.color=never",
        "-f",
        str(staging / "pom.xml"),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={jars}",
        "-DincludeScope=runtime",
    ]
    with maven_log.open("w") as out:
        try:
            result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
                command, stdout=out, stderr=subprocess.STDOUT, timeout=timeout, check=False
            )
            failure = f"exited with code {result.returncode}" if result.returncode else ""
        except subprocess.TimeoutExpired:
            failure = f"did not finish within {timeout:.0f} s"
    kafka_jar = jars / f"kafka_{SCALA_BINARY_VERSION}-{kafka_version}.jar"
    if not failure and not kafka_jar.is_file():
        failure = f"succeeded but did not produce {kafka_jar.name}"
    if failure:
        tail = "\n".join(maven_log.read_text(errors="replace").splitlines()[-_TAIL_LINES:])
        raise JarResolutionError(
            f"Maven {failure} while resolving the Apache Kafka {kafka_version} jars "
            f"(`{' '.join(command)}`); check network access to Maven Central (or your "
            f"~/.m2/settings.xml mirror) and retry. Last lines of its output:\n{tail}"
        )
    _log.info("cached %d jars in %s", len(list(jars.glob("*.jar"))), staging.parent / "libs")
    return jars


def _is_complete(libs: Path, stamp: Mapping[str, str]) -> bool:
    try:
        return bool(json.loads((libs / _STAMP).read_text()) == stamp)
    except (OSError, ValueError):
        return False


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            _log.info("waiting for another process that is resolving the Kafka jars…")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
