"""Import profiles: how one office's export is to be read, written down once in a TOML file.

A profile is a settings file like any other (:meth:`lotsen_match.config.MatchConfig.from_toml`
reads it; ``--config`` and ``--profile`` take the same format): its keys fill the config's
``ingest`` section, and it may hold ``[rules]``, ``[weights]`` or ``[output]`` as well.

An export is described by its column headers, the separator between entries of a list cell
("," or ";"), its vocabulary (contract codes or German words), its date format, and where
place names are geocoded. A profile says all of that, so that a coordinator's Monday-morning
export loads without editing it::

    name = "Fallverwaltung Hildesheim"
    vocabulary = "de"                 # spec (contract codes) | de (also German/English words)
    date_format = "%d.%m.%Y"
    list_separators = [";", ","]

    [geocoding]
    near = "Hildesheim"               # ambiguous place names: the one within near_km
    places = "orte.csv"               # optional own table: postal code / place -> lat, lon

    [columns.requests]
    "Anfrage-ID" = "request_id"
    "Wohnort" = "place"

    [synonyms.need_types]
    "Begleitung Amt" = "authority"

:func:`lotsen_match.validation.describe.describe_profile` shows, before anything runs, how
each column was understood. In Python::

    config = MatchConfig.from_toml("profil.toml")        # or load_profile("profil.toml")
    result = lotsen_match.match("lotsen.csv", "anfragen.csv", config=config)
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import pandas as pd

from ..config import MatchConfig, TableName
from ..contract import MAPPABLE_COLUMNS
from ..errors import ConfigError
from ..io import read_table
from ..io.inputs import TableSource
from ..io.limits import InputLimits, limits_for
from .options import check_ingest_settings

__all__ = [
    "PROFILE_TABLES",
    "TARGETS",
    "load_profile",
    "load_with_profile",
    "profile_from_mapping",
]

logger = logging.getLogger(__name__)

PROFILE_TABLES: Final[tuple[str, ...]] = ("volunteers", "requests", "assignments")
#: Contract columns a profile may map onto, per table (the contract columns plus place columns).
TARGETS: Final[dict[str, tuple[str, ...]]] = MAPPABLE_COLUMNS


def load_profile(path: str | os.PathLike[str]) -> MatchConfig:
    """Read and check a profile: the settings, with its vocabulary and geocoder built.

    Parameters
    ----------
    path
        The TOML file; relative paths in it are taken from its directory.

    Returns
    -------
    MatchConfig
        The settings the file describes (defaults for everything it does not say).

    Raises
    ------
    ConfigError
        Every problem at once: unknown keys with suggestions, columns that are not contract
        columns, synonyms for unknown codes, a places table or ``near`` that cannot be used.
    """
    p = Path(path)
    config = MatchConfig.from_toml(p)
    return _checked(config, p.name)


def profile_from_mapping(
    data: Mapping[str, Any], *, base: Path | None = None, source: str = "<profile>"
) -> MatchConfig:
    """Build profile settings from parsed TOML; relative paths are taken from ``base``."""
    config = MatchConfig.from_mapping(data, source=source, base=base or Path.cwd())
    return _checked(config, source)


def _checked(config: MatchConfig, source: str) -> MatchConfig:
    try:
        check_ingest_settings(config.ingest)
    except ConfigError as exc:
        raise ConfigError(exc.problems, source=source) from None
    return config


def load_with_profile(
    profile: str | os.PathLike[str] | MatchConfig,
    *,
    volunteers: TableSource | None = None,
    requests: TableSource | None = None,
    assignments: TableSource | None = None,
    limits: InputLimits | None = None,
) -> dict[str, pd.DataFrame]:
    """Read the tables as the profile says: raw frames with the contract's column names.

    Headers are mapped onto contract columns (messages still name the export's headers, kept
    in ``attrs["original_columns"]``). Validate them with the same settings:
    ``validate_caseload(frames["volunteers"], frames["requests"], config=config)``. Tables
    not given are taken from the profile's ``[files]``; a table given nowhere is left out.
    ``limits`` bound the reading (default: the settings' ``max_input_mb``; see
    :func:`lotsen_match.io.read_table`).
    """
    config = profile if isinstance(profile, MatchConfig) else load_profile(profile)
    given: dict[TableName, TableSource | None] = {
        "volunteers": volunteers,
        "requests": requests,
        "assignments": assignments,
    }
    frames: dict[str, pd.DataFrame] = {}
    for table, source in given.items():
        source = source if source is not None else config.ingest.files.get(table)
        if source is None:
            continue
        mapping = config.ingest.columns.get(table)
        bound = limits if limits is not None else limits_for(config.ingest.max_input_mb)
        frames[table] = read_table(source, table=table, column_mapping=mapping, limits=bound)
    logger.info("loaded %s with profile %s", ", ".join(frames), config.ingest.name or "(unnamed)")
    return frames
