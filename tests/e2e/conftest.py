"""Real processes get SIGINT as a shell gives it (see ``tests.runner.default_sigint``)."""

import pytest

from tests.runner import default_sigint


@pytest.fixture(autouse=True)
def _sigint_as_in_a_shell():
    with default_sigint():
        yield
