"""balance: the orchestrator of the game-balance team.

It takes a question ("테란 승률 분석"), asks the data agent (win-rate statistics)
and the cs agent (player feedback) at the same time through agentbus, and writes a
balance report: a verdict per race and matchup with statistical evidence, the
community signal, and recommendations. If one of them fails or misses the
deadline it still answers, with what it has, and says which part is missing.
"""
