"""echo: the reference agent that tests and benchmarks talk to.

It has the file set every agent has (executor, logic, app, settings, __main__) and
exercises every A2A shape agentbus carries: a direct message reply, a task with
streamed progress and artifacts, slow work, failure, and cancellation.
"""
