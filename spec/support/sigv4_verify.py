#!/usr/bin/env python3
"""Recomputes the AWS Signature Version 4 of a request independently of libcmfa.

  sigv4_verify.py FILE      FILE: JSON {"method", "url", "headers", "body", "secret"}

Reads the credential scope and the signed-header list from the request's Authorization
header, builds the canonical request and string to sign as the AWS documentation describes
(https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html) and prints the
expected signature (64 hex digits). Used by spec/client_spec.lua; standard library only.
"""
import hashlib
import hmac
import json
import sys
import urllib.parse


def sha256_hex(data):
    return hashlib.sha256(data).hexdigest()


def sign(key, msg):
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def main(path):
    with open(path, encoding="utf-8") as f:
        req = json.load(f)
    headers = {k.lower(): " ".join(str(v).strip().split()) for k, v in req["headers"].items()}
    auth = headers["authorization"]
    parts = dict(p.strip().split("=", 1) for p in auth.split(" ", 1)[1].split(","))
    _akid, date, region, service, _term = parts["Credential"].split("/")
    signed = parts["SignedHeaders"].split(";")
    url = urllib.parse.urlsplit(req["url"])
    if "host" not in headers:
        headers["host"] = url.netloc
    canonical = "\n".join([
        req["method"],
        url.path or "/",
        url.query,
        "".join("%s:%s\n" % (h, headers[h]) for h in signed),
        ";".join(signed),
        sha256_hex(req["body"].encode("utf-8")),
    ])
    scope = "/".join([date, region, service, "aws4_request"])
    to_sign = "\n".join(["AWS4-HMAC-SHA256", headers["x-amz-date"], scope,
                         sha256_hex(canonical.encode("utf-8"))])
    key = sign(("AWS4" + req["secret"]).encode("utf-8"), date)
    for part in (region, service, "aws4_request"):
        key = sign(key, part)
    print(hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest())


if __name__ == "__main__":
    main(sys.argv[1])
