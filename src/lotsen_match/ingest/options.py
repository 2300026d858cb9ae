"""What the ingest settings stand for at run time: the German vocabulary and the geocoder.

The settings themselves live in one place, the ``ingest`` section of the config
(:class:`lotsen_match.config.IngestSettings`); an import profile is a settings file with that
section. This module builds the two expensive objects they describe, once per distinct
setting, and turns a setting that cannot be used (a synonym for an unknown code, a places
table with the wrong headers, a ``near`` that names no place) into a
:class:`~lotsen_match.errors.ConfigError` naming the setting, before any row is read.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from ..config import IngestSettings
from ..errors import ArgumentError, ConfigError, InputFormatError
from .geocode import Geocoder
from .vocabulary_de import GermanVocabulary, default_vocabulary

__all__ = ["check_ingest_settings", "geocoder_for", "german_vocabulary"]


def german_vocabulary(settings: IngestSettings) -> GermanVocabulary | None:
    """The German vocabulary with the settings' synonyms, or None for vocabulary ``spec``.

    Raises
    ------
    ConfigError
        A synonym maps to a code the vocabulary does not have.
    """
    if settings.vocabulary != "de":
        return None
    if not settings.synonyms:
        return default_vocabulary()
    return _vocabulary(_freeze(settings.synonyms))


def geocoder_for(settings: IngestSettings) -> Geocoder:
    """The geocoder of the settings' places table and ``near`` (built once per setting).

    Raises
    ------
    ConfigError
        The places table cannot be read or has the wrong headers, or ``near`` names no place.
    """
    places = os.fspath(settings.places) if settings.places is not None else None
    stamp = os.stat(places).st_mtime_ns if places and os.path.exists(places) else 0
    return _geocoder(places, settings.near, settings.near_km, stamp)


def check_ingest_settings(settings: IngestSettings) -> None:
    """Build what the settings describe, so a setting that cannot be used fails before any row.

    Raises
    ------
    ConfigError
        See :func:`german_vocabulary` and :func:`geocoder_for`.
    """
    german_vocabulary(settings)
    if settings.geocode and (settings.places is not None or settings.near is not None):
        geocoder_for(settings)


def _freeze(
    synonyms: Mapping[str, Mapping[str, str]],
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple(sorted((k, tuple(sorted(v.items()))) for k, v in synonyms.items()))


@lru_cache(maxsize=16)
def _vocabulary(frozen: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> GermanVocabulary:
    try:
        return GermanVocabulary({kind: dict(words) for kind, words in frozen})
    except ArgumentError as exc:
        raise ConfigError([("ingest.synonyms", str(exc))]) from None


@lru_cache(maxsize=16)
def _geocoder(places: str | None, near: str | None, near_km: float, stamp: int) -> Geocoder:
    """``stamp`` (the table's mtime) keys the cache so an edited table is read again."""
    try:
        return Geocoder.from_settings(places, near, near_km)
    except (ArgumentError, InputFormatError, OSError) as exc:
        setting = "ingest.near" if "near" in str(exc).split(":", 1)[0] else "ingest.places"
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError([(setting, detail)]) from None
