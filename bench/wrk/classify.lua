-- wrk script for bench/soak.sh: GET /mfa/<pool> on the example handlers (the URL given to
-- wrk) while the upstream injects faults, classifying every answer:
--
--   ok                         200 and the configuration of bench/nginx/answer.json
--   service:<code>             502 {"error":{"kind":"service","code":<code>}} for the injected
--                              InternalErrorException (500), HttpStatus503 (503, not JSON),
--                              ThrottlingException and TooManyRequestsException
--   transport:reset            502 kind "transport": the upstream closed without answering
--   transport:truncated        502 kind "transport": the body ended before Content-Length
--   transport:timeout          502 kind "transport": nothing more within the read timeout
--   unclassified               anything else (a bug: printed, and soak.sh fails)
--
-- (examples/nginx/mfa_admin.lua and the README: 502 for service and transport failures; the
-- handler's client retries, so the answer reflects the last fault a request met.)
-- Environment: CMFA_ANSWER_FILE (the expected configuration), CMFA_CLASSIFY_OUT (where done()
-- writes "class count" lines, "requests N" and the socket errors, and up to 5 samples of
-- unclassified answers).
-- luacheck: globals setup init response done counts samples

local threads = {}

-- the expected configuration as "key":value pieces (every string and boolean leaf), and the
-- total length: the handler's JSON holds the same members, maybe in another order
local function expected_pieces()
  local f = assert(io.open(assert(os.getenv("CMFA_ANSWER_FILE"), "CMFA_ANSWER_FILE not set"), "rb"))
  local text = f:read("*a"):gsub("%s+$", "")
  f:close()
  local pieces = {}
  for piece in text:gmatch('"[%w_]+":"[^"]*"') do pieces[#pieces + 1] = piece end
  for piece in text:gmatch('"[%w_]+":true') do pieces[#pieces + 1] = piece end
  for piece in text:gmatch('"[%w_]+":false') do pieces[#pieces + 1] = piece end
  return pieces, #text
end

function setup(thread)
  threads[#threads + 1] = thread
end

local PIECES, LENGTH
counts = {}    -- globals: done() reads them through thread:get
samples = {}

function init()
  PIECES, LENGTH = expected_pieces()
end

local SERVICE_CODES = {
  InternalErrorException = true, HttpStatus503 = true, ThrottlingException = true,
  TooManyRequestsException = true,
}

local function classify(status, body)
  body = body or ""
  if status == 200 then
    local text = body:gsub("%s+$", "")
    if #text ~= LENGTH then return nil end
    for _, piece in ipairs(PIECES) do
      if not text:find(piece, 1, true) then return nil end
    end
    return "ok"
  end
  if status ~= 502 then return nil end
  local kind = body:match('"kind":"([%w_]+)"')
  local code = body:match('"code":"([%w_]+)"')
  local message = body:match('"message":"([^"]*)"') or ""
  if kind == "service" and SERVICE_CODES[code] then
    return "service:" .. code
  end
  if kind == "transport" then
    if code == "CMFA_E_TIMEOUT" or message:find("timed out", 1, true) then
      return "transport:timeout"
    end
    if message:find("closed the connection", 1, true) then
      if message:find("read body from", 1, true) then
        return "transport:truncated"
      end
      return "transport:reset"
    end
  end
  return nil
end

function response(status, _, body)
  local class = classify(status, body)
  if not class then
    class = "unclassified"
    if #samples < 5 then
      samples[#samples + 1] = status .. " " .. (body or ""):sub(1, 400):gsub("%s+", " ")
    end
  end
  counts[class] = (counts[class] or 0) + 1
end

function done(summary)
  local total, all_samples = {}, {}
  for _, thread in ipairs(threads) do
    for class, n in pairs(thread:get("counts") or {}) do
      total[class] = (total[class] or 0) + n
    end
    for _, s in ipairs(thread:get("samples") or {}) do
      all_samples[#all_samples + 1] = s
    end
  end
  local out = assert(io.open(assert(os.getenv("CMFA_CLASSIFY_OUT"), "CMFA_CLASSIFY_OUT not set"), "w"))
  local classes = {}
  for class in pairs(total) do classes[#classes + 1] = class end
  table.sort(classes)
  for _, class in ipairs(classes) do
    out:write("class ", class, " ", total[class], "\n")
  end
  out:write("requests ", summary.requests, "\n")
  for _, e in ipairs { "connect", "read", "write", "timeout", "status" } do
    out:write("error_", e, " ", summary.errors[e], "\n")
  end
  for i = 1, math.min(5, #all_samples) do
    out:write("sample ", all_samples[i], "\n")
  end
  out:close()
end
