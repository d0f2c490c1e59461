--- Help texts of the cognito-mfa tool: the overview (`cognito-mfa help`) and each command's
-- page (`cognito-mfa <command> help`), with option descriptions, constraints and syntax from
-- the model.
-- @module cognito_mfa.cli.help

local args = require "cognito_mfa.cli.args"
local output = require "cognito_mfa.output"

local concat = table.concat
local ipairs = ipairs
local rep = string.rep
local tostring = tostring

local _M = {}

local PROG = "cognito-mfa"

local function wrap(text, indent, width)
  local lines, line = {}, indent
  for word in text:gmatch("%S+") do
    if #line > #indent and #line + 1 + #word > width then
      lines[#lines + 1] = line
      line = indent .. word
    else
      line = (#line > #indent) and (line .. " " .. word) or (line .. word)
    end
  end
  if #line > #indent then
    lines[#lines + 1] = line
  end
  return concat(lines, "\n")
end

local function shape_summary(model, shape_name, depth)
  local shape = model.shapes[shape_name]
  if not shape then
    return "value"
  end
  if shape.type == "structure" then
    if depth > 2 then
      return "{...}"
    end
    local parts = {}
    for _, m in ipairs(shape.members or {}) do
      parts[#parts + 1] = m.name .. "=" .. shape_summary(model, m.shape, depth + 1)
    end
    local s = concat(parts, ",")
    return depth == 0 and s or "{" .. s .. "}"
  elseif shape.type == "list" then
    return "[" .. shape_summary(model, shape.element, depth + 1) .. ",...]"
  elseif shape.type == "map" then
    return "{KeyName=" .. shape_summary(model, shape.element, depth + 1) .. "}"
  elseif shape.enum then
    return concat(shape.enum, "|")
  end
  return shape.type
end

local function constraints(shape)
  local parts = {}
  if shape.enum then
    parts[#parts + 1] = "one of " .. concat(shape.enum, ", ")
  end
  if shape.min or shape.max then
    local what = shape.type == "string" and "length" or "range"
    parts[#parts + 1] = what .. " " .. tostring(shape.min or "") .. ".." .. tostring(shape.max or "")
  end
  if shape.pattern then
    parts[#parts + 1] = "pattern " .. shape.pattern
  end
  return concat(parts, "; ")
end


local function global_help_lines()
  local lines = {}
  for _, g in ipairs(args.GLOBAL_OPTIONS) do
    lines[#lines + 1] = "  " .. g.name .. (g.arg and (" " .. g.arg) or "")
    lines[#lines + 1] = wrap(g.help, "      ", 78)
  end
  return concat(lines, "\n")
end

local EXIT_HELP = [[
  0    success
  252  bad command syntax, or a parameter that fails validation (nothing was sent)
  253  missing or invalid credentials or configuration
  254  the service returned an error
  255  any other error (connection, timeout, internal)
  130  interrupted (Ctrl-C)]]


--- Prints the overview: commands, global options, value syntax, output, exit codes.
-- @param ctx the context
-- @tparam table cli the cognito_mfa.cli module (for its command table)
-- @treturn number 0
function _M.top(ctx, cli)
  local lines = {
    PROG .. " - Amazon Cognito user-pool MFA configuration, compatible with `aws cognito-idp`",
    "",
    "usage: " .. PROG .. " [global options] <command> [options]",
    "       " .. PROG .. " <command> help",
    "",
    "COMMANDS",
  }
  local names = cli.command_names()
  for _, n in ipairs(names) do
    local c = cli.commands[n]
    lines[#lines + 1] = "  " .. n .. rep(" ", 28 - #n > 1 and 28 - #n or 1) .. (c.summary or "")
  end
  lines[#lines + 1] = "  help" .. rep(" ", 24) .. "This text; `" .. PROG .. " <command> help` for a command."
  lines[#lines + 1] = ""
  lines[#lines + 1] = "GLOBAL OPTIONS (before or after the command)"
  lines[#lines + 1] = global_help_lines()
  lines[#lines + 1] = ""
  lines[#lines + 1] = "STRUCTURE VALUES"
  lines[#lines + 1] = wrap("Options taking a structure accept JSON ('{\"Enabled\": true}'), the "
    .. "AWS CLI shorthand syntax (Enabled=true, Key=\"quoted, with commas\", Nested={A=b,C=[x,y]}) "
    .. "or file://path. Every operation command accepts --cli-input-json (JSON text or "
    .. "file://path; options on the command line override its values) and "
    .. "--generate-cli-skeleton [input|output].", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "OUTPUT"
  lines[#lines + 1] = wrap("json prints what `aws cognito-idp` prints (4-space indent, members in "
    .. "API order); text and table follow the AWS CLI's text and table formats. Timestamps are "
    .. "ISO 8601 in the local time zone, as AWS CLI v2 prints them; set cli_timestamp_format = "
    .. "wire (or none) in the profile of the shared config file to get them as the service sent "
    .. "them (epoch seconds). Errors go to stderr.", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXIT CODES"
  lines[#lines + 1] = EXIT_HELP
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXAMPLES"
  lines[#lines + 1] = "  " .. PROG .. " get-user-pool-mfa-config --user-pool-id us-east-1_Ab12"
  lines[#lines + 1] = "  " .. PROG .. " set-user-pool-mfa-config --user-pool-id us-east-1_Ab12 \\"
  lines[#lines + 1] = "      --mfa-configuration OPTIONAL --software-token-mfa-configuration Enabled=true"
  lines[#lines + 1] = "  " .. PROG .. " list-user-pools --max-results 60 --output table"
  lines[#lines + 1] = "  echo 'client:list_user_pools{MaxResults = 10}' | " .. PROG .. " repl"
  ctx.out(concat(lines, "\n") .. "\n")
  return 0
end


-- The description of an option bound to an input member: the member's name and constraints.
local function member_help(model, o)
  local shape = model.shapes[o.shape] or { type = "string" }
  local help = { o.member .. "." }
  local c = constraints(shape)
  if c ~= "" then
    help[#help + 1] = c:sub(1, 1):upper() .. c:sub(2) .. "."
  end
  if shape.type == "boolean" then
    help[#help + 1] = "--no-" .. o.name:sub(3) .. " sends false."
  elseif shape.type == "structure" or shape.type == "list" or shape.type == "map" then
    help[#help + 1] = "Give JSON, shorthand or file://path."
  end
  return concat(help, " ")
end

--- Prints a command's page.
-- @param ctx the context
-- @tparam table cmd the command's definition
-- @treturn number 0
function _M.command(ctx, cmd)
  local model = ctx.model
  local lines = { "NAME", "  " .. cmd.name .. " - " .. (cmd.summary or ""), "" }
  if cmd.description then
    lines[#lines + 1] = "DESCRIPTION"
    lines[#lines + 1] = wrap(cmd.description, "  ", 78)
    lines[#lines + 1] = ""
  end
  lines[#lines + 1] = "SYNOPSIS"
  if cmd.usage then
    lines[#lines + 1] = "  " .. cmd.usage
  else
    lines[#lines + 1] = "  " .. PROG .. " " .. cmd.name
    for _, o in ipairs(cmd.options) do
      if not o.hidden then
        local s = o.name .. (o.arg and (" " .. o.arg) or "")
        lines[#lines + 1] = "    " .. (o.required and s or "[" .. s .. "]")
      end
    end
  end
  lines[#lines + 1] = ""
  if #cmd.options > 0 then
    lines[#lines + 1] = "OPTIONS"
    for _, o in ipairs(cmd.options) do
      if not o.hidden then
        local kind = o.type and (" (" .. o.type .. (o.required and ", required" or "") .. ")") or ""
        lines[#lines + 1] = "  " .. o.name .. kind
        local help = o.help or (o.member and member_help(model, o))
        if help then
          lines[#lines + 1] = wrap(help, "      ", 78)
        end
        local shape = o.member and model.shapes[o.shape]
        if shape and (shape.type == "structure" or shape.type == "list" or shape.type == "map") then
          local json = output.json(require("cognito_mfa.cli.operations").skeleton(o.shape, model), o.shape, model)
          lines[#lines + 1] = "      Shorthand syntax:"
          lines[#lines + 1] = "        " .. shape_summary(model, o.shape, 0)
          lines[#lines + 1] = "      JSON syntax:"
          lines[#lines + 1] = "        " .. json:gsub("\n$", ""):gsub("\n", "\n        ")
        end
        lines[#lines + 1] = ""
      end
    end
  end
  lines[#lines + 1] = "GLOBAL OPTIONS"
  lines[#lines + 1] = global_help_lines()
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXIT CODES"
  lines[#lines + 1] = EXIT_HELP
  if cmd.examples then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "EXAMPLES"
    for _, e in ipairs(cmd.examples) do
      lines[#lines + 1] = "  " .. e
    end
  end
  ctx.out(concat(lines, "\n") .. "\n")
  return 0
end


_M.wrap = wrap

return _M
