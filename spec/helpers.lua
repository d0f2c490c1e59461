-- Shared spec helpers: start and stop real local peers (moto, moto-auth, cognito-local, the
-- scripted fault server) on free loopback ports through tools/peer.py, and talk to the fault
-- server's control paths. Only processes started here are stopped (by pid), never by name.
local cognito_mfa = require "cognito_mfa"

local helpers = {}

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
helpers.shell_quote = shell_quote

-- Child processes (python, node, curl) must not inherit the sanitizer runtime that the ASan
-- build preloads into the Lua interpreter.
local CLEAN_ENV = "env -u LD_PRELOAD -u ASAN_OPTIONS -u LSAN_OPTIONS -u UBSAN_OPTIONS "
helpers.CLEAN_ENV = CLEAN_ENV

--- Starts a peer; returns { endpoint, port, pid, supervisor_pid, access_key_id?, ... , stop }.
function helpers.start_peer(kind)
  local handle = assert(io.popen("exec " .. CLEAN_ENV .. "python3 tools/peer.py serve " .. kind, "r"))
  local line = handle:read("*l")
  if not line then
    handle:close()
    error("could not start peer " .. kind)
  end
  local info = assert(cognito_mfa.decode_json(line))
  info.handle = handle
  function info.stop()
    if info.handle then
      os.execute("kill " .. info.supervisor_pid .. " 2>/dev/null")
      info.handle:close()
      info.handle = nil
    end
  end
  return info
end

--- A client for a peer, with fixed test credentials unless given.
function helpers.client(peer, opts)
  opts = opts or {}
  opts.endpoint_url = opts.endpoint_url or peer.endpoint
  opts.region = opts.region or "us-east-1"
  opts.credentials = opts.credentials or {
    access_key_id = peer.access_key_id or "AKIDEXAMPLE",
    secret_access_key = peer.secret_access_key or "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
  }
  opts.retry_seed = opts.retry_seed or 1
  return assert(cognito_mfa.client(opts))
end

-- A control request to a fault peer (trusting its certificate when it serves HTTPS).
local function curl(peer, args)
  local tls = peer.ca and ("--cacert " .. shell_quote(peer.ca) .. " ") or ""
  local h = assert(io.popen(CLEAN_ENV .. "curl -s " .. tls .. args))
  local out = h:read("*a")
  h:close()
  return out
end

--- Replaces the fault server's script (a list of steps, see tools/fault_server.py); works for
-- the fault and fault-tls peers.
function helpers.script(peer, steps)
  local body = cognito_mfa.encode_json(setmetatable(steps, cognito_mfa.array_mt))
  curl(peer, "-X POST --data-binary " .. shell_quote(body) .. " " .. peer.endpoint .. "/__script")
end

--- The requests the fault server received since the last script.
function helpers.requests(peer)
  return assert(cognito_mfa.decode_json(curl(peer, peer.endpoint .. "/__requests")))
end

--- Creates a user pool through the generic call; returns its id.
function helpers.create_pool(client, name, extra)
  local params = { PoolName = name }
  for k, v in pairs(extra or {}) do params[k] = v end
  local out = assert(client:call("CreateUserPool", params))
  return out.UserPool.Id
end

return helpers
