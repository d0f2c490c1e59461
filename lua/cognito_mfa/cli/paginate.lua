--- Pagination of the cognito-mfa tool, as the AWS CLI does it, and where the AWS CLI gives up.
--
-- The AWS CLI (botocore's paginator) follows the output token page after page and merges the
-- result key, unless `--no-paginate` is given or the operation's own limit or token parameter
-- is given explicitly (on the command line or in --cli-input-json): then it makes one call and
-- prints that page with its `NextToken`. Its own options `--max-items`, `--page-size` and
-- `--starting-token` then conflict ("Cannot specify --no-paginate along with pagination
-- arguments: ..."). Because ListUserPools requires MaxResults, the AWS CLI cannot page it at
-- all; cognito-mfa does: without --max-results every page is merged (page size --page-size,
-- else the model's largest MaxResults), and --max-items / --starting-token work with tokens
-- in the paginator's format: base64 of the JSON object {"NextToken": service token or null,
-- "boto_truncate_amount": items of that page already returned} (the second key only when a
-- page was cut), written as Python's json.dumps writes it.
-- @module cognito_mfa.cli.paginate

local cognito_mfa = require "cognito_mfa"

local byte = string.byte
local char = string.char
local concat = table.concat
local floor = math.floor
local format = string.format
local getmetatable = getmetatable
local ipairs = ipairs
local math_type = math.type -- luacheck: ignore (nil on Lua 5.1 and LuaJIT)
local pairs = pairs
local setmetatable = setmetatable
local sort = table.sort
local tostring = tostring
local type = type

local _M = {}

-- The token keys when no paginator is given (every cognito-idp paginator uses NextToken).
local DEFAULT = { input_token = "NextToken" }

-- ------------------------------------------------------------------------------ base64

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
local B64_VALUE = {}
for i = 1, #B64 do
  B64_VALUE[byte(B64, i)] = i - 1
end

--- Standard base64 with padding.
function _M.base64_encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = byte(s, i, i + 2)
    local n = a * 65536 + (b or 0) * 256 + (c or 0)
    local c1, c2 = floor(n / 262144) % 64, floor(n / 4096) % 64
    local c3, c4 = floor(n / 64) % 64, n % 64
    out[#out + 1] = B64:sub(c1 + 1, c1 + 1) .. B64:sub(c2 + 1, c2 + 1)
      .. (b and B64:sub(c3 + 1, c3 + 1) or "=") .. (c and B64:sub(c4 + 1, c4 + 1) or "=")
  end
  return concat(out)
end

--- Decodes standard base64 (padding required, as Python's b64decode wants it); nil when the
-- text is not base64.
function _M.base64_decode(s)
  if #s % 4 ~= 0 or s:find("[^%w%+/=]") or s:find("=[^=]") or s:find("===$") then
    return nil
  end
  local out = {}
  for i = 1, #s, 4 do
    local v = {}
    for j = 0, 3 do
      local ch = byte(s, i + j)
      v[j + 1] = ch == 61 and -1 or B64_VALUE[ch]
    end
    if v[1] < 0 or v[2] < 0 or (v[3] < 0 and v[4] >= 0) then
      return nil
    end
    local n = v[1] * 262144 + v[2] * 4096 + (v[3] >= 0 and v[3] * 64 or 0) + (v[4] >= 0 and v[4] or 0)
    out[#out + 1] = char(floor(n / 65536) % 256)
    if v[3] >= 0 then
      out[#out + 1] = char(floor(n / 256) % 256)
    end
    if v[4] >= 0 then
      out[#out + 1] = char(n % 256)
    end
  end
  return concat(out)
end

-- ------------------------------------------------------------------------------ tokens

-- A JSON string as Python's json.dumps writes it (ensure_ascii: non-ASCII as \uXXXX).
local function py_json_string(s)
  local out = { '"' }
  local i, n = 1, #s
  while i <= n do
    local c = byte(s, i)
    local cp, len = c, 1
    if c >= 0xF0 and i + 3 <= n then
      cp = (c % 8) * 262144 + (byte(s, i + 1) % 64) * 4096 + (byte(s, i + 2) % 64) * 64
        + byte(s, i + 3) % 64
      len = 4
    elseif c >= 0xE0 and i + 2 <= n then
      cp = (c % 16) * 4096 + (byte(s, i + 1) % 64) * 64 + byte(s, i + 2) % 64
      len = 3
    elseif c >= 0xC0 and i + 1 <= n then
      cp = (c % 32) * 64 + byte(s, i + 1) % 64
      len = 2
    end
    if cp == 34 then
      out[#out + 1] = '\\"'
    elseif cp == 92 then
      out[#out + 1] = "\\\\"
    elseif cp == 10 then
      out[#out + 1] = "\\n"
    elseif cp == 13 then
      out[#out + 1] = "\\r"
    elseif cp == 9 then
      out[#out + 1] = "\\t"
    elseif cp == 8 then
      out[#out + 1] = "\\b"
    elseif cp == 12 then
      out[#out + 1] = "\\f"
    elseif cp < 32 or (cp >= 127 and cp < 0x10000) then
      out[#out + 1] = format("\\u%04x", cp)
    elseif cp >= 0x10000 then
      local v = cp - 0x10000
      out[#out + 1] = format("\\u%04x\\u%04x", 0xD800 + floor(v / 1024), 0xDC00 + v % 1024)
    else
      out[#out + 1] = char(cp)
    end
    i = i + len
  end
  out[#out + 1] = '"'
  return concat(out)
end

--- A paginator token: base64 of {"NextToken": token or null[, "boto_truncate_amount": n]}.
-- @tparam ?string service_token the service's token for the page to resume in (nil: the first)
-- @tparam[opt] number truncate items of that page already returned
-- @treturn string
function _M.encode_token(service_token, truncate, pag)
  pag = pag or DEFAULT
  local json = "{" .. py_json_string(pag.input_token) .. ": "
    .. (service_token and py_json_string(service_token) or "null")
  if truncate then
    json = json .. ', "boto_truncate_amount": ' .. format("%d", truncate)
  end
  return _M.base64_encode(json .. "}")
end

local function is_integer(n)
  if type(n) ~= "number" then
    return false
  end
  if math_type then
    return math_type(n) == "integer" or n == floor(n)
  end
  return n == floor(n)
end

--- Reads a paginator token.
-- @string text what --starting-token gave
-- @return { token = service token or nil, truncate = n }, or nil and what is wrong with it
function _M.decode_token(text, pag)
  pag = pag or DEFAULT
  local json = _M.base64_decode(text)
  if not json then
    return nil, "not a pagination token (tokens are base64; use the NextToken printed with "
      .. "--max-items)"
  end
  local v = cognito_mfa.decode_json(json)
  if type(v) ~= "table" or getmetatable(v) == cognito_mfa.array_mt then
    return nil, "not a pagination token (its base64 does not hold a JSON object)"
  end
  local keys = {}
  for k in pairs(v) do
    keys[#keys + 1] = tostring(k)
  end
  sort(keys)
  for _, k in ipairs(keys) do
    if k ~= pag.input_token and k ~= "boto_truncate_amount" then
      return nil, "not a pagination token for this command (unexpected key '" .. k .. "'; "
        .. "expected " .. pag.input_token .. " and boto_truncate_amount)"
    end
  end
  if v[pag.input_token] == nil then
    return nil, "not a pagination token for this command (no " .. pag.input_token .. ")"
  end
  local token = v[pag.input_token]
  if token == cognito_mfa.NULL then
    token = nil
  elseif type(token) ~= "string" then
    return nil, pag.input_token .. " in the token must be a string or null"
  end
  local truncate = v.boto_truncate_amount
  if truncate == nil then
    truncate = 0
  elseif not is_integer(truncate) or truncate < 0 then
    return nil, "boto_truncate_amount in the token must be an integer >= 0"
  end
  return { token = token, truncate = truncate }
end

-- ------------------------------------------------------------------------------ paging

local function is_token(v)
  return v ~= nil and v ~= cognito_mfa.NULL and v ~= ""
end

local function copy(t)
  local out = setmetatable({}, getmetatable(t))
  for k, v in pairs(t) do
    out[k] = v
  end
  return out
end

--- Calls a paginated operation page after page and merges the result key, as botocore's
-- build_full_result: the first page's other members, the items, and `NextToken` (a paginator
-- token) when --max-items stopped before the end.
-- @param client a cognito_mfa client
-- @string operation e.g. "ListUserPools"
-- @tparam table params the parameters (the limit parameter already set)
-- @tparam table pag the paginator
-- @tparam[opt] table opts { max_items = n, start = decoded starting token }
-- @return merged result, resume token (or nil); or nil, err
function _M.run(client, operation, params, pag, opts)
  opts = opts or {}
  local max_items, start = opts.max_items, opts.start
  local p = copy(params)
  local current = start and start.token or nil -- the service token of the page requested now
  p[pag.input_token] = current
  local merged, items, total, resume
  local previous
  local first = true
  while true do
    local out, err = client:call(operation, p)
    if not out then
      return nil, err
    end
    local page = out[pag.result_key] or {}
    local from = 1
    local skipped = 0
    if first and start then
      skipped = start.truncate
      from = skipped + 1
    end
    if first then
      merged = {}
      for k, v in pairs(out) do
        if k ~= pag.result_key and k ~= pag.output_token then
          merged[k] = v
        end
      end
      items = setmetatable({}, cognito_mfa.array_mt)
      merged[pag.result_key] = items
      total = 0
      first = false
    end
    local n = #page - from + 1
    if n < 0 then
      n = 0
    end
    if max_items and total + n > max_items then
      local keep = max_items - total
      for i = from, from + keep - 1 do
        items[#items + 1] = page[i]
      end
      resume = _M.encode_token(current, keep + skipped, pag)
      break
    end
    for i = from, #page do
      items[#items + 1] = page[i]
    end
    total = total + n
    local token = out[pag.output_token]
    if not is_token(token) then
      break
    end
    if max_items and total == max_items then
      resume = _M.encode_token(token, nil, pag)
      break
    end
    if previous ~= nil and token == previous then
      return nil, cognito_mfa.error { kind = "internal", code = "PaginationError",
        message = "The same next token was received twice: " .. tostring(token) }
    end
    previous = token
    current = token
    p[pag.input_token] = token
  end
  if resume then
    merged[pag.output_token] = resume
  end
  return merged, resume
end

return _M
