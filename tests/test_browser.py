"""The chat in a real headless browser: click an example, see the streamed cited answer and the
highlighted source of release 000 (scripted LLM; the real model has its own end-to-end test)."""

from __future__ import annotations

import os
import shutil

import pytest

from tests.browser import CHROMIUM, screenshot

MACAO = "000_899311ac7e93267d"


@pytest.mark.skipif(shutil.which(CHROMIUM) is None and not os.environ.get("CI"),
                    reason="Debian chromium not installed (apt-get install chromium; .ci/run does)")
def test_clicking_an_example_streams_a_cited_answer_with_highlighted_source(served, tmp_path):
    _, llm, _, url = served
    llm.replies.append("The training is funded by the Social Welfare Bureau of the MSAR [1]. The other two trainings "
                       "will be funded by the MSAR human trafficking committee [1].")
    png = tmp_path / "chat.png"
    answer, panel = screenshot(url, png)
    # Two claims backed by two sentences of one release: two citations, each highlighting its own sentence.
    assert "The training is funded by the Social Welfare Bureau of the MSAR [1]" in answer
    assert "funded by the MSAR human trafficking committee [2]" in answer
    assert f"release {MACAO}" in panel and "IOM, Macao SAR run counter-trafficking training" in panel
    bureau, committee = panel.split("id=\"source-2\"")
    assert "<mark>The training is funded by the Social Welfare Bureau of the MSAR.</mark>" in bureau
    assert "will be funded by the MSAR human trafficking committee.</mark>" in committee
    assert png.stat().st_size > 10_000
