#!/usr/bin/env python3
"""A small stateful cognito-idp server that models the documented SetUserPoolMfaConfig rules
(loopback only; a test peer, not an emulator).

Why it exists: moto and cognito-local are the project's real peers, but both ignore
EmailMfaConfiguration and WebAuthnConfiguration and neither applies the service's factor and
tier rules (../shared/data/aws-contract.md, section 5). This server models the behaviour that
section 3 of that document records from AWS, with the real error messages quoted there, so
specs can exercise email MFA, WebAuthn, the tier checks and the OFF/ON rules. It is used IN
ADDITION to moto and cognito-local, never instead of them: every behaviour it models is a
documented rule, and what it does where the documents say "unknown" is listed below.

Speaks AWS JSON 1.1 (POST /, X-Amz-Target: AWSCognitoIdentityProviderService.<Operation>).
Signatures are not checked (as in moto without INITIAL_NO_AUTH_ACTION_COUNT).

Operations: CreateUserPool (PoolName, UserPoolTier, MfaConfiguration, SmsConfiguration),
DescribeUserPool, ListUserPools (MaxResults 1..60 required, opaque NextToken), DeleteUserPool,
GetUserPoolMfaConfig, SetUserPoolMfaConfig.

SetUserPoolMfaConfig, in this order (aws-contract.md section noted):
  1. model checks: UserPoolId pattern, MfaConfiguration enum, SmsAuthenticationMessage 6..140
     with {####}, EmailMfaConfiguration.Message 6..20000 with {####}, UserVerification
     required|preferred, FactorConfiguration enum, RelyingPartyId 1..127 (1.4, 3.6)
     -> InvalidParameterException "1 validation error detected: ..."
  2. unknown pool -> ResourceNotFoundException "User pool <id> does not exist." (3.6)
  3. an SmsMfaConfiguration without a caller ARN (SnsCallerArn or EumsSms.CallerArn) ->
     InvalidParameterException "Invalid SMS MFA configuration given, external id and a valid
     caller arn are required" (3.2: the SMS section is validated before the mode)
  4. OFF with an SMS, software token or email section -> InvalidParameterException
     "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
     (3.2); OFF with WebAuthnConfiguration is accepted (3.2, 3.5)
  5. ON or OPTIONAL without SMS (with a caller ARN), TOTP Enabled=true or email ->
     InvalidParameterException "Invalid MFA Configuration given. SMS MFA, Email MFA, or
     Software Token MFA must be enabled." (3.1; WebAuthn does not count)
  6. EmailMfaConfiguration or WebAuthnConfiguration.FactorConfiguration on a LITE pool ->
     FeatureUnavailableInTierException (3.4, 3.5; AWS's message text for this case is not
     known, so this one is written here: assert the code only)
  7. replace semantics: the stored configuration becomes exactly what was sent; a section left
     out is off/absent (3.1). The response echoes the stored configuration (1.4).

Where the documents say "unknown", this server chooses (so specs do not depend on it):
  - MfaConfiguration left out is treated as OFF (replacement);
  - OFF + SoftwareTokenMfaConfiguration {"Enabled": false} is rejected like any TOTP section;
  - an omitted EmailMfaConfiguration / WebAuthnConfiguration is forgotten (replacement);
  - a new pool's GetUserPoolMfaConfig is {"MfaConfiguration": "OFF"};
  - the "Can't turn off SMS_MFA when SMS configuration is set for the user pool" rejection
    (3.1, amplify-backend #1481) is NOT modelled: its exact condition is not documented.
  - ConcurrentModificationException is not produced (use tools/fault_server.py for it).

Control paths (not AWS): GET /__requests (JSON list of {target, body}), POST /__reset (clears
the log). Errors are sent as real Cognito does: HTTP 400 (500 for InternalErrorException),
X-Amzn-ErrorType "<Code>:", body {"__type": Code, "message": ...}, x-amzn-RequestId.

Started with --port 0 it binds a free loopback port and prints it as the first line on stdout.
--latency-ms N delays every answer by N ms (outside the lock, so concurrent requests overlap),
to stand in for the round trip to a real region in benchmarks.
"""
import argparse
import base64
import copy
import json
import re
import secrets
import socket
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TARGET_PREFIX = "AWSCognitoIdentityProviderService."
REGION = "us-east-1"
ACCOUNT = "123456789012"

POOL_ID_RE = re.compile(r"[\w-]+_[0-9a-zA-Z]+\Z")
ARN_RE = re.compile(r"arn:[\w+=/,.@-]+:[\w+=/,.@-]+:([\w+=/,.@-]*)?:[0-9]+:[\w+=/,.@-]+"
                    r"(:[\w+=/,.@-]+)?(:[\w+=/,.@-]+)?\Z")
SECTIONS = ("SmsMfaConfiguration", "SoftwareTokenMfaConfiguration", "EmailMfaConfiguration",
            "WebAuthnConfiguration")
MSG_OFF_AND_FACTOR = "Invalid MFA configuration given, can't turn off MFA and configure an MFA together."
MSG_NO_FACTOR = ("Invalid MFA Configuration given. SMS MFA, Email MFA, or Software Token MFA "
                 "must be enabled.")
MSG_SMS_ARN = "Invalid SMS MFA configuration given, external id and a valid caller arn are required"
MSG_CREATE_MFA = ("SMS configuration and Auto verification for phone_number are required when MFA "
                  "is required/optional")

LOCK = threading.Lock()
POOLS = {}          # id -> pool record (insertion order = creation order)
LOG = []
SETTINGS = {"latency": 0.0}


class ServiceError(Exception):
    def __init__(self, code, message, status=400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


def invalid(message):
    return ServiceError("InvalidParameterException", message)


def validation(value, field, constraint):
    shown = "null" if value is None else "'%s'" % value
    return invalid("1 validation error detected: Value %s at '%s' failed to satisfy constraint: %s"
                   % (shown, field, constraint))


def check_pool_id(params):
    pool_id = params.get("UserPoolId")
    if pool_id is None:
        raise validation(None, "userPoolId", "Member must not be null")
    if not isinstance(pool_id, str) or not (1 <= len(pool_id) <= 55) or not POOL_ID_RE.match(pool_id):
        raise validation(pool_id, "userPoolId",
                         "Member must satisfy regular expression pattern: [\\w-]+_[0-9a-zA-Z]+")
    return pool_id


def pool_of(pool_id):
    pool = POOLS.get(pool_id)
    if pool is None:
        raise ServiceError("ResourceNotFoundException", "User pool %s does not exist." % pool_id)
    return pool


def check_enum(value, field, allowed):
    if value is not None and value not in allowed:
        raise validation(value, field, "Member must satisfy enum value set: [%s]" % ", ".join(allowed))


def check_template(value, field, low, high):
    if value is None:
        return
    if not isinstance(value, str) or not (low <= len(value) <= high):
        raise validation(value, field, "Member must have length between %d and %d" % (low, high))
    if "{####}" not in value:
        raise validation(value, field, "Member must satisfy regular expression pattern: .*\\{####\\}.*")


def caller_arn(sms):
    """The caller ARN of an SmsMfaConfiguration, or None."""
    cfg = (sms or {}).get("SmsConfiguration") or {}
    for arn in (cfg.get("SnsCallerArn"), (cfg.get("EumsSms") or {}).get("CallerArn")):
        if isinstance(arn, str) and ARN_RE.match(arn):
            return arn
    return None


def check_model(params):
    check_enum(params.get("MfaConfiguration"), "mfaConfiguration", ["OPTIONAL", "OFF", "ON"])
    sms = params.get("SmsMfaConfiguration")
    if sms is not None:
        check_template(sms.get("SmsAuthenticationMessage"),
                       "smsMfaConfiguration.smsAuthenticationMessage", 6, 140)
    email = params.get("EmailMfaConfiguration")
    if email is not None:
        check_template(email.get("Message"), "emailMfaConfiguration.message", 6, 20000)
    web = params.get("WebAuthnConfiguration")
    if web is not None:
        check_enum(web.get("UserVerification"), "webAuthnConfiguration.userVerification",
                   ["required", "preferred"])
        check_enum(web.get("FactorConfiguration"), "webAuthnConfiguration.factorConfiguration",
                   ["SINGLE_FACTOR", "MULTI_FACTOR_WITH_USER_VERIFICATION"])
        rp = web.get("RelyingPartyId")
        if rp is not None and (not isinstance(rp, str) or not (1 <= len(rp) <= 127)):
            raise validation(rp, "webAuthnConfiguration.relyingPartyId",
                             "Member must have length between 1 and 127")


def mfa_config(pool):
    out = {"MfaConfiguration": pool["mfa"]["MfaConfiguration"]}
    for s in SECTIONS:
        if pool["mfa"].get(s) is not None:
            out[s] = copy.deepcopy(pool["mfa"][s])
    return out


def op_set_user_pool_mfa_config(params):
    pool_id = check_pool_id(params)
    check_model(params)
    pool = pool_of(pool_id)
    mode = params.get("MfaConfiguration") or "OFF"
    sms = params.get("SmsMfaConfiguration")
    totp = params.get("SoftwareTokenMfaConfiguration")
    email = params.get("EmailMfaConfiguration")
    web = params.get("WebAuthnConfiguration")
    if sms is not None and caller_arn(sms) is None:
        raise invalid(MSG_SMS_ARN)
    if mode == "OFF" and (sms is not None or totp is not None or email is not None):
        raise invalid(MSG_OFF_AND_FACTOR)
    if mode in ("ON", "OPTIONAL"):
        enabled = (sms is not None) or (totp or {}).get("Enabled") is True or email is not None
        if not enabled:
            raise invalid(MSG_NO_FACTOR)
    if pool["tier"] == "LITE":
        features = []
        if email is not None:
            features.append("Email MFA")
        if web is not None and web.get("FactorConfiguration") is not None:
            features.append("Passkey MFA (WebAuthnConfiguration.FactorConfiguration)")
        if features:
            raise ServiceError("FeatureUnavailableInTierException",
                               "The following features need the ESSENTIALS or PLUS pricing tier, "
                               "this pool is LITE: " + ", ".join(features))
    stored = {"MfaConfiguration": mode}
    for name, value in (("SmsMfaConfiguration", sms), ("SoftwareTokenMfaConfiguration", totp),
                        ("EmailMfaConfiguration", email), ("WebAuthnConfiguration", web)):
        if value is not None:
            stored[name] = copy.deepcopy(value)
    pool["mfa"] = stored
    if sms is not None:
        # SMS settings are pool settings too (DescribeUserPool shows them)
        pool["sms_message"] = sms.get("SmsAuthenticationMessage", pool.get("sms_message"))
        pool["sms_configuration"] = copy.deepcopy(sms.get("SmsConfiguration"))
    pool["modified"] = time.time()
    return mfa_config(pool)


def op_get_user_pool_mfa_config(params):
    return mfa_config(pool_of(check_pool_id(params)))


def op_create_user_pool(params):
    name = params.get("PoolName")
    if name is None:
        raise validation(None, "poolName", "Member must not be null")
    if not isinstance(name, str) or not (1 <= len(name) <= 128) or not re.fullmatch(r"[\w\s+=,.@-]+", name):
        raise validation(name, "poolName", "Member must satisfy regular expression pattern: [\\w\\s+=,.@-]+")
    tier = params.get("UserPoolTier") or "ESSENTIALS"   # "Defaults to ESSENTIALS."
    check_enum(tier, "userPoolTier", ["LITE", "ESSENTIALS", "PLUS"])
    mode = params.get("MfaConfiguration") or "OFF"
    check_enum(mode, "mfaConfiguration", ["OPTIONAL", "OFF", "ON"])
    if mode != "OFF" and (not params.get("SmsConfiguration")
                          or "phone_number" not in (params.get("AutoVerifiedAttributes") or [])):
        raise invalid(MSG_CREATE_MFA)
    pool_id = "%s_%s" % (REGION, secrets.token_hex(6))
    now = time.time()
    pool = {
        "id": pool_id, "name": name, "tier": tier, "created": now, "modified": now,
        "sms_message": params.get("SmsAuthenticationMessage"),
        "sms_configuration": copy.deepcopy(params.get("SmsConfiguration")),
        "mfa": {"MfaConfiguration": mode},
    }
    if mode != "OFF":
        pool["mfa"]["SmsMfaConfiguration"] = {"SmsConfiguration": copy.deepcopy(params["SmsConfiguration"])}
        if params.get("SmsAuthenticationMessage"):
            pool["mfa"]["SmsMfaConfiguration"]["SmsAuthenticationMessage"] = params["SmsAuthenticationMessage"]
    POOLS[pool_id] = pool
    return {"UserPool": describe(pool)}


def describe(pool):
    out = {
        "Id": pool["id"], "Name": pool["name"],
        "Arn": "arn:aws:cognito-idp:%s:%s:userpool/%s" % (REGION, ACCOUNT, pool["id"]),
        "UserPoolTier": pool["tier"], "MfaConfiguration": pool["mfa"]["MfaConfiguration"],
        "CreationDate": round(pool["created"], 3), "LastModifiedDate": round(pool["modified"], 3),
        "EstimatedNumberOfUsers": 0,
        "EmailConfiguration": {"EmailSendingAccount": "COGNITO_DEFAULT"},
    }
    if pool.get("sms_message"):
        out["SmsAuthenticationMessage"] = pool["sms_message"]
    if pool.get("sms_configuration"):
        out["SmsConfiguration"] = copy.deepcopy(pool["sms_configuration"])
    return out


def op_describe_user_pool(params):
    return {"UserPool": describe(pool_of(check_pool_id(params)))}


def op_delete_user_pool(params):
    pool_id = check_pool_id(params)
    pool_of(pool_id)
    del POOLS[pool_id]
    return {}


def op_list_user_pools(params):
    limit = params.get("MaxResults")
    if limit is None:
        raise validation(None, "maxResults", "Member must not be null")
    if not isinstance(limit, int) or isinstance(limit, bool) or not (1 <= limit <= 60):
        raise validation(limit, "maxResults", "Member must have value between 1 and 60")
    start = 0
    token = params.get("NextToken")
    if token is not None:
        try:
            start = int(json.loads(base64.b64decode(token))["offset"])
        except (ValueError, KeyError, TypeError):
            raise invalid("Invalid pagination token")
    pools = list(POOLS.values())
    page = pools[start:start + limit]
    out = {"UserPools": [{
        "Id": p["id"], "Name": p["name"], "LambdaConfig": {},
        "CreationDate": round(p["created"], 3), "LastModifiedDate": round(p["modified"], 3),
    } for p in page]}
    if start + limit < len(pools):
        out["NextToken"] = base64.b64encode(json.dumps({"offset": start + limit}).encode()).decode()
    return out


OPERATIONS = {
    "CreateUserPool": op_create_user_pool,
    "DescribeUserPool": op_describe_user_pool,
    "DeleteUserPool": op_delete_user_pool,
    "ListUserPools": op_list_user_pools,
    "GetUserPoolMfaConfig": op_get_user_pool_mfa_config,
    "SetUserPoolMfaConfig": op_set_user_pool_mfa_config,
}


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self):
        super().setup()
        # headers and body go out in separate writes: without this, Nagle's algorithm and
        # the client's delayed ACK add ~40 ms to every keep-alive request
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet
        pass

    def _body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    def _send(self, status, body, headers=None, content_type="application/x-amz-json-1.1"):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, err):
        self._send(err.status, {"__type": err.code, "message": err.message},
                   {"X-Amzn-ErrorType": err.code + ":"}, "application/x-amz-json-1.1")

    def do_GET(self):
        self._body()
        if self.path == "/__requests":
            with LOCK:
                self._send(200, LOG, content_type="application/json")
            return
        self._send(404, {"message": "not found"}, content_type="application/json")

    def do_POST(self):
        body = self._body()
        if self.path == "/__reset":
            with LOCK:
                LOG.clear()
            self._send(200, {}, content_type="application/json")
            return
        target = self.headers.get("X-Amz-Target") or ""
        operation = target[len(TARGET_PREFIX):] if target.startswith(TARGET_PREFIX) else None
        if SETTINGS["latency"]:
            time.sleep(SETTINGS["latency"])
        failure = None
        with LOCK:
            LOG.append({"target": target, "body": body.decode("utf-8", "replace")})
            try:
                if operation not in OPERATIONS:
                    raise ServiceError("UnknownOperationException",
                                       "Unknown operation %s" % (target or "(no X-Amz-Target)"))
                try:
                    params = json.loads(body or b"{}")
                except ValueError:
                    params = None
                if not isinstance(params, dict):
                    raise ServiceError("SerializationException", "Expected map or null")
                result = OPERATIONS[operation](params)
            except ServiceError as err:
                failure = err
        if failure:
            self._error(failure)
        else:
            self._send(200, result)


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # socketserver's default of 5 drops connections under concurrency


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--latency-ms", type=float, default=0.0)
    args = ap.parse_args()
    SETTINGS["latency"] = args.latency_ms / 1000.0
    server = Server((args.host, args.port), Handler)
    print(server.server_address[1], flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
