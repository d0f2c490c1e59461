--- Audits of many pools against a policy: configurations are fetched concurrently (libcurl's
-- multi interface in scripts, light threads inside nginx), then every rule is evaluated.
-- @module cognito_mfa.audit

local policy = require "cognito_mfa.policy"
local workflow = require "cognito_mfa.workflow"

local error = error
local ipairs = ipairs
local max = math.max
local min = math.min
local type = type

local _M = {}

local DEFAULT_CONCURRENCY = 8
local MAX_CONCURRENCY = require("cognito_mfa.core").MAX_CONCURRENCY

-- The client to send with: its adaptive twin unless opts.adaptive is false (clients of other
-- kinds, e.g. test fakes, are used as they are).
local function paced(client, opts)
  if opts.adaptive ~= false and type(client) == "table" and type(client.adaptive) == "function" then
    return client:adaptive()
  end
  return client
end

local function pool_list(client, pools)
  local list = {}
  if pools == nil then
    for pool, err in client:user_pools() do
      if not pool then
        return nil, err
      end
      list[#list + 1] = { id = pool.Id, name = pool.Name }
    end
    return list
  end
  if type(pools) ~= "table" then
    error("audit: pools must be a list of pool ids, got " .. type(pools), 3)
  end
  for i, p in ipairs(pools) do
    if type(p) == "string" then
      list[i] = { id = p }
    elseif type(p) == "table" and type(p.Id or p.id) == "string" then
      list[i] = { id = p.Id or p.id, name = p.Name or p.name }
    else
      error("audit: pools[" .. i .. "] must be a pool id", 3)
    end
  end
  return list
end

local function by_id_params(list, select)
  local params, index = {}, {}
  for i, p in ipairs(list) do
    if not select or select(p) then
      params[#params + 1] = { UserPoolId = p.id }
      index[#index + 1] = i
    end
  end
  return params, index
end

-- The account id in a user pool ARN (arn:PARTITION:cognito-idp:REGION:ACCOUNT:userpool/ID).
local function account_of(arn)
  if type(arn) ~= "string" then
    return nil
  end
  return arn:match("^arn:[^:]*:[^:]*:[^:]*:(%d+):")
end

-- The client's region, when it can say (a client or a fake without one gives nil).
local function region_of(client)
  if type(client) == "table" and type(client.region) == "function" then
    local r = client:region()
    return type(r) == "string" and r or nil
  end
  return nil
end

-- Reads and evaluates one batch of pools (the entries of list from first to last); every
-- entry made is passed to emit.
local function audit_batch(client, list, first, last, rules, opts, concurrency, region, emit)
  local batch = {}
  for i = first, last do batch[#batch + 1] = list[i] end
  local params, index = by_id_params(batch)
  local outs, errs = client:call_many("GetUserPoolMfaConfig", params, concurrency)
  if not outs then
    return nil, errs
  end
  for k, i in ipairs(index) do
    if outs[k] then
      batch[i].config = workflow.normalize(outs[k])
    else
      batch[i].error = errs[k]
      batch[i].operation = "GetUserPoolMfaConfig"
    end
  end

  -- DescribeUserPool only for pools whose configuration a rule needs it for (the tier)
  local dparams, dindex = by_id_params(batch, function(p)
    return p.config and policy.needs_describe(rules, p.config, opts.budget)
  end)
  if #dparams > 0 then
    local douts, derrs = client:call_many("DescribeUserPool", dparams, concurrency)
    if not douts then
      return nil, derrs
    end
    for k, i in ipairs(dindex) do
      if douts[k] then
        local up = douts[k].UserPool
        batch[i].pool = douts[k]
        batch[i].tier = up and up.UserPoolTier
        batch[i].name = batch[i].name or (up and up.Name)
        batch[i].account_id = account_of(up and up.Arn)
      else
        batch[i].error = derrs[k]
        batch[i].operation = "DescribeUserPool"
      end
    end
  end

  for _, p in ipairs(batch) do
    local entry = { id = p.id, name = p.name, config = p.config, tier = p.tier, error = p.error,
                    region = region, account_id = p.account_id, errors = {} }
    if p.error then
      entry.passed = false
      entry.findings = {}
      if type(p.error) == "table" and p.error.operation == nil then
        p.error.operation = p.operation
      end
      entry.errors[1] = p.error
    else
      entry.findings, entry.results = policy.evaluate(p.config, rules, {
        id = p.id, name = p.name, tier = p.tier, pool = p.pool, params = opts.params,
      }, opts.budget)
      entry.passed = #entry.findings == 0
    end
    emit(entry)
  end
  return true
end

--- Audits pools against rules.
-- @param client a cognito_mfa client
-- @tab[opt] opts pools (ids; nil: every pool in the region), rules (default: the baseline),
--   params (baseline parameters), concurrency (default 8), budget (of each call into a rule:
--   { instructions, memory_kb, seconds }, default policy.BUDGET); on_pool (a function(entry)
--   called for each pool as soon as it is done: the pools are then read in batches of
--   `batch` pools, default max(8 * concurrency, 64)), keep_pools (default true; false keeps
--   no entry in the report, for estates too large to hold: stream them with on_pool);
--   adaptive (default true: send with client:adaptive(), client-side rate limiting that keeps
--   to the service's request-rate quota; false: with the client as it is)
-- @return { pools = { { id, name, passed, findings, results, config, tier, region,
--   account_id (from the pool's ARN when DescribeUserPool was read), error, errors (a list of
--   error objects, each with .operation) } }, passed, failed_count, error_count,
--   pool_count, region }, or nil and an error object when the pools cannot be listed
function _M.run(client, opts)
  opts = opts or {}
  if type(opts) ~= "table" then
    error("audit: options must be a table, got " .. type(opts), 2)
  end
  local rules = opts.rules or policy.baseline(opts.params)
  local concurrency = opts.concurrency or DEFAULT_CONCURRENCY
  if type(concurrency) ~= "number" or concurrency < 1 or concurrency > MAX_CONCURRENCY
      or concurrency % 1 ~= 0 then
    error("audit: concurrency must be a whole number from 1 to " .. MAX_CONCURRENCY, 2)
  end
  if opts.on_pool ~= nil and type(opts.on_pool) ~= "function" then
    error("audit: on_pool must be a function, got " .. type(opts.on_pool), 2)
  end
  local batch = opts.batch or max(concurrency * 8, 64)
  if type(batch) ~= "number" or batch < 1 or batch % 1 ~= 0 then
    error("audit: batch must be a whole number of pools, at least 1", 2)
  end
  if opts.adaptive ~= nil and type(opts.adaptive) ~= "boolean" then
    error("audit: adaptive must be a boolean, got " .. type(opts.adaptive), 2)
  end
  client = paced(client, opts)
  local list, lerr = pool_list(client, opts.pools)
  if not list then
    return nil, lerr
  end
  if not opts.on_pool then
    batch = max(#list, 1)     -- everything at once: nobody is waiting for the first pools
  end

  local region = region_of(client)
  local keep = opts.keep_pools ~= false
  local report = { pools = {}, passed = true, failed_count = 0, error_count = 0, pool_count = 0,
                   region = region }
  local function emit(entry)
    if entry.error then
      report.error_count = report.error_count + 1
    elseif not entry.passed then
      report.failed_count = report.failed_count + 1
    end
    report.passed = report.passed and entry.passed
    report.pool_count = report.pool_count + 1
    if keep then
      report.pools[#report.pools + 1] = entry
    end
    if opts.on_pool then
      opts.on_pool(entry)
    end
  end
  for first = 1, #list, batch do
    local ok, err = audit_batch(client, list, first, min(first + batch - 1, #list), rules, opts,
                                concurrency, region, emit)
    if not ok then
      return nil, err
    end
  end
  report.rules = rules
  report.params = opts.params
  report.budget = opts.budget
  return report
end

--- Fixes the failed, fixable findings of an audit report through the safe modify workflow:
-- each pool is read again, its rules re-evaluated and the fixes applied to what it holds now.
-- @param client a cognito_mfa client
-- @tab report what run returned
-- @tab[opt] opts dry_run (send nothing), budget (default: the report's), adaptive (as for run)
-- @return a list of { id, result, error } (result as workflow.modify returns it, with
--   result.fixed naming the rules whose fix ran and result.fix_errors the fixes that raised)
function _M.fix(client, report, opts)
  if type(report) ~= "table" or type(report.pools) ~= "table" or type(report.rules) ~= "table" then
    error("audit.fix: report must be what audit.run returned", 2)
  end
  opts = opts or {}
  client = paced(client, opts)
  local outcomes = {}
  for _, entry in ipairs(report.pools) do
    local fixable = false
    for _, f in ipairs(entry.findings or {}) do
      if f.fixable then fixable = true end
    end
    if fixable then
      local context = {
        id = entry.id, name = entry.name, tier = entry.tier, params = report.params,
      }
      local ran, broken
      local result, err = workflow.modify(client, entry.id, function(config)
        local budget = opts.budget or report.budget
        local findings = policy.evaluate(config, report.rules, context, budget)
        local fixed
        fixed, ran, broken = policy.fix(config, report.rules, findings, context, budget)
        return fixed
      end, { dry_run = opts.dry_run })
      if result then
        result.fixed, result.fix_errors = ran, broken
      end
      outcomes[#outcomes + 1] = { id = entry.id, result = result, error = err }
    end
  end
  return outcomes
end

return _M
