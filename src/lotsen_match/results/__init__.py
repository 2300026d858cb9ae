"""What a run returns: the result object, its tables and the explanations in words."""

__all__: list[str] = []
