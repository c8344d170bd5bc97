"""A minimal Jamf Pro on loopback for the image test's resolver check.

It answers the OAuth token request and the version endpoint, and 404 for anything else,
which is enough for `jamf_up 1`. It prints each request's Host header on stdout so that
the test can see which name the exporter used.

    python3 tests/image/jamf_stub.py PORT_FILE
"""

import http.server
import json
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    def answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        print("host", self.headers.get("Host"), flush=True)
        if self.path in ("/api/oauth/token", "/api/v1/oauth/token"):
            self.answer(200, {"access_token": "image-test", "token_type": "Bearer", "expires_in": 1799})
        else:
            self.answer(404, {"httpStatus": 404, "errors": []})

    def do_GET(self):
        print("host", self.headers.get("Host"), flush=True)
        if self.path == "/api/v1/jamf-pro-version":
            self.answer(200, {"version": "11.20.0-t1"})
        elif self.path == "/healthCheck.html":
            self.answer(200, [])
        else:
            self.answer(404, {"httpStatus": 404, "errors": []})

    def log_message(self, *args):
        pass


def main():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(sys.argv[1], "w") as port_file:
        port_file.write(str(server.server_address[1]))
    server.serve_forever()


if __name__ == "__main__":
    main()
