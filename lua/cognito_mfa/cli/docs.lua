--- Documentation text for `cognito-mfa ... help`, from the service model's documentation
-- strings (HTML reduced to plain text), as `aws ... help` shows them.
--
-- The core's model carries shapes and constraints but no prose, and the project does not copy
-- AWS's documentation. The text is read when help is asked for, from the AWS service model
-- that is on the machine: the file named by CMFA_SERVICE_MODEL (botocore's
-- cognito-idp service-2.json, or any JSON with the same "operations" and "shapes"), else
-- botocore's copy installed with the AWS CLI or python3-botocore. Without one, help falls back
-- to the tool's own one-line descriptions, and still shows types, constraints and enum values
-- from the core's model.
-- @module cognito_mfa.cli.docs

local cognito_mfa = require "cognito_mfa"

local concat = table.concat
local io_open = io.open
local ipairs = ipairs
local rawget = rawget
local tonumber = tonumber
local type = type
local utf8_lib = rawget(_G, "utf8")
local utf8_char = utf8_lib and utf8_lib.char

local char = string.char

local _M = {}

local MODEL_PATH = "cognito-idp/2016-04-18/service-2.json"

--- Where a service model is looked for, after CMFA_SERVICE_MODEL.
_M.SEARCH = {
  "/usr/lib/python3/dist-packages/awscli/botocore/data/" .. MODEL_PATH,
  "/usr/lib/python3/dist-packages/botocore/data/" .. MODEL_PATH,
  "/usr/share/awscli/botocore/data/" .. MODEL_PATH,
}

local cache = {}

--- The service model's documentation source, or nil.
-- @tparam function getenv
-- @return decoded model ({ operations, shapes }) or nil
function _M.model(getenv)
  local paths = {}
  local env = getenv and getenv("CMFA_SERVICE_MODEL")
  if env and env ~= "" then
    paths[1] = env
  else
    for i, p in ipairs(_M.SEARCH) do
      paths[i] = p
    end
  end
  for _, p in ipairs(paths) do
    if cache[p] == nil then
      cache[p] = false
      local f = io_open(p, "rb")
      if f then
        local text = f:read("*a")
        f:close()
        local v = cognito_mfa.decode_json(text)
        if type(v) == "table" and type(v.operations) == "table" and type(v.shapes) == "table" then
          cache[p] = v
        end
      end
    end
    if cache[p] then
      return cache[p]
    end
  end
  return nil
end

-- ------------------------------------------------------------------------ HTML to text

local ENTITIES = { amp = "&", lt = "<", gt = ">", quot = '"', apos = "'", nbsp = " " }

local function entity(name)
  if ENTITIES[name] then
    return ENTITIES[name]
  end
  local n = name:match("^#(%d+)$") or (name:match("^#[xX](%x+)$") and tonumber(name:sub(3), 16))
  n = tonumber(n)
  if n and utf8_char then
    return utf8_char(n)
  elseif n and n < 128 then
    return char(n)
  end
  return "&" .. name .. ";"
end

--- Reduces the model's documentation HTML to paragraphs of plain text: <p> and <note> start
-- paragraphs (a note begins with "Note:"), list items become "* item", links and code keep
-- their text, other tags are dropped, entities are decoded.
-- @string html
-- @treturn table the paragraphs (strings; list items start with "* ")
function _M.paragraphs(html)
  if type(html) ~= "string" then
    return {}
  end
  local text = html:gsub("<note>", "\1Note: "):gsub("</?p>", "\1"):gsub("<li>", "\1* ")
    :gsub("</li>", "\1"):gsub("</?[uo]l>", "\1"):gsub("</?note>", "\1")
    :gsub("<[^>]*>", ""):gsub("&(#?%w+);", entity)
  local out = {}
  for para in (text .. "\1"):gmatch("([^\1]*)\1") do
    para = para:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", ""):gsub(" ([,%.;:%)])", "%1")
    if para ~= "" and para ~= "Note:" then
      out[#out + 1] = para
    end
  end
  return out
end

--- The first sentence of a documentation string (for one-line summaries), or nil.
function _M.summary(html)
  local first = _M.paragraphs(html)[1]
  if not first then
    return nil
  end
  return first:match("^(.-%.)%s") or first
end

--- The documentation of an operation, or nil.
function _M.operation(doc_model, operation)
  local op = doc_model and doc_model.operations[operation]
  return op and op.documentation
end

--- The documentation of a member of a shape, or nil.
function _M.member(doc_model, shape_name, member)
  local shape = doc_model and doc_model.shapes[shape_name]
  local m = shape and type(shape.members) == "table" and shape.members[member]
  return m and (m.documentation or (doc_model.shapes[m.shape or ""] or {}).documentation)
end

--- Wraps paragraphs to a width with an indent; paragraphs separated by blank lines.
function _M.wrap(paragraphs, indent, width)
  local wrap = require("cognito_mfa.cli.help").wrap
  local out = {}
  for _, p in ipairs(paragraphs) do
    local lead = p:match("^%* ") and (indent .. "  ") or indent
    local lines = wrap(p, indent, width)
    if lead ~= indent then
      lines = lines:gsub("\n" .. indent, "\n" .. lead)
    end
    out[#out + 1] = lines
  end
  return concat(out, "\n\n")
end

return _M
