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
    .. "or file://path. Every operation command accepts --cli-input-json or --cli-input-yaml "
    .. "(text or file://path; options on the command line override its values) and "
    .. "--generate-cli-skeleton [input|yaml-input|output].", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "OUTPUT"
  lines[#lines + 1] = wrap("json prints what `aws cognito-idp` prints (4-space indent, members in "
    .. "API order); text and table follow the AWS CLI's text and table formats. Timestamps are "
    .. "ISO 8601 in the local time zone, as AWS CLI v2 prints them; set cli_timestamp_format = "
    .. "wire (or none) in the profile of the shared config file to get them as the service sent "
    .. "them (epoch seconds). yaml and yaml-stream print the AWS CLI's YAML; off prints "
    .. "nothing. The format comes from --output, else AWS_DEFAULT_OUTPUT, else the profile's "
    .. "output. --query EXPR (JMESPath) picks from the result after every page is merged. On "
    .. "a terminal the output goes through a pager (AWS_PAGER, the profile's cli_pager, PAGER, "
    .. "else less; --no-cli-pager or an empty value turns it off). Errors go to stderr.", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "PAGINATION"
  lines[#lines + 1] = wrap("list-user-pools follows every page unless --max-results or "
    .. "--next-token is given (then one call, as the AWS CLI) or --no-paginate; --max-items, "
    .. "--page-size and --starting-token take the AWS CLI's paginator tokens.", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "COMPLETION"
  lines[#lines + 1] = wrap("source <(" .. PROG .. " completion bash), or " .. PROG
    .. " completion zsh > a file named _" .. PROG .. " on $fpath.", "  ", 78)
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXIT CODES"
  lines[#lines + 1] = EXIT_HELP
  lines[#lines + 1] = ""
  lines[#lines + 1] = "EXAMPLES"
  lines[#lines + 1] = "  " .. PROG .. " get-user-pool-mfa-config --user-pool-id us-east-1_Ab12"
  lines[#lines + 1] = "  " .. PROG .. " set-user-pool-mfa-config --user-pool-id us-east-1_Ab12 \\"
  lines[#lines + 1] = "      --mfa-configuration OPTIONAL --software-token-mfa-configuration Enabled=true"
  lines[#lines + 1] = "  " .. PROG .. " list-user-pools --output table"
  lines[#lines + 1] = "  " .. PROG .. " list-user-pools --query 'UserPools[].Id' --output text"
  lines[#lines + 1] = "  echo 'client:list_user_pools{MaxResults = 10}' | " .. PROG .. " repl"
  ctx.out(concat(lines, "\n") .. "\n")
  return 0
end


-- Constraint lines of a shape: possible values, length or range, pattern.
local function constraint_lines(shape, indent)
  local lines = {}
  if shape.enum then
    lines[#lines + 1] = indent .. "Possible values: " .. concat(shape.enum, ", ")
  end
  local c = {}
  if shape.min or shape.max then
    local what = shape.type == "string" and "length" or "value"
    if shape.min then
      c[#c + 1] = "min " .. what .. ": " .. tostring(shape.min)
    end
    if shape.max then
      c[#c + 1] = "max " .. what .. ": " .. tostring(shape.max)
    end
  end
  if shape.pattern then
    c[#c + 1] = "pattern: " .. shape.pattern
  end
  if #c > 0 then
    lines[#lines + 1] = indent .. "Constraints: " .. concat(c, ", ")
  end
  return lines
end

local function add_all(lines, more)
  for _, l in ipairs(more) do
    lines[#lines + 1] = l
  end
end

-- The members of a structure, each with its type, documentation and constraints, as
-- `aws ... help` lists them ("Name -> (type)"), two levels deep.
local function member_lines(model, dm, shape_name, indent, depth, lines)
  local shape = model.shapes[shape_name]
  if not shape or depth > 2 then
    return
  end
  if shape.type == "list" or shape.type == "map" then
    return member_lines(model, dm, shape.element, indent, depth, lines)
  end
  if shape.type ~= "structure" then
    return
  end
  local docs = require "cognito_mfa.cli.docs"
  for _, m in ipairs(shape.members or {}) do
    local ms = model.shapes[m.shape] or { type = "string" }
    lines[#lines + 1] = ""
    lines[#lines + 1] = indent .. m.name .. " -> (" .. tostring(ms.type) .. (m.required and ", required" or "") .. ")"
    local paras = docs.paragraphs(docs.member(dm, shape_name, m.name))
    if #paras > 0 then
      lines[#lines + 1] = docs.wrap(paras, indent .. "    ", 78)
    end
    add_all(lines, constraint_lines(ms, indent .. "    "))
    member_lines(model, dm, m.shape, indent .. "    ", depth + 1, lines)
  end
end

-- The description of an option bound to an input member: the model's documentation of the
-- member, its constraints, its members, and the syntax of structure values.
local function member_help(ctx, cmd, o, dm)
  local model = ctx.model
  local docs = require "cognito_mfa.cli.docs"
  local shape = model.shapes[o.shape] or { type = "string" }
  local op = model.operations[cmd.operation or ""]
  local lines = {}
  local paras = docs.paragraphs(op and docs.member(dm, op.input, o.member))
  if #paras == 0 then
    paras = { o.member .. "." }
  end
  lines[#lines + 1] = docs.wrap(paras, "      ", 78)
  add_all(lines, constraint_lines(shape, "      "))
  if o.paging_note then
    lines[#lines + 1] = wrap(o.paging_note, "      ", 78)
  end
  if shape.type == "boolean" then
    lines[#lines + 1] = "      --no-" .. o.name:sub(3) .. " sends false."
  elseif shape.type == "structure" or shape.type == "list" or shape.type == "map" then
    member_lines(model, dm, o.shape, "      ", 1, lines)
    local json = output.json(require("cognito_mfa.cli.operations").skeleton(o.shape, model), o.shape, model)
    lines[#lines + 1] = ""
    lines[#lines + 1] = "      Shorthand syntax (or JSON, or file://path):"
    lines[#lines + 1] = "        " .. shape_summary(model, o.shape, 0)
    lines[#lines + 1] = "      JSON syntax:"
    lines[#lines + 1] = "        " .. json:gsub("\n$", ""):gsub("\n", "\n        ")
  end
  return concat(lines, "\n")
end

--- Prints a command's page.
-- @param ctx the context
-- @tparam table cmd the command's definition
-- @treturn number 0
function _M.command(ctx, cmd)
  local docs = require "cognito_mfa.cli.docs"
  local dm = cmd.operation and docs.model(ctx.getenv)
  local op_doc = dm and docs.operation(dm, cmd.operation)
  local lines = { "NAME", "  " .. cmd.name .. " - " .. (docs.summary(op_doc) or cmd.summary or ""), "" }
  if op_doc or cmd.description then
    lines[#lines + 1] = "DESCRIPTION"
    if op_doc then
      lines[#lines + 1] = docs.wrap(docs.paragraphs(op_doc), "  ", 78)
      lines[#lines + 1] = ""
    end
    if cmd.description then
      lines[#lines + 1] = wrap(cmd.description, "  ", 78)
      lines[#lines + 1] = ""
    end
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
        if o.member then
          lines[#lines + 1] = member_help(ctx, cmd, o, dm)
        elseif o.help then
          lines[#lines + 1] = wrap(o.help, "      ", 78)
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
