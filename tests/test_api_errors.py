"""The one error tree: every error class is exported, drawn in the module docstring, rooted at
ZhiqianError; the lookup and argument errors read well and keep the builtin bases callers catch."""

from __future__ import annotations

import inspect

import pytest

import zhiqian
from zhiqian import errors


def _error_classes() -> list[type[BaseException]]:
    return [
        value
        for _, value in inspect.getmembers(errors, inspect.isclass)
        if issubclass(value, BaseException) and value.__module__ == errors.__name__
    ]


@pytest.mark.parametrize("error", _error_classes(), ids=lambda c: c.__name__)
def test_every_error_is_in_the_tree_exported_and_drawn(error: type[BaseException]) -> None:
    assert issubclass(error, zhiqian.ZhiqianError)
    assert getattr(zhiqian, error.__name__) is error
    assert error.__name__ in zhiqian.__all__
    assert error.__name__ in (errors.__doc__ or ""), "drawn in the tree of the module docstring"


def test_unknown_name_reads_as_a_sentence_and_is_a_key_error() -> None:
    error = zhiqian.UnknownName(
        kind="clock", name="investigaton", where="pack 'national'", known=["investigation"]
    )
    assert str(error) == "pack 'national' has no clock 'investigaton'; known: investigation"
    assert isinstance(error, KeyError)
    assert isinstance(error, LookupError)
    with pytest.raises(KeyError):
        raise error
    bare = zhiqian.UnknownName(kind="notice template", name="催办函", why="withdrawn")
    assert str(bare) == "unknown notice template '催办函' (withdrawn)"
    assert (bare.kind, bare.name, bare.where, bare.known, bare.why) == (
        "notice template",
        "催办函",
        None,
        (),
        "withdrawn",
    )


def test_invalid_argument_names_the_argument_and_is_a_value_error() -> None:
    error = zhiqian.InvalidArgument(name="limit", value=0, why="must be 1..1000")
    assert str(error) == "limit: must be 1..1000, got 0"
    assert isinstance(error, ValueError)
    assert (error.name, error.value, error.why) == ("limit", 0, "must be 1..1000")
