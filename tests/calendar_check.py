#!/usr/bin/env python3
"""Parses the demo's live /calendar.ics with the `icalendar` package from PyPI.

Usage: calendar_check.py PATH_TO_JAMF_EXPORTER
Starts the binary with --demo on a free loopback port, waits until it is ready, reads
the feed twice and checks it as a calendar client would. `make calendar-check` runs it
in a virtual environment with icalendar installed.
"""

import datetime
import re
import subprocess
import sys
import threading
import time
import urllib.request

import icalendar

RUNBOOKS = "https://github.com/jamf-exporter/jamf_exporter/blob/main/docs/runbooks/"


def start(binary):
    child = subprocess.Popen(
        [binary, "--demo", "--web.listen-address", "127.0.0.1:0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    found = {}

    def read():
        for line in child.stderr:
            match = re.search(r"msg=listening address=(\S+)", line)
            if match and "address" not in found:
                found["address"] = match.group(1)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + 60
    while "address" not in found:
        if child.poll() is not None or time.monotonic() > deadline:
            child.kill()
            sys.exit("calendar_check: the exporter did not start")
        time.sleep(0.05)
    base = "http://" + found["address"]
    while True:
        try:
            with urllib.request.urlopen(base + "/-/ready") as response:
                if response.status == 200:
                    return child, base
        except OSError:
            pass
        if time.monotonic() > deadline:
            child.kill()
            sys.exit("calendar_check: the exporter never became ready")
        time.sleep(0.1)


def fetch(base):
    with urllib.request.urlopen(base + "/calendar.ics") as response:
        content_type = response.headers["Content-Type"]
        assert content_type == "text/calendar; charset=utf-8", content_type
        return response.read()


def check(raw):
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "lines must end in CRLF"
    for line in raw.split(b"\r\n"):
        assert len(line) <= 75, f"line of {len(line)} octets: {line[:40]!r}"
    calendar = icalendar.Calendar.from_ical(raw)
    assert calendar.get("VERSION") == "2.0"
    assert calendar.get("PRODID")
    events = list(calendar.walk("VEVENT"))
    assert events, "no events"
    uids = []
    for event in events:
        uid = str(event["UID"])
        assert re.fullmatch(r"[a-z_]+(-[^@]+)?@127\.0\.0\.1", uid), uid
        start = event["DTSTART"].dt
        assert isinstance(start, datetime.date) and not isinstance(start, datetime.datetime), start
        assert str(event["SUMMARY"]).startswith("Renew "), event["SUMMARY"]
        assert RUNBOOKS in str(event["DESCRIPTION"]), event["DESCRIPTION"]
        assert event.get("DTSTAMP") is not None
        alarms = list(event.walk("VALARM"))
        triggers = sorted(alarm["TRIGGER"].dt for alarm in alarms)
        assert triggers == [datetime.timedelta(days=-30), datetime.timedelta(days=-7)], triggers
        assert all(str(alarm["ACTION"]) == "DISPLAY" for alarm in alarms)
        uids.append(uid)
    assert len(uids) == len(set(uids)), "duplicate UIDs"
    summaries = {str(event["SUMMARY"]) for event in events}
    # The demo's expired token is included, and non-ASCII names survive.
    assert "Renew Volume Purchasing token: Harbor Middle School" in summaries, summaries
    assert "Renew Volume Purchasing token: Escuela Peña Blanca" in summaries, summaries
    return uids


def main():
    child, base = start(sys.argv[1])
    try:
        first = check(fetch(base))
        second = check(fetch(base))
        assert first == second, "UIDs changed between reads"
        print(f"calendar_check: {len(first)} events parsed by icalendar {icalendar.__version__}")
    finally:
        child.terminate()
        child.wait(timeout=10)


if __name__ == "__main__":
    main()
