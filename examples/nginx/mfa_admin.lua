--- Example nginx handlers for cognito-mfa (see nginx.conf beside this file):
--   GET  /mfa/<pool id>           the pool's MFA configuration as JSON
--   POST /mfa/<pool id>[?dry_run=1] a partial configuration, merged safely (modify); the diff
--   GET  /audit                   the baseline audit of every pool in the region
-- Inside nginx the client does its I/O on cosockets; one client per worker keeps resolved
-- (temporary) credentials and connections between requests.

-- luacheck: globals ngx

local cognito_mfa = require "cognito_mfa"

local getenv = os.getenv
local tostring = tostring
local type = type
local ipairs = ipairs

local _M = {}

local client

local function get_client()
  if client then
    return client
  end
  local c, err = cognito_mfa.client {
    endpoint_url = getenv("COGNITO_MFA_ENDPOINT_URL"),   -- unset: the AWS endpoint of the region
    read_timeout = 10,
  }
  if not c then
    return nil, err
  end
  client = c
  return client
end

local STATUS_BY_KIND = { usage = 400, validation = 400, credentials = 500, transport = 502,
                         service = 502, internal = 500 }

local function reply(status, value)
  ngx.status = status
  ngx.header.content_type = "application/json"
  ngx.say(cognito_mfa.encode_json(value))
  return ngx.exit(status)
end

local function fail(err)
  local status = STATUS_BY_KIND[err.kind] or 500
  if err.kind == "service" and err.code == "ResourceNotFoundException" then
    status = 404
  end
  return reply(status, { error = {
    kind = err.kind, code = err.code, message = err.message, request_id = err.request_id,
    violations = err.violations,
  } })
end

--- GET or POST /mfa/<pool id>.
function _M.config(pool_id)
  local c, cerr = get_client()
  if not c then return fail(cerr) end
  local method = ngx.req.get_method()
  if method == "GET" then
    local out, err = c:get_user_pool_mfa_config { UserPoolId = pool_id }
    if not out then return fail(err) end
    return reply(200, out)
  elseif method == "POST" then
    ngx.req.read_body()
    local change, derr = cognito_mfa.decode_json(ngx.req.get_body_data() or "")
    if type(change) ~= "table" then
      return reply(400, { error = { kind = "usage", message = "the body must be a JSON object: "
        .. tostring(derr and derr.message or "got " .. type(change)) } })
    end
    local dry_run = ngx.var.arg_dry_run == "1" or ngx.var.arg_dry_run == "true"
    local result, err = c:modify_user_pool_mfa_config(pool_id, change, { dry_run = dry_run })
    if not result then return fail(err) end
    return reply(200, {
      applied = result.applied, verified = result.verified, changes = result.changes,
      dropped = result.dropped, before = result.before, after = result.after,
    })
  end
  return reply(405, { error = { kind = "usage", message = "use GET or POST" } })
end

--- GET /audit: the baseline audit of every pool (or ?pool=<id>).
function _M.audit()
  local c, cerr = get_client()
  if not c then return fail(cerr) end
  local pools
  if ngx.var.arg_pool then
    pools = { ngx.var.arg_pool }
  end
  local report, err = c:audit { pools = pools, concurrency = 8 }
  if not report then return fail(err) end
  local out = { passed = report.passed, pools = {} }
  for i, p in ipairs(report.pools) do
    out.pools[i] = { id = p.id, name = p.name, passed = p.passed, findings = p.findings,
                     error = p.error and { code = p.error.code, message = p.error.message } }
  end
  return reply(200, out)
end

return _M
