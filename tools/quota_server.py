#!/usr/bin/env python3
"""A Cognito stand-in that enforces a request-rate quota the way the service does (loopback only).

Amazon Cognito limits the request rate of user-pool API operations per AWS account and Region,
by category ("Quotas in Amazon Cognito", https://docs.aws.amazon.com/cognito/latest/developerguide/
quotas.html, section "Amazon Cognito user pools API operation categories and request rate
quotas"); beyond it a request fails with TooManyRequestsException. The defaults here (15 requests
per second, shared by ListUserPools, DescribeUserPool and GetUserPoolMfaConfig) are the figure
project issue 11 measured against; the guide gives no burst size, so the bucket holds one
second's worth (--burst defaults to --rate). The error is sent as cognito-idp sends its errors
(../shared/data/aws-contract.md 1.7 and 4.1): HTTP 400, x-amzn-ErrorType "TooManyRequestsException:",
x-amzn-ErrorMessage, and the body {"__type": "TooManyRequestsException", "message": "Rate exceeded"}.

The quota is a token bucket (rate R per second, capacity B, full at the start) per (access key
id, region) pair, both read from the SigV4 Authorization header's credential scope
("Credential=AKID/DATE/REGION/cognito-idp/aws4_request"); signatures are not checked. Every
account-region holds N synthetic pools with a mix of MFA settings (see pool_config), served by:

  ListUserPools          MaxResults (1..60, required) and NextToken paging
  GetUserPoolMfaConfig   the pool's MFA configuration
  DescribeUserPool       the pool with its tier

Control paths (never throttled, never counted):

  GET  /__stats   {"requests", "admitted", "throttled", "keys": {"AKID/REGION": {"requests",
                  "admitted", "throttled", "first", "last", "admitted_rate"}}} where admitted_rate
                  is the admitted requests per second between the first and last admitted one
  POST /__reset   body (optional JSON): {"rate", "burst", "pools", "latency"}; clears the
                  statistics, refills every bucket and applies the settings given

Options: --rate R, --burst B, --pools N, --latency SECONDS (added before every answer), --port
(0: a free port, printed as the first line on stdout). The server stops by itself when the
process that started it is gone.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
LOCK = threading.Lock()
SETTINGS = {"rate": 15.0, "burst": 15.0, "pools": 150, "latency": 0.0}
BUCKETS = {}   # (akid, region) -> [tokens, last refill time]
STATS = {}     # (akid, region) -> {"requests", "admitted", "throttled", "first", "last"}


def admit(key):
    """Takes a token from key's bucket; False when it has none (the request is throttled)."""
    now = time.monotonic()
    with LOCK:
        bucket = BUCKETS.get(key)
        if bucket is None:
            bucket = BUCKETS[key] = [SETTINGS["burst"], now]
        bucket[0] = min(SETTINGS["burst"], bucket[0] + (now - bucket[1]) * SETTINGS["rate"])
        bucket[1] = now
        ok = bucket[0] >= 1.0
        if ok:
            bucket[0] -= 1.0
        st = STATS.setdefault(key, {"requests": 0, "admitted": 0, "throttled": 0,
                                    "first": None, "last": None})
        st["requests"] += 1
        if ok:
            st["admitted"] += 1
            st["first"] = now if st["first"] is None else st["first"]
            st["last"] = now
        else:
            st["throttled"] += 1
        return ok


def stats():
    with LOCK:
        out = {"requests": 0, "admitted": 0, "throttled": 0, "keys": {},
               "rate": SETTINGS["rate"], "burst": SETTINGS["burst"], "pools": SETTINGS["pools"]}
        for (akid, region), st in STATS.items():
            span = (st["last"] - st["first"]) if st["first"] is not None else 0.0
            entry = dict(st)
            entry["admitted_rate"] = (st["admitted"] - 1) / span if span > 0 else 0.0
            out["keys"]["%s/%s" % (akid, region)] = entry
            for k in ("requests", "admitted", "throttled"):
                out[k] += st[k]
        return out


def reset(body):
    with LOCK:
        for k in ("rate", "burst", "latency"):
            if k in body:
                SETTINGS[k] = float(body[k])
        if "rate" in body and "burst" not in body:
            SETTINGS["burst"] = SETTINGS["rate"]
        if "pools" in body:
            SETTINGS["pools"] = int(body["pools"])
        BUCKETS.clear()
        STATS.clear()


def credential_scope(headers):
    """(access key id, region) from the Authorization header, or None."""
    auth = headers.get("Authorization") or ""
    i = auth.find("Credential=")
    if i < 0:
        return None
    parts = auth[i + len("Credential="):].split(",")[0].strip().split("/")
    if len(parts) < 5 or not parts[0] or not parts[2]:
        return None
    return parts[0], parts[2]


def pool_id(region, i):
    return "%s_q%08d" % (region, i)


def pool_index(region, pid):
    prefix = region + "_q"
    if not isinstance(pid, str) or not pid.startswith(prefix) or not pid[len(prefix):].isdigit():
        return None
    i = int(pid[len(prefix):])
    return i if 0 <= i < SETTINGS["pools"] else None


# The mix of MFA settings: pool i has KINDS[i % 5]. Under the baseline policy "off" and
# "optional-sms" fail, "email" needs DescribeUserPool (its tier), the others pass.
KINDS = ("off", "on-totp", "optional-sms", "on-sms-totp", "email")
TIERS = ("ESSENTIALS", "LITE", "PLUS")
SMS = {"SmsAuthenticationMessage": "Your code is {####}",
       "SmsConfiguration": {"SnsCallerArn": "arn:aws:iam::123456789012:role/sms", "ExternalId": "x",
                            "SnsRegion": "us-east-1"}}


def pool_config(i):
    kind = KINDS[i % len(KINDS)]
    if kind == "off":
        return {"MfaConfiguration": "OFF"}
    cfg = {"MfaConfiguration": "OPTIONAL" if kind == "optional-sms" else "ON"}
    if "totp" in kind or kind == "email":
        cfg["SoftwareTokenMfaConfiguration"] = {"Enabled": True}
    if "sms" in kind:
        cfg["SmsMfaConfiguration"] = SMS
    if kind == "email":
        cfg["EmailMfaConfiguration"] = {"Message": "Your code is {####}", "Subject": "Code"}
    return cfg


def pool_summary(region, i):
    return {"Id": pool_id(region, i), "Name": "quota-pool-%d" % i, "LambdaConfig": {},
            "LastModifiedDate": 1767225600.0, "CreationDate": 1767225600.0}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/x-amz-json-1.1")
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _error(self, code, message, status=400):
        self._send(status, {"__type": code, "message": message},
                   {"x-amzn-ErrorType": code + ":", "x-amzn-ErrorMessage": message})

    def do_GET(self):
        self._body()
        if self.path == "/__stats":
            self._send(200, stats())
        else:
            self._error("UnknownOperationException", "GET is not served")

    def do_POST(self):
        body = self._body()
        if self.path == "/__reset":
            try:
                reset(json.loads(body or b"{}"))
            except (ValueError, TypeError) as e:
                self._error("InvalidParameterException", "bad /__reset body: %s" % e)
                return
            self._send(200, stats())
            return
        scope = credential_scope(self.headers)
        if scope is None:
            self._error("MissingAuthenticationTokenException", "Missing Authentication Token", 403)
            return
        if SETTINGS["latency"] > 0:
            time.sleep(SETTINGS["latency"])
        if not admit(scope):
            self._error("TooManyRequestsException", "Rate exceeded")
            return
        target = self.headers.get("X-Amz-Target") or ""
        op = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else ""
        try:
            params = json.loads(body or b"{}")
        except ValueError:
            self._error("SerializationException", "Request body is not JSON")
            return
        region = scope[1]
        if op == "ListUserPools":
            self.list_user_pools(region, params)
        elif op in ("GetUserPoolMfaConfig", "DescribeUserPool"):
            i = pool_index(region, params.get("UserPoolId"))
            if i is None:
                self._error("ResourceNotFoundException",
                            "User pool %s does not exist." % params.get("UserPoolId"))
            elif op == "GetUserPoolMfaConfig":
                self._send(200, pool_config(i))
            else:
                pool = pool_summary(region, i)
                pool["MfaConfiguration"] = pool_config(i)["MfaConfiguration"]
                pool["UserPoolTier"] = TIERS[i % len(TIERS)]
                self._send(200, {"UserPool": pool})
        else:
            self._error("UnknownOperationException", "Unknown operation %s" % (op or target))

    def list_user_pools(self, region, params):
        n = params.get("MaxResults")
        if not isinstance(n, int) or isinstance(n, bool) or not 1 <= n <= 60:
            self._error("InvalidParameterException",
                        "1 validation error detected: Value at 'maxResults' failed to satisfy "
                        "constraint: Member must have value between 1 and 60")
            return
        token = params.get("NextToken")
        start = 0
        if token is not None:
            if not isinstance(token, str) or not token.startswith("p") or not token[1:].isdigit():
                self._error("InvalidParameterException", "Invalid NextToken")
                return
            start = int(token[1:])
        end = min(start + n, SETTINGS["pools"])
        out = {"UserPools": [pool_summary(region, i) for i in range(start, end)]}
        if end < SETTINGS["pools"]:
            out["NextToken"] = "p%d" % end
        self._send(200, out)


def stop_when_orphaned():
    parent = os.getppid()
    while os.getppid() == parent and parent != 1:
        time.sleep(0.5)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--rate", type=float, default=15.0, help="requests per second (15)")
    ap.add_argument("--burst", type=float, help="bucket capacity (default: --rate)")
    ap.add_argument("--pools", type=int, default=150, help="pools per account-region (150)")
    ap.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        ap.error("--host must be a loopback address")
    if args.rate <= 0 or (args.burst is not None and args.burst < 1) or args.pools < 0:
        ap.error("--rate must be > 0, --burst >= 1, --pools >= 0")
    SETTINGS.update(rate=args.rate, burst=args.burst or args.rate, pools=args.pools,
                    latency=args.latency)
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    threading.Thread(target=stop_when_orphaned, daemon=True).start()
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
