"""The web demo (`python -m paddlemix.demo`) driven in a real headless Chromium through selenium.

The demo serves the tiny checkpoints on 127.0.0.1 (`tests/demo/demo_server.py`: the model runs, its answer
is then a known box); the browser uploads an image, runs the Ask tab and the Compare tab, and the drawn
answers must appear and differ from the upload. Screenshots go to the test's tmp dir (path printed). The
test skips, saying why, where Chromium, chromedriver, selenium or gradio is missing; `.ci/run` installs them.
"""

from __future__ import annotations

import base64
import io
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
from PIL import Image

from tests.helpers import tiny_dir

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")
BROWSER_FLAGS = ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-dev-shm-usage", "--window-size=1400,1000")  # fmt: skip
UPLOAD_SIZE, UPLOAD_COLOR = (160, 120), (40, 90, 160)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason="no chromium + chromedriver installed"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def server(tmp_path):
    """The demo on a free port; yields its URL and stops it afterwards."""
    pytest.importorskip("gradio", reason="gradio not installed (pip install -e .[demo])")
    port = free_port()
    log = open(tmp_path / "demo.log", "w")
    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False", "PADDLEMIX_NUM_THREADS": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.demo.demo_server", "--model_path", tiny_dir("qwen2_5_vl_tied"),
         "--compare_model_path", tiny_dir("qwen2_vl_tied"), "--port", str(port), "--max_new_tokens", "4",
         "--max_pixels", str(112 * 112)],
        cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.time() + 180
        while True:
            try:
                with urllib.request.urlopen(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"demo did not start:\n{(tmp_path / 'demo.log').read_text()[-3000:]}")
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture()
def browser():
    webdriver = pytest.importorskip("selenium.webdriver", reason="selenium not installed")
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in BROWSER_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(DRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def wait_for(driver, css: str, timeout: float = 120, what=None):
    """The first element matching `css` once `what(element)` holds (default: it exists)."""
    from selenium.webdriver.common.by import By

    deadline = time.time() + timeout
    while time.time() < deadline:
        for el in driver.find_elements(By.CSS_SELECTOR, css):
            try:
                if what is None or what(el):
                    return el
            except Exception:  # the element went stale while Gradio re-rendered it
                pass
        time.sleep(0.5)
    raise AssertionError(f"{css} did not appear")


def fetch_image(src: str, base: str) -> np.ndarray:
    """The pixels an <img> shows (a data: URL or a file the server serves)."""
    if src.startswith("data:"):
        data = base64.b64decode(src.split(",", 1)[1])
    else:
        with urllib.request.urlopen(urllib.request.urljoin(base, src), timeout=30) as r:
            data = r.read()
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))


def shown(driver, elem_id: str, url: str) -> np.ndarray:
    img = wait_for(driver, f"#{elem_id} img", what=lambda el: el.get_attribute("src"))
    return fetch_image(img.get_attribute("src"), url)


def differs_from_upload(arr: np.ndarray) -> bool:
    """The same picture size as the upload, and pixels that are not the upload's."""
    upload = np.zeros((UPLOAD_SIZE[1], UPLOAD_SIZE[0], 3), np.uint8) + np.array(UPLOAD_COLOR, np.uint8)
    return arr.shape == upload.shape and bool((arr != upload).any())


def test_demo_draws_the_answer_in_a_browser(server, browser, tmp_path):
    from selenium.webdriver.common.by import By

    image = str(tmp_path / "upload.png")
    Image.new("RGB", UPLOAD_SIZE, UPLOAD_COLOR).save(image)
    browser.get(server)

    wait_for(browser, "#ask_image input[type=file]").send_keys(image)
    wait_for(browser, "#ask_query textarea, #ask_query input").send_keys("the thing")
    wait_for(browser, "#ask_image img")  # the upload has arrived
    wait_for(browser, "#ask_run").click()
    drawn = shown(browser, "ask_drawn", server)
    assert differs_from_upload(drawn)
    raw = wait_for(browser, "#ask_raw textarea", what=lambda el: el.get_attribute("value"))
    assert "bbox_2d" in raw.get_attribute("value")
    shot = str(tmp_path / "demo_ask.png")
    browser.save_screenshot(shot)
    print(f"screenshot: {shot}")

    tab = next(b for b in browser.find_elements(By.CSS_SELECTOR, "button[role=tab]") if "Compare" in b.text)
    tab.click()
    wait_for(browser, "#cmp_image input[type=file]").send_keys(image)
    wait_for(browser, "#cmp_image img")
    wait_for(browser, "#cmp_query textarea, #cmp_query input").send_keys("the thing")
    wait_for(browser, "#cmp_run").click()
    a, b = shown(browser, "cmp_a", server), shown(browser, "cmp_b", server)
    assert differs_from_upload(a) and differs_from_upload(b)
    shot = str(tmp_path / "demo_compare.png")
    browser.save_screenshot(shot)
    print(f"screenshot: {shot}")


def test_demo_without_gradio_says_so_in_one_line():
    code = ("import sys; sys.modules['gradio'] = None; from paddlemix.demo.__main__ import main; "
            "from paddlemix.errors import run_main; run_main(main, ['--model_path', 'm'])")  # fmt: skip
    proc = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "pip install -e .[demo]" in proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
