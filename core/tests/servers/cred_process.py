#!/usr/bin/env python3
"""A credential_process for the C tests.

--mode ok       prints Version 1 credentials (Expiration now + --expires-in seconds, or none
                when --expires-in is negative; --expiration overrides it verbatim)
--mode fail     prints a secret-looking line on stdout and exits 3
--mode badjson  prints text that is not JSON (with a secret-looking word in it)
--mode version2 prints credentials with "Version": 2
--mode nokeys   prints {"Version": 1} only
--mode big      prints more than 1 MiB
--mode-file F   reads the mode from file F when it exists (tests switch modes between runs)
--count-file F  appends one line to F per run, so tests can count invocations
"""
import argparse
import datetime
import json
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", default="ok")
    ap.add_argument("--expires-in", type=int, default=3600)
    ap.add_argument("--expiration")
    ap.add_argument("--count-file")
    ap.add_argument("--mode-file")
    args = ap.parse_args()
    if args.mode_file:
        try:
            with open(args.mode_file) as f:
                args.mode = f.read().strip() or args.mode
        except FileNotFoundError:
            pass
    n = 1
    if args.count_file:
        with open(args.count_file, "a") as f:
            f.write("run\n")
        with open(args.count_file) as f:
            n = len(f.readlines())
    out = sys.stdout
    if args.mode == "fail":
        out.write("process-secret-output-%d\n" % n)
        sys.exit(3)
    if args.mode == "badjson":
        out.write("process-secret-output-%d is not JSON\n" % n)
        return
    if args.mode == "big":
        out.write("x" * (1024 * 1024 + 10))
        return
    if args.mode == "nokeys":
        out.write('{"Version": 1}')
        return
    body = {
        "Version": 2 if args.mode == "version2" else 1,
        "AccessKeyId": "ASIAPROCESS%d" % n,
        "SecretAccessKey": "process-secret-%d" % n,
        "SessionToken": "process-session-token-%d" % n,
    }
    if args.expiration:
        body["Expiration"] = args.expiration
    elif args.expires_in >= 0:
        t = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(
            seconds=args.expires_in)
        body["Expiration"] = t.strftime("%Y-%m-%dT%H:%M:%SZ")
    json.dump(body, out)


if __name__ == "__main__":
    main()
