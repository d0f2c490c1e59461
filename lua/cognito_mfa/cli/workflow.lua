--- The workflow commands of the cognito-mfa tool: audit, modify, plan and apply.
-- They register into cognito_mfa.cli; see `cognito-mfa <command> help`.
-- @module cognito_mfa.cli.workflow

local cognito_mfa = require "cognito_mfa"
local audit = require "cognito_mfa.audit"
local mfa = require "cognito_mfa.mfa"
local output = require "cognito_mfa.output"
local policy = require "cognito_mfa.policy"
local report_out = require "cognito_mfa.report"
local shorthand = require "cognito_mfa.shorthand"
local workflow = require "cognito_mfa.workflow"

local concat = table.concat
local execute = os.execute
local format = string.format
local getmetatable = getmetatable
local ipairs = ipairs
local huge = math.huge
local max = math.max
local min = math.min
local next = next
local pairs = pairs
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

local PROG = "cognito-mfa"
local EXIT_FINDINGS = 3        -- audit: some rule fails
local EXIT_CHANGES = 2         -- plan: there are changes (terraform plan -detailed-exitcode)
local EXIT_DECLINED = 1        -- apply: the user did not confirm

-- One option per settings section of the model (cognito_mfa.mfa.SETTINGS), named as the CLI
-- names members (--sms-mfa-configuration ...); filled by register, which has cli.kebab.
local SECTION_OPTIONS = {}

-- ------------------------------------------------------------------------------ helpers

local function show(v)
  if v == nil or v == cognito_mfa.NULL then
    return "(none)"
  end
  if type(v) == "table" then
    return cognito_mfa.encode_json(v)
  end
  if type(v) == "string" then
    return format("%q", v)
  end
  return tostring(v)
end

--- Lines describing changes: "~ path: old -> new", "+ path: new", "- path: old".
function _M.diff_lines(changes, indent)
  indent = indent or "  "
  local lines = {}
  for _, c in ipairs(changes) do
    if c.old == nil then
      lines[#lines + 1] = indent .. "+ " .. c.path .. ": " .. show(c.new)
    elseif c.new == nil then
      lines[#lines + 1] = indent .. "- " .. c.path .. ": " .. show(c.old)
    else
      lines[#lines + 1] = indent .. "~ " .. c.path .. ": " .. show(c.old) .. " -> " .. show(c.new)
    end
  end
  return lines
end

local function stderr_is_terminal(ctx)
  local forced = ctx.getenv("COGNITO_MFA_PROGRESS")
  if forced == "1" or forced == "0" then
    return forced == "1"
  end
  local r = execute("test -t 2")
  return r == true or r == 0
end

local function array(t)
  return setmetatable(t, cognito_mfa.array_mt)
end

-- ------------------------------------------------------------------------------- audit

--- JUnit XML for CI systems (cognito_mfa.report.junit; the audit's renderers live there).
_M.junit = report_out.junit

-- The budget of each call into a rule, from --rule-instructions, --rule-memory-kb and
-- --rule-seconds (defaults: policy.BUDGET); nil and a usage error for a bad value.
local BUDGET_OPTIONS = { { "rule_instructions", "instructions" }, { "rule_memory_kb", "memory_kb" },
                         { "rule_seconds", "seconds" } }
local function rule_budget(ctx, opts)
  local budget = {}
  for _, o in ipairs(BUDGET_OPTIONS) do
    local v = opts[o[1]]
    if v ~= nil then
      if v ~= v or v <= 0 or v == huge then
        return nil, ctx:usage_error("--" .. (o[1]:gsub("_", "-")) .. " must be a positive number",
          "audit")
      end
      budget[o[2]] = v
    end
  end
  return budget
end

local function load_rules(ctx, opts)
  if opts.policy then
    local rules, err = policy.load(opts.policy, opts.budget)
    if not rules then
      return nil, ctx:usage_error("--policy " .. opts.policy .. ": " .. tostring(err), "audit")
    end
    return rules
  end
  return policy.baseline { allow_optional = opts.allow_optional }
end

-- Audits in chunks so that a terminal can be shown progress.
local function run_audit(ctx, client, ids, rules, opts)
  local pools = ids
  if pools and #pools > 0 and type(pools[1]) == "string" then
    -- pools named by id: their names come from DescribeUserPool (fetched concurrently; a pool
    -- that cannot be described is reported by the audit itself)
    local params = {}
    for i, id in ipairs(pools) do params[i] = { UserPoolId = id } end
    local outs = client:call_many("DescribeUserPool", params, opts.concurrency or 8) or {}
    local named = {}
    for i, id in ipairs(pools) do
      local up = outs[i] and outs[i].UserPool
      named[i] = { Id = id, Name = up and up.Name or nil }
    end
    pools = named
  end
  if not pools then
    pools = {}
    for pool, err in client:user_pools() do
      if not pool then
        return nil, err
      end
      pools[#pools + 1] = { Id = pool.Id, Name = pool.Name }
    end
  end
  local progress = report_out.progress(ctx.err, #pools, { enabled = stderr_is_terminal(ctx) })
  local chunk = max((opts.concurrency or 8) * 8, 64)
  local merged = { pools = {}, passed = true, failed_count = 0, error_count = 0, rules = rules,
                   budget = opts.budget }
  for first = 1, #pools, chunk do
    local part = {}
    for i = first, min(first + chunk - 1, #pools) do part[#part + 1] = pools[i] end
    local report, err = client:audit { pools = part, rules = rules, concurrency = opts.concurrency,
                                       params = { allow_optional = opts.allow_optional },
                                       budget = opts.budget }
    if not report then
      return nil, err
    end
    for _, p in ipairs(report.pools) do
      -- streamed pools (--output jsonl) are written and not held: estates too large to hold
      if opts.stream then opts.stream(p) else merged.pools[#merged.pools + 1] = p end
    end
    merged.passed = merged.passed and report.passed
    merged.failed_count = merged.failed_count + report.failed_count
    merged.error_count = merged.error_count + report.error_count
    progress.update(min(first + chunk - 1, #pools))
  end
  progress.finish()
  return merged
end

local function cmd_audit(ctx, opts)
  local budget, bcode = rule_budget(ctx, opts)
  if not budget then
    return bcode
  end
  opts.budget = budget
  local rules, code = load_rules(ctx, opts)
  if not rules then
    return code
  end
  if opts.dry_run and not opts.fix then
    return ctx:usage_error("--dry-run goes with --fix", "audit")
  end
  local client, cerr = ctx:client { paced = true }
  if not client then
    return ctx:report(cerr)
  end
  local fmt = opts.output or "text"
  if fmt == "jsonl" and not opts.fix then
    opts.stream = report_out.jsonl_writer(ctx.out)   -- one line per pool as its batch completes
  end
  local report, err = run_audit(ctx, client, opts.user_pool_id, rules, opts)
  if not report then
    return ctx:report(err, "ListUserPools")
  end
  if opts.fix then
    local outcomes = audit.fix(client, report, { dry_run = opts.dry_run })
    for _, o in ipairs(outcomes) do
      if o.result then
        ctx.err(format("%s %s:\n", opts.dry_run and "would fix" or "fixed", o.id))
        for _, l in ipairs(_M.diff_lines(o.result.changes, "  ")) do ctx.err(l .. "\n") end
        if #o.result.dropped > 0 then
          ctx.err("  (MFA is OFF: not sent: " .. concat(o.result.dropped, ", ") .. ")\n")
        end
      else
        ctx.err(format("could not fix %s: %s\n", o.id, tostring(o.error and o.error.message)))
      end
    end
    if not opts.dry_run and #outcomes > 0 then
      local ids = {}
      for i, p in ipairs(report.pools) do ids[i] = { Id = p.id, Name = p.name } end
      report, err = run_audit(ctx, client, ids, rules, opts)
      if not report then
        return ctx:report(err, "GetUserPoolMfaConfig")
      end
    end
  end
  if fmt == "jsonl" then
    if not opts.stream then ctx.out(report_out.jsonl(report)) end
  elseif report_out[fmt] then          -- json, junit, csv, html
    ctx.out(report_out[fmt](report))
  else
    ctx.out(report_out.text(report))
  end
  return report.passed and 0 or EXIT_FINDINGS
end

-- ------------------------------------------------------------------------------ modify

local function section_change(ctx, opts)
  local change = {}
  for _, o in ipairs(SECTION_OPTIONS) do
    local raw = opts[(o.name:sub(3):gsub("%-", "_"))]
    if raw then
      local v, err = shorthand.value(raw, o.shape, { model = ctx.model, read_file = ctx.read_file })
      if v == nil then
        return nil, o.name .. ": " .. tostring(err)
      end
      change[o.member] = v
    end
  end
  if opts.mfa_configuration then
    change.MfaConfiguration = opts.mfa_configuration
  end
  for _, name in ipairs(opts.clear or {}) do
    local member
    for _, o in ipairs(SECTION_OPTIONS) do
      if name == o.member or name == o.name:sub(3) then member = o.member end
    end
    if not member then
      local names = {}
      for i, o in ipairs(SECTION_OPTIONS) do names[i] = o.name:sub(3) end
      return nil, "--clear: unknown section '" .. name .. "' (use one of " .. concat(names, ", ") .. ")"
    end
    change[member] = cognito_mfa.NULL
  end
  return change
end

local function print_result(ctx, result, fmt)
  if fmt == "json" then
    ctx.out(output.json({
      UserPoolId = result.user_pool_id, Applied = result.applied, Verified = result.verified,
      DryRun = not result.applied, Changes = array((function()
        local list = {}
        for i, c in ipairs(result.changes) do list[i] = { Path = c.path, Old = c.old, New = c.new } end
        return list
      end)()),
      NotSent = array(result.dropped or {}), Before = result.before, After = result.after,
    }))
    return
  end
  local lines = { result.user_pool_id .. ":" }
  if #result.changes == 0 then
    lines[#lines + 1] = "  no changes"
  end
  for _, l in ipairs(_M.diff_lines(result.changes)) do lines[#lines + 1] = l end
  if result.dropped and #result.dropped > 0 then
    lines[#lines + 1] = "  MFA is OFF, so these factor settings are not sent (AWS refuses OFF with "
      .. "a factor): " .. concat(result.dropped, ", ")
  end
  if result.unchanged then
    lines[#lines + 1] = "  already as wanted: nothing was sent"
  elseif not result.applied then
    lines[#lines + 1] = "  dry run: nothing was sent"
  elseif result.verified then
    lines[#lines + 1] = "  applied and verified (the configuration read back matches)"
  else
    lines[#lines + 1] = "  applied, but the configuration read back differs:"
    for _, l in ipairs(_M.diff_lines(result.mismatches or {}, "    ")) do lines[#lines + 1] = l end
  end
  ctx.out(concat(lines, "\n") .. "\n")
end

local function cmd_modify(ctx, opts)
  if not opts.user_pool_id then
    return ctx:usage_error("the following arguments are required: --user-pool-id", "modify")
  end
  local change, cerr = section_change(ctx, opts)
  if not change then
    return ctx:usage_error(cerr, "modify")
  end
  if next(change) == nil then
    return ctx:usage_error("nothing to change: give a value option or --clear", "modify")
  end
  local client, err = ctx:client()
  if not client then
    return ctx:report(err)
  end
  local result, merr = client:modify_user_pool_mfa_config(opts.user_pool_id, change,
    { dry_run = opts.dry_run })
  if not result then
    return ctx:report(merr, merr.operation or "SetUserPoolMfaConfig")
  end
  print_result(ctx, result, ctx.globals.output == "json" and "json" or "text")
  return 0
end

-- ------------------------------------------------------------------------ plan / apply

-- What a desired file may hold: tables with string keys, strings without NUL bytes, numbers,
-- booleans and NULL, nested at most 32 deep. Anything else could not be sent: say so, naming
-- the file and the place, instead of failing later inside the client.
local function unsendable(v, where, depth)
  local t = type(v)
  if t == "string" then
    return v:find("%z") and (where .. ": a string with a NUL byte") or nil
  elseif t == "number" or t == "boolean" or v == cognito_mfa.NULL then
    return nil
  elseif t ~= "table" then
    return where .. ": a " .. t .. " is not a setting (use tables, strings, numbers, booleans"
      .. " or NULL)"
  elseif depth > 32 then
    return where .. ": tables nested deeper than 32 levels"
  end
  local n, count, strings = #v, 0, 0
  for k in pairs(v) do
    count = count + 1
    if type(k) == "string" then
      strings = strings + 1
    end
  end
  if strings ~= count and (strings > 0 or count ~= n) then
    return where .. ": a table is either settings (Name = value) or a list, not both"
  end
  for k, x in pairs(v) do
    local name
    if type(k) == "string" then
      if k:find("%z") then
        return where .. ": a key with a NUL byte"
      end
      name = where .. "." .. k
    else
      name = where .. "[" .. tostring(k) .. "]"
    end
    local problem = unsendable(x, name, depth + 1)
    if problem then
      return problem
    end
  end
  return nil
end

local function load_desired(ctx, path)
  local text, rerr = ctx.read_file(path)
  if not text then
    return nil, "cannot read " .. path .. ": " .. tostring(rerr)
  end
  local desired
  if path:match("%.lua$") then
    local chunk, lerr = policy.compile(text, path, { NULL = cognito_mfa.NULL })
    if not chunk then
      return nil, tostring(lerr)
    end
    -- under a rule's budget: a desired file that loops or allocates without end is stopped
    local ok, v, exhausted = policy.call(nil, chunk)
    if not ok then
      return nil, exhausted and (path .. ": " .. tostring(v)) or tostring(v)
    end
    desired = v
  else
    local v, jerr = cognito_mfa.decode_json(text)
    if v == nil then
      return nil, path .. ": invalid JSON: " .. tostring(jerr and jerr.message)
    end
    desired = v
  end
  if type(desired) ~= "table" or getmetatable(desired) == cognito_mfa.array_mt then
    return nil, path .. ": the desired file maps pool ids (or \"*\") to MFA settings"
  end
  for k, v in pairs(desired) do
    if type(k) ~= "string" or type(v) ~= "table" then
      return nil, path .. ": each key is a pool id or \"*\" and each value a table of settings"
    end
  end
  local problem = unsendable(desired, path, 1)
  if problem then
    return nil, problem
  end
  return desired
end

-- The targets of a desired file: every pool for "*", merged with the pool's own entry.
local function targets(client, desired)
  local list, seen = {}, {}
  if desired["*"] then
    for pool, err in client:user_pools() do
      if not pool then
        return nil, err
      end
      local change = workflow.deep_copy(desired["*"])
      if desired[pool.Id] then
        workflow.deep_merge(change, desired[pool.Id])
      end
      list[#list + 1] = { id = pool.Id, change = change }
      seen[pool.Id] = true
    end
  end
  local ids = {}
  for id in pairs(desired) do
    if id ~= "*" and not seen[id] then ids[#ids + 1] = id end
  end
  sort(ids)
  for _, id in ipairs(ids) do
    list[#list + 1] = { id = id, change = desired[id] }
  end
  return list
end

local function make_plan(ctx, opts)
  if not opts.desired then
    return nil, ctx:usage_error("the following arguments are required: --desired")
  end
  local desired, derr = load_desired(ctx, opts.desired)
  if not desired then
    return nil, ctx:usage_error("--desired: " .. derr)
  end
  local client, err = ctx:client { paced = true }
  if not client then
    return nil, ctx:report(err)
  end
  local list, terr = targets(client, desired)
  if not list then
    return nil, ctx:report(terr, "ListUserPools")
  end
  local plan = { client = client, pools = {}, changed = 0 }
  for _, t in ipairs(list) do
    local result, merr = client:modify_user_pool_mfa_config(t.id, t.change, { dry_run = true })
    if not result then
      ctx.err(t.id .. ": ")
      return nil, ctx:report(merr, merr.operation or "SetUserPoolMfaConfig")
    end
    plan.pools[#plan.pools + 1] = { id = t.id, change = t.change, result = result }
    if #result.changes > 0 then plan.changed = plan.changed + 1 end
  end
  return plan
end

local function print_plan(ctx, plan)
  for _, p in ipairs(plan.pools) do
    if #p.result.changes > 0 then
      ctx.out(p.id .. ":\n")
      for _, l in ipairs(_M.diff_lines(p.result.changes)) do ctx.out(l .. "\n") end
    end
  end
  ctx.out(format("Plan: %d of %d pools to change.\n", plan.changed, #plan.pools))
end

local function cmd_plan(ctx, opts)
  local plan, code = make_plan(ctx, opts)
  if not plan then
    return code
  end
  print_plan(ctx, plan)
  return plan.changed > 0 and EXIT_CHANGES or 0
end

local function cmd_apply(ctx, opts)
  local plan, code = make_plan(ctx, opts)
  if not plan then
    return code
  end
  print_plan(ctx, plan)
  if plan.changed == 0 then
    return 0
  end
  if not opts.auto_approve then
    ctx.out("Apply these changes? Only 'yes' is accepted: ")
    local answer = ctx.stdin:read("*l")
    if answer ~= "yes" then
      ctx.out("\nApply cancelled.\n")
      return EXIT_DECLINED
    end
  end
  local worst = 0
  for _, p in ipairs(plan.pools) do
    if #p.result.changes > 0 then
      local result, err = plan.client:modify_user_pool_mfa_config(p.id, p.change)
      if result then
        print_result(ctx, result, "text")
      else
        ctx.err(p.id .. ": ")
        local c = ctx:report(err, type(err) == "table" and err.operation or "SetUserPoolMfaConfig")
        if worst == 0 then worst = c end
      end
    end
  end
  return worst
end

--- Registers audit, modify, plan and apply into the CLI module.
function _M.register(cli)
  for i = #SECTION_OPTIONS, 1, -1 do SECTION_OPTIONS[i] = nil end
  for i, s in ipairs(mfa.SETTINGS) do
    SECTION_OPTIONS[i] = { name = "--" .. cli.kebab(s.member), member = s.member, shape = s.shape }
  end
  local modify_options = {
    { name = "--user-pool-id", arg = "ID", help = "the user pool" },
    { name = "--" .. cli.kebab(mfa.MODE), arg = "MODE", choices = mfa.MODES,
      help = concat(mfa.MODES, ", ", 1, #mfa.MODES - 1) .. " or " .. mfa.MODES[#mfa.MODES] },
  }
  for _, o in ipairs(SECTION_OPTIONS) do
    modify_options[#modify_options + 1] = { name = o.name, arg = "VALUE",
      help = "merged into the current " .. o.member .. " (JSON, shorthand or file://)" }
  end
  modify_options[#modify_options + 1] = { name = "--clear", arg = "SECTION", many = true,
    help = "remove a section on purpose (e.g. email-mfa-configuration)" }
  modify_options[#modify_options + 1] = { name = "--dry-run", flag = true,
    help = "show the changes, send nothing" }

  cli.register("audit", {
    summary = "Check pools against a policy (the built-in baseline or a Lua rule file).",
    description = "Reads the MFA configuration of the given pools (default: every pool in the "
      .. "region) concurrently and evaluates each rule. Exit status 0 when every rule passes, 3 "
      .. "when any fails. --fix changes failing pools through the safe modify workflow.",
    usage = PROG .. " audit [--user-pool-id ID ...] [--policy FILE] [--output text|json|jsonl|junit|csv|html] "
      .. "[--fix [--dry-run]] [--rule-instructions N] [--rule-memory-kb KB] [--rule-seconds S]",
    options = {
      { name = "--user-pool-id", arg = "ID", many = true, help = "pools to audit (default: all)" },
      { name = "--policy", arg = "FILE", help = "a Lua file returning rules (default: baseline)" },
      { name = "--allow-optional", flag = true, help = "baseline: accept MFA OPTIONAL" },
      { name = "--concurrency", arg = "N", number = true, help = "requests in flight (default 8)" },
      { name = "--output", arg = "FORMAT", choices = { "text", "json", "jsonl", "junit", "csv", "html" },
        help = "text (default), json (schema cognito-mfa/audit-report), jsonl (a line per pool "
          .. "as it completes), junit, csv or html (one self-contained page)" },
      { name = "--fix", flag = true, help = "fix failing pools (safe modify)" },
      { name = "--rule-instructions", arg = "N", number = true,
        help = "budget of each rule call in Lua instructions (default 10000000)" },
      { name = "--rule-memory-kb", arg = "KB", number = true,
        help = "budget of each rule call in memory growth (default 16384)" },
      { name = "--rule-seconds", arg = "S", number = true,
        help = "budget of each rule call in wall-clock seconds (default 0.5)" },
      { name = "--dry-run", flag = true, help = "with --fix: show the fixes, send nothing" },
    },
    run = function(ctx, opts)
      local most = cognito_mfa.MAX_CONCURRENCY
      if opts.concurrency and (opts.concurrency < 1 or opts.concurrency > most
          or opts.concurrency % 1 ~= 0) then
        return ctx:usage_error("--concurrency must be a whole number between 1 and " .. most, "audit")
      end
      return cmd_audit(ctx, opts)
    end,
  })
  cli.register("modify", {
    summary = "Change MFA settings safely: merge into the current configuration, show the diff.",
    description = "Reads the pool's configuration, merges the given values into it, checks the "
      .. "service's rules, sends the complete configuration (so nothing else is turned off) "
      .. "and reads it back.",
    usage = PROG .. " modify --user-pool-id ID [value options] [--clear SECTION ...] [--dry-run]",
    options = modify_options,
    run = cmd_modify,
  })
  cli.register("plan", {
    summary = "Show the changes a desired-state file would make (exit 2 when there are some).",
    usage = PROG .. " plan --desired FILE",
    options = { { name = "--desired", arg = "FILE",
                  help = "JSON or Lua: pool ids (or \"*\") mapped to partial MFA settings" } },
    run = cmd_plan,
  })
  cli.register("apply", {
    summary = "Make the changes of a desired-state file (after confirmation).",
    usage = PROG .. " apply --desired FILE [--auto-approve]",
    options = {
      { name = "--desired", arg = "FILE", help = "as for plan" },
      { name = "--auto-approve", flag = true, help = "do not ask for confirmation" },
    },
    run = cmd_apply,
  })
end

return _M
