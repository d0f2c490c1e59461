-- A fake transport for unit specs: records every request handed to it and answers from a
-- script, so no byte leaves the process. Enters the client through its `transport` option;
-- the `sleep` option records the backoff delays instead of sleeping.
local cognito_mfa = require "cognito_mfa"

local fake = {}

--- A JSON 1.1 response: status, body text (tables are encoded), extra headers.
function fake.response(status, body, headers)
  if type(body) == "table" then
    body = cognito_mfa.encode_json(body)
  end
  return { status = status, headers = headers or {}, body = body or "" }
end

--- An AWS-style error response, as the service sends it.
function fake.aws_error(status, code, message, request_id)
  return fake.response(status, { __type = code, message = message or (code .. " happened") }, {
    ["x-amzn-RequestId"] = request_id or "req-" .. code,
    ["X-Amzn-ErrorType"] = code .. ":",
    ["Content-Type"] = "application/x-amz-json-1.1",
  })
end

--- A transport answering with the steps in order (the last step repeats). A step is a
-- response table, a function(request, n) returning what a transport returns, or
-- { fail = "message" } for `nil, message`.
function fake.new(steps)
  local self = { requests = {}, delays = {} }
  steps = steps or { fake.response(200, "{}") }
  function self.transport(request)
    local n = #self.requests + 1
    self.requests[n] = request
    local step = steps[n] or steps[#steps]
    if type(step) == "function" then
      return step(request, n)
    end
    if step.fail then
      return nil, step.fail
    end
    return step
  end
  function self.sleep(seconds)
    self.delays[#self.delays + 1] = seconds
  end
  return self
end

fake.CREDENTIALS = {
  access_key_id = "AKIDFAKEEXAMPLE",
  secret_access_key = "fakeSecretKeyForSpecs/K7MDENG+bPxRfiCYEXAMPLE",
}

--- A client that talks only to the fake t. opts are added to (and override) the defaults.
function fake.client(t, opts)
  local o = {
    region = "us-east-1",
    credentials = fake.CREDENTIALS,
    transport = t.transport,
    sleep = t.sleep,
  }
  for k, v in pairs(opts or {}) do
    o[k] = v
  end
  return assert(cognito_mfa.client(o))
end

--- The header of request named name, compared case-insensitively.
function fake.header(request, name)
  name = name:lower()
  for k, v in pairs(request.headers) do
    if k:lower() == name then
      return v
    end
  end
  return nil
end

return fake
