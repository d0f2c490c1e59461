--- Fault injection for bench/soak.sh (served by bench/nginx/faults.conf).
-- Each POST takes the next entry of ROTATION (one counter in a shared dict, so the rotation is
-- deterministic across workers) and answers with it. GET /__counts: { kind = count }.
-- luacheck: globals ngx

local concat = table.concat
local ipairs = ipairs
local tonumber = tonumber

local _M = {}

local function read_answer()
  local dir = debug.getinfo(1, "S").source:match("^@(.*)/[^/]*$") or "."
  local f = assert(io.open(dir .. "/answer.json", "rb"))
  local s = f:read("*a"):gsub("%s+$", "")
  f:close()
  return s
end

local ANSWER = read_answer()
local REQUEST_ID = "5e1f2a3b-0000-4000-8000-00000000beef"

-- 20 slots: 13 correct answers and one of each fault
_M.ROTATION = {
  "ok", "server_error", "ok", "throttling", "ok", "reset", "ok", "unavailable", "ok", "truncated",
  "ok", "too_many_requests", "ok", "stall", "ok", "ok", "ok", "ok", "ok", "ok",
}
_M.KINDS = { "ok", "server_error", "unavailable", "throttling", "too_many_requests", "reset",
             "stall", "truncated" }

local function json_error(status, code, message)
  ngx.status = status
  ngx.header["Content-Type"] = "application/x-amz-json-1.1"
  ngx.header["x-amzn-RequestId"] = REQUEST_ID
  ngx.header["x-amzn-ErrorType"] = code
  ngx.print('{"__type":"', code, '","message":"', message, '"}')
  return ngx.exit(status)
end

local ACTIONS = {
  ok = function()
    ngx.header["Content-Type"] = "application/x-amz-json-1.1"
    ngx.header["x-amzn-RequestId"] = REQUEST_ID
    ngx.print(ANSWER)
    return ngx.exit(200)
  end,
  server_error = function()
    return json_error(500, "InternalErrorException", "injected internal error")
  end,
  throttling = function()
    return json_error(400, "ThrottlingException", "Rate exceeded")
  end,
  too_many_requests = function()
    return json_error(400, "TooManyRequestsException", "Too many requests")
  end,
  unavailable = function()
    -- a load balancer's answer: not JSON
    ngx.status = 503
    ngx.header["Content-Type"] = "text/html"
    ngx.print("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
    return ngx.exit(503)
  end,
  reset = function()
    -- close the connection without answering
    return ngx.exit(444)
  end,
  stall = function()
    -- headers, then nothing for longer than the client's read timeout
    ngx.header["Content-Type"] = "application/x-amz-json-1.1"
    ngx.header["Content-Length"] = #ANSWER
    ngx.send_headers()
    ngx.flush(true)
    ngx.sleep(tonumber(ngx.var.cmfa_stall_seconds) or 11)
    return ngx.exit(444)
  end,
  truncated = function()
    -- announces the whole answer, sends half of it, closes
    ngx.header["Content-Type"] = "application/x-amz-json-1.1"
    ngx.header["Content-Length"] = #ANSWER
    ngx.print(ANSWER:sub(1, math.floor(#ANSWER / 2)))
    ngx.flush(true)
    return ngx.exit(444)
  end,
}

function _M.answer()
  ngx.req.discard_body()
  local dict = ngx.shared.cmfa_faults
  local n = dict:incr("n", 1, 0)
  local kind = _M.ROTATION[(n - 1) % #_M.ROTATION + 1]
  dict:incr(kind, 1, 0)
  return ACTIONS[kind]()
end

function _M.counts()
  local dict = ngx.shared.cmfa_faults
  local parts = {}
  for _, kind in ipairs(_M.KINDS) do
    parts[#parts + 1] = '"' .. kind .. '":' .. (dict:get(kind) or 0)
  end
  ngx.header["Content-Type"] = "application/json"
  ngx.say("{", concat(parts, ","), "}")
end

return _M
