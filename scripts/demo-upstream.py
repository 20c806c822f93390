#!/usr/bin/env python3
"""A tiny plaintext HTTP/1.1 upstream for trying certgate by hand.

Answers GET and HEAD on any path with a short text page that echoes the request line and headers
(so you can see what reached the upstream through the proxy). Connections are kept alive. Anything
else gets 405 and the connection is closed.

Used by scripts/run, which starts it on 127.0.0.1:8080 when nothing listens there. With
--exit-with-parent it stops on its own once the process that started it is gone (scripts/run execs
certgate, so that is when certgate exits).

Python 3 standard library only.
"""

import argparse
import os
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class DemoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive unless the client asks to close
    server_version = "certgate-demo-upstream"
    sys_version = ""

    def do_GET(self):
        self._answer(send_body=True)

    def do_HEAD(self):
        self._answer(send_body=False)

    def _answer(self, send_body):
        lines = [
            "Hello from the certgate demo upstream.",
            "",
            "This plaintext server received:",
            "",
            f"  {self.requestline}",
        ]
        lines += [f"  {name}: {value}" for name, value in self.headers.items()]
        lines += ["", f"(from {self.client_address[0]}:{self.client_address[1]})", ""]
        body = "\n".join(lines).encode("utf-8")
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def _not_allowed(self):
        # The request body is not read, so the connection cannot be reused safely.
        body = b"only GET and HEAD are supported by the demo upstream\n"
        self.close_connection = True
        self.send_response(405)
        self.send_header("Allow", "GET, HEAD")
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _not_allowed

    def log_message(self, format, *args):
        sys.stderr.write(f"demo-upstream: {self.address_string()} {format % args}\n")


def watch_parent(server, parent_pid):
    """Shuts the server down once the original parent is gone (we then get re-parented)."""

    def loop():
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        sys.stderr.write("demo-upstream: the process that started it exited; stopping\n")
        server.shutdown()

    threading.Thread(target=loop, name="parent-watch", daemon=True).start()


def main():
    parser = argparse.ArgumentParser(description="Plaintext HTTP/1.1 demo upstream for certgate.")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port to listen on (default 8080)")
    parser.add_argument(
        "--exit-with-parent",
        action="store_true",
        help="stop when the process that started this one exits",
    )
    args = parser.parse_args()

    try:
        server = ThreadingHTTPServer((args.host, args.port), DemoHandler)
    except OSError as error:
        sys.stderr.write(f"demo-upstream: cannot listen on {args.host}:{args.port}: {error.strerror}\n")
        return 1
    server.daemon_threads = True

    # SIGTERM ends serve_forever() through SystemExit; server_close() still runs below.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    if args.exit_with_parent:
        watch_parent(server, os.getppid())

    sys.stderr.write(f"demo-upstream: listening on http://{args.host}:{args.port}/\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
