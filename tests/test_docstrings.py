"""The exported API's docstrings are numpydoc: they are the API reference (docs/api.md).

Checked: every function and class in ``lotsen_match.__all__`` (exception classes aside: a
caller catches them rather than calls them, and errors.py documents them), and every public
method and property such a class defines or inherits from the library's own base classes
(``Record.model_validate`` for the records, say). Each goes through
``numpydoc.validate.validate``, and these codes fail the test:

* GL08 a docstring; SS01 / SS06 a summary, on one line (the line a reader scans);
* PR01 / PR02 / PR03 every parameter documented, none that does not exist, signature order;
  PR07 each with a description; PR10 ``name : type`` spelled so numpydoc can parse it;
* RT01 a Returns section where something is returned, RT03 saying what it is;
* GL06 / GL07 only numpydoc's section names, in numpydoc's order: the numpy parser of
  mkdocstrings renders exactly those as tables, anything else as a plain paragraph.

Left out on purpose: the type codes (PR04-PR06, RT02), because the annotations are the one
source of types (mypy strict checks them, mkdocstrings puts them into the tables) and a type
written again in the docstring drifts; ES01, SA01, EX01, SS05 and the capitalisation and
full-stop codes, which are style, not structure.

Classes: fields of a dataclass or pydantic model are documented under **Attributes**, the
arguments of a hand-written ``__init__`` (``Matcher``) under **Parameters**. Fields are what a
caller reads (``result.proposals``) and, for records and configs, also what they pass by
keyword, and numpydoc keeps Attributes for exactly that; but ``PR01`` counts only Parameters
against the signature, which would force a "Parameters" table onto results the library builds.
So for classes this test counts Parameters, Other Parameters and Attributes together: every
constructor argument in one of them, in signature order, and no Attributes entry that names
neither an argument nor a member. Private constructor arguments (``Replan._plan``) are no API.

Beyond numpydoc, what mkdocstrings would show wrongly: Google-style headings (``Raises:``) and
reST roles (``:func:`match```) come out as literal text, so neither may appear; and a Raises
entry must name a ``LotsenMatchError`` subclass from ``lotsen_match.errors``, because nothing
else may reach a caller of the public API.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest
from numpydoc.docscrape import NumpyDocString, get_doc_object
from numpydoc.validate import validate

import lotsen_match as lm
from lotsen_match import errors
from lotsen_match.contract import INPUT_COLUMNS

CODES = frozenset(
    {"GL06", "GL07", "GL08", "SS01", "SS06", "PR01", "PR02", "PR03", "PR07", "PR10"}
    | {"RT01", "RT03"}
)
#: numpydoc's checks that the class check below replaces (they know only Parameters).
CLASS_OWN = frozenset({"PR01", "PR03"})
GOOGLE_HEADING = re.compile(
    r"^\s*(Args|Arguments|Keyword Args|Parameters|Returns|Raises|Yields|Attributes|Notes?|"
    r"Examples?|See Also|Warns?):\s*$",
    re.MULTILINE,
)
REST_ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|data|attr|obj|exc|ref|const):`")


def _exported() -> Iterator[tuple[str, Any]]:
    """(public name, object) of every function and class to check, each object once."""
    seen: set[int] = set()
    for name in sorted(lm.__all__):
        obj = getattr(lm, name)
        if inspect.isclass(obj):
            if issubclass(obj, BaseException):
                continue
            yield f"lotsen_match.{name}", obj
            for member, value in _members(obj):
                if id(value) not in seen:
                    seen.add(id(value))
                    yield f"lotsen_match.{name}.{member}", value
        elif inspect.isfunction(obj):
            yield f"lotsen_match.{name}", obj


def _members(cls: type) -> Iterator[tuple[str, Any]]:
    """Public methods and properties of ``cls`` defined by the library (not by pydantic).

    Class- and static methods are unwrapped to their functions: numpydoc checks Returns
    (RT01) only on functions, not on the bound methods that attribute access gives.
    """
    done: set[str] = set()
    for base in inspect.getmro(cls):
        if not base.__module__.startswith("lotsen_match"):
            continue
        for member, value in vars(base).items():
            if member.startswith("_") or member in done:
                continue
            done.add(member)
            if isinstance(value, classmethod | staticmethod):
                yield member, value.__func__
            elif inspect.isfunction(value) or isinstance(value, property):
                yield member, value


CHECKED = list(_exported())


def _names(section: list[Any]) -> list[str]:
    return [name.strip() for entry in section for name in entry.name.split(",") if name.strip()]


def _class_errors(cls: type, doc: NumpyDocString) -> list[str]:
    """PR01 / PR03 for classes: Parameters, Other Parameters and Attributes all count."""
    signature = [
        name
        for name, p in inspect.signature(cls).parameters.items()
        if not name.startswith("_")
        and p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]
    attributes = _names(doc["Attributes"])
    parameters = [*_names(doc["Parameters"]), *_names(doc["Other Parameters"])]
    documented = parameters + [name for name in attributes if name not in parameters]
    out = []
    missing = [name for name in signature if name not in documented]
    if missing:
        out.append(f"PR01 constructor arguments {missing} not documented")
    in_order = [name for name in documented if name in signature]
    if not missing and in_order != signature:
        out.append(f"PR03 documented order {in_order}; signature order {signature}")
    known = {*inspect.signature(cls).parameters, *_assigned_on_self(cls)}
    stale = [name for name in attributes if name not in known and not hasattr(cls, name)]
    if stale:
        out.append(f"PR02 Attributes {stale} are neither constructor arguments nor members")
    return out


def _assigned_on_self(cls: type) -> set[str]:
    """Instance attributes the class's own code sets (``self.timings = ...``)."""
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(cls)))
    except (OSError, TypeError):  # defined where there is no source (a test's exec, say)
        return set()
    return {
        target.attr
        for node in ast.walk(tree)
        if isinstance(node, ast.Assign | ast.AnnAssign)
        for target in (node.targets if isinstance(node, ast.Assign) else [node.target])
        if isinstance(target, ast.Attribute)
        and isinstance(target.value, ast.Name)
        and target.value.id == "self"
    }


def _raises_errors(doc: NumpyDocString) -> list[str]:
    out = []
    for entry in doc["Raises"]:
        name = (entry.type or entry.name).strip()
        found = getattr(errors, name, None)
        if not (isinstance(found, type) and issubclass(found, errors.LotsenMatchError)):
            out.append(f"Raises names {name!r}, not a LotsenMatchError from lotsen_match.errors")
    return out


def docstring_problems(obj: Any) -> list[str]:
    """Everything wrong with ``obj``'s docstring under the rules of this module."""
    found = [
        (code, message)
        for code, message in validate(get_doc_object(obj))["errors"]
        if code in CODES
    ]
    text = inspect.getdoc(obj) or ""
    doc = NumpyDocString(text)  # the text as written (get_doc_object fills in members)
    if inspect.isclass(obj):
        found = [(c, m) for c, m in found if c not in CLASS_OWN]
    out = [f"{code} {message}" for code, message in found]
    if inspect.isclass(obj):
        out += _class_errors(obj, doc)
    out += [f"Google-style heading {h!r}" for h in GOOGLE_HEADING.findall(text)]
    out += [f"reST role {m.group(0)!r}" for m in REST_ROLE.finditer(text)]
    out += _raises_errors(doc)
    return out


@pytest.mark.parametrize(("name", "obj"), CHECKED, ids=[name for name, _ in CHECKED])
def test_exported_docstring_is_numpydoc(name: str, obj: Any) -> None:
    problems = docstring_problems(obj)
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def test_every_kind_of_export_is_checked() -> None:
    """The walk finds functions, classes, methods, class methods and properties."""
    names = {name for name, _ in CHECKED}
    assert {
        "lotsen_match.match",
        "lotsen_match.MatchResult",
        "lotsen_match.Matcher.suggest",
        "lotsen_match.MatchConfig.from_toml",
        "lotsen_match.MatchResult.optimal",
        "lotsen_match.Assignment.model_validate",
    } <= names
    assert not any(name.startswith("lotsen_match.SolverError") for name in names)
    assert "lotsen_match.MatchConfig.model_dump" not in names  # pydantic's, not ours


@pytest.mark.parametrize(
    ("docstring", "expected"),
    [
        ("Do it.\n\nRaises:\n    ConfigError: bad.\n", "Google-style heading"),
        ("Do it.\n\nSee :func:`match`.\n", "reST role"),
        ("Do it.\n\nRaises\n------\nValueError\n    Bad.\n", "not a LotsenMatchError"),
        ("Do it.\n\nParameters\n----------\ny\n    Why.\n", "PR01"),
        ("Do it.\n\nParameters\n----------\nx\n    Why.\n", "RT01"),
        ("Do it.\n\nArguments\n---------\nx\n    Why.\n", "GL06"),
    ],
)
@pytest.mark.filterwarnings("ignore:Unknown section Arguments:UserWarning")
def test_the_checks_catch_what_they_claim(docstring: str, expected: str) -> None:
    def probe(x: int) -> int:
        return x

    probe.__doc__ = docstring
    assert any(expected in problem for problem in docstring_problems(probe))


def test_a_class_may_document_its_fields_as_attributes_but_not_leave_one_out() -> None:
    from dataclasses import dataclass

    @dataclass
    class Pair:
        first: int
        second: int

    head = "Two things.\n\nAttributes\n----------\nfirst\n    The first.\n"
    Pair.__doc__ = head
    assert docstring_problems(Pair) == ["PR01 constructor arguments ['second'] not documented"]
    Pair.__doc__ = head + "second\n    The second.\n"
    assert docstring_problems(Pair) == []
    Pair.__doc__ = "Two things.\n\nAttributes\n----------\nsecond\n    B.\nfirst\n    A.\n"
    assert any(problem.startswith("PR03") for problem in docstring_problems(Pair))


@pytest.mark.parametrize("record", [lm.Volunteer, lm.HelpRequest, lm.Assignment])
def test_record_fields_are_documented_with_the_contracts_meaning(record: type) -> None:
    """The records' Attributes say what the contract says of each column (no second wording)."""
    meanings = {c.name: c.meaning for c in INPUT_COLUMNS[record.table]}
    doc = NumpyDocString(inspect.getdoc(record) or "")
    described = {entry.name: " ".join(entry.desc) for entry in doc["Attributes"]}
    for field in record.model_fields:
        meaning = meanings[field]
        assert meaning.casefold() in described[field].casefold(), field
