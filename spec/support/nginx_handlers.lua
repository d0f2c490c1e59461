-- Test locations for the nginx specs (loaded inside nginx by spec/support/nginx.lua's conf):
--
--   GET  /t/get?pool=ID[&max_attempts=N&read_timeout=S&connect_timeout=S&max_response_bytes=N
--              &verify_tls=0&retry_seed=N&endpoint=URL&server_name=NAME]
--                                               a fresh client, GetUserPoolMfaConfig, the outcome
--   POST /t/set                                 SetUserPoolMfaConfig with the JSON body as params
--   POST /t/call/<Operation>                    client:call(Operation, body)
--   POST /t/call_many                           { operation, list, concurrency } -> outs, errs
--   GET  /t/audit?pool=ID&pool=ID...            client:audit over those pools, raw report
--   GET  /t/init_worker                         what init_worker and its timer recorded
--   GET  /t/phase                               ngx.get_phase() and cognito_mfa.resty.available()
--   GET  /t/rule_budget?file=PATH[&instructions=N&seconds=S]
--                                               policy.load(PATH) and policy.evaluate in this
--                                               handler: the findings and the seconds it took
--
-- Every answer is JSON: { ok = true, out = ... } or { ok = false, err = { kind, code, name,
-- message, status, attempts, retryable, violations } }, plus { transport = "resty" | "libcurl" }.

-- luacheck: globals ngx

local cognito_mfa = require "cognito_mfa"
local resty = require "cognito_mfa.resty"

local getenv = os.getenv
local tonumber = tonumber
local type = type

local _M = {}

local shared_client

local function error_fields(err)
  if not err then
    return nil
  end
  return {
    kind = err.kind, code = err.code, name = err.name, message = err.message, status = err.status,
    attempts = err.attempts, retryable = err.retryable, violations = err.violations,
  }
end
_M.error_fields = error_fields

local function outcome(client, out, err)
  return {
    ok = out ~= nil, out = out, err = error_fields(err),
    transport = client and (client.resty and "resty" or "libcurl") or nil,
    phase = ngx.get_phase(),
  }
end

local function reply(status, value)
  ngx.status = status
  ngx.header.content_type = "application/json"
  ngx.say(cognito_mfa.encode_json(value))
  return ngx.exit(status)
end

local function body_json()
  ngx.req.read_body()
  local value = cognito_mfa.decode_json(ngx.req.get_body_data() or "{}")
  return type(value) == "table" and value or {}
end

-- One client per worker, as the example handlers keep one.
local function get_shared()
  if not shared_client then
    shared_client = assert(cognito_mfa.client { endpoint_url = getenv("COGNITO_MFA_ENDPOINT_URL") })
  end
  return shared_client
end

local function fresh_client(args)
  local opts = {
    endpoint_url = args.endpoint or getenv("COGNITO_MFA_ENDPOINT_URL"),
    retry_seed = tonumber(args.retry_seed) or 1,
    max_attempts = tonumber(args.max_attempts),
    read_timeout = tonumber(args.read_timeout),
    connect_timeout = tonumber(args.connect_timeout),
    max_response_bytes = tonumber(args.max_response_bytes),
  }
  if args.verify_tls == "0" or args.verify_tls == "false" then
    opts.verify_tls = false
  end
  if args.server_name then
    -- an explicit cosocket transport: the name the certificate must carry
    opts.transport = resty.transport {
      server_name = args.server_name, verify_tls = opts.verify_tls,
      read_timeout = opts.read_timeout and opts.read_timeout * 1000,
    }
  end
  return cognito_mfa.client(opts)
end

local routes = {}

function routes.get(args)
  local client, cerr = fresh_client(args)
  if not client then
    return reply(200, outcome(nil, nil, cerr))
  end
  local out, err = client:get_user_pool_mfa_config { UserPoolId = args.pool or "us-east-1_Test1" }
  local res = outcome(client, out, err)
  client:close()
  return reply(200, res)
end

function routes.set()
  local client = get_shared()
  local out, err = client:set_user_pool_mfa_config(body_json())
  return reply(200, outcome(client, out, err))
end

function routes.call(_, rest)
  local client = get_shared()
  local out, err = client:call(rest, body_json())
  return reply(200, outcome(client, out, err))
end

function routes.call_many()
  local client = get_shared()
  local b = body_json()
  local outs, errs = client:call_many(b.operation, b.list or {}, b.concurrency)
  if not outs then
    return reply(200, outcome(client, nil, errs))
  end
  local items = setmetatable({}, cognito_mfa.array_mt)
  for i = 1, #(b.list or {}) do
    items[i] = { ok = outs[i] ~= false, out = outs[i] or nil, err = error_fields(errs[i] or nil) }
  end
  return reply(200, { ok = true, items = items, transport = client.resty and "resty" or "libcurl" })
end

function routes.audit(args)
  local client = get_shared()
  local pools = args.pool
  if type(pools) == "string" then pools = { pools } end
  local report, err = client:audit { pools = pools, concurrency = tonumber(args.concurrency) or 8 }
  if not report then
    return reply(200, outcome(client, nil, err))
  end
  local out = { passed = report.passed, pools = setmetatable({}, cognito_mfa.array_mt) }
  for i, p in ipairs(report.pools) do
    local ids = setmetatable({}, cognito_mfa.array_mt)
    for _, f in ipairs(p.findings or {}) do ids[#ids + 1] = f.id end
    out.pools[i] = { id = p.id, passed = p.passed, findings = ids, error = error_fields(p.error) }
  end
  return reply(200, { ok = true, out = out })
end

function routes.init_worker()
  local dict = ngx.shared.cmfa_test
  return reply(200, {
    init_worker = cognito_mfa.decode_json(dict:get("init_worker") or "null"),
    init_worker_audit = cognito_mfa.decode_json(dict:get("init_worker_audit") or "null"),
    timer = cognito_mfa.decode_json(dict:get("timer") or "null"),
  })
end

function routes.rule_budget(args)
  local policy = require "cognito_mfa.policy"
  ngx.update_time()
  local started = ngx.now()
  local rules, err = policy.load(args.file)
  if not rules then
    return reply(200, { ok = false, err = { message = err } })
  end
  local budget = { instructions = tonumber(args.instructions), seconds = tonumber(args.seconds) }
  local findings = policy.evaluate({ MfaConfiguration = "ON" }, rules, nil, budget)
  ngx.update_time()
  local out = setmetatable({}, cognito_mfa.array_mt)
  for i, f in ipairs(findings) do
    out[i] = { id = f.id, message = f.message, exhausted = f.exhausted }
  end
  return reply(200, { ok = true, findings = out, seconds = ngx.now() - started })
end

function routes.phase()
  local ok, phase = resty.available()
  return reply(200, { phase = ngx.get_phase(), available = ok, reported = phase })
end

--- content_by_lua entry point for /t/<route>[/<rest>].
function _M.dispatch()
  local name, rest = ngx.var.uri:match("^/t/([%w_]+)/?(.*)$")
  local route = name and routes[name]
  if not route then
    return reply(404, { error = "no test route " .. ngx.var.uri })
  end
  return route(ngx.req.get_uri_args(), rest)
end

local function record(key, value)
  ngx.shared.cmfa_test:set(key, cognito_mfa.encode_json(value))
end

--- init_worker_by_lua: with CMFA_TEST_POOL set, calls GetUserPoolMfaConfig right here (no
-- cosockets: a usage error) and again from a zero-delay timer (works), recording both.
function _M.init_worker()
  local pool = getenv("CMFA_TEST_POOL")
  if not pool then
    return
  end
  local client, cerr = cognito_mfa.client { endpoint_url = getenv("COGNITO_MFA_ENDPOINT_URL") }
  if not client then
    record("init_worker", outcome(nil, nil, cerr))
    return
  end
  local out, err = client:get_user_pool_mfa_config { UserPoolId = pool }
  record("init_worker", outcome(client, out, err))
  local ok, report, aerr = pcall(client.audit, client, { pools = { pool } })
  record("init_worker_audit", { raised = not ok or nil, message = not ok and tostring(report) or nil,
                                ok = ok and report ~= nil, err = ok and error_fields(aerr) or nil })
  ngx.timer.at(0, function(premature)
    if premature then return end
    local tout, terr = client:get_user_pool_mfa_config { UserPoolId = pool }
    record("timer", outcome(client, tout, terr))
  end)
end

return _M
