"""``python -m balance_agent``: serve the balance agent (settings from ``AGENTBUS_*``)."""

from agentbus import run_agent
from balance_agent.app import create_spec

if __name__ == "__main__":
    run_agent(create_spec())
