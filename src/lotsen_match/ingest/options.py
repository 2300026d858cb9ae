"""How an export is to be read: vocabulary, message language, cell separators, geocoding.

The contract vocabulary (``spec``) stays the default; ``de`` also accepts the German and English
words of real exports (see :mod:`lotsen_match.ingest.vocabulary_de`). Options reach
validation explicitly (``validate_caseload(..., options=...)``), or travel with the raw frames
in ``df.attrs["lotsen_import"]`` (set by
:func:`lotsen_match.ingest.profile.load_with_profile`), or come
from config fields of the same names once the config has them; the first found wins.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Final, Literal

import pandas as pd

from ..errors import ArgumentError, ConfigError, InputFormatError
from .geocode import Geocoder
from .vocabulary_de import GermanVocabulary, Lang, default_vocabulary

__all__ = ["ATTRS_KEY", "ImportOptions", "resolve_options"]

#: Key of ``DataFrame.attrs`` under which raw frames carry their import options.
ATTRS_KEY: Final[str] = "lotsen_import"
_SPEC_SEPARATORS: Final[tuple[str, ...]] = (";",)
_GERMAN_SEPARATORS: Final[tuple[str, ...]] = (";", ",", "\n")


@dataclass(frozen=True)
class ImportOptions:
    """Reading options of one caseload (plain values, so they can travel in ``df.attrs``).

    Attributes:
        vocabulary: ``spec`` (contract codes only) or ``de`` (also German/English words).
        messages: language of problem messages; default German for ``de``, else English.
        list_separators: separators between entries of list cells; default ``;`` for
            ``spec`` and ``;``, ``,`` and line breaks for ``de``.
        date_formats: strptime formats tried before the built-in ones (e.g. ``%d.%m.%y``).
        synonyms: extra words per vocabulary kind (``{"need_types": {"Amt": "authority"}}``).
        places: a user table (postal code / place / address key -> lat, lon), path.
        near: the office's centre (place name) for ambiguous place names.
        near_km: how far from ``near`` an ambiguous place may lie to be chosen.
        geocode: resolve ``place``/``postal_code`` where lat and lon are both empty.
    """

    vocabulary: Literal["spec", "de"] = "spec"
    messages: Literal["en", "de"] | None = None
    list_separators: tuple[str, ...] | None = None
    date_formats: tuple[str, ...] = ()
    synonyms: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    places: str | None = None
    near: str | None = None
    near_km: float = 30.0
    geocode: bool = True

    def __post_init__(self) -> None:
        if self.vocabulary not in ("spec", "de"):
            raise ArgumentError(f"vocabulary must be 'spec' or 'de', got {self.vocabulary!r}")
        if self.messages not in (None, "en", "de"):
            raise ArgumentError(f"messages must be 'en' or 'de', got {self.messages!r}")
        if self.synonyms and self.vocabulary != "de":
            raise ArgumentError("synonyms need vocabulary = 'de'")
        if self.list_separators is not None and not all(self.list_separators):
            raise ArgumentError("list_separators: a separator cannot be empty")
        self.german()  # unknown kinds or codes in synonyms fail here, not mid-validation

    @property
    def lang(self) -> Lang:
        """Language of messages."""
        if self.messages is not None:
            return self.messages
        return "de" if self.vocabulary == "de" else "en"

    @property
    def separators(self) -> tuple[str, ...]:
        """Entry separators inside list cells."""
        if self.list_separators is not None:
            return self.list_separators
        return _GERMAN_SEPARATORS if self.vocabulary == "de" else _SPEC_SEPARATORS

    def german(self) -> GermanVocabulary | None:
        """The German vocabulary with this caseload's synonyms, or None for ``spec``."""
        if self.vocabulary != "de":
            return None
        if not self.synonyms:
            return default_vocabulary()
        return _vocabulary(_freeze(self.synonyms))

    def geocoder(self) -> Geocoder:
        """The geocoder for these options (built once per distinct setting)."""
        stamp = (
            os.stat(self.places).st_mtime_ns if self.places and os.path.exists(self.places) else 0
        )
        return _geocoder(self.places, self.near, self.near_km, stamp)

    def to_attrs(self) -> dict[str, Any]:
        """Plain JSON-like dict for ``df.attrs[ATTRS_KEY]``."""
        data = asdict(self)
        data["synonyms"] = {k: dict(v) for k, v in self.synonyms.items()}
        return data

    @classmethod
    def from_attrs(cls, data: Mapping[str, Any]) -> ImportOptions:
        """Inverse of :meth:`to_attrs` (lists become tuples)."""
        values = dict(data)
        for key in ("list_separators", "date_formats"):
            if values.get(key) is not None:
                values[key] = tuple(values[key])
        return cls(**values)


def resolve_options(
    frames: Mapping[str, pd.DataFrame | None], config: Any, options: ImportOptions | None
) -> ImportOptions:
    """The options in force: explicit, else carried by a frame, else config fields, else default."""
    if options is not None:
        return options
    for frame in frames.values():
        if frame is not None and isinstance(frame.attrs.get(ATTRS_KEY), Mapping):
            return ImportOptions.from_attrs(frame.attrs[ATTRS_KEY])
    from_config = {
        name: getattr(config.ingest, name)
        for name in (
            "vocabulary",
            "messages",
            "list_separators",
            "date_formats",
            "places",
            "near",
            "near_km",
        )
        if config is not None and getattr(config.ingest, name, None) is not None
    }
    if from_config.get("places") is not None:
        from_config["places"] = os.fspath(from_config["places"])
    for key in ("list_separators", "date_formats"):
        if key in from_config:
            from_config[key] = tuple(from_config[key])
    return ImportOptions(**from_config) if from_config else ImportOptions()


def _freeze(
    synonyms: Mapping[str, Mapping[str, str]],
) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    return tuple(sorted((k, tuple(sorted(v.items()))) for k, v in synonyms.items()))


@lru_cache(maxsize=16)
def _vocabulary(frozen: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]) -> GermanVocabulary:
    return GermanVocabulary({kind: dict(words) for kind, words in frozen})


@lru_cache(maxsize=16)
def _geocoder(places: str | None, near: str | None, near_km: float, stamp: int) -> Geocoder:
    """``stamp`` (the table's mtime) keys the cache so an edited table is read again.

    The places table and ``near`` are configuration: a table that cannot be read or has the
    wrong headers, or a ``near`` that names no single place, is a ConfigError naming the setting.
    """
    try:
        return Geocoder.from_settings(places, near, near_km)
    except (ArgumentError, InputFormatError, OSError) as exc:
        setting = "ingest.near" if "near" in str(exc).split(":", 1)[0] else "ingest.places"
        detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise ConfigError([(setting, detail)]) from None
