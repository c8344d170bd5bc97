#!/usr/bin/env python3
"""A webhook receiver for Alertmanager that prints each delivered alert on one line.

    examples/demo-stack-webhook.py PORT

Used by examples/demo-stack.sh. Each Alertmanager receiver posts to its own path (/pager,
/ticket), so every line says which route the alert took. Only the standard library is used.
"""

import json
import sys
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


def one_line(text):
    # Annotations are folded YAML and may hold newlines; a delivered alert stays one line.
    return " ".join(str(text).split())


class Receiver(BaseHTTPRequestHandler):
    def do_POST(self):
        try:
            length = int(self.headers.get("Content-Length", "0"))
            payload = json.loads(self.rfile.read(length) or b"{}")
        except (ValueError, OSError) as error:
            self.send_response(400)
            self.end_headers()
            print(f"webhook: unreadable notification on {self.path}: {error}", flush=True)
            return
        self.send_response(200)
        self.end_headers()
        receiver = payload.get("receiver") or self.path.strip("/")
        for alert in payload.get("alerts") or []:
            labels = alert.get("labels") or {}
            annotations = alert.get("annotations") or {}
            status = str(alert.get("status", "?")).upper()
            # The customer label that /sd put on the target's series, and the target's name.
            where = ", ".join(
                f"{key} {one_line(labels[key])}" for key in ("customer", "instance") if labels.get(key)
            )
            print(
                f"{time.strftime('%H:%M:%S')} delivered to {receiver}: {status} "
                f"{labels.get('severity', '?')} {labels.get('alertname', '?')}: "
                f"{one_line(annotations.get('summary', ''))}" + (f" ({where})" if where else ""),
                flush=True,
            )

    def log_message(self, format, *args):
        # One line per alert above is the whole output; no access log.
        pass


def main():
    if len(sys.argv) != 2 or not sys.argv[1].isdigit():
        print("usage: demo-stack-webhook.py PORT", file=sys.stderr)
        return 2
    # One request at a time, so that the lines of two notifications never interleave.
    server = HTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
