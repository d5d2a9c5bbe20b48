"""The chaos suite: fault injection on a real Kafka broker, counted (``make chaos``)."""
