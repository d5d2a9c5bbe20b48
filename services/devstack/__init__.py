"""devstack: the game-balance team on one machine, one process per service.

``python -m devstack demo`` starts a local Apache Kafka broker, the data, cs and
balance agents and the gateway as separate processes, asks the scenario question
through the gateway, prints the report and a timing line, and stops everything.
``python -m devstack up`` keeps it all running for people to call.
"""
