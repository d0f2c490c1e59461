--- Renders results the way the AWS CLI does: `json` (4-space indent, members in model
-- order), `text` (tab-separated, one line per object, as the AWS CLI's text format) and
-- `table` (boxed sections, as the AWS CLI's table format), plus timestamp formatting.
-- @module cognito_mfa.output

local cognito_mfa = require "cognito_mfa"

local byte = string.byte
local concat = table.concat
local date = os.date
local floor = math.floor
local format = string.format
local getmetatable = getmetatable
local huge = math.huge
local ipairs = ipairs
local insert = table.insert
local math_type = rawget(math, "type") -- nil on Lua 5.1/LuaJIT
local next = next
local pairs = pairs
local rep = string.rep
local select = select
local setmetatable = setmetatable
local sort = table.sort
local time = os.time
local tonumber = tonumber
local tostring = tostring
local type = type

local _M = {}

local function is_null(v)
  return v == cognito_mfa.NULL
end

local is_array = cognito_mfa.is_array

local function is_scalar(v)
  return type(v) ~= "table"
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do
    keys[#keys + 1] = k
  end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

--- Formats a number as Python does (the AWS CLI prints numbers with Python): integers
-- without a fraction, other numbers in the shortest form that reads back the same.
-- @number n
-- @treturn string
function _M.number(n)
  if n ~= n then
    return "NaN"
  elseif n == huge then
    return "Infinity"
  elseif n == -huge then
    return "-Infinity"
  end
  if (math_type and math_type(n) == "integer") or (n == floor(n) and n > -1e16 and n < 1e16) then
    return format("%d", n)
  end
  local s
  for precision = 15, 17 do
    s = format("%." .. precision .. "g", n)
    if tonumber(s) == n then
      break
    end
  end
  return s
end

-- ------------------------------------------------------------------------- timestamps

--- Formats epoch seconds as the AWS CLI's iso8601 timestamp format does (local time zone,
-- microseconds when not zero): "2026-11-22T06:45:59.107000+00:00".
-- @number t seconds since the epoch
-- @treturn string
function _M.iso8601(t)
  local secs = floor(t)
  local us = floor((t - secs) * 1e6 + 0.5)
  if us >= 1000000 then
    secs, us = secs + 1, us - 1000000
  end
  local lt = date("*t", secs)
  local ut = date("!*t", secs)
  ut.isdst = lt.isdst
  local offset = time(lt) - time(ut)
  local sign = offset < 0 and "-" or "+"
  offset = offset < 0 and -offset or offset
  local tz = format("%s%02d:%02d", sign, floor(offset / 3600), floor(offset % 3600 / 60))
  local s = date("%Y-%m-%dT%H:%M:%S", secs)
  if us ~= 0 then
    s = s .. format(".%06d", us)
  end
  return s .. tz
end

local function convert_timestamps(v, shape, shapes, fmt)
  if not shape or type(v) ~= "table" then
    if shape and shape.type == "timestamp" and type(v) == "number" and fmt == "iso8601" then
      return _M.iso8601(v)
    end
    return v
  end
  local out = setmetatable({}, getmetatable(v))
  if shape.type == "structure" then
    local members = {}
    for _, m in ipairs(shape.members or {}) do
      members[m.name] = shapes[m.shape]
    end
    for k, x in pairs(v) do
      out[k] = convert_timestamps(x, members[k], shapes, fmt)
    end
  elseif shape.type == "list" or shape.type == "map" then
    for k, x in pairs(v) do
      out[k] = convert_timestamps(x, shapes[shape.element], shapes, fmt)
    end
  else
    for k, x in pairs(v) do
      out[k] = x
    end
  end
  return out
end

--- Applies a timestamp format to the timestamp members of a result: "iso8601" turns epoch
-- seconds into ISO 8601 text (what the AWS CLI v2 prints by default); "none" (or "wire")
-- keeps them as the service sent them. Returns a converted copy.
-- @param value the result
-- @string shape_name its shape, e.g. "ListUserPoolsResponse"
-- @string fmt "iso8601" or "none"
-- @tparam[opt] table model
function _M.timestamps(value, shape_name, fmt, model)
  if fmt ~= "iso8601" then
    return value
  end
  model = model or cognito_mfa.model()
  return convert_timestamps(value, model.shapes[shape_name], model.shapes, fmt)
end

-- ------------------------------------------------------------------------------- json

local ESCAPES = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n",
  ["\r"] = "\\r", ["\t"] = "\\t",
}

local function json_string(s)
  return '"' .. s:gsub('[%c"\\]', function(c)
    return ESCAPES[c] or (byte(c) < 32 and format("\\u%04x", byte(c))) or c
  end) .. '"'
end

-- The keys of a structure in model order, then any the model does not know (sorted).
local function ordered_keys(v, shape)
  if not shape or shape.type ~= "structure" then
    return sorted_keys(v)
  end
  local keys, known = {}, {}
  for _, m in ipairs(shape.members or {}) do
    known[m.name] = true
    if v[m.name] ~= nil then
      keys[#keys + 1] = m.name
    end
  end
  for _, k in ipairs(sorted_keys(v)) do
    if not known[k] then
      keys[#keys + 1] = k
    end
  end
  return keys
end

local function member_shape(shape, shapes, key)
  if not shape then
    return nil
  end
  if shape.type == "structure" then
    for _, m in ipairs(shape.members or {}) do
      if m.name == key then
        return shapes[m.shape]
      end
    end
    return nil
  end
  return shapes[shape.element]
end

local function json_value(v, shape, shapes, indent, out)
  local tv = type(v)
  if v == nil or is_null(v) then
    out[#out + 1] = "null"
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif tv == "number" then
    out[#out + 1] = _M.number(v)
  elseif tv == "string" then
    out[#out + 1] = json_string(v)
  elseif tv == "table" then
    local pad = rep("    ", indent + 1)
    if is_array(v) or (next(v) == nil and shape and shape.type == "list") then
      if #v == 0 then
        out[#out + 1] = "[]"
        return
      end
      local elem = shape and shapes[shape.element]
      out[#out + 1] = "[\n"
      for i = 1, #v do
        out[#out + 1] = pad
        json_value(v[i], elem, shapes, indent + 1, out)
        out[#out + 1] = i < #v and ",\n" or "\n"
      end
      out[#out + 1] = rep("    ", indent) .. "]"
    else
      local keys = ordered_keys(v, shape)
      if #keys == 0 then
        out[#out + 1] = "{}"
        return
      end
      out[#out + 1] = "{\n"
      for i, k in ipairs(keys) do
        out[#out + 1] = pad .. json_string(tostring(k)) .. ": "
        json_value(v[k], member_shape(shape, shapes, k), shapes, indent + 1, out)
        out[#out + 1] = i < #keys and ",\n" or "\n"
      end
      out[#out + 1] = rep("    ", indent) .. "}"
    end
  else
    out[#out + 1] = json_string(tostring(v))
  end
end

--- JSON as the AWS CLI prints it: 4-space indent, structure members in model order (members
-- the model does not know follow, sorted), non-ASCII text as is, a final newline.
-- @param value
-- @string[opt] shape_name the value's shape, for member order
-- @tparam[opt] table model
-- @treturn string
function _M.json(value, shape_name, model)
  model = model or cognito_mfa.model()
  local out = {}
  json_value(value, shape_name and model.shapes[shape_name], model.shapes, 0, out)
  out[#out + 1] = "\n"
  return concat(out)
end

-- ------------------------------------------------------------------------------- text

local function text_scalar(v)
  if v == nil or is_null(v) then
    return "None"
  elseif v == true then
    return "True"
  elseif v == false then
    return "False"
  elseif type(v) == "number" then
    return _M.number(v)
  end
  return tostring(v)
end

local text_value

local function all_scalar_keys(list)
  local seen, keys = {}, {}
  for _, item in ipairs(list) do
    if type(item) == "table" and not is_array(item) then
      for k, x in pairs(item) do
        if is_scalar(x) and not seen[k] then
          seen[k] = true
          keys[#keys + 1] = k
        end
      end
    end
  end
  sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local function text_dict(v, identifier, scalar_keys, out)
  local scalars, nested = {}, {}
  if scalar_keys then
    local listed = {}
    for _, k in ipairs(scalar_keys) do
      listed[k] = true
      scalars[#scalars + 1] = v[k] == nil and "" or text_scalar(v[k])
    end
    for _, k in ipairs(sorted_keys(v)) do
      if not listed[k] then
        nested[#nested + 1] = k
      end
    end
  else
    for _, k in ipairs(sorted_keys(v)) do
      if is_scalar(v[k]) then
        scalars[#scalars + 1] = text_scalar(v[k])
      else
        nested[#nested + 1] = k
      end
    end
  end
  if #scalars > 0 then
    if identifier then
      insert(scalars, 1, identifier:upper())
    end
    out[#out + 1] = concat(scalars, "\t") .. "\n"
  end
  for _, k in ipairs(nested) do
    text_value(v[k], tostring(k), nil, out)
  end
end

local function text_scalar_list(list, identifier, out)
  if identifier then
    for _, x in ipairs(list) do
      out[#out + 1] = identifier:upper() .. "\t" .. text_scalar(x) .. "\n"
    end
  else
    local parts = {}
    for i, x in ipairs(list) do
      parts[i] = text_scalar(x)
    end
    out[#out + 1] = concat(parts, "\t") .. "\n"
  end
end

local function text_list(list, identifier, out)
  if #list == 0 then
    return
  end
  local has_dict, has_list = false, false
  for _, x in ipairs(list) do
    if type(x) == "table" then
      if is_array(x) then
        has_list = true
      else
        has_dict = true
      end
    end
  end
  if has_dict then
    local keys = all_scalar_keys(list)
    for _, x in ipairs(list) do
      text_value(x, identifier, keys, out)
    end
  elseif has_list then
    local scalars, others = {}, {}
    for _, x in ipairs(list) do
      if type(x) == "table" then
        others[#others + 1] = x
      else
        scalars[#scalars + 1] = x
      end
    end
    if #scalars > 0 then
      text_scalar_list(scalars, identifier, out)
    end
    for _, x in ipairs(others) do
      text_value(x, identifier, nil, out)
    end
  else
    text_scalar_list(list, identifier, out)
  end
end

function text_value(v, identifier, scalar_keys, out)
  if type(v) == "table" then
    if is_array(v) then
      text_list(v, identifier, out)
    else
      text_dict(v, identifier, scalar_keys, out)
    end
  else
    out[#out + 1] = text_scalar(v) .. "\n"
  end
end

--- The AWS CLI's text format: the scalars of an object on one tab-separated line (keys
-- sorted), prefixed by the upper-cased name of the member holding it; nested objects and
-- lists follow on their own lines.
-- @param value
-- @treturn string
function _M.text(value)
  local out = {}
  text_value(value, nil, nil, out)
  return concat(out)
end

-- ------------------------------------------------------------------------------ table

local function width(s)
  -- characters, not bytes (UTF-8 continuation bytes do not count)
  return #s - select(2, s:gsub("[\128-\191]", ""))
end

local function spaces(n)
  return n > 0 and rep(" ", n) or ""
end

-- `text` centred in a cell of `len` characters that includes its edges.
local function center(text, len, left, right)
  local start = floor(len / 2) - floor(width(text) / 2) - 1
  if start < 0 then
    start = 0
  end
  local used = #left + start + width(text)
  return left .. spaces(start) .. text .. spaces(len - #right - used) .. right
end

-- `text` after two spaces in a cell of `len` characters that includes its edges (`tw`: the
-- text's width when it carries escape sequences).
local function align_left(text, len, left, right, tw)
  tw = tw or width(text)
  local pad = (len - (tw + 2 + #left + #right) >= 0) and 2 or 0
  local used = #left + pad + tw
  return left .. spaces(pad) .. text .. spaces(len - #right - used) .. right
end

-- A section: title, indent level, optional header row, rows of cells (strings).
local Builder = {}
Builder.__index = Builder

function Builder:section(title, level)
  local s = { title = title, level = level, rows = {} }
  self.sections[#self.sections + 1] = s
  self.current = s
  return s
end

function Builder:header(cells)
  self.current.header = cells
end

function Builder:row(cells)
  local strs = {}
  for i, c in ipairs(cells) do
    strs[i] = text_scalar(c)
  end
  local rows = self.current.rows
  rows[#rows + 1] = strs
end

local function group_keys(t)
  local scalars, nested = {}, {}
  for _, k in ipairs(sorted_keys(t)) do
    if is_scalar(t[k]) then
      scalars[#scalars + 1] = k
    else
      nested[#nested + 1] = k
    end
  end
  return scalars, nested
end

function Builder:build(title, current, level)
  if current == nil or is_null(current) or (type(current) == "table" and next(current) == nil) then
    return
  end
  if title then
    self:section(title, level)
  end
  if type(current) ~= "table" then
    self:row { current }
  elseif is_array(current) then
    if type(current[1]) == "table" and not is_array(current[1]) then
      self:from_list(current, level, title)
    else
      for _, item in ipairs(current) do
        if is_scalar(item) then
          self:row { item }
        else
          local all = is_array(item)
          for _, x in ipairs(item) do
            all = all and is_scalar(x)
          end
          if all then
            self:row(item)
          else
            self:build(nil, item, level)
          end
        end
      end
    end
  else
    self:from_dict(current, level)
  end
end

function Builder:from_dict(t, level)
  local scalars, nested = group_keys(t)
  if #scalars == 1 then
    self:row { scalars[1], t[scalars[1]] }
  elseif #scalars > 1 then
    self:header(scalars)
    local values = {}
    for i, k in ipairs(scalars) do
      values[i] = t[k]
    end
    self:row(values)
  end
  for _, k in ipairs(nested) do
    self:build(k, t[k], level + 1)
  end
end

function Builder:from_list(list, level, title)
  local scalars, nested, seen = {}, {}, {}
  for _, item in ipairs(list) do
    if type(item) == "table" then
      for k, x in pairs(item) do
        if not seen[k] then
          seen[k] = true
          if is_scalar(x) then
            scalars[#scalars + 1] = k
          else
            nested[#nested + 1] = k
          end
        end
      end
    end
  end
  sort(scalars)
  sort(nested)
  self:header(scalars)
  for i, item in ipairs(list) do
    if i > 1 and #nested > 0 then
      self:section(title, level)
      self:header(scalars)
    end
    item = type(item) == "table" and item or {}
    local values = {}
    for j, k in ipairs(scalars) do
      if item[k] == nil then
        values[j] = ""
      else
        values[j] = item[k]
      end
    end
    self:row(values)
    for _, k in ipairs(nested) do
      if item[k] ~= nil then
        self:build(k, item[k], level + 1)
      end
    end
  end
end

-- The widest text of each column.
local function column_widths(s)
  local w = {}
  local function fit(cells)
    for i, c in ipairs(cells) do
      local n = width(c)
      if not w[i] or n > w[i] then
        w[i] = n
      end
    end
  end
  if s.header and #s.header > 0 then
    fit(s.header)
  end
  for _, r in ipairs(s.rows) do
    fit(r)
  end
  return w
end

-- Characters a section needs, borders and indentation included.
local function section_width(s)
  local n = 2 + 2 * s.level
  for _, w in ipairs(column_widths(s)) do
    n = n + w + 4
  end
  local t = s.title and (width(s.title) + 2 + 2 * s.level) or 0
  return n > t and n or t
end

-- Column widths (each with 4 spaces of padding) scaled to fill `total` characters.
local function scaled_widths(s, total)
  local w = column_widths(s)
  local sum = 0
  for i = 1, #w do
    w[i] = w[i] + 4
    sum = sum + w[i]
  end
  if #w == 0 then
    return w
  end
  local scaled, got = {}, 0
  for i = 1, #w do
    scaled[i] = floor(total / sum * w[i] + 0.5)
    got = got + scaled[i]
  end
  local off = got - total
  while off ~= 0 do
    if off > 0 then
      for i = 1, #scaled do
        scaled[i], off = scaled[i] - 1, off - 1
        if off == 0 then break end
      end
    else
      for i = #scaled, 1, -1 do
        scaled[i], off = scaled[i] + 1, off + 1
        if off == 0 then break end
      end
    end
  end
  return scaled
end

local function line_break(widths)
  local parts = {}
  for i, w in ipairs(widths) do
    parts[i] = i == 1 and ("+" .. rep("-", w - 2) .. "+") or (rep("-", w - 1) .. "+")
  end
  return concat(parts)
end

-- Colours of the table format with --color on (the AWS CLI's: row elements bright blue, the
-- indentation bars dim yellow; titles and headers plain).
local COLOR = {
  row = function(text) return "\27[1m\27[34m" .. text .. "\27[0m" end,
  indent = function(text) return "\27[2m\27[33m" .. text .. "\27[0m" end,
}

-- With colours every line is written as the AWS CLI's colorama stream (autoreset) writes it:
-- a reset after each write of the indentation, the line and the newline.
local RESET = "\27[0m"

local function render_section(s, full, out, color)
  local bars = rep(color and color.indent("|") or "|", s.level)
  local w = full - 2 * s.level
  local function emit(line)
    if color then
      out[#out + 1] = RESET .. bars .. RESET .. line .. RESET .. bars .. RESET
    else
      out[#out + 1] = bars .. line .. bars
    end
  end
  local has_header = s.header and #s.header > 0
  if s.title then
    emit(center(s.title, w, "|", "|"))
    if not has_header and #s.rows == 0 then
      emit("+" .. rep("-", w - 2) .. "+")
    end
  end
  local widths = scaled_widths(s, w)
  if has_header then
    local cells = {}
    for i, h in ipairs(s.header) do
      cells[i] = center(h, widths[i], i == 1 and "|" or "", "|")
    end
    emit(line_break(widths))
    emit(concat(cells))
  end
  if #s.rows > 0 and #widths > 0 then
    emit(line_break(widths))
    for _, r in ipairs(s.rows) do
      local cells = {}
      for i = 1, #widths do
        local text = r[i] or ""
        if color then
          cells[i] = align_left(color.row(text), widths[i], i == 1 and "|" or "", "|", width(text))
        else
          cells[i] = align_left(text, widths[i], i == 1 and "|" or "", "|")
        end
      end
      emit(concat(cells))
    end
    emit(line_break(widths))
  end
end

--- The AWS CLI's table format: a titled box per object, nested objects and lists in
-- indented boxes; the scalars of an object under a header row, or as key/value rows when
-- there is one or when the table is wider than the terminal.
-- @param value
-- @string title the operation name shown on top
-- @tparam[opt] number max_width the terminal width (80)
-- @tparam[opt] boolean color colour row elements and indentation bars (--color on)
-- @treturn string
function _M.table(value, title, max_width, color)
  max_width = max_width or 80
  local b = setmetatable({ sections = {} }, Builder)
  b:section(title, 0)
  b:build(nil, value, 0)
  local function full_width()
    local n = 0
    for _, s in ipairs(b.sections) do
      local need = section_width(s)
      n = need > n and need or n
    end
    return n
  end
  local full = full_width()
  if full > max_width then
    -- too wide: sections with one row become key/value rows
    for _, s in ipairs(b.sections) do
      if s.header and #s.header > 0 and #s.rows == 1 then
        local rows = {}
        for i, h in ipairs(s.header) do
          rows[i] = { h, s.rows[1][i] or "" }
        end
        s.header, s.rows = nil, rows
      end
    end
    full = full_width()
  end
  local out = { rep("-", full) }
  for _, s in ipairs(b.sections) do
    render_section(s, full, out, color and COLOR or nil)
  end
  return concat(out, "\n") .. "\n" .. (color and RESET or "")
end

--- Renders a result in an output format.
-- @string fmt "json", "text" or "table"
-- @param value the result
-- @tparam[opt] table opts { shape = result shape name, title = operation name,
--   timestamp_format = "iso8601" | "none", model = ..., max_width = 80, color = boolean
--   (table: ANSI colours as the AWS CLI's --color on) }
-- @return the text ("" for an empty result, which the AWS CLI does not print)
function _M.render(fmt, value, opts)
  opts = opts or {}
  if type(value) == "table" and next(value) == nil and not is_array(value) then
    return ""
  end
  local model = opts.model or cognito_mfa.model()
  value = _M.timestamps(value, opts.shape, opts.timestamp_format or "none", model)
  if fmt == "text" then
    return _M.text(value)
  elseif fmt == "table" then
    -- as the AWS CLI: a false-ish result (null, false, "", 0, an empty list) prints nothing, and
    -- another scalar only the title
    if is_null(value) or value == false or value == "" or value == 0
        or (type(value) == "table" and next(value) == nil) then
      return ""
    elseif type(value) ~= "table" then
      value = {}
    end
    return _M.table(value, opts.title or "Result", opts.max_width, opts.color)
  end
  return _M.json(value, opts.shape, model)
end

return _M
