"""The README's run command: the whole team as separate processes, one question, a report."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.kafka
@pytest.mark.timeout(300)
def test_the_demo_runs_the_team_and_prints_a_report_from_the_database(tmp_path: Path) -> None:
    """`python -m devstack demo` starts Kafka and four services, prints the report, stops."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTBUS_")}

    done = subprocess.run(
        [sys.executable, "-m", "devstack", "demo", "--state-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=280,
        env=env,
        check=False,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    out = done.stdout
    assert out.startswith("# 밸런스 보고서 — 테란 (패치 5.0.14)")
    assert re.search(r"테란: \d+\.\d% \(n=[\d,]+, 95% CI", out)
    timing = out.strip().splitlines()[-1]
    assert re.fullmatch(
        r"demo transport=kafka question='테란 승률 분석' answered_in_s=\d+\.\d+ "
        r"agents=cs:ok,data:ok state=completed",
        timing,
    )
    assert "stopping Kafka" in done.stderr
    assert (tmp_path / "data" / "matches.sqlite").exists()
