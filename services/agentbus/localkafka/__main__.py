"""Entry point of ``python -m agentbus.localkafka``; see :mod:`agentbus.localkafka.cli`."""

from agentbus.localkafka.cli import main

raise SystemExit(main())
