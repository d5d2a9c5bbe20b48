"""gateway: the human entry point of the game-balance team.

An HTTP API (FastAPI) with synchronous answers, asynchronous tasks with polling
and webhooks, and server-sent-event streams, plus a small web console. It is an
agent itself ("gateway"): asynchronous tasks are A2A tasks of the gateway, queued
on its Kafka request topic and stored on the compacted ``agent.tasks`` topic, so a
task survives a gateway restart and any gateway replica can answer for it.
"""
