"""data: the agent that answers win-rate questions from a match database.

It generates a SQLite database of matches deterministically from a seed (the
balance story of patches 5.0.11-5.0.14 built in), reads a question in Korean or
English or a structured query, and answers with per-race and per-matchup win
rates, 95% Wilson intervals and the trend against another patch.

Modules: ``domain`` (the shared game constants), ``dataset`` (the database),
``query`` and ``parsing`` (what is asked), ``logic`` (the statistics),
``render`` (the answer's text), and the file set every agent has.
"""
