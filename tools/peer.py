#!/usr/bin/env python3
"""Starts a local Cognito peer on a free loopback port for tests, and stops it afterwards.

  peer.py run KIND -- COMMAND...   start KIND, run COMMAND with the peer's settings in its
                                   environment, stop KIND, exit with COMMAND's status
  peer.py serve KIND               start KIND, print one JSON line {"endpoint", "pid",
                                   "supervisor_pid", ...}, stay until SIGTERM/SIGINT (or until
                                   the process that started it is gone), then stop KIND

KIND: moto           moto's server (python3 -m moto.server), signatures not checked
      moto-auth      moto's server with INITIAL_NO_AUTH_ACTION_COUNT set: after creating an IAM
                     user and access key, every request must carry a valid SigV4 signature
      cognito-local  cognito-local from npm (COGNITO_LOCAL_BIN or .deps/node_modules)
      fault          tools/fault_server.py (scripted responses)
      fault-tls      the same over HTTPS with a self-signed certificate for 127.0.0.1 made
                     for the run (its path in CMFA_TEST_CA)
      aws-rules      tools/aws_rules_server.py: models the documented SetUserPoolMfaConfig
                     rules (factors, OFF, tiers, email and WebAuthn), used in addition to
                     moto and cognito-local for what they ignore
      sso            tools/sso_server.py: SSO portal and OIDC (device flow with 2 pending
                     polls and slow_down under 0.3 s between polls)
      quota          tools/quota_server.py: enforces a request-rate quota per access key and
                     region (15 requests/s, burst 15; POST /__reset changes it) over 150
                     synthetic pools per account-region

Environment given to COMMAND: CMFA_TEST_ENDPOINT, CMFA_TEST_PEER, and for moto-auth
CMFA_TEST_ACCESS_KEY_ID / CMFA_TEST_SECRET_ACCESS_KEY. Only processes this script started are
stopped (by their process group), never anything found by name.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
SETUP_CALLS = 3  # IAM calls made unauthenticated before moto starts checking signatures


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("peer exited early with status %s" % proc.returncode)
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("peer did not listen on port %d within %.0f s" % (port, timeout))


def cognito_local_bin():
    explicit = os.environ.get("COGNITO_LOCAL_BIN")
    if explicit:
        return explicit
    for base in (os.path.join(ROOT, ".deps"), os.getcwd()):
        path = os.path.join(base, "node_modules", "cognito-local", "lib", "bin", "start.js")
        if os.path.exists(path):
            return path
    raise RuntimeError("cognito-local not found: run npm install --prefix .deps cognito-local@5.3.0")


def iam_setup(endpoint):
    """Creates an IAM user allowed to use cognito-idp and returns its access key."""
    import boto3
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1",
                       aws_access_key_id="AKIDSETUP", aws_secret_access_key="setup")
    iam.create_user(UserName="cmfa-test")
    iam.put_user_policy(UserName="cmfa-test", PolicyName="cognito",
                        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
                            {"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    key = iam.create_access_key(UserName="cmfa-test")["AccessKey"]
    return key["AccessKeyId"], key["SecretAccessKey"]


def start(kind):
    env = dict(os.environ)
    cwd = None
    info = {"peer": kind}
    if kind in ("fault", "fault-tls", "aws-rules", "sso", "quota"):
        script = {"aws-rules": "aws_rules_server.py", "sso": "sso_server.py",
                  "quota": "quota_server.py"}.get(kind, "fault_server.py")
        cmd = [sys.executable, os.path.join(HERE, script), "--port", "0"]
        if kind == "sso":
            cmd += ["--pending", "2", "--min-interval", "0.3"]
        if kind == "fault-tls":
            info["datadir"] = tempfile.mkdtemp(prefix="cmfa-tls-")
            cert = os.path.join(info["datadir"], "cert.pem")
            key = os.path.join(info["datadir"], "key.pem")
            subprocess.check_call(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                                   "-days", "1", "-subj", "/CN=127.0.0.1",
                                   "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                                   "-keyout", key, "-out", cert],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            cmd += ["--tls-cert", cert, "--tls-key", key]
            info["ca"] = cert
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, start_new_session=True)
        port = int(proc.stdout.readline())
    else:
        port = free_port()
        if kind in ("moto", "moto-auth"):
            if kind == "moto-auth":
                env["INITIAL_NO_AUTH_ACTION_COUNT"] = str(SETUP_CALLS)
            cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)]
        elif kind == "cognito-local":
            env["PORT"] = str(port)
            env["HOST"] = "127.0.0.1"
            cwd = tempfile.mkdtemp(prefix="cmfa-cognito-local-")
            info["datadir"] = cwd
            cmd = ["node", cognito_local_bin()]
        else:
            raise SystemExit("unknown peer kind: %s" % kind)
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, start_new_session=True)
    wait_port(port, proc)
    scheme = "https" if kind == "fault-tls" else "http"
    info["endpoint"] = "%s://127.0.0.1:%d" % (scheme, port)
    info["port"] = port
    info["pid"] = proc.pid
    if kind == "moto-auth":
        info["access_key_id"], info["secret_access_key"] = iam_setup(info["endpoint"])
    return proc, info


def stop(proc, info):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if info.get("datadir"):
        subprocess.call(["rm", "-rf", info["datadir"]])


def peer_env(info):
    env = dict(os.environ)
    env["CMFA_TEST_ENDPOINT"] = info["endpoint"]
    env["CMFA_TEST_PEER"] = info["peer"]
    if "ca" in info:
        env["CMFA_TEST_CA"] = info["ca"]
    if "access_key_id" in info:
        env["CMFA_TEST_ACCESS_KEY_ID"] = info["access_key_id"]
        env["CMFA_TEST_SECRET_ACCESS_KEY"] = info["secret_access_key"]
    return env


def main(argv):
    if len(argv) < 3 or argv[1] not in ("run", "serve"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, kind = argv[1], argv[2]
    proc, info = start(kind)
    try:
        if mode == "run":
            cmd = argv[argv.index("--") + 1:] if "--" in argv else argv[3:]
            return subprocess.call(cmd, env=peer_env(info))
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        signal.signal(signal.SIGINT, lambda *_: sys.exit(0))
        parent = os.getppid()
        info["supervisor_pid"] = os.getpid()
        print(json.dumps(info), flush=True)
        # the launcher is gone when we are re-parented (to init or a subreaper)
        while os.getppid() == parent and parent != 1 and proc.poll() is None:
            time.sleep(0.5)
        return 0
    finally:
        stop(proc, info)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
