# Test HTTP server run inside a network namespace by strato-test-host.
#
#   /<file>                      the file, with Content-Length and Range support
#   /redirect?to=<url>           302 to <url>
#   /slow/<file>?rate=<bytes/s>  the file, throttled
#   /die/<file>?after=<bytes>    headers for the whole file, the bytes before absolute
#                                offset <after>, then the whole server exits at once
#                                (a request starting at or past <after> is served whole)
#   /norange/<file>              the file, ignoring any Range header (always 200)
#   /status/<code>               an empty answer with that status
#
# With --tls-cert and --tls-key it speaks HTTPS.
#
# Every request is appended to the log file: "<path> range=<Range or -> status=<code>".

import argparse
import http.server
import os
import ssl
import threading
import time
import urllib.parse

args = argparse.ArgumentParser()
args.add_argument("--dir", required=True)
args.add_argument("--port", type=int, required=True)
args.add_argument("--log", required=True)
args.add_argument("--tls-cert")
args.add_argument("--tls-key")
ARGS = args.parse_args()
ROOT = os.path.realpath(ARGS.dir)
LOG_LOCK = threading.Lock()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *_):
        pass

    def record(self, status):
        with LOG_LOCK, open(ARGS.log, "a") as log:
            log.write(f"{self.path} range={self.headers.get('Range', '-')} status={status}\n")

    def do_GET(self):
        self.close_connection = True
        url = urllib.parse.urlsplit(self.path)
        query = urllib.parse.parse_qs(url.query)
        path = urllib.parse.unquote(url.path)
        if path == "/redirect":
            self.empty(302, {"Location": query["to"][0]})
        elif path.startswith("/status/"):
            self.empty(int(path[len("/status/"):]))
        elif path.startswith("/slow/"):
            self.file(path[len("/slow/"):], rate=int(query.get("rate", ["65536"])[0]))
        elif path.startswith("/norange/"):
            self.file(path[len("/norange/"):], ranges=False)
        elif path.startswith("/die/"):
            self.file(path[len("/die/"):], die_after=int(query["after"][0]))
        else:
            self.file(path[1:])

    def empty(self, status, headers=None):
        self.record(status)
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.send_header("Connection", "close")
        self.end_headers()

    def file(self, name, rate=None, die_after=None, ranges=True):
        full = os.path.realpath(os.path.join(ROOT, name))
        if not full.startswith(ROOT + os.sep) or not os.path.isfile(full):
            self.empty(404)
            return
        size = os.path.getsize(full)
        start, end = 0, size - 1
        status = 200
        wanted = self.headers.get("Range")
        if ranges and wanted and wanted.startswith("bytes="):
            first, _, last = wanted[len("bytes="):].partition("-")
            start = int(first)
            if last:
                end = min(int(last), size - 1)
            if start >= size:
                self.empty(416, {"Content-Range": f"bytes */{size}"})
                return
            status = 206
        self.record(status)
        self.send_response(status)
        self.send_header("Content-Length", str(end - start + 1))
        self.send_header("Accept-Ranges", "bytes")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{size}")
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        with open(full, "rb") as f:
            if die_after is not None and start < die_after:
                f.seek(start)
                self.wfile.write(f.read(min(die_after, end + 1) - start))
                self.wfile.flush()
                os._exit(1)
            if rate is not None:
                f.seek(start)
                chunk = max(1, rate // 10)
                left = end - start + 1
                while left > 0:
                    data = f.read(min(chunk, left))
                    self.wfile.write(data)
                    self.wfile.flush()
                    left -= len(data)
                    time.sleep(0.1)
                return
            self.connection.sendfile(f, offset=start, count=end - start + 1)


def exit_with_parent():
    # Started by the test process: never outlive it.
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


threading.Thread(target=exit_with_parent, daemon=True).start()
server = http.server.ThreadingHTTPServer(("0.0.0.0", ARGS.port), Handler)
server.daemon_threads = True
if ARGS.tls_cert:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
