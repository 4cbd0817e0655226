"""`qopt eval --report` rendered by headless Chromium: a screenshot that is
not blank, the page's own "rendered" marker, no console errors; and a broken
copy of the page, which the same check must reject."""

import subprocess

import numpy as np
import onnx
import pytest

import qopt
from conftest import build_mlp, find_chromium

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian package 'chromium', "
                                                         "installed by scripts/setup.sh): report not rendered")
# A layer whose ONNX node name would end the page's data <script> if it were embedded unescaped.
HOSTILE_LAYER = "fc1</script><b>bold"


def run_chromium(tmp_path, arguments, page):
    command = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
               f"--user-data-dir={tmp_path / 'chromium-profile'}", *arguments, page.as_uri()]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    return result.stdout, console


def render(tmp_path, page):
    """(the DOM after the scripts ran, console lines, the screenshot as an RGB array)."""
    screenshot = tmp_path / (page.stem + ".png")
    _, shot_console = run_chromium(tmp_path, ["--window-size=1280,2400", f"--screenshot={screenshot}"], page)
    dom, dom_console = run_chromium(tmp_path, ["--dump-dom"], page)
    import matplotlib.image
    return dom, shot_console + dom_console, matplotlib.image.imread(screenshot)[..., :3]


@pytest.fixture(scope="module")
def report(tmp_path_factory, samples):
    directory = tmp_path_factory.mktemp("report")
    model = directory / "mlp.onnx"
    onnx.save(build_mlp(batch=1, first_layer_name=HOSTILE_LAYER), model)
    page = directory / "report.html"
    qopt.eval(model, ["float", "w8a16", "w4a16-g32", "mixed-4.5"], data=samples["eval"], calib=samples["calib"],
              report=page)
    return page


def test_report_renders_without_errors(tmp_path, report):
    dom, console, pixels = render(tmp_path, report)
    assert 'data-qopt-report="rendered"' in dom, dom[-3000:]
    assert not console, "\n".join(console)
    # The recipe table, the curve, SQNR and KLD per layer, the allocation, 2 layers x 2 histograms.
    assert dom.count("<svg") >= 8
    assert "int4" in dom or "nf4" in dom or "int8" in dom  # a scheme chosen by bit allocation
    assert "fc1&lt;/script&gt;&lt;b&gt;bold" in dom  # the hostile name shown as text
    assert pixels.shape[:2] == (2400, 1280)
    drawn = np.mean(np.any(pixels < 0.9, axis=-1))
    assert drawn > 0.02, f"only {drawn:.1%} of the screenshot is not white"


def test_a_script_error_is_caught(tmp_path, report):
    broken = tmp_path / "broken.html"
    html = report.read_text()
    anchor = "const results = data.results || [];"
    assert anchor in html
    broken.write_text(html.replace(anchor, anchor + " undefinedFunction();"))
    dom, console, _ = render(tmp_path, broken)
    assert 'data-qopt-report="error"' in dom
    assert any("undefinedFunction is not defined" in line for line in console)
