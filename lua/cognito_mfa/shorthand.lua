--- The AWS CLI shorthand syntax for structure values, typed through the model.
--
-- `Key=value,Key2="quoted, with commas",Nested={A=b,C=[x,y]}` parses into a table; values are
-- strings until `coerce` gives them the model's types, so `Enabled=true` becomes a boolean
-- where the model says boolean while `ExternalId=123` stays the string "123".
--
-- Grammar (whitespace around tokens is ignored):
--
--     keyvals   = keyval *("," keyval)
--     keyval    = key "=" values
--     key       = 1*(letter / digit / "-" / "_" / "." / "#" / "/" / ":")
--     values    = csv / list / hash             ; a csv of two or more values is a list
--     csv       = [value] *("," value)          ; a "," followed by `key=` starts the next keyval
--     list      = "[" [item *("," item)] "]"    ; item = value / list / hash
--     hash      = "{" [keyvals] "}"
--     value     = double-quoted / single-quoted / bare
--
-- Bare values run to the next "," (and, inside `{...}` or `[...]`, to the closing bracket);
-- a backslash makes the next character literal. Quoted values keep everything up to the
-- closing quote; `\"` (or `\'`) and `\\` are escapes inside them.
-- @module cognito_mfa.shorthand

local cognito_mfa = require "cognito_mfa"

local concat = table.concat
local error = error
local floor = math.floor
local huge = math.huge
local io_open = io.open
local ipairs = ipairs
local next = next
local pairs = pairs
local pcall = pcall
local setmetatable = setmetatable
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

local KEY_CHARS = "[%w_%-%.#/:]"

local function fail(st, msg)
  error({ shorthand_error = msg .. " (at character " .. st.i .. ")" }, 0)
end

local function peek(st)
  return st.s:sub(st.i, st.i)
end

local function skip_ws(st)
  local _, e = st.s:find("^%s*", st.i)
  st.i = e + 1
end

-- Does a `key=` start at position i?
local function keyval_at(s, i)
  return s:find("^%s*" .. KEY_CHARS .. "+%s*=", i) ~= nil
end

local function array(t)
  return setmetatable(t or {}, cognito_mfa.array_mt)
end

local function quoted(st)
  local q = peek(st)
  local out = {}
  st.i = st.i + 1
  while true do
    local c = peek(st)
    if c == "" then
      fail(st, "missing closing " .. q)
    elseif c == "\\" then
      local nxt = st.s:sub(st.i + 1, st.i + 1)
      if nxt == q or nxt == "\\" then
        out[#out + 1] = nxt
        st.i = st.i + 2
      else
        out[#out + 1] = c
        st.i = st.i + 1
      end
    elseif c == q then
      st.i = st.i + 1
      return concat(out)
    else
      out[#out + 1] = c
      st.i = st.i + 1
    end
  end
end

-- A single value: quoted or bare. `stops` is the set of characters ending a bare value.
local function scalar(st, stops)
  skip_ws(st)
  local c = peek(st)
  if c == '"' or c == "'" then
    local v = quoted(st)
    skip_ws(st)
    local nxt = peek(st)
    if nxt ~= "" and not stops[nxt] then
      fail(st, "unexpected '" .. nxt .. "' after a quoted value")
    end
    return v
  end
  local out = {}
  while true do
    c = peek(st)
    if c == "" or stops[c] then
      break
    end
    if c == "\\" and st.i < #st.s then
      out[#out + 1] = st.s:sub(st.i + 1, st.i + 1)
      st.i = st.i + 2
    else
      out[#out + 1] = c
      st.i = st.i + 1
    end
  end
  return (concat(out):gsub("%s+$", ""))
end

local hash, list

local TOP_STOPS = { [","] = true }
local HASH_STOPS = { [","] = true, ["}"] = true }
local LIST_STOPS = { [","] = true, ["]"] = true }

-- Real values nest three or four levels; far deeper input would overflow the parser's stack
-- (and could not be sent anyway).
local MAX_DEPTH = 32

local function enter(st)
  st.depth = st.depth + 1
  if st.depth > MAX_DEPTH then
    fail(st, "values nested deeper than " .. MAX_DEPTH .. " levels")
  end
end

local function values(st, stops)
  skip_ws(st)
  local c = peek(st)
  if c == "[" then
    return list(st)
  elseif c == "{" then
    return hash(st)
  end
  local first = scalar(st, stops)
  local items
  while peek(st) == "," and not keyval_at(st.s, st.i + 1) do
    st.i = st.i + 1
    skip_ws(st)
    local nxt = peek(st)
    if nxt == "" or stops[nxt] then
      fail(st, "expected a value after ','")
    end
    items = items or { first }
    items[#items + 1] = scalar(st, stops)
  end
  return items and array(items) or first
end

local function keyvals(st, stops, closer)
  local t = {}
  while true do
    skip_ws(st)
    local key = st.s:match("^" .. KEY_CHARS .. "+", st.i)
    if not key then
      fail(st, "expected Key=value")
    end
    st.i = st.i + #key
    skip_ws(st)
    if peek(st) ~= "=" then
      fail(st, "expected '=' after " .. key)
    end
    st.i = st.i + 1
    if t[key] ~= nil then
      fail(st, "the key " .. key .. " is given twice")
    end
    t[key] = values(st, stops)
    skip_ws(st)
    local c = peek(st)
    if c == "" or c == closer then
      return t
    end
    if c ~= "," then
      fail(st, "expected ',' or the end of the value, found '" .. c .. "'")
    end
    st.i = st.i + 1
  end
end

function hash(st)
  enter(st)
  st.i = st.i + 1 -- {
  skip_ws(st)
  local t
  if peek(st) == "}" then
    t = {}
  else
    t = keyvals(st, HASH_STOPS, "}")
    if peek(st) ~= "}" then
      fail(st, "missing closing }")
    end
  end
  st.i = st.i + 1
  st.depth = st.depth - 1
  return t
end

function list(st)
  enter(st)
  st.i = st.i + 1 -- [
  local t = array()
  skip_ws(st)
  if peek(st) == "]" then
    st.i = st.i + 1
    st.depth = st.depth - 1
    return t
  end
  while true do
    skip_ws(st)
    local c = peek(st)
    if c == "{" then
      t[#t + 1] = hash(st)
    elseif c == "[" then
      t[#t + 1] = list(st)
    else
      t[#t + 1] = scalar(st, LIST_STOPS)
    end
    skip_ws(st)
    c = peek(st)
    if c == "]" then
      st.i = st.i + 1
      st.depth = st.depth - 1
      return t
    elseif c ~= "," then
      fail(st, c == "" and "missing closing ]" or "expected ',' or ']', found '" .. c .. "'")
    end
    st.i = st.i + 1
  end
end

local function protected(fn, ...)
  local ok, res = pcall(fn, ...)
  if ok then
    return res
  end
  if type(res) == "table" and res.shorthand_error then
    return nil, res.shorthand_error
  end
  error(res, 0)
end

--- Parses shorthand text into an untyped tree: strings, tables for `{...}` and `Key=...`
-- pairs, and arrays (marked with cognito_mfa.array_mt) for lists.
-- @string text e.g. `SmsAuthenticationMessage="Code {####}",SmsConfiguration={ExternalId=x}`
-- @return the table, or nil and a message saying what is wrong and where
-- @raise when text is not a string
-- @usage shorthand.parse("Enabled=true") --> { Enabled = "true" }
function _M.parse(text)
  if type(text) ~= "string" then
    error("shorthand.parse: text must be a string, got " .. type(text), 2)
  end
  return protected(function()
    local st = { s = text, i = 1, depth = 0 }
    skip_ws(st)
    if peek(st) == "" then
      fail(st, "empty value")
    end
    local t = keyvals(st, TOP_STOPS, nil)
    skip_ws(st)
    if peek(st) ~= "" then
      fail(st, "unexpected '" .. peek(st) .. "'")
    end
    return t
  end)
end

local is_array = cognito_mfa.is_array

local function join(path, key)
  if path == "" then
    return key
  end
  return path .. "." .. key
end

local INTEGER = { integer = true, long = true }
local FLOAT = { float = true, double = true }

local function bad(path, what, v)
  local where = path == "" and "" or path .. ": "
  error({ shorthand_error = where .. "expected " .. what .. ", got '" .. v .. "'" }, 0)
end

local function coerce(v, shape, shapes, path)
  if not shape then
    return v
  end
  local t = shape.type
  if t == "structure" then
    if type(v) == "table" and not is_array(v) then
      for _, m in ipairs(shape.members or {}) do
        if v[m.name] ~= nil then
          v[m.name] = coerce(v[m.name], shapes[m.shape], shapes, join(path, m.name))
        end
      end
    end
    return v
  elseif t == "list" then
    if type(v) ~= "table" or not is_array(v) then
      if type(v) == "table" and next(v) == nil then
        return array()
      end
      v = array { v }
    end
    setmetatable(v, cognito_mfa.array_mt)
    for i = 1, #v do
      v[i] = coerce(v[i], shapes[shape.element], shapes, path .. "[" .. (i - 1) .. "]")
    end
    return v
  elseif t == "map" then
    if type(v) == "table" then
      for k, x in pairs(v) do
        v[k] = coerce(x, shapes[shape.element], shapes, join(path, tostring(k)))
      end
    end
    return v
  elseif type(v) ~= "string" then
    return v
  elseif t == "boolean" then
    local l = v:lower()
    if l == "true" then
      return true
    elseif l == "false" then
      return false
    end
    bad(path, "true or false", v)
  elseif INTEGER[t] then
    local n = tonumber(v)
    if not n or n ~= floor(n) or n == huge or n == -huge then
      bad(path, "an integer", v)
    end
    return n
  elseif FLOAT[t] then
    local n = tonumber(v)
    if not n then
      bad(path, "a number", v)
    end
    return n
  elseif t == "timestamp" then
    return tonumber(v) or v
  end
  return v
end

--- Gives an untyped value (from `parse`) the types the model says: booleans, integers and
-- numbers from their text, a single value where a list is expected becomes a one-element
-- list; strings stay strings. The value is converted in place.
-- @param value the parsed value
-- @string shape_name the model shape the value is for, e.g. "SoftwareTokenMfaConfigType"
-- @tparam[opt] table model cognito_mfa.model() by default
-- @string[opt] path the name to use in messages
-- @return the typed value, or nil and a message naming the path
function _M.coerce(value, shape_name, model, path)
  model = model or cognito_mfa.model()
  return protected(coerce, value, model.shapes[shape_name], model.shapes, path or "")
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

--- Reads a file:// (or fileb://) value; other text is returned unchanged.
-- @string text an option's text
-- @tparam[opt] function read_file function(path) -> content | nil, err
-- @return the text to use, or nil and a message
function _M.resolve_file(text, read_file)
  local scheme, path = text:match("^(fileb?)://(.*)$")
  if not scheme then
    return text
  end
  read_file = read_file or function(p)
    local f, err = io_open(p, "rb")
    if not f then
      return nil, err
    end
    local data = f:read("*a")
    f:close()
    return data
  end
  local data, err = read_file(path)
  if not data then
    return nil, "Unable to load paramfile " .. text .. ": " .. tostring(err)
  end
  return data
end

--- Turns one option's text into the value for a member of the given shape: file://path is
-- read first; structures, maps and lists take JSON (text starting with `{` or `[`) or
-- shorthand; lists also take a single bare value; scalars are typed through the model.
-- @string text the option's text
-- @string shape_name the member's shape
-- @tparam[opt] table opts { model = cognito_mfa.model(), read_file = function(path) }
-- @return the value, or nil and a message
function _M.value(text, shape_name, opts)
  if type(text) ~= "string" then
    error("shorthand.value: text must be a string, got " .. type(text), 2)
  end
  opts = opts or {}
  local model = opts.model or cognito_mfa.model()
  local shape = model.shapes[shape_name]
  local data, err = _M.resolve_file(text, opts.read_file)
  if not data then
    return nil, err
  end
  if data:find("%z") then
    return nil, "the value contains a NUL byte, which cannot be sent"
  end
  local t = shape and shape.type
  if t == "structure" or t == "map" or t == "list" then
    local trimmed = trim(data)
    local first = trimmed:sub(1, 1)
    if first == "{" or first == "[" then
      local v, jerr = cognito_mfa.decode_json(trimmed)
      if v == nil then
        return nil, "Invalid JSON: " .. tostring(jerr and jerr.message or jerr)
      end
      return v
    end
    if t == "list" then
      local elem = model.shapes[shape.element]
      local et = elem and elem.type
      if et ~= "structure" and et ~= "map" then
        return _M.coerce(array { data }, shape_name, model)
      end
    end
    local v, perr = _M.parse(trimmed)
    if not v then
      return nil, "Invalid shorthand syntax: " .. perr
    end
    return _M.coerce(v, shape_name, model)
  end
  return _M.coerce(data, shape_name, model)
end

return _M
