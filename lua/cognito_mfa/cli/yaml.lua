--- YAML for the cognito-mfa tool, through the core's libyaml support: --output yaml and
-- yaml-stream, --cli-input-yaml, --generate-cli-skeleton yaml-input.
-- @module cognito_mfa.cli.yaml

local core = require "cognito_mfa.core"

local getmetatable = getmetatable
local ipairs = ipairs
local next = next
local tostring = tostring
local type = type

local _M = {}

--- Renders a result as --output yaml or yaml-stream prints it (the AWS CLI's text, byte for
-- byte: the core writes it); "" for an empty result with yaml, as the AWS CLI.
-- @return text, or nil and a message
function _M.render(_, fmt, value, shape)
  local cognito_mfa = require "cognito_mfa"
  if fmt == "yaml" and type(value) == "table" and next(value) == nil
      and getmetatable(value) ~= cognito_mfa.array_mt then
    return ""
  end
  local text, err = core.to_yaml(value, shape, fmt == "yaml-stream")
  if not text then
    return nil, "cannot print the result as YAML: " .. tostring(err and err.message or err)
  end
  return text
end

--- Reads --cli-input-yaml: YAML text (or file://path) whose root is a mapping, typed by the
-- operation's input shape.
-- @return the parameters, or nil and a message
function _M.input(ctx, text, operation)
  local shorthand = require "cognito_mfa.shorthand"
  local data, ferr = shorthand.resolve_file(text, ctx.read_file)
  if not data then
    return nil, ferr
  end
  local v, err = core.from_yaml(data, operation)
  if v == nil then
    return nil, "Invalid YAML received: " .. tostring(err and err.message or err)
  end
  return v
end

-- The first sentence of a documentation string, as the AWS CLI's skeleton comments have it:
-- the text without tags, up to the first '.' or ':' (a '.' added), line breaks as spaces.
local function overview(html)
  if type(html) ~= "string" then
    return nil
  end
  local text = html:gsub("<[^>]*>", ""):gsub("&lt;", "<"):gsub("&gt;", ">"):gsub("&quot;", '"')
    :gsub("&apos;", "'"):gsub("&amp;", "&")
  text = text:match("^([^%.:]*)") or text
  if text == "" then
    return nil
  end
  return (text .. "."):gsub("\n", " "):gsub("\226\128\168", " ")
end
_M.overview = overview

--- The text of --generate-cli-skeleton yaml-input: every input member with a placeholder and a
-- comment ([REQUIRED], the first sentence of its documentation when the service model is on
-- the machine, enum values).
-- @return text, or nil and a message
function _M.skeleton(ctx, operation)
  local docs = require "cognito_mfa.cli.docs"
  local dm = docs.model(ctx.getenv)
  local entries
  if dm then
    entries = {}
    local model, seen = ctx.model, {}
    local function walk(name)
      local shape = model.shapes[name]
      if not shape or seen[name] then
        return
      end
      seen[name] = true
      if shape.type == "list" or shape.type == "map" then
        return walk(shape.element)
      end
      for _, m in ipairs(shape.members or {}) do
        local text = overview(docs.member(dm, name, m.name))
        if text then
          entries[name .. "." .. m.name] = text
        end
        walk(m.shape)
      end
    end
    walk(model.operations[operation].input)
  end
  local text, err = core.yaml_skeleton(operation, entries)
  if not text then
    return nil, tostring(err and err.message or err)
  end
  return text
end

return _M
