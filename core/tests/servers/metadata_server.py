#!/usr/bin/env python3
"""Loopback stand-in for the container credentials endpoint and EC2 IMDSv2, for the C tests.

Binds 127.0.0.1 on a free port and prints the port on stdout as its first line. Exits when its
standard input reaches end of file (the test closes it), or after --lifetime seconds.

Container: GET /container<anything> -> credentials JSON (AccessKeyId, SecretAccessKey, Token,
  Expiration). With --auth-token, requests without "Authorization: <token>" get 401.
IMDSv2:    PUT /latest/api/token (needs X-aws-ec2-metadata-token-ttl-seconds) -> session token;
  GET /latest/meta-data/iam/security-credentials/ -> role name; GET .../<role> -> credentials.
  GETs without the session token header get 401, unless --imds-v1 (then PUT gets 404 and GETs
  need no token).
Control:   GET /_count?kind=K -> number of requests of kind K (container, token, role, creds,
  unauthorized); GET /_set?name=value&... changes an option at run time (expires_in,
  status_<kind>, body_<kind>, delay_<kind> in seconds, auth_token, role, imds_v1).

Secrets served are recognisable ("...-secret-N", "...-session-token-N") so tests can check that
they never show up in error messages.
"""
import argparse
import datetime
import json
import os
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

IMDS_TOKEN = "imds-session-secret-token"
CREDS_PREFIX = "/latest/meta-data/iam/security-credentials/"

lock = threading.Lock()
counts = {}
options = {}


def count(kind):
    with lock:
        counts[kind] = counts.get(kind, 0) + 1
        return counts[kind]


def expiration():
    secs = int(options.get("expires_in", 3600))
    if secs < 0:
        return None
    t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=secs)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def credentials(prefix, n):
    body = {
        "AccessKeyId": "ASIA%s%d" % (prefix.upper(), n),
        "SecretAccessKey": "%s-secret-%d" % (prefix, n),
        "Token": "%s-session-token-%d" % (prefix, n),
    }
    exp = expiration()
    if exp:
        body["Expiration"] = exp
    return body


class Handler(BaseHTTPRequestHandler):
    server_version = "metadata-test/1"

    def log_message(self, fmt, *args):  # keep test output clean
        pass

    def send(self, status, body, ctype="text/plain"):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def override(self, kind):
        """Waits delay_<kind> seconds, then answers with a configured status/body for kind;
        True when it did."""
        delay = float(options.get("delay_" + kind, 0))
        if delay > 0:
            time.sleep(delay)
        status = int(options.get("status_" + kind, 200))
        body = options.get("body_" + kind)
        if status != 200 or body is not None:
            self.send(status, body if body is not None else "error")
            return True
        return False

    def imds_authorized(self):
        if options.get("imds_v1"):
            return True
        if self.headers.get("X-aws-ec2-metadata-token") == IMDS_TOKEN:
            return True
        count("unauthorized")
        self.send(401, "missing or wrong token")
        return False

    def do_PUT(self):
        path = urlsplit(self.path).path
        if path != "/latest/api/token":
            self.send(404, "not found")
            return
        count("token")
        if options.get("imds_v1"):
            self.send(404, "not found")
            return
        if not self.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
            self.send(400, "missing ttl")
            return
        if self.override("token"):
            return
        self.send(200, IMDS_TOKEN)

    def do_GET(self):
        url = urlsplit(self.path)
        path = url.path
        query = parse_qs(url.query, keep_blank_values=True)
        if path == "/_count":
            kind = query.get("kind", [""])[0]
            with lock:
                self.send(200, str(counts.get(kind, 0)))
            return
        if path == "/_set":
            with lock:
                for key, values in query.items():
                    if values[0] == "":
                        options.pop(key, None)   # "name=" clears an option
                    else:
                        options[key] = values[0]
            self.send(200, "ok")
            return
        if path.startswith("/container"):
            token = options.get("auth_token")
            if token and self.headers.get("Authorization") != token:
                count("unauthorized")
                self.send(401, "unauthorized")
                return
            n = count("container")
            if self.override("container"):
                return
            self.send(200, json.dumps(credentials("container", n)), "application/json")
            return
        role = options.get("role", "test-role")
        if path == CREDS_PREFIX:
            if not self.imds_authorized():
                return
            count("role")
            if self.override("role"):
                return
            self.send(200, role)
            return
        if path == CREDS_PREFIX + role:
            if not self.imds_authorized():
                return
            n = count("creds")
            if self.override("creds"):
                return
            body = credentials("imds", n)
            body.update({"Code": "Success", "Type": "AWS-HMAC",
                         "LastUpdated": "2026-11-22T10:00:00Z"})
            self.send(200, json.dumps(body), "application/json")
            return
        self.send(404, "not found")


def watch_stdin():
    try:
        while sys.stdin.buffer.read(4096):
            pass
    finally:
        os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--auth-token")
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--imds-v1", action="store_true")
    ap.add_argument("--lifetime", type=float, default=600)
    args = ap.parse_args()
    if args.auth_token:
        options["auth_token"] = args.auth_token
    options["expires_in"] = args.expires_in
    if args.imds_v1:
        options["imds_v1"] = "1"

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=watch_stdin, daemon=True).start()
    timer = threading.Timer(args.lifetime, lambda: os._exit(0))
    timer.daemon = True
    timer.start()
    server.serve_forever()


if __name__ == "__main__":
    main()
