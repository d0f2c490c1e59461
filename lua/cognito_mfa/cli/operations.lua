--- The operation commands of the cognito-mfa tool (get-user-pool-mfa-config,
-- set-user-pool-mfa-config, list-user-pools, describe-user-pool, ...), derived from the model:
-- each input member becomes an option (`SmsMfaConfiguration` -> `--sms-mfa-configuration`),
-- so a member added to the C model is a new option here with no change. Values, skeletons,
-- --cli-input-json, pagination and the call itself.
-- @module cognito_mfa.cli.operations

local cognito_mfa = require "cognito_mfa"

local concat = table.concat
local floor = math.floor
local getmetatable = getmetatable
local ipairs = ipairs
local pairs = pairs
local require = require
local setmetatable = setmetatable
local sort = table.sort
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

local PROG = "cognito-mfa"

--- Paginated operations (botocore's paginators-1.json for cognito-idp; the core's model has no
-- paginators): input and output token, limit parameter, result key. See cli.paginate.
_M.PAGINATORS = {
  ListUserPools = {
    input_token = "NextToken", output_token = "NextToken", limit_key = "MaxResults",
    result_key = "UserPools",
  },
}

-- What each modelled operation does (the model carries no documentation). An operation
-- without an entry still gets a command, with a generic description.
local SHORT = {
  GetUserPoolMfaConfig = "Show a user pool's MFA configuration.",
  SetUserPoolMfaConfig = "Set (replace) a user pool's MFA configuration.",
  ListUserPools = "List the user pools, following every page.",
  DescribeUserPool = "Show a user pool's configuration.",
}

local SUMMARIES = {
  GetUserPoolMfaConfig = "Shows the MFA configuration of a user pool: SMS, authenticator app "
    .. "(software token), email and passkey (WebAuthn) settings, and whether MFA is OFF, ON "
    .. "or OPTIONAL.",
  SetUserPoolMfaConfig = "Sets the MFA configuration of a user pool. This REPLACES the whole "
    .. "configuration: sections left out are turned off (AWS semantics). Read it first with "
    .. "get-user-pool-mfa-config and send everything you want to keep.",
  ListUserPools = "Lists the user pools of the account in the region. Follows NextToken "
    .. "through every page (page size --max-results) and prints the merged UserPools, unless "
    .. "--no-paginate is given.",
  DescribeUserPool = "Shows the configuration of a user pool.",
}


--- The option name for a member: PascalCase to --kebab-case (as the AWS CLI's xform_name).
-- @string name e.g. "SmsMfaConfiguration"
-- @treturn string e.g. "sms-mfa-configuration"
function _M.kebab(name)
  local s = name:gsub("(%u)(%u%l)", "%1-%2"):gsub("([%l%d])(%u)", "%1-%2")
  return s:lower()
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end


-- -------------------------------------------------------------------------- skeletons

local PLACEHOLDER = {
  string = "", integer = 0, long = 0, float = 0, double = 0, boolean = true,
  timestamp = "1970-01-01T00:00:00", blob = "",
}

--- A JSON template for a shape, as --generate-cli-skeleton prints it: every member, with ""
-- for strings (the first allowed value for enums), 0 for numbers, true for booleans.
-- @string shape_name
-- @tparam[opt] table model
function _M.skeleton(shape_name, model, active)
  model = model or cognito_mfa.model()
  active = active or {}
  local shape = model.shapes[shape_name]
  if not shape then
    return ""
  end
  if shape.type == "structure" then
    local t = {}
    if active[shape_name] then
      return t
    end
    active[shape_name] = true
    for _, m in ipairs(shape.members or {}) do
      t[m.name] = _M.skeleton(m.shape, model, active)
    end
    active[shape_name] = nil
    return t
  elseif shape.type == "list" then
    return setmetatable({ _M.skeleton(shape.element, model, active) }, cognito_mfa.array_mt)
  elseif shape.type == "map" then
    return { KeyName = _M.skeleton(shape.element, model, active) }
  elseif shape.enum and shape.enum[1] then
    return shape.enum[1]
  end
  local v = PLACEHOLDER[shape.type]
  if v == nil then
    return ""
  end
  return v
end


-- ------------------------------------------------------------------ operation commands

-- Turns the option texts given on the command line into parameter values.
local function option_value(ctx, o, raw)
  local shorthand = require "cognito_mfa.shorthand"
  local model = ctx.model
  local fopts = { model = model, read_file = ctx.read_file }
  if o.flag then
    return raw
  end
  if o.many then
    local list_shape = model.shapes[o.shape]
    if #raw == 1 then
      local first = trim(raw[1]):sub(1, 1)
      if first == "[" or raw[1]:match("^fileb?://") then
        return shorthand.value(raw[1], o.shape, fopts)
      end
    end
    local out = setmetatable({}, cognito_mfa.array_mt)
    for i, text in ipairs(raw) do
      local v, err = shorthand.value(text, list_shape.element, fopts)
      if v == nil then
        return nil, err
      end
      out[i] = v
    end
    return out
  end
  return shorthand.value(raw, o.shape, fopts)
end

local function read_input_json(ctx, text)
  local shorthand = require "cognito_mfa.shorthand"
  local data, err = shorthand.resolve_file(text, ctx.read_file)
  if not data then
    return nil, err
  end
  local v, jerr = cognito_mfa.decode_json(data)
  if v == nil then
    return nil, "Invalid JSON received: " .. tostring(jerr and jerr.message or jerr)
  end
  if type(v) ~= "table" or getmetatable(v) == cognito_mfa.array_mt then
    return nil, "Invalid JSON received: the input must be a JSON object"
  end
  return v
end

local PAGING_OPTIONS = { "starting_token", "page_size", "max_items" } -- botocore's order

-- How the call is made: { paginate = bool, pag, max_items, start } or nil and the message.
-- As the AWS CLI: an explicit limit or token parameter (command line or --cli-input-json)
-- turns automatic pagination off, like --no-paginate, and then --starting-token, --page-size
-- and --max-items conflict. Sets the limit parameter for automatic pagination.
local function paging_mode(ctx, cmd, opts, params)
  local pag = cmd.paginator
  if not pag then
    return { paginate = false }
  end
  local explicit = params[pag.limit_key] ~= nil or params[pag.input_token] ~= nil
  if ctx.globals.no_paginate or explicit then
    local used = {}
    for _, k in ipairs(PAGING_OPTIONS) do
      if opts[k] ~= nil then
        used[#used + 1] = "--" .. k:gsub("_", "-")
      end
    end
    if #used > 0 then
      local why = explicit and (" (an explicit " .. (params[pag.limit_key] ~= nil
        and ("--" .. _M.kebab(pag.limit_key)) or ("--" .. _M.kebab(pag.input_token)))
        .. " turns automatic pagination off, as --no-paginate does)") or ""
      return nil, "Cannot specify --no-paginate along with pagination arguments: "
        .. concat(used, ", ") .. why
    end
    return { paginate = false }
  end
  local mode = { paginate = true, pag = pag }
  for _, k in ipairs { "page_size", "max_items" } do
    local v = opts[k]
    if v ~= nil then
      local n = tonumber(v)
      if not n or n ~= floor(n) or n < 1 then
        return nil, "argument --" .. k:gsub("_", "-") .. ": expected an integer >= 1, got '"
          .. tostring(v) .. "'"
      end
      mode[k] = n
    end
  end
  if opts.starting_token ~= nil then
    local start, err = require("cognito_mfa.cli.paginate").decode_token(opts.starting_token, pag)
    if not start then
      return nil, "argument --starting-token: " .. err
    end
    mode.start = start
  end
  local limit = ctx.model.shapes[cmd.limit_shape or ""]
  local page = mode.page_size or (limit and limit.max) or 60
  if limit and limit.max and page > limit.max then
    return nil, "argument --page-size: must be at most " .. tostring(limit.max) .. " (the largest "
      .. pag.limit_key .. "), got " .. tostring(page)
  end
  params[pag.limit_key] = page
  return mode
end

local function run_operation(ctx, cmd, opts)
  local model, operation = ctx.model, cmd.operation
  local op = model.operations[operation]
  if opts.generate_cli_skeleton == "yaml-input" then
    local text, err = require("cognito_mfa.cli.yaml").skeleton(ctx, operation)
    if not text then
      ctx.err(err .. "\n")
      return ctx.EXIT_OTHER
    end
    ctx.out(text)
    return 0
  elseif opts.generate_cli_skeleton then
    local which = opts.generate_cli_skeleton == "output" and op.output or op.input
    ctx.out(require("cognito_mfa.output").json(_M.skeleton(which, model), which, model))
    return 0
  end
  local params = {}
  if opts.cli_input_json and opts.cli_input_yaml then
    return ctx:usage_error("Only one --cli-input- parameter may be specified "
      .. "(--cli-input-json or --cli-input-yaml).", cmd.name)
  end
  if opts.cli_input_json then
    local v, err = read_input_json(ctx, opts.cli_input_json)
    if not v then
      return ctx:usage_error("argument --cli-input-json: " .. err, cmd.name)
    end
    params = v
  elseif opts.cli_input_yaml then
    local v, err = require("cognito_mfa.cli.yaml").input(ctx, opts.cli_input_yaml, operation)
    if not v then
      return ctx:usage_error("argument --cli-input-yaml: " .. err, cmd.name)
    end
    params = v
  end
  for _, o in ipairs(cmd.options) do
    if o.member and opts[o.key] ~= nil then
      local v, err = option_value(ctx, o, opts[o.key])
      if v == nil then
        return ctx:usage_error("Error parsing parameter '" .. o.name .. "': " .. tostring(err), cmd.name)
      end
      params[o.member] = v
    end
  end
  local paging, perr = paging_mode(ctx, cmd, opts, params)
  if not paging then
    return ctx:usage_error(perr, cmd.name)
  end
  ctx:debug("command " .. cmd.name .. ", operation " .. operation .. ", parameters "
    .. cognito_mfa.encode_json(params))
  local ok, verr = cognito_mfa.validate(operation, params)
  if not ok then
    return ctx:report(verr, operation)
  end
  local client, cerr = ctx:client()
  if not client then
    return ctx:report(cerr, operation)
  end
  local out, err, resume
  if paging.paginate then
    out, err = require("cognito_mfa.cli.paginate").run(client, operation, params, paging.pag,
      paging)
    resume = err
  else
    out, err = client:call(operation, params)
  end
  if not out then
    return ctx:report(err, operation)
  end
  return ctx:emit(out, op.output, operation, { resume_token = resume })
end

local function register_operation(cli, operation, model)
  local op = model.operations[operation]
  local input = model.shapes[op.input]
  local options = {}
  for _, m in ipairs(input.members or {}) do
    local shape = model.shapes[m.shape] or { type = "string" }
    local name = "--" .. _M.kebab(m.name)
    local key = m.name
    local o = {
      name = name, key = key, member = m.name, shape = m.shape, required = m.required,
      type = shape.type, arg = "<value>",
    }
    if shape.type == "boolean" then
      o.flag, o.value, o.arg = true, true, nil
      options[#options + 1] = o
      options[#options + 1] = {
        name = "--no-" .. _M.kebab(m.name), key = key, member = m.name, shape = m.shape,
        flag = true, value = false, hidden = true,
      }
    else
      if shape.type == "list" then
        o.many, o.arg = true, "<value> [<value> ...]"
      end
      options[#options + 1] = o
    end
  end
  local pag = _M.PAGINATORS[operation]
  local limit_shape
  if pag then
    for _, o in ipairs(options) do
      if o.member == pag.limit_key then
        o.required = false -- automatic pagination chooses the page size
        limit_shape = o.shape
      end
      if o.member == pag.limit_key or o.member == pag.input_token then
        o.paging_note = "Given explicitly (or in --cli-input-json), it turns automatic "
          .. "pagination off, as the AWS CLI does: one call, and the page is printed with its "
          .. pag.output_token .. ". Without --max-results every page is followed."
      end
    end
    options[#options + 1] = {
      name = "--starting-token", key = "starting_token", arg = "<value>", type = "string",
      help = "A token to resume pagination from: the NextToken printed by an earlier call with "
        .. "--max-items (a paginator token: base64 of {\"NextToken\": ..., "
        .. "\"boto_truncate_amount\": n}, as the AWS CLI makes them).",
    }
    options[#options + 1] = {
      name = "--page-size", key = "page_size", arg = "<value>", type = "integer",
      help = "The " .. pag.limit_key .. " of each call while every page is followed (default: "
        .. "the largest allowed). Does not change what is printed.",
    }
    options[#options + 1] = {
      name = "--max-items", key = "max_items", arg = "<value>", type = "integer",
      help = "Print at most this many " .. pag.result_key .. " in all; when more remain, the "
        .. "output has a NextToken to give to --starting-token.",
    }
  end
  options[#options + 1] = {
    name = "--cli-input-json", key = "cli_input_json", arg = "<value>", type = "string",
    help = "All parameters as a JSON object (PascalCase names as in the API), or file://path. "
      .. "Options given on the command line override its values.",
  }
  options[#options + 1] = {
    name = "--cli-input-yaml", key = "cli_input_yaml", arg = "<value>", type = "string",
    help = "All parameters as a YAML mapping (PascalCase names as in the API), or file://path; "
      .. "plain scalars are typed by the model (OFF and 00123 stay strings where the model "
      .. "wants strings). Options given on the command line override its values. Not "
      .. "together with --cli-input-json.",
  }
  options[#options + 1] = {
    name = "--generate-cli-skeleton", key = "generate_cli_skeleton",
    arg = "[input|yaml-input|output]", optional = true, default = "input",
    choices_set = { input = true, output = true, ["yaml-input"] = true },
    type = "string",
    help = "Print a JSON template of the input (default) or output for the current model, or "
      .. "a YAML template of the input with comments (yaml-input), and send nothing. The "
      .. "input templates can be filled in and given to --cli-input-json or --cli-input-yaml.",
  }
  local name = _M.kebab(operation)
  local examples = {}
  local req = {}
  for _, o in ipairs(options) do
    if o.required then
      req[#req + 1] = o.name .. " " .. (o.type == "integer" and "60" or "VALUE")
    end
  end
  examples[1] = PROG .. " " .. name .. (#req > 0 and (" " .. concat(req, " ")) or "")
  if operation == "SetUserPoolMfaConfig" then
    examples[2] = PROG .. " " .. name .. " --user-pool-id us-east-1_Ab12 --mfa-configuration ON \\"
    examples[3] = "    --software-token-mfa-configuration Enabled=true \\"
    examples[4] = "    --sms-mfa-configuration 'SmsAuthenticationMessage=\"Code {####}\","
      .. "SmsConfiguration={SnsCallerArn=arn:aws:iam::123456789012:role/sms,ExternalId=x}'"
  end
  examples[#examples + 1] = PROG .. " " .. name .. " --generate-cli-skeleton > input.json"
  cli.register(name, {
    operation = operation,
    paginator = pag,
    limit_shape = limit_shape,
    summary = SHORT[operation] or ("Call " .. operation .. "."),
    description = SUMMARIES[operation] or ("Calls the cognito-idp " .. operation .. " operation."),
    options = options,
    examples = examples,
    run = function(ctx, opts, positionals)
      if #positionals > 0 then
        return ctx:usage_error("Unknown options: " .. concat(positionals, ", "), name)
      end
      return run_operation(ctx, cli.commands[name], opts)
    end,
  })
end


--- Registers one command per modelled operation (sorted for a stable help listing).
-- @tparam table cli the cognito_mfa.cli module
function _M.register(cli)
  local model = cognito_mfa.model()
  local ops = {}
  for name in pairs(model.operations) do
    ops[#ops + 1] = name
  end
  sort(ops)
  for _, name in ipairs(ops) do
    register_operation(cli, name, model)
  end
end

return _M
