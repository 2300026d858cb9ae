"""A parser of the HTML report for tests: tables by id, tiles and attributes."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any

__all__ = ["NBSP", "Page", "num"]

#: The narrow no-break space the report puts between digits and units.
NBSP = "\u202f"


class Page(HTMLParser):
    """Tables (by id: caption, header cells, body rows of cell texts), tiles and attributes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: dict[str, dict[str, Any]] = {}
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.tiles: list[tuple[str, str]] = []
        self._table: str | None = None
        self._part = ""
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._caption: list[str] | None = None
        self._tile: list[str] | None = None
        self._in_tiles = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if tag == "table":
            self._table = a.get("id") or f"anon{len(self.tables)}"
            self.tables[self._table] = {"caption": "", "head": [], "rows": [], "scopes": []}
        elif tag in ("thead", "tbody"):
            self._part = tag
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
            if tag == "th":
                self.tables[self._table or ""]["scopes"].append((self._part, a.get("scope")))
        elif tag == "ul" and a.get("class") == "tiles":
            self._in_tiles = True
        elif tag == "li" and self._in_tiles:
            self._tile = []
            self._tile_value: list[str] | None = None
        elif tag == "b" and self._tile is not None:
            self._tile_value = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table:
            key = "head" if self._part == "thead" else "rows"
            self.tables[self._table][key].append(self._row)
            self._row = None
        elif tag == "caption" and self._caption is not None and self._table:
            self.tables[self._table]["caption"] = "".join(self._caption).strip()
            self._caption = None
        elif tag == "table":
            self._table = None
        elif tag == "ul":
            self._in_tiles = False
        elif tag == "b" and self._tile is not None and self._tile_value is not None:
            self._value = "".join(self._tile_value)
            self._tile_value = None
            self._tile = []
        elif tag == "li" and self._tile is not None:
            self.tiles.append((self._value, " ".join("".join(self._tile).split())))
            self._tile = None

    def handle_data(self, data: str) -> None:
        for buf in (self._cell, self._caption, self._tile, getattr(self, "_tile_value", None)):
            if buf is not None:
                buf.append(data)

    def rows(self, table: str) -> list[list[str]]:
        return list(self.tables[table]["rows"])


def num(text: str) -> float:
    return float(text.replace(NBSP, "").replace("%", "").replace(",", ".").strip())
