from __future__ import annotations

import sys
from pathlib import Path

import pytest

from agentbus.localkafka import JavaNotFoundError
from agentbus.localkafka.toolchain import find_java


def fake_java(directory: Path, version: str) -> Path:
    """Write a ``java`` stand-in that reports ``version`` the way ``java -version`` does."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "java"
    script.write_text(
        f"#!{sys.executable}\nimport sys\nprint('openjdk version \"{version}\"', file=sys.stderr)\n"
    )
    script.chmod(0o755)
    return script


def test_an_explicit_java_path_that_does_not_exist_is_reported(tmp_path: Path) -> None:
    """A java path that is not there gives an error naming it and what to install."""
    with pytest.raises(JavaNotFoundError, match="openjdk-17-jre-headless") as caught:
        find_java(str(tmp_path / "java"))

    assert str(tmp_path / "java") in str(caught.value)


def test_java_home_without_java_is_reported(tmp_path: Path) -> None:
    """JAVA_HOME pointing at a folder without bin/java gives an error naming JAVA_HOME."""
    with pytest.raises(JavaNotFoundError, match=f"JAVA_HOME={tmp_path}"):
        find_java(environ={"JAVA_HOME": str(tmp_path), "PATH": "/usr/bin:/bin"})


def test_java_home_wins_over_path(tmp_path: Path) -> None:
    """With JAVA_HOME set, its bin/java is used even if another java is on PATH."""
    java = fake_java(tmp_path / "jdk" / "bin", "21.0.1")
    fake_java(tmp_path / "elsewhere", "1.8.0_292")

    found = find_java(
        environ={"JAVA_HOME": str(tmp_path / "jdk"), "PATH": str(tmp_path / "elsewhere")}
    )

    assert found == str(java)


def test_java_older_than_17_is_refused_with_its_version(tmp_path: Path) -> None:
    """Java 8 is found but refused, and the error says which version was found and needed."""
    fake_java(tmp_path, "1.8.0_292")

    with pytest.raises(JavaNotFoundError, match=r"is Java 8 and the broker needs Java 17"):
        find_java(environ={"PATH": str(tmp_path)})
