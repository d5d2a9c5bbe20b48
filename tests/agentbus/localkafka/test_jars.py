from __future__ import annotations

import sys
import threading
from pathlib import Path

import pytest

from agentbus.localkafka import JarResolutionError, MavenNotFoundError, resolve_jars
from agentbus.versions import KAFKA_VERSION, SCALA_BINARY_VERSION

KAFKA_JAR = f"kafka_{SCALA_BINARY_VERSION}-{KAFKA_VERSION}.jar"


def fake_maven(tmp_path: Path, *, fail: bool = False, delay: float = 0.0) -> tuple[str, Path]:
    """Write an ``mvn`` stand-in that copies one fake jar (or fails) and logs each call."""
    calls = tmp_path / "mvn-calls"
    script = tmp_path / "mvn"
    script.write_text(
        f"""#!{sys.executable}
import pathlib, sys, time
with open({str(calls)!r}, "a") as log:
    log.write(" ".join(sys.argv[1:]) + "\\n")
time.sleep({delay})
if {fail}:
    print("[ERROR] Failed to execute goal: Could not resolve dependencies")
    sys.exit(1)
out = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("-DoutputDirectory="))
pathlib.Path(out).mkdir(parents=True)
(pathlib.Path(out) / {KAFKA_JAR!r}).write_bytes(b"jar")
"""
    )
    script.chmod(0o755)
    return str(script), calls


def call_count(calls: Path) -> int:
    return len(calls.read_text().splitlines()) if calls.exists() else 0


def test_jars_are_resolved_once_and_then_served_from_the_cache(tmp_path: Path) -> None:
    """The first call runs Maven; the next finds the stamped cache and needs no Maven at all."""
    mvn, calls = fake_maven(tmp_path)
    cache = tmp_path / "cache"

    first = resolve_jars(cache, mvn=mvn)
    second = resolve_jars(cache, mvn=str(tmp_path / "no-such-mvn"))

    assert first == second == cache / KAFKA_VERSION / "libs"
    assert (first / KAFKA_JAR).is_file()
    assert (first / ".complete").is_file()
    assert call_count(calls) == 1


def test_a_maven_failure_shows_its_output_and_leaves_no_cache(tmp_path: Path) -> None:
    """A failed resolution raises with Maven's last lines and leaves nothing that looks cached."""
    mvn, _ = fake_maven(tmp_path, fail=True)
    cache = tmp_path / "cache"

    with pytest.raises(JarResolutionError, match="Could not resolve dependencies") as caught:
        resolve_jars(cache, mvn=mvn)

    assert "exited with code 1" in str(caught.value)
    assert sorted(p.name for p in (cache / KAFKA_VERSION).iterdir()) == [".lock"]


def test_an_interrupted_download_is_not_trusted(tmp_path: Path) -> None:
    """Leftovers of a killed resolution (a staging dir, an unstamped libs) are redone, not used."""
    mvn, calls = fake_maven(tmp_path)
    version_dir = tmp_path / "cache" / KAFKA_VERSION
    (version_dir / ".staging-dead").mkdir(parents=True)
    (version_dir / "libs").mkdir()
    (version_dir / "libs" / "half.jar").write_bytes(b"")

    libs = resolve_jars(tmp_path / "cache", mvn=mvn)

    assert call_count(calls) == 1
    assert sorted(p.name for p in libs.iterdir()) == [".complete", KAFKA_JAR]
    assert not (version_dir / ".staging-dead").exists()


def test_concurrent_resolutions_run_maven_once(tmp_path: Path) -> None:
    """Two starts racing on an empty cache wait for one Maven run and share its result."""
    mvn, calls = fake_maven(tmp_path, delay=0.5)
    results: list[Path] = []
    threads = [
        threading.Thread(target=lambda: results.append(resolve_jars(tmp_path / "c", mvn=mvn)))
        for _ in range(2)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert call_count(calls) == 1
    assert len(results) == 2
    assert results[0] == results[1]


def test_missing_maven_says_what_to_install(tmp_path: Path) -> None:
    """Without cached jars and without mvn, the error names the package to install."""
    with pytest.raises(MavenNotFoundError, match="apt-get install maven"):
        resolve_jars(tmp_path / "cache", mvn=str(tmp_path / "no-such-mvn"))
