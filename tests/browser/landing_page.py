#!/usr/bin/env python3
"""The landing page in a real browser: Debian's headless Chromium, driven through chromedriver.

    tests/browser/landing_page.py EXPORTER_BINARY [SCREENSHOT_DIR]

Run by `make browser-test` (part of `make test`). It starts the exporter in demo mode on a free
port with a short refresh interval, waits for /-/ready and for the demo's third refresh (the
replayed upload of a wrong token), and then, at 1280 px and at 390 px wide:
- saves a full-page screenshot, landing-1280.png and landing-390.png, into SCREENSHOT_DIR
  (default: a temporary directory; `make screenshots` writes them into docs/);
- checks that the page does not scroll sideways (document.documentElement.scrollWidth);
- checks the "Action needed" section of the contract's landing page: a <section
  id="action-needed"> with an <ol> of <li data-state="critical|warning">, every critical line
  before every warning, naming the demo's problems, each with its first step in words;
- checks that <title> counts the critical and warning lines ("4 critical, 9 warnings");
- checks that no table row says OK about something an Action needed line names;
- checks that every link on the page is the exporter's own and answers 200;
- at 390 px, checks that the OK rows are folded and the column headers stay real headers
  (present, not display:none, with the columnheader role) for screen readers.
Every failed check is reported; the exit status is 1 if any failed.
"""

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoSuchElementException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from urllib.parse import urljoin

WIDTHS = (1280, 390)
# The window's height; the screenshots cover the whole page.
HEIGHT = 900
STARTUP_LIMIT = 60
REFRESH_LIMIT = 60

# The demo district's problems (src/demo/dataset.rs) and the state the contract gives them:
# what the Action needed line must name, and whether it pages (critical) or not (warning).
EXPECTED = [
    ("Harbor Middle School", "critical"),  # expired token
    ("Escuela Peña Blanca", "critical"),  # token expires in about 5 days
    ("South Middle School", "critical"),  # another MDM uses the token
    ("District Office", "critical"),  # licences dropped; shares an Apple location
    ("North Elementary", "warning"),  # token expires in about 20 days
    ("St. Mary's Annex", "warning"),  # no token date
    ("West Elementary", "warning"),  # all licences in use
    ("Riverside Elementary", "warning"),  # renewed but not synced since
    ("terms and conditions", "critical"),  # Apple's new terms not accepted
    ("Apple push certificate", "warning"),  # in words, not PUSH_CERT_WILL_EXPIRE
]
RANK = {"critical": 0, "warning": 1}

# Chromium as root in a container: no sandbox, no GPU, and nothing that reaches the network.
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
]


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=2) as answer:
        return answer.status, answer.read().decode("utf-8", "replace")


def wait_for(what, limit, exporter, test):
    start = time.monotonic()
    while time.monotonic() - start < limit:
        if exporter.poll() is not None:
            raise SystemExit(f"browser test: the exporter exited ({exporter.returncode}) while waiting for {what}")
        try:
            if test():
                return time.monotonic() - start
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"browser test: no {what} within {limit}s")


def replayed_upload(base):
    # After the demo's third refresh, District Office (9) reports Lakeview High School's Apple
    # location (src/demo/dataset.rs).
    status, text = get(base + "/metrics")
    return status == 200 and any(
        line.startswith("jamf_vpp_location_info{")
        and 'location_id="9"' in line
        and 'asm_location="Lakeview High School"' in line
        for line in text.splitlines()
    )


def check_action_needed(driver, width, problems):
    try:
        section = driver.find_element(By.CSS_SELECTOR, "section#action-needed")
    except NoSuchElementException:
        problems.append(f"{width} px: no <section id=\"action-needed\">")
        return
    items = section.find_elements(By.CSS_SELECTOR, "ol > li")
    if not items:
        nothing = section.find_elements(By.TAG_NAME, "p")
        said = " / ".join(p.text for p in nothing)
        problems.append(
            f"{width} px: Action needed has no <ol> of problems after the replayed upload (it says {said!r})"
        )
        return
    lines = [(item.get_attribute("data-state"), item.text) for item in items]
    for state, text in lines:
        if state not in RANK:
            problems.append(f"{width} px: data-state {state!r} is neither critical nor warning: {text!r}")
    ranks = [RANK.get(state, 99) for state, _ in lines]
    if ranks != sorted(ranks):
        order = ", ".join(f"{state}: {text[:40]!r}" for state, text in lines)
        problems.append(f"{width} px: Action needed is not worst first: {order}")
    for name, state in EXPECTED:
        states = {line_state for line_state, text in lines if name in text}
        if not states:
            problems.append(f"{width} px: Action needed does not mention {name!r}")
        elif state not in states:
            problems.append(f"{width} px: {name!r} is listed as {sorted(states)}, expected {state}")


def check_title(driver, width, problems):
    items = driver.find_elements(By.CSS_SELECTOR, "section#action-needed ol > li")
    states = [item.get_attribute("data-state") for item in items]
    critical, warning = states.count("critical"), states.count("warning")
    parts = []
    if critical:
        parts.append(f"{critical} critical")
    if warning:
        parts.append(f"{warning} warning" + ("" if warning == 1 else "s"))
    expected = (", ".join(parts) or "Nothing needs action") + " · jamf_exporter"
    if driver.title != expected:
        problems.append(f"{width} px: <title> is {driver.title!r}, expected {expected!r}")
    summary = driver.find_element(By.CSS_SELECTOR, "#summary").get_attribute("textContent")
    if not summary.startswith(expected.split(" · ")[0]):
        problems.append(f"{width} px: the first line does not start with the counts: {summary!r}")
    for item in items:
        text = item.get_attribute("textContent")
        if "First step: " not in text:
            problems.append(f"{width} px: an Action needed line has no first step: {text[:80]!r}")
        if re.search(r"\b[A-Z]+(_[A-Z]+){2,}\b", text):
            problems.append(f"{width} px: an Action needed line shows a raw code: {text[:80]!r}")


def check_rows_agree_with_findings(driver, width, problems):
    actions = [
        item.get_attribute("textContent")
        for item in driver.find_elements(By.CSS_SELECTOR, "section#action-needed ol > li")
    ]
    for row in driver.find_elements(By.CSS_SELECTOR, "table tbody tr"):
        badge = row.find_elements(By.CSS_SELECTOR, "span.state")
        if not badge or badge[0].get_attribute("textContent") != "OK":
            continue
        cells = row.find_elements(
            By.CSS_SELECTOR, "td[data-label='For'], td[data-label='Location'], td[data-label='Instance']"
        )
        name = cells[0].get_attribute("textContent") if cells else ""
        if name in ("this Jamf Pro", ""):
            continue
        named = [text for text in actions if name in text]
        if named:
            problems.append(f"{width} px: a row for {name!r} says OK while Action needed says {named[0][:80]!r}")


def check_links(driver, width, base, problems):
    hrefs = sorted({a.get_attribute("href") for a in driver.find_elements(By.TAG_NAME, "a")})
    if not any("/runbooks/" in href for href in hrefs):
        problems.append(f"{width} px: no link to a runbook served by the exporter")
    for href in hrefs:
        url = urljoin(base + "/", href)
        if not url.startswith(base + "/"):
            problems.append(f"{width} px: a link leaves the exporter: {href}")
            continue
        try:
            status, _ = get(url)
        except OSError as error:
            status = error
        if status != 200:
            problems.append(f"{width} px: {href} answers {status}")


def check_phone_layout(driver, width, problems):
    headers = driver.find_elements(By.CSS_SELECTOR, "table thead th")
    if not headers:
        problems.append(f"{width} px: the tables have no <th> headers")
    for header in headers:
        display = driver.execute_script("return getComputedStyle(arguments[0]).display", header)
        head_display = driver.execute_script(
            "return getComputedStyle(arguments[0].closest('thead')).display", header
        )
        role = header.aria_role
        if display == "none" or head_display == "none" or role != "columnheader":
            text = header.get_attribute("textContent")
            problems.append(
                f"{width} px: header {text!r} is not a header for screen readers (display {display}, thead {head_display}, role {role})"
            )
            break
    if width < 600:
        shown = [row for row in driver.find_elements(By.CSS_SELECTOR, "tr.okrow") if row.is_displayed()]
        if shown:
            problems.append(f"{width} px: {len(shown)} OK rows are shown, not folded")


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    binary = sys.argv[1]
    chromium = shutil.which("chromium")
    chromedriver = shutil.which("chromedriver")
    if not chromium or not chromedriver:
        print("browser test: chromium and chromedriver are needed; run `make deps`", file=sys.stderr)
        return 1
    work = tempfile.mkdtemp(prefix="jamf-browser-test.")
    screenshots = sys.argv[2] if len(sys.argv) == 3 else work
    os.makedirs(screenshots, exist_ok=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(os.path.join(work, "exporter.log"), "wb")
    exporter = subprocess.Popen(
        [binary, "--demo", "--web.listen-address", f"127.0.0.1:{port}", "--refresh.interval", "2s"],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    driver = None
    problems = []
    try:
        took = wait_for("/-/ready", STARTUP_LIMIT, exporter, lambda: get(base + "/-/ready")[0] == 200)
        print(f"browser test: exporter ready after {took:.1f}s")
        took = wait_for("replayed upload", REFRESH_LIMIT, exporter, lambda: replayed_upload(base))
        print(f"browser test: demo replayed its upload after {took:.1f}s more")

        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for flag in CHROMIUM_FLAGS:
            options.add_argument(flag)
        options.add_argument(f"--user-data-dir={os.path.join(work, 'profile')}")
        # Given the driver's path, Selenium does not try to download one.
        driver = webdriver.Chrome(service=Service(executable_path=chromedriver), options=options)

        for width in WIDTHS:
            driver.set_window_size(width, HEIGHT)
            driver.get(base + "/")
            # The window includes browser chrome in some modes: size the viewport itself.
            inner = driver.execute_script("return window.innerWidth")
            if inner != width:
                driver.set_window_size(width + (width - inner), HEIGHT)
                driver.get(base + "/")
            viewport = driver.execute_script("return window.innerWidth")
            scroll_width = driver.execute_script("return document.documentElement.scrollWidth")
            height = driver.execute_script("return document.documentElement.scrollHeight")
            print(f"browser test: {width} px: viewport {viewport} px, page {scroll_width} x {height} px")
            if scroll_width > width:
                problems.append(f"{width} px: the page scrolls sideways: scrollWidth is {scroll_width} px")
            # The whole page, as wide as the viewport: what a reader sees when scrolling down.
            shot = driver.execute_cdp_cmd(
                "Page.captureScreenshot",
                {
                    "format": "png",
                    "captureBeyondViewport": True,
                    "clip": {"x": 0, "y": 0, "width": width, "height": height, "scale": 1},
                },
            )
            path = os.path.join(screenshots, f"landing-{width}.png")
            with open(path, "wb") as file:
                file.write(base64.b64decode(shot["data"]))
            print(f"browser test: saved {path}")
            check_action_needed(driver, width, problems)
            check_title(driver, width, problems)
            check_rows_agree_with_findings(driver, width, problems)
            check_phone_layout(driver, width, problems)
            check_links(driver, width, base, problems)
    finally:
        if driver is not None:
            driver.quit()
        exporter.send_signal(signal.SIGTERM)
        try:
            exporter.wait(timeout=10)
        except subprocess.TimeoutExpired:
            exporter.kill()
            exporter.wait()
        log.close()
        if problems:
            print(f"browser test: the exporter's log is kept in {work}/exporter.log", file=sys.stderr)
        elif screenshots != work:
            shutil.rmtree(work, ignore_errors=True)

    for problem in problems:
        print(f"browser test: FAIL: {problem}", file=sys.stderr)
    if problems:
        return 1
    print("browser test: passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
