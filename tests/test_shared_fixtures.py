"""The shared fixtures guard themselves: an unmarked browser test would slip into `make test-fast`."""

from __future__ import annotations

import pytest

from tests.conftest import require_browser_marker


def test_a_test_that_starts_chromium_without_the_browser_marker_fails(request):
    with pytest.raises(pytest.fail.Exception, match=r"mark it @pytest\.mark\.browser"):
        require_browser_marker(request.node)


def test_a_test_marked_browser_passes_the_check(request):
    request.node.add_marker(pytest.mark.browser)
    require_browser_marker(request.node)  # does not fail
    assert request.node.get_closest_marker("browser") is not None
