"""Fixtures shared by the test modules."""

import warnings

import pytest


@pytest.fixture
def warnings_are_errors():
    """Every warning raised in the test is an error (acts promises none, e.g. no overflow)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield
