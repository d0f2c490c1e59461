-- Unit specs for the command line's pieces, in-process and without sockets: the shorthand
-- parser and its model typing, the output renderers, and cognito_mfa.cli.main with injected
-- streams and a fake transport (exit codes, skeletons, --cli-input-json, registering a
-- command, the repl).
local cognito_mfa = require "cognito_mfa"
local fake = require "spec.support.fake_transport"

local POOL = "us-east-1_Ab12Cd34"

local function decode(text)
  return assert(cognito_mfa.decode_json(text))
end

-- Runs cli.main in-process; returns code, stdout, stderr (and the fake transport).
local function main(argv, steps, extra)
  local cli = require "cognito_mfa.cli"
  local t = fake.new(steps)
  local out, err = {}, {}
  local env = {
    stdout = function(s) out[#out + 1] = s end,
    stderr = function(s) err[#err + 1] = s end,
    getenv = function() return nil end,
    settings = function() return { settings = {}, profiles = {}, profile_found = true } end,
    client_options = {
      transport = t.transport, sleep = t.sleep, credentials = fake.CREDENTIALS,
      region = "us-east-1", max_attempts = 1,
    },
  }
  for k, v in pairs(extra or {}) do
    env[k] = v
  end
  local code = cli.main(argv, env)
  return code, table.concat(out), table.concat(err), t
end

describe("cognito_mfa.shorthand", function()
  local shorthand = require "cognito_mfa.shorthand"

  local function parse(text)
    local v, err = shorthand.parse(text)
    assert(v ~= nil, err)
    return v
  end

  it("parses Key=value pairs", function()
    assert.same({ Enabled = "true" }, parse("Enabled=true"))
    assert.same({ A = "1", B = "two" }, parse(" A = 1 , B=two "))
    assert.same({ A = "" }, parse("A="))
    assert.same({ ["A:b"] = "1", ["c#d"] = "2", ["e/f"] = "3", ["g.h"] = "4" }, parse("A:b=1,c#d=2,e/f=3,g.h=4"))
  end)

  it("keeps quoted values whole: commas, braces, equals signs and escapes", function()
    assert.same({ M = "Code {####}, valid 5 min" }, parse('M="Code {####}, valid 5 min"'))
    assert.same({ M = "it's" }, parse([[M='it\'s']]))
    assert.same({ M = 'say "hi" \\ bye' }, parse([[M="say \"hi\" \\ bye"]]))
    assert.same({ M = "a=b,c" }, parse('M="a=b,c"'))
    assert.same({ M = "a,b" }, parse([[M=a\,b]]))
    assert.same({ M = "Code {####}" }, parse("M=Code {####}"))
  end)

  it("parses nested structures and lists", function()
    local v = parse("SmsAuthenticationMessage=\"Code {####}\",SmsConfiguration={SnsCallerArn=arn:aws:iam::1:role/x,"
      .. "ExternalId=\"a,b\",EumsSms={Region=eu-west-1}},L=[x, y ,{E=1}],C=a,b,c,E={},F=[],G=[[1,2],[]]")
    assert.equal("Code {####}", v.SmsAuthenticationMessage)
    assert.same({ SnsCallerArn = "arn:aws:iam::1:role/x", ExternalId = "a,b", EumsSms = { Region = "eu-west-1" } },
      v.SmsConfiguration)
    assert.same({ "x", "y", { E = "1" } }, v.L)
    assert.equal(cognito_mfa.array_mt, getmetatable(v.L))
    assert.same({ "a", "b", "c" }, v.C)
    assert.same({}, v.E)
    assert.equal(0, #v.F)
    assert.same({ { "1", "2" }, {} }, v.G)
    assert.same({ A = { B = { "x", "y" }, C = "z" } }, parse("A={B=x,y,C=z}"))
  end)

  it("reports syntax errors with a position", function()
    for _, text in ipairs { "", "X", "A=b,", "A=b, ,c", 'A="x', "A={B=c", "A=[1,2", "A=1,A=2", 'A="x"y',
                            "=1", "A={B}", "A=[1 2", "A=[1]x" } do
      local v, err = shorthand.parse(text)
      assert.is_nil(v, text)
      assert.matches("character %d+", err, nil, false)
    end
    assert.has_error(function() shorthand.parse(42) end)
  end)

  it("types values through the model", function()
    local v = assert(shorthand.value("Enabled=TRUE", "SoftwareTokenMfaConfigType"))
    assert.is_true(v.Enabled)
    v = assert(shorthand.value("Enabled=false", "SoftwareTokenMfaConfigType"))
    assert.is_false(v.Enabled)
    v = assert(shorthand.value("SmsConfiguration={ExternalId=00123,SnsCallerArn=1e3}", "SmsMfaConfigType"))
    assert.equal("00123", v.SmsConfiguration.ExternalId)
    assert.equal("1e3", v.SmsConfiguration.SnsCallerArn)
    assert.equal(5, shorthand.value("5", "PoolQueryLimitType"))
    assert.equal("5", shorthand.value("5", "UserPoolIdType"))
    local bad, err = shorthand.value("Enabled=yes", "SoftwareTokenMfaConfigType")
    assert.is_nil(bad)
    assert.matches("Enabled: expected true or false", err, 1, true)
    bad, err = shorthand.value("5.5", "PoolQueryLimitType")
    assert.is_nil(bad)
    assert.matches("expected an integer", err, 1, true)
  end)

  it("takes JSON for structures, as is", function()
    local v = assert(shorthand.value(' {"Enabled": false} ', "SoftwareTokenMfaConfigType"))
    assert.is_false(v.Enabled)
    local bad, err = shorthand.value('{"Enabled": ', "SoftwareTokenMfaConfigType")
    assert.is_nil(bad)
    assert.matches("Invalid JSON", err, 1, true)
  end)

  it("reads file:// values through the given reader", function()
    local files = { ["/x/sms.txt"] = "Enabled=true\n", ["/x/id"] = "us-east-1_X" }
    local read = function(p) return files[p], "no such file" end
    local v = assert(shorthand.value("file:///x/sms.txt", "SoftwareTokenMfaConfigType", { read_file = read }))
    assert.is_true(v.Enabled)
    assert.equal("us-east-1_X", shorthand.value("file:///x/id", "UserPoolIdType", { read_file = read }))
    local bad, err = shorthand.value("file:///x/none", "UserPoolIdType", { read_file = read })
    assert.is_nil(bad)
    assert.matches("Unable to load paramfile file:///x/none", err, 1, true)
  end)

  it("wraps a single value where the model wants a list", function()
    local v = assert(shorthand.coerce({ RecoveryMechanisms = { Name = "admin_only", Priority = "1" } },
      "AccountRecoverySettingType"))
    assert.equal(1, #v.RecoveryMechanisms)
    assert.equal(1, v.RecoveryMechanisms[1].Priority)
  end)
end)

describe("cognito_mfa.output", function()
  local output = require "cognito_mfa.output"

  it("formats numbers as Python does", function()
    assert.equal("60", output.number(60))
    assert.equal("1795329959.107", output.number(1795329959.107))
    assert.equal("0.1", output.number(0.1))
    assert.equal("-3", output.number(-3.0))
  end)

  it("formats timestamps as ISO 8601 with microseconds and the local offset", function()
    local s = output.iso8601(1795329959.107)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.107000[+-]%d%d:%d%d$", s)
    assert.matches("^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d[+-]%d%d:%d%d$", output.iso8601(1795329959))
  end)

  it("prints JSON with 4-space indent in model member order", function()
    local text = output.json({ MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true },
                               Unknown = { 1 } }, "GetUserPoolMfaConfigResponse")
    assert.equal('{\n    "SoftwareTokenMfaConfiguration": {\n        "Enabled": true\n    },\n'
      .. '    "MfaConfiguration": "ON",\n    "Unknown": [\n        1\n    ]\n}\n', text)
    assert.equal('{\n    "UserPools": []\n}\n',
      output.json({ UserPools = setmetatable({}, cognito_mfa.array_mt) }, "ListUserPoolsResponse"))
    assert.equal('"a\\"b\\\\c\\n\\u0001"\n', output.json('a"b\\c\n\1'))
  end)

  it("prints text like the AWS CLI", function()
    assert.equal("ON\nSOFTWARETOKENMFACONFIGURATION\tFalse\n",
      output.text { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = false } })
    assert.equal("USERPOOLS\t1\ta\t\nUSERPOOLS\t2\tb\tx\n", output.text {
      UserPools = { { Id = "1", Name = "a" }, { Id = "2", Name = "b", Status = "x" } },
    })
  end)

  it("prints nothing for an empty result, as the AWS CLI", function()
    assert.equal("", output.render("json", {}))
    assert.equal("", output.render("table", {}))
  end)

  it("draws tables whose lines all have the same width", function()
    local text = output.table({ A = "x", B = { C = "y", D = { { E = "1" }, { E = "2" } } } }, "Title")
    local width
    for line in text:gmatch("[^\n]+") do
      width = width or #line
      assert.equal(width, #line, line)
    end
    assert.matches("Title", text, 1, true)
  end)
end)

describe("cognito_mfa.cli.main", function()
  local cli

  before_each(function()
    package.loaded["cognito_mfa.cli"] = nil
    cli = require "cognito_mfa.cli"
  end)

  it("returns exit codes instead of exiting, writing through the given streams", function()
    local code, out, err = main({ "--version" })
    assert.equal(0, code)
    assert.matches("^cognito%-mfa/", out)
    assert.equal("", err)
    code, out, err = main({})
    assert.equal(252, code)
    assert.equal("", out)
    assert.matches("usage", err)
  end)

  it("calls the operation and prints the result", function()
    local code, out, _, t = main({ "get-user-pool-mfa-config", "--user-pool-id", POOL },
      { fake.response(200, { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } }) })
    assert.equal(0, code)
    assert.equal("ON", decode(out).MfaConfiguration)
    assert.equal(1, #t.requests)
    assert.equal("AWSCognitoIdentityProviderService.GetUserPoolMfaConfig", t.requests[1].headers["X-Amz-Target"])
    assert.same({ UserPoolId = POOL }, decode(t.requests[1].body))
  end)

  it("sends booleans as booleans and merges --cli-input-json with overrides", function()
    local code, _, err, t = main({
      "set-user-pool-mfa-config", "--cli-input-json",
      '{"UserPoolId": "us-east-1_Other", "MfaConfiguration": "ON", "SoftwareTokenMfaConfiguration": {"Enabled": true}}',
      "--user-pool-id", POOL, "--software-token-mfa-configuration", "Enabled=false",
    }, { fake.response(200, {}) })
    assert.equal(0, code, err)
    local body = decode(t.requests[1].body)
    assert.same({
      UserPoolId = POOL, MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = false },
    }, body)
  end)

  it("follows NextToken for list-user-pools, with --page-size as MaxResults, and merges the pages", function()
    local pages = {
      fake.response(200, { UserPools = { { Id = "a_1" } }, NextToken = "t1" }),
      fake.response(200, { UserPools = { { Id = "a_2" } }, NextToken = "t2" }),
      fake.response(200, { UserPools = { { Id = "a_3" } } }),
    }
    local code, out, _, t = main({ "list-user-pools", "--page-size", "1" }, pages)
    assert.equal(0, code)
    local v = decode(out)
    assert.equal(3, #v.UserPools)
    assert.is_nil(v.NextToken)
    assert.equal(3, #t.requests)
    assert.equal("t2", decode(t.requests[3].body).NextToken)
    assert.equal(1, decode(t.requests[3].body).MaxResults)
    -- without --page-size: the largest MaxResults the model allows
    code, _, _, t = main({ "list-user-pools" }, pages)
    assert.equal(0, code)
    assert.equal(60, decode(t.requests[1].body).MaxResults)
  end)

  it("makes one call, printing NextToken, with --no-paginate or an explicit --max-results / --next-token", function()
    local pages = {
      fake.response(200, { UserPools = { { Id = "a_1" } }, NextToken = "t1" }),
      fake.response(200, { UserPools = { { Id = "a_2" } } }),
    }
    for _, args in ipairs {
      { "list-user-pools", "--max-results", "1" },
      { "list-user-pools", "--max-results", "1", "--no-paginate" },
      { "list-user-pools", "--cli-input-json", '{"MaxResults": 1}' },
      { "list-user-pools", "--max-results", "1", "--next-token", "t0" },
    } do
      local code, out, _, t = main(args, pages)
      assert.equal(0, code)
      assert.equal("t1", decode(out).NextToken)
      assert.equal(1, #t.requests)
    end
  end)

  it("refuses pagination options with an explicit --max-results, as the AWS CLI (252, nothing sent)", function()
    for _, case in ipairs {
      { { "--max-results", "2", "--max-items", "3" }, "--max-items" },
      { { "--max-results", "2", "--max-items", "3", "--page-size", "1", "--starting-token", "x" },
        "--starting-token, --page-size, --max-items" },
      { { "--next-token", "t", "--page-size", "1" }, "--page-size" },
      { { "--no-paginate", "--starting-token", "x" }, "--starting-token" },
    } do
      local args = { "list-user-pools" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local code, out, err, t = main(args, { fake.response(200, {}) })
      assert.equal(252, code, table.concat(args, " "))
      assert.equal("", out)
      assert.matches("Cannot specify --no-paginate along with pagination arguments: " .. case[2], err, 1, true)
      assert.equal(0, #t.requests)
    end
  end)

  it("cuts at --max-items with a paginator token and resumes from --starting-token", function()
    local paginate = require "cognito_mfa.cli.paginate"
    local function pages()
      return {
        fake.response(200, { UserPools = { { Id = "a_1" }, { Id = "a_2" } }, NextToken = "t1" }),
        fake.response(200, { UserPools = { { Id = "a_3" }, { Id = "a_4" } }, NextToken = "t2" }),
        fake.response(200, { UserPools = { { Id = "a_5" } } }),
      }
    end
    local code, out, _, t = main({ "list-user-pools", "--page-size", "2", "--max-items", "3" }, pages())
    assert.equal(0, code)
    local v = decode(out)
    assert.same({ "a_1", "a_2", "a_3" }, { v.UserPools[1].Id, v.UserPools[2].Id, v.UserPools[3].Id })
    assert.equal(2, #t.requests)
    -- base64 of Python's json.dumps of the paginator's token
    assert.equal('{"NextToken": "t1", "boto_truncate_amount": 1}', paginate.base64_decode(v.NextToken))
    local steps = pages()
    table.remove(steps, 1)
    code, out, _, t = main({ "list-user-pools", "--starting-token", v.NextToken }, steps)
    assert.equal(0, code)
    v = decode(out)
    assert.same({ "a_4", "a_5" }, { v.UserPools[1].Id, v.UserPools[2].Id })
    assert.is_nil(v.NextToken)
    assert.equal("t1", decode(t.requests[1].body).NextToken)
    -- on a page boundary the token is the service's, with no truncation
    code, out = main({ "list-user-pools", "--page-size", "2", "--max-items", "2" }, pages())
    assert.equal(0, code)
    assert.equal('{"NextToken": "t1"}', paginate.base64_decode(decode(out).NextToken))
    -- cut inside the first page: the token of the first page is null
    code, out = main({ "list-user-pools", "--page-size", "2", "--max-items", "1" }, pages())
    assert.equal(0, code)
    assert.equal('{"NextToken": null, "boto_truncate_amount": 1}', paginate.base64_decode(decode(out).NextToken))
    -- text output prints the token on its own line, as the AWS CLI does for paginated results
    code, out = main({ "list-user-pools", "--page-size", "2", "--max-items", "1", "--output", "text" }, pages())
    assert.equal(0, code)
    assert.matches("\nNEXTTOKEN\t[%w+/=]+\n$", out)
  end)

  it("refuses bad --starting-token, --page-size and --max-items values (252, nothing sent)", function()
    local paginate = require "cognito_mfa.cli.paginate"
    for _, case in ipairs {
      { { "--starting-token", "not base64!" }, "argument --starting-token: not a pagination token" },
      { { "--starting-token", paginate.base64_encode("[1]") }, "does not hold a JSON object" },
      { { "--starting-token", paginate.base64_encode('{"Marker": "x"}') }, "unexpected key 'Marker'" },
      { { "--starting-token", paginate.base64_encode('{"NextToken": 5}') }, "must be a string or null" },
      { { "--starting-token", paginate.base64_encode('{"NextToken": "x", "boto_truncate_amount": -1}') },
        "boto_truncate_amount in the token must be an integer >= 0" },
      { { "--page-size", "0" }, "argument --page-size: expected an integer >= 1" },
      { { "--page-size", "61" }, "argument --page-size: must be at most 60" },
      { { "--max-items", "two" }, "argument --max-items: expected an integer >= 1" },
    } do
      local args = { "list-user-pools" }
      for _, a in ipairs(case[1]) do args[#args + 1] = a end
      local code, out, err, t = main(args, { fake.response(200, {}) })
      assert.equal(252, code, table.concat(args, " "))
      assert.equal("", out)
      assert.matches(case[2], err, 1, true)
      assert.equal(0, #t.requests)
    end
  end)

  it("encodes and decodes base64 and tokens exactly", function()
    local paginate = require "cognito_mfa.cli.paginate"
    for _, s in ipairs { "", "f", "fo", "foo", "foob", "fooba", "foobar", "\0\255\128" } do
      assert.equal(s, paginate.base64_decode(paginate.base64_encode(s)))
    end
    assert.equal("Zm9vYmFy", paginate.base64_encode("foobar"))
    assert.equal("Zm8=", paginate.base64_encode("fo"))
    assert.is_nil(paginate.base64_decode("Zm8"))
    assert.is_nil(paginate.base64_decode("Z=8="))
    assert.equal('{"NextToken": "a\\"b\\u00e9\\ud83d\\ude00", "boto_truncate_amount": 2}',
      paginate.base64_decode(paginate.encode_token('a"b\195\169\240\159\152\128', 2)))
    local t = assert(paginate.decode_token(paginate.encode_token("abc", 4)))
    assert.same({ token = "abc", truncate = 4 }, t)
    t = assert(paginate.decode_token(paginate.encode_token(nil)))
    assert.same({ truncate = 0 }, t)
  end)

  it("stops when the same NextToken comes back twice (255)", function()
    local same = fake.response(200, { UserPools = setmetatable({}, cognito_mfa.array_mt), NextToken = "same" })
    local code, _, err = main({ "list-user-pools" }, { same, same })
    assert.equal(255, code)
    assert.matches("same next token", err, 1, true)
  end)

  it("maps error kinds to the AWS CLI's exit codes", function()
    assert.equal(252, cli.exit_code { kind = "validation" })
    assert.equal(252, cli.exit_code { kind = "usage" })
    assert.equal(253, cli.exit_code { kind = "credentials" })
    assert.equal(254, cli.exit_code { kind = "service" })
    assert.equal(255, cli.exit_code { kind = "transport" })
    assert.equal(255, cli.exit_code { kind = "internal" })
    assert.equal(130, cli.exit_code { kind = "transport", message = "transport function raised: interrupted!" })
    assert.equal(130, cli.exit_code("interrupted!"))
    local code, _, err = main({ "get-user-pool-mfa-config", "--user-pool-id", POOL },
      { fake.aws_error(400, "NotAuthorizedException", "nope", "rid-1") })
    assert.equal(254, code)
    assert.equal("An error occurred (NotAuthorizedException) when calling the GetUserPoolMfaConfig operation: "
      .. "nope (request id rid-1)\n", err)
  end)

  it("exits 130 when the call is interrupted", function()
    local code, _, err = main({ "get-user-pool-mfa-config", "--user-pool-id", POOL },
      { function() error("interrupted!") end })
    assert.equal(130, code)
    assert.matches("interrupted", err)
    code = main({ "get-user-pool-mfa-config", "--user-pool-id", POOL }, nil, {
      stdout = function() error("interrupted!", 0) end,
    })
    assert.equal(130, code)
  end)

  it("prints skeletons without creating a client or sending anything", function()
    local code, out, _, t = main({ "set-user-pool-mfa-config", "--generate-cli-skeleton" })
    assert.equal(0, code)
    local v = decode(out)
    assert.equal("OFF", v.MfaConfiguration)
    assert.equal(0, #t.requests)
    assert.matches('^{\n    "UserPoolId": "",\n', out)
  end)

  it("validates before sending (252, nothing sent)", function()
    local code, _, err, t = main({ "set-user-pool-mfa-config", "--user-pool-id", "x", "--mfa-configuration", "on" })
    assert.equal(252, code)
    assert.equal(0, #t.requests)
    assert.matches("MfaConfiguration (--mfa-configuration): must be one of", err, 1, true)
  end)

  it("lets other commands register in the command table", function()
    assert.has_error(function() cli.register("Bad Name", { run = function() end }) end)
    assert.has_error(function() cli.register("repl", { run = function() end }) end)
    cli.register("audit-test", {
      summary = "A test command.",
      options = {
        { name = "--policy", key = "policy", arg = "VALUE" },
        { name = "--strict", key = "strict", flag = true },
      },
      run = function(ctx, opts, positionals)
        local client = assert(ctx:client())
        local out, err = client:get_user_pool_mfa_config { UserPoolId = positionals[1] }
        if not out then
          return ctx:report(err, "GetUserPoolMfaConfig")
        end
        out.Policy, out.Strict = opts.policy, opts.strict
        return ctx:emit(out, nil, "AuditTest")
      end,
    })
    local code, out = main({ "audit-test", "--policy", "p1", "--strict", POOL, "--output", "text" },
      { fake.response(200, { MfaConfiguration = "ON" }) })
    assert.equal(0, code)
    assert.equal("ON\tp1\tTrue\n", out)
    local _, help = main({ "help" })
    assert.matches("audit-test", help, 1, true)
    local c2, _, err = main({ "audit-test", "--nope" })
    assert.equal(252, c2)
    assert.matches("Unknown options: --nope", err, 1, true)
  end)

  it("runs a repl over the given stdin", function()
    local lines = { "client ~= nil", "=1 +", "1", "x = ", "nil" }
    local i = 0
    local stdin = { read = function() i = i + 1 return lines[i] end }
    local code, out, err = main({ "repl" }, nil, { stdin = stdin, interactive = false })
    assert.equal(0, code)
    assert.equal("true\n2\n", out)
    assert.equal("", err)
  end)

  it("raises on misuse of main itself", function()
    assert.has_error(function() cli.main("get") end)
    assert.has_error(function() cli.main({}, "env") end)
  end)
end)
