"""``python -m data_agent``: serve the data agent (settings from ``AGENTBUS_*``)."""

from agentbus import run_agent
from data_agent.app import create_spec

if __name__ == "__main__":
    run_agent(create_spec())
