"""Fixtures for the Helm chart's contract tests.

* ``helm`` (session): the helm binary that ``scripts/tools.sh`` builds from source and
  caches (a few minutes the first time on a fresh machine, instant afterwards).
* ``render`` (session): ``render(*values_files, **set_values)`` runs ``helm template``
  with the prerequisites' APIs present and returns the rendered objects.

Every test here is marked ``helm`` and may take 15 minutes (the first test builds helm
when ``make k8s-check`` has not yet done so on this machine).
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "agentbus"
API_VERSIONS = ("kafka.strimzi.io/v1", "keda.sh/v1alpha1", "monitoring.coreos.com/v1")

Render = Callable[..., list[dict[str, Any]]]


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``helm`` marker (``--strict-markers`` refuses unknown ones)."""
    config.addinivalue_line(
        "markers", "helm: needs the helm binary that scripts/tools.sh builds and caches"
    )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test of this folder ``helm``, with time for a first build of helm."""
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.helm)
            item.add_marker(pytest.mark.timeout(900))


@pytest.fixture(scope="session")
def helm() -> Path:
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "tools.sh"), "helm"],
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/tools.sh could not provide helm:\n{result.stderr[-3000:]}")
    return Path(result.stdout.strip())


@pytest.fixture(scope="session")
def render(helm: Path) -> Render:
    def run(*values_files: str, **set_values: str) -> list[dict[str, Any]]:
        command = [str(helm), "template", "agentbus", str(CHART), "--namespace", "agentbus"]
        for api in API_VERSIONS:
            command += ["--api-versions", api]
        for name in values_files:
            command += ["-f", str(CHART / name)]
        for key, value in set_values.items():
            command += ["--set", f"{key.replace('__', '.')}={value}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False, timeout=60)
        if result.returncode != 0:
            pytest.fail(f"helm template {' '.join(values_files)} failed:\n{result.stderr}")
        return [doc for doc in yaml.safe_load_all(result.stdout) if doc]

    return run
