--- Command-line arguments of the cognito-mfa tool: the global options and the parser that
-- takes options (`--name value`, `--name=value`, flags, lists, optional values) into tables.
-- @module cognito_mfa.cli.args

local concat = table.concat
local ipairs = ipairs
local tonumber = tonumber

local _M = {}

--- The global options (accepted before or after the command).
_M.GLOBAL_OPTIONS = {
  { name = "--region", key = "region", arg = "REGION",
    help = "The AWS region (else AWS_REGION, AWS_DEFAULT_REGION, the profile's region)." },
  { name = "--profile", key = "profile", arg = "NAME",
    help = "A profile from the shared config and credentials files." },
  { name = "--endpoint-url", key = "endpoint_url", arg = "URL",
    help = "Send requests to this URL instead of the region's Cognito endpoint." },
  { name = "--output", key = "output", arg = "FORMAT",
    choices = { "json", "text", "table", "yaml", "yaml-stream", "off" },
    help = "json (default), text, table, yaml, yaml-stream or off (nothing printed) (else "
      .. "AWS_DEFAULT_OUTPUT, the profile's output)." },
  { name = "--query", key = "query", arg = "QUERY",
    help = "A JMESPath expression applied to the result (after every page is merged) before "
      .. "it is printed, in every output format." },
  { name = "--color", key = "color", arg = "on|off|auto", choices = { "on", "off", "auto" },
    help = "Colour the table output: on, off, or auto (default: when stdout is a terminal)." },
  { name = "--no-cli-pager", key = "no_cli_pager", flag = true,
    help = "Do not send the output through the pager (else, on a terminal, AWS_PAGER, the "
      .. "profile's cli_pager, PAGER or less; \"\" turns it off)." },
  { name = "--debug", key = "debug", flag = true,
    help = "Write each request and response to stderr (credentials and signatures redacted)." },
  { name = "--no-verify-ssl", key = "no_verify_ssl", flag = true,
    help = "Do not verify TLS certificates (verification is on by default)." },
  { name = "--ca-bundle", key = "ca_bundle", arg = "PATH",
    help = "CA certificates to verify TLS with (else AWS_CA_BUNDLE, the profile's ca_bundle)." },
  { name = "--cli-connect-timeout", key = "connect_timeout", arg = "SECONDS", number = true,
    max = 86400,   -- a day: the longest timeout the core takes
    help = "Connection timeout in seconds (0: the default)." },
  { name = "--cli-read-timeout", key = "read_timeout", arg = "SECONDS", number = true,
    max = 86400,
    help = "Read timeout in seconds (0: the default)." },
  { name = "--retry-mode", key = "retry_mode", arg = "MODE", choices = { "standard", "adaptive", "legacy" },
    help = "standard or adaptive (client-side rate limiting that backs off on throttling) (else "
      .. "AWS_RETRY_MODE, the profile's retry_mode; audit, plan and apply: adaptive, others: standard)." },
  { name = "--max-rate", key = "max_rate", arg = "N", number = true,
    help = "Send at most N requests per second (a client-side cap, in every retry mode)." },
  { name = "--no-paginate", key = "no_paginate", flag = true,
    help = "Make one call only, even when the result has more pages." },
  { name = "--version", key = "version", flag = true, help = "Print the version and exit." },
  { name = "--help", key = "help", flag = true, help = "Print help and exit." },
}

--- Global option specs by name (and -h).
_M.GLOBAL_BY_NAME = {}
for _, g in ipairs(_M.GLOBAL_OPTIONS) do
  _M.GLOBAL_BY_NAME[g.name] = g
end
_M.GLOBAL_BY_NAME["-h"] = _M.GLOBAL_BY_NAME["--help"]

local function split_eq(a)
  local name, value = a:match("^(%-%-[^=]+)=(.*)$")
  if name then
    return name, value
  end
  return a, nil
end

-- Consumes one option at argv[i]; returns the next index, or nil and a message.
local function take(spec, argv, i, inline, store, key)
  key = key or spec.key
  if spec.flag then
    if inline then
      return nil, "argument " .. spec.name .. ": ignored explicit argument '" .. inline .. "'"
    end
    store[key] = spec.value == nil and true or spec.value
    return i + 1
  end
  if spec.optional then
    local nxt = argv[i + 1]
    if inline then
      if spec.choices_set and not spec.choices_set[inline] then
        return nil, "argument " .. spec.name .. ": Invalid choice '" .. inline .. "'"
      end
      store[key] = inline
      return i + 1
    elseif nxt and spec.choices_set and spec.choices_set[nxt] then
      store[key] = nxt
      return i + 2
    end
    store[key] = spec.default
    return i + 1
  end
  if spec.many then
    local values = {}
    local j = i + 1
    if inline then
      values[1] = inline
    else
      while argv[j] and argv[j]:sub(1, 2) ~= "--" do
        values[#values + 1] = argv[j]
        j = j + 1
      end
    end
    if #values == 0 then
      return nil, "argument " .. spec.name .. ": expected at least one argument"
    end
    store[key] = values
    return j
  end
  local value = inline
  local nxt = i + 1
  if value == nil then
    value = argv[i + 1]
    nxt = i + 2
    if value == nil or value:sub(1, 2) == "--" then
      return nil, "argument " .. spec.name .. ": expected one argument"
    end
  end
  if spec.choices then
    local ok = false
    for _, c in ipairs(spec.choices) do
      ok = ok or c == value
    end
    if not ok then
      return nil, "argument " .. spec.name .. ": Invalid choice '" .. value
        .. "', valid choices are: " .. concat(spec.choices, " | ")
    end
  end
  if spec.number then
    local n = tonumber(value)
    if not n or n < 0 or (spec.max and n > spec.max) then
      return nil, "argument " .. spec.name .. ": expected a number from 0"
        .. (spec.max and " to " .. spec.max or "") .. ", got '" .. value .. "'"
    end
    value = n
  end
  store[key] = value
  return nxt
end

-- Parses a command's arguments (global options are accepted anywhere and go into `globals`).
local function parse_command_args(globals, cmd, argv)
  local opts, positionals, unknown = {}, {}, {}
  local i = 1
  while i <= #argv do
    local a = argv[i]
    if a:sub(1, 2) == "--" or a == "-h" then
      local name, inline = split_eq(a)
      local spec = cmd.by_name[name]
      local store = opts
      if not spec then
        spec, store = _M.GLOBAL_BY_NAME[name], globals
      end
      if spec then
        local nxt, err = take(spec, argv, i, inline, store)
        if not nxt then
          return nil, err
        end
        i = nxt
      else
        unknown[#unknown + 1] = name
        i = i + 1
      end
    else
      positionals[#positionals + 1] = a
      i = i + 1
    end
  end
  if #unknown > 0 then
    return nil, "Unknown options: " .. concat(unknown, ", ")
  end
  return opts, positionals
end

_M.split_eq = split_eq
_M.take = take
_M.parse_command_args = parse_command_args

return _M
