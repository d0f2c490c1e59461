--- Example nginx handlers for cognito-mfa (see nginx.conf beside this file):
--   GET  /mfa/<pool id>               the pool's MFA configuration as JSON
--   POST /mfa/<pool id>[?dry_run=1]   a partial configuration (JSON), merged safely (modify);
--                                     answers with the changes, before and after
--   GET  /audit[?pool=<id>...]        the baseline audit of every pool in the region (or those)
-- Errors are JSON too: { "error": { kind, code, message, request_id, violations } } with 400
-- for usage and validation errors (nothing was sent), 404 for ResourceNotFoundException, 502
-- for other service and transport failures, 500 for credentials and internal ones.
--
-- Inside nginx the client does its I/O on cosockets. One client per worker (created on first
-- use) keeps the resolved credentials, cached until 5 minutes before they expire, and its
-- connections between requests.

-- luacheck: globals ngx

local cognito_mfa = require "cognito_mfa"

local getenv = os.getenv
local io_open = io.open
local ipairs = ipairs
local tostring = tostring
local setmetatable = setmetatable
local type = type

local _M = {}

local client   -- this worker's client

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
  return ngx.exit(ngx.HTTP_OK)
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

local function request_body()
  ngx.req.read_body()
  local data = ngx.req.get_body_data()
  if not data then
    local path = ngx.req.get_body_file()   -- a larger body nginx buffered to a file
    local f = path and io_open(path, "rb")
    if f then
      data = f:read("*a")
      f:close()
    end
  end
  return data or ""
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
    local change, derr = cognito_mfa.decode_json(request_body())
    if type(change) ~= "table" or change[1] ~= nil then
      return fail(cognito_mfa.error { kind = "usage", code = "BadRequestBody",
        message = "the body must be a JSON object (a partial MFA configuration): "
          .. tostring(derr and derr.message or "got " .. (type(change) == "table" and "an array" or type(change))) })
    end
    local args = ngx.req.get_uri_args()
    local dry_run = args.dry_run == "1" or args.dry_run == "true"
    local result, err = c:modify_user_pool_mfa_config(pool_id, change, { dry_run = dry_run })
    if not result then return fail(err) end
    return reply(200, {
      applied = result.applied, verified = result.verified, changes = result.changes,
      dropped = result.dropped, before = result.before, after = result.after,
    })
  end
  ngx.header["Allow"] = "GET, POST"
  return reply(405, { error = cognito_mfa.error { kind = "usage", code = "MethodNotAllowed",
                                                  message = "use GET or POST" } })
end

--- GET /audit: the baseline audit of every pool (or of the ?pool=<id> ones).
function _M.audit()
  local c, cerr = get_client()
  if not c then return fail(cerr) end
  local pools = ngx.req.get_uri_args().pool
  if type(pools) == "string" then
    pools = { pools }
  end
  local report, err = c:audit { pools = pools, concurrency = 8 }
  if not report then return fail(err) end
  local out = { passed = report.passed, pools = setmetatable({}, cognito_mfa.array_mt) }
  for i, p in ipairs(report.pools) do
    local findings = setmetatable({}, cognito_mfa.array_mt)
    for j, f in ipairs(p.findings or {}) do
      findings[j] = { id = f.id, severity = f.severity, message = f.message }
    end
    out.pools[i] = { id = p.id, name = p.name, passed = p.passed, findings = findings,
                     error = p.error and { code = p.error.code, message = p.error.message } or nil }
  end
  return reply(200, out)
end

--- For ngx.timer.every: audits every pool and logs the ones failing the baseline.
function _M.audit_timer(premature)
  if premature then
    return
  end
  local c, cerr = get_client()
  if not c then
    ngx.log(ngx.ERR, "cognito-mfa audit: ", tostring(cerr))
    return
  end
  local report, err = c:audit {}
  if not report then
    ngx.log(ngx.ERR, "cognito-mfa audit: ", tostring(err))
    return
  end
  for _, p in ipairs(report.pools) do
    if not p.passed then
      ngx.log(ngx.WARN, "cognito-mfa audit: pool ", p.id, " fails the baseline (",
              #(p.findings or {}), " findings)", p.error and (": " .. tostring(p.error)) or "")
    end
  end
end

return _M
