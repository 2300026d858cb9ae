"""lotsen_match: exact, explainable matching of Integrationslotsen to help requests."""

__version__ = "0.1.0"
__all__ = ["__version__"]
