#!/usr/bin/env python3
"""Scripted HTTP server for fault-injection tests (loopback only).

Every request to a path other than the control paths consumes the next step of the script
(the last step repeats once the script is exhausted). Control paths:

  POST /__script    body: JSON list of steps; replaces the script and clears the log
  GET  /__requests  JSON list of the requests received (method, path, headers, body)

A step is an object:
  {"status": 200, "headers": {...}, "body": "..."}     an ordinary response
  {"delay": 0.2, ...}                                   wait before answering (seconds)
  {"action": "reset"}                                   close the connection with a TCP RST
  {"action": "stall", "seconds": 30}                    send headers, then nothing for a while
  {"action": "truncate", "body": "{\"a\"", "length": 100}  announce length, send less, close

Started with --port 0 it binds a free port and prints it as the first line on stdout.
"""
import argparse
import json
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
STATE = {"script": [{"status": 200, "body": "{}"}], "index": 0, "log": []}


def next_step():
    with LOCK:
        script = STATE["script"]
        i = min(STATE["index"], len(script) - 1)
        STATE["index"] += 1
        return script[i]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # answer each keep-alive request at once (no Nagle delay against delayed ACKs)
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, headers, body):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        has_type = any(k.lower() == "content-type" for k in headers)
        if not has_type:
            self.send_header("Content-Type", "application/x-amz-json-1.1")
        for k, v in headers.items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            # the client gave up (a read timeout under test): nothing to answer
            self.close_connection = True

    def do_GET(self):
        if self.path == "/__requests":
            self._body()
            with LOCK:
                data = json.dumps(STATE["log"])
            self._send(200, {"Content-Type": "application/json"}, data)
            return
        self.handle_step(b"")

    def do_POST(self):
        body = self._body()
        if self.path == "/__script":
            with LOCK:
                STATE["script"] = json.loads(body or b"[]") or [{"status": 200, "body": "{}"}]
                STATE["index"] = 0
                STATE["log"] = []
            self._send(200, {"Content-Type": "application/json"}, "{}")
            return
        self.handle_step(body)

    def handle_step(self, body):
        with LOCK:
            STATE["log"].append({
                "method": self.command,
                "path": self.path,
                "headers": {k: v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
                "time": time.time(),
                "client_port": self.client_address[1],
            })
        step = next_step()
        if step.get("delay"):
            time.sleep(float(step["delay"]))
        action = step.get("action")
        if action == "reset":
            # SO_LINGER with a zero timeout makes close() send RST instead of FIN.
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
            self.connection.close()
            self.close_connection = True
            return
        if action == "stall":
            self.send_response(200)
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", "100")
            self.end_headers()
            self.wfile.flush()
            time.sleep(float(step.get("seconds", 30)))
            self.close_connection = True
            return
        if action == "truncate":
            data = step.get("body", "").encode()
            self.send_response(int(step.get("status", 200)))
            self.send_header("Content-Type", "application/x-amz-json-1.1")
            self.send_header("Content-Length", str(int(step.get("length", len(data) + 50))))
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()
            self.close_connection = True
            return
        self._send(int(step.get("status", 200)), step.get("headers", {}), step.get("body", ""))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    ap.add_argument("--tls-key", help="private key of --tls-cert (PEM)")
    args = ap.parse_args()
    ThreadingHTTPServer.request_queue_size = 128   # concurrency tests open many connections
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    if args.tls_cert:
        import ssl
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        server.socket = ctx.wrap_socket(server.socket, server_side=True)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
