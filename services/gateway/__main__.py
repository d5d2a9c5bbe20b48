"""``python -m gateway``: serve the gateway (settings from ``AGENTBUS_*``)."""

from agentbus import load_settings, serve_app
from gateway.app import create_app

if __name__ == "__main__":
    settings = load_settings()
    serve_app(create_app(settings), settings, service_name="gateway")
