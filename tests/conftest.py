"Shared fixtures for the integration tests (the chapters test themselves; these test the package as installed)."
import os, sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def venv_bin() -> Path:
    "The bin/ folder of the interpreter running the tests (where console scripts live)."
    return Path(sys.executable).parent


@pytest.fixture
def clean_env() -> dict:
    "An environment without the repository on PYTHONPATH."
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["MPLBACKEND"] = "Agg"
    return env
