"""The matching core: encoded problem, admissible pairs, score components, household model."""

__all__: list[str] = []
