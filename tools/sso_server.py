#!/usr/bin/env python3
"""Local IAM Identity Center stand-in for tests (loopback only): the SSO portal and SSO OIDC.

Portal
  GET  /federation/credentials?role_name=R&account_id=A   header x-amz-sso_bearer_token
       200 {"roleCredentials": {accessKeyId, secretAccessKey, sessionToken, expiration (ms)}}
       401 UnauthorizedException for a missing, unknown or expired token; 403 ForbiddenException
       for role "Forbidden"; 400 InvalidRequestException without role_name or account_id.
OIDC
  POST /client/register          {clientName, clientType, scopes?} -> clientId, clientSecret, ...
  POST /device_authorization     {clientId, clientSecret, startUrl} -> deviceCode, userCode, ...
  POST /token                    {clientId, clientSecret, grantType, refreshToken | deviceCode}
       refresh_token: a new access token (and a new refresh token); invalid_grant otherwise.
       device_code: authorization_pending for the first --pending polls, slow_down once when
       polled again within --min-interval seconds, expired_token after expiresIn, then a token.
  Errors answer as the service does: status 400/401, x-amzn-ErrorType, {"error": ...} body.
Control (for tests)
  GET  /__stats    {"paths": {"/token": 3, ...}, "grants": {"refresh_token": 1, ...}}
  POST /__token    {"accessToken": T, "expiresIn": S}: accept T at the portal for S seconds
  POST /__client   {"clientId": C, "clientSecret": S, "refreshToken": R}: a registration with a
                   refresh token, as `aws sso login` leaves behind
  POST /__reset    forget everything

Started with --port 0 it binds a free port and prints it as the first line on stdout.
Standard library only.
"""
import argparse
import json
import secrets
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOCK = threading.Lock()
OPTS = {"pending": 2, "min_interval": 1.0, "token_ttl": 3600, "role_ttl": 3600,
        "device_ttl": 600}


def fresh_state():
    return {"clients": {}, "devices": {}, "tokens": {}, "refresh": {}, "paths": {},
            "grants": {}}


STATE = fresh_state()


def new_secret(prefix):
    return prefix + secrets.token_hex(12)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(n) if n else b""
        if not raw:
            return {}
        try:
            value = json.loads(raw)
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def _send(self, status, obj, error_type=None):
        data = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        if error_type:
            self.send_header("x-amzn-ErrorType", error_type)
        self.send_header("x-amzn-RequestId", secrets.token_hex(8))
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _oauth_error(self, status, error, exception, description=None):
        self._send(status, {"error": error, "error_description": description}, exception)

    def _count(self, path):
        with LOCK:
            STATE["paths"][path] = STATE["paths"].get(path, 0) + 1

    # ------------------------------------------------------------------ portal
    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/__stats":
            with LOCK:
                data = {"paths": dict(STATE["paths"]), "grants": dict(STATE["grants"])}
            self._send(200, data)
            return
        self._count(url.path)
        if url.path != "/federation/credentials":
            self._send(404, {"message": "no such path"}, "ResourceNotFoundException")
            return
        q = parse_qs(url.query)
        role = (q.get("role_name") or [""])[0]
        account = (q.get("account_id") or [""])[0]
        token = self.headers.get("x-amz-sso_bearer_token") or ""
        with LOCK:
            expires = STATE["tokens"].get(token)
        if not token or expires is None or expires <= time.time():
            self._send(401, {"message": "Session token not found or invalid"},
                       "UnauthorizedException")
            return
        if not role or not account:
            self._send(400, {"message": "role_name and account_id are required"},
                       "InvalidRequestException")
            return
        if role == "Forbidden":
            self._send(403, {"message": "No access"}, "ForbiddenException")
            return
        expiration_ms = int((time.time() + OPTS["role_ttl"]) * 1000)
        self._send(200, {"roleCredentials": {
            "accessKeyId": "ASIA" + secrets.token_hex(8).upper(),
            "secretAccessKey": new_secret("portal-secret-"),
            "sessionToken": new_secret("portal-session-"),
            "expiration": expiration_ms}})

    # ------------------------------------------------------------------ OIDC and control
    def do_POST(self):
        path = urlsplit(self.path).path
        body = self._body()
        if path == "/__reset":
            with LOCK:
                STATE.clear()
                STATE.update(fresh_state())
            self._send(200, {})
            return
        if path == "/__token":
            with LOCK:
                STATE["tokens"][body["accessToken"]] = time.time() + float(body["expiresIn"])
            self._send(200, {})
            return
        if path == "/__client":
            with LOCK:
                STATE["clients"][body["clientId"]] = body["clientSecret"]
                if body.get("refreshToken"):
                    STATE["refresh"][body["refreshToken"]] = body["clientId"]
            self._send(200, {})
            return
        self._count(path)
        if body is None:
            self._send(400, {"error": "invalid_request", "error_description": "not JSON"},
                       "InvalidRequestException")
            return
        if path == "/client/register":
            self.register(body)
        elif path == "/device_authorization":
            self.device_authorization(body)
        elif path == "/token":
            self.token(body)
        else:
            self._send(404, {"message": "no such path"}, "ResourceNotFoundException")

    def _client_ok(self, body):
        with LOCK:
            secret = STATE["clients"].get(body.get("clientId"))
        return secret is not None and secret == body.get("clientSecret")

    def register(self, body):
        if not body.get("clientName") or body.get("clientType") != "public":
            self._oauth_error(400, "invalid_request", "InvalidRequestException",
                              "clientName and clientType public are required")
            return
        client_id = "client-" + secrets.token_hex(6)
        client_secret = new_secret("client-secret-")
        now = int(time.time())
        with LOCK:
            STATE["clients"][client_id] = client_secret
        self._send(200, {"clientId": client_id, "clientSecret": client_secret,
                         "clientIdIssuedAt": now, "clientSecretExpiresAt": now + 90 * 86400})

    def device_authorization(self, body):
        if not self._client_ok(body):
            self._oauth_error(400, "invalid_client", "InvalidClientException")
            return
        if not body.get("startUrl"):
            self._oauth_error(400, "invalid_request", "InvalidRequestException",
                              "startUrl is required")
            return
        code = new_secret("device-code-")
        user = "%04X-%04X" % (secrets.randbelow(65536), secrets.randbelow(65536))
        with LOCK:
            STATE["devices"][code] = {"client": body["clientId"], "polls": 0, "last": None,
                                      "slowed": False,
                                      "expires": time.time() + OPTS["device_ttl"]}
        base = "http://%s:%d/device" % self.server.server_address[:2]
        self._send(200, {"deviceCode": code, "userCode": user, "verificationUri": base,
                         "verificationUriComplete": base + "?user_code=" + user,
                         "expiresIn": OPTS["device_ttl"], "interval": 1})

    def _issue(self, client_id):
        access = new_secret("access-token-")
        refresh = new_secret("refresh-token-")
        with LOCK:
            STATE["tokens"][access] = time.time() + OPTS["token_ttl"]
            STATE["refresh"][refresh] = client_id
        self._send(200, {"accessToken": access, "tokenType": "Bearer",
                         "expiresIn": OPTS["token_ttl"], "refreshToken": refresh})

    def token(self, body):
        grant = body.get("grantType")
        with LOCK:
            STATE["grants"][str(grant)] = STATE["grants"].get(str(grant), 0) + 1
        if not self._client_ok(body):
            self._oauth_error(400, "invalid_client", "InvalidClientException")
            return
        if grant == "refresh_token":
            with LOCK:
                owner = STATE["refresh"].pop(body.get("refreshToken"), None)
            if owner != body["clientId"]:
                self._oauth_error(400, "invalid_grant", "InvalidGrantException",
                                  "Invalid refresh token provided")
                return
            self._issue(owner)
            return
        if grant == "urn:ietf:params:oauth:grant-type:device_code":
            now = time.time()
            with LOCK:
                dev = STATE["devices"].get(body.get("deviceCode"))
                if dev is None or dev["client"] != body["clientId"]:
                    answer = ("invalid_grant", "InvalidGrantException")
                elif now > dev["expires"]:
                    answer = ("expired_token", "ExpiredTokenException")
                elif (dev["last"] is not None and now - dev["last"] < OPTS["min_interval"]
                      and not dev["slowed"]):
                    dev["slowed"] = True
                    dev["last"] = now
                    answer = ("slow_down", "SlowDownException")
                elif dev["polls"] < OPTS["pending"]:
                    dev["polls"] += 1
                    dev["last"] = now
                    answer = ("authorization_pending", "AuthorizationPendingException")
                else:
                    del STATE["devices"][body["deviceCode"]]
                    answer = None
            if answer:
                self._oauth_error(400, answer[0], answer[1])
                return
            self._issue(body["clientId"])
            return
        self._oauth_error(400, "unsupported_grant_type", "UnsupportedGrantTypeException")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--pending", type=int, default=2,
                    help="authorization_pending answers before a device-code token")
    ap.add_argument("--min-interval", type=float, default=1.0,
                    help="polls closer than this (seconds) get slow_down, once")
    ap.add_argument("--token-ttl", type=int, default=3600, help="expiresIn of access tokens")
    ap.add_argument("--role-ttl", type=int, default=3600, help="lifetime of role credentials")
    args = ap.parse_args()
    if args.host not in ("127.0.0.1", "::1", "localhost"):
        raise SystemExit("sso_server.py listens on loopback only")
    OPTS.update(pending=args.pending, min_interval=args.min_interval,
                token_ttl=args.token_ttl, role_ttl=args.role_ttl)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
