"""Fixtures for linkage tests."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.unit.linkage.linkage_people import CRAFTED, people


@pytest.fixture
def crafted() -> pd.DataFrame:
    return people(CRAFTED)
