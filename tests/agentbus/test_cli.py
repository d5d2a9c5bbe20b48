"""The ``agentbus`` command: ask by name, list agents, tail a topic."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

AGENTBUS = [sys.executable, "-c", "import sys; from agentbus.cli import main; sys.exit(main())"]


async def run(*args: str, bootstrap: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AGENTBUS_")}
    env["AGENTBUS_KAFKA__BOOTSTRAP_SERVERS"] = bootstrap
    return await asyncio.to_thread(
        subprocess.run, [*AGENTBUS, *args], capture_output=True, text=True, env=env, timeout=60
    )


async def test_ask_prints_the_answer(echo_agents: dict[str, str]) -> None:
    """`agentbus ask echo hello` prints the agent's answer and how long it took."""
    done = await run("ask", "echo", "hello from the shell", bootstrap=echo_agents["bootstrap"])

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "echo: hello from the shell"
    assert "answered in" in done.stderr


async def test_ask_an_unknown_agent_exits_2_with_a_clear_message(
    echo_agents: dict[str, str],
) -> None:
    """Asking an agent that does not exist fails with exit code 2 and says why."""
    done = await run("ask", "nobody", "hi", bootstrap=echo_agents["bootstrap"])

    assert done.returncode == 2
    assert "no agent named 'nobody'" in done.stderr


async def test_agents_lists_the_registered_agents(echo_agents: dict[str, str]) -> None:
    """`agentbus agents` lists agents by name from the registry."""
    done = await run("agents", bootstrap=echo_agents["bootstrap"])

    assert done.returncode == 0, done.stderr
    assert any(line.startswith("echo ") for line in done.stdout.splitlines())


async def test_tail_prints_records_with_their_headers(echo_agents: dict[str, str]) -> None:
    """`agentbus tail --from-beginning --limit 1` prints a request record of the echo agent."""
    done = await run(
        "tail",
        "agent.echo.requests",
        "--from-beginning",
        "--limit",
        "1",
        bootstrap=echo_agents["bootstrap"],
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("agent.echo.requests[")
    assert "agentbus-method" in done.stdout


async def test_help_lists_the_commands() -> None:
    """`agentbus --help` names every command."""
    done = await run("--help", bootstrap="127.0.0.1:1")

    assert done.returncode == 0
    assert all(word in done.stdout for word in ("ask", "agents", "tail"))
