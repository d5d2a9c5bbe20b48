"""Finding the Java runtime that runs the broker and the Maven that fetches its jars."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path

from agentbus.localkafka.errors import JavaNotFoundError, MavenNotFoundError
from agentbus.versions import KAFKA_VERSION

__all__ = ["MIN_JAVA_VERSION", "find_java", "find_maven", "parse_java_major"]

MIN_JAVA_VERSION = 17
"""Oldest Java feature release that runs an Apache Kafka 4.x broker."""

_INSTALL_JAVA = (
    f"install a Java {MIN_JAVA_VERSION}+ runtime (Debian/Ubuntu: "
    f"`apt-get install openjdk-{MIN_JAVA_VERSION}-jre-headless`) "
    "or set JAVA_HOME to one"
)
_VERSION_RE = re.compile(r'version "(?P<version>[^"]+)"')


def parse_java_major(version_output: str) -> int | None:
    """Return the Java feature release named in ``java -version`` output.

    Both numbering schemes are understood: ``1.8.0_292`` is Java 8, ``17.0.15``
    is 17 and ``21`` (or ``21-ea``) is 21.

    Args:
        version_output: What ``java -version`` printed (it prints to stderr).

    Returns:
        The feature release, or None if the text names no version.
    """
    match = _VERSION_RE.search(version_output)
    if match is None:
        return None
    parts = re.split(r"[._+-]", match["version"])
    major = parts[1] if parts[0] == "1" and len(parts) > 1 else parts[0]
    return int(major) if major.isdigit() else None


def find_java(java: str | None = None, *, environ: Mapping[str, str] | None = None) -> str:
    """Locate a Java runtime new enough for the broker and return its executable.

    The executable is, in order: ``java`` if given, ``$JAVA_HOME/bin/java`` if
    ``JAVA_HOME`` is set, else ``java`` on ``PATH``.

    Args:
        java: Path or name of a ``java`` executable to use instead of searching.
        environ: Environment to read ``JAVA_HOME`` and ``PATH`` from; the process's by default.

    Returns:
        The path of the ``java`` executable.

    Raises:
        JavaNotFoundError: If no executable is found, it does not run, or it is older than 17.
    """
    env = os.environ if environ is None else environ
    if java is not None:
        candidate, origin = shutil.which(java), f"the java executable {java!r}"
    elif env.get("JAVA_HOME"):
        home = Path(env["JAVA_HOME"])
        candidate, origin = shutil.which(str(home / "bin" / "java")), f"JAVA_HOME={home}"
    else:
        candidate, origin = shutil.which("java", path=env.get("PATH")), "java on PATH"
    if candidate is None:
        raise JavaNotFoundError(
            f"cannot run the Apache Kafka {KAFKA_VERSION} broker: {origin} was not found; "
            f"{_INSTALL_JAVA}"
        )
    try:
        result = subprocess.run(  # noqa: S603 - runs the java the caller chose, no shell
            [candidate, "-version"], capture_output=True, text=True, timeout=30, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise JavaNotFoundError(
            f"cannot run the Apache Kafka broker: `{candidate} -version` failed ({exc}); "
            f"{_INSTALL_JAVA}"
        ) from exc
    major = parse_java_major(result.stderr + result.stdout)
    if major is None or major < MIN_JAVA_VERSION:
        found = "an unrecognised version" if major is None else f"Java {major}"
        raise JavaNotFoundError(
            f"cannot run the Apache Kafka {KAFKA_VERSION} broker: {candidate} ({origin}) is "
            f"{found} and the broker needs Java {MIN_JAVA_VERSION} or newer; {_INSTALL_JAVA}"
        )
    return candidate


def find_maven(mvn: str | None = None) -> str:
    """Locate the ``mvn`` executable used to resolve the Kafka jars.

    Args:
        mvn: Path or name of an ``mvn`` executable to use instead of ``mvn`` on ``PATH``.

    Returns:
        The path of the executable.

    Raises:
        MavenNotFoundError: If it cannot be found.
    """
    candidate = shutil.which(mvn or "mvn")
    if candidate is None:
        raise MavenNotFoundError(
            f"cannot fetch the Apache Kafka {KAFKA_VERSION} jars: {mvn or 'mvn'!r} was not "
            "found on PATH, and Maven is needed once to download them from Maven Central; "
            "install it (Debian/Ubuntu: `apt-get install maven`) or pass its path"
        )
    return candidate
