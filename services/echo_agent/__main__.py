"""``python -m echo_agent``: serve the echo agent (settings from ``AGENTBUS_*``)."""

from agentbus import run_agent
from echo_agent.app import create_spec

if __name__ == "__main__":
    run_agent(create_spec())
