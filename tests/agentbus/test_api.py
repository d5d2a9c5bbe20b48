"""The public API: exactly the curated names, each of them importable."""

import agentbus


def test_every_exported_name_exists() -> None:
    """Each name in agentbus.__all__ is an attribute of the package."""
    missing = [name for name in agentbus.__all__ if not hasattr(agentbus, name)]

    assert missing == []


def test_exported_names_are_sorted_and_unique() -> None:
    """__all__ is kept sorted without duplicates, so changes show in review."""
    assert list(agentbus.__all__) == sorted(
        set(agentbus.__all__), key=lambda n: (not n.isupper(), n)
    )


def test_the_core_classes_of_the_design_are_exported() -> None:
    """DESIGN.md's two entry points are public: the server handler and the client transport."""
    assert {"KafkaConsumerHandler", "KafkaTransport", "AgentClients", "run_agent"} <= set(
        agentbus.__all__
    )


def test_the_lazy_export_table_matches_all() -> None:
    """Every exported name has a home module and nothing else is exported lazily."""
    assert set(agentbus._EXPORTS) == set(agentbus.__all__)
