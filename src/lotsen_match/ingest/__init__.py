"""Reading an office's export: import profiles, German vocabularies, places and geocoding."""

__all__: list[str] = []
