"""``python -m cs_agent``: serve the cs agent (settings from ``AGENTBUS_*``)."""

from agentbus import run_agent
from cs_agent.app import create_spec

if __name__ == "__main__":
    run_agent(create_spec())
