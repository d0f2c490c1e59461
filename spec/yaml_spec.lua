-- YAML in the core (cognito_mfa.core.to_yaml, from_yaml, yaml_skeleton): what the AWS CLI v2
-- prints with --output yaml and yaml-stream, --cli-input-yaml reading guided by the model, the
-- yaml-input skeleton; and, against a real moto server, the same bytes as /usr/bin/aws for
-- get-user-pool-mfa-config, set-user-pool-mfa-config, list-user-pools and describe-user-pool.
local cognito_mfa = require "cognito_mfa"
local core = require "cognito_mfa.core"
local output = require "cognito_mfa.output"
local helpers = require "spec.helpers"
local run = require "spec.support.cli_run"

local NULL = cognito_mfa.NULL

local function array(t)
  return setmetatable(t, core.array_mt)
end

describe("cognito_mfa.core YAML", function()
  describe("to_yaml", function()
    it("writes a response as the AWS CLI does: sorted keys, block style, quoted look-alikes", function()
      local text = assert(core.to_yaml({
        MfaConfiguration = "OFF",
        SoftwareTokenMfaConfiguration = { Enabled = true },
        SmsMfaConfiguration = {
          SmsAuthenticationMessage = "{####} is your code",
          SmsConfiguration = { ExternalId = "00123", SnsCallerArn = "arn:aws:iam::123456789012:role/sms" },
        },
      }, "GetUserPoolMfaConfigResponse"))
      assert.equal(table.concat({
        "MfaConfiguration: OFF",
        "SmsMfaConfiguration:",
        "  SmsAuthenticationMessage: '{####} is your code'",
        "  SmsConfiguration:",
        "    ExternalId: '00123'",
        "    SnsCallerArn: arn:aws:iam::123456789012:role/sms",
        "SoftwareTokenMfaConfiguration:",
        "  Enabled: true",
        "",
      }, "\n"), text)
    end)

    it("wraps one response in a list for yaml-stream", function()
      assert.equal("- MfaConfiguration: ON\n", core.to_yaml({ MfaConfiguration = "ON" }, nil, true))
      assert.equal("- OFF\n", core.to_yaml("OFF", nil, true))
    end)

    it("writes a scalar at the top as JSON, as the AWS CLI does", function()
      assert.equal('"OFF"\n', core.to_yaml("OFF"))
      assert.equal("3\n", core.to_yaml(3))
      assert.equal("true\n", core.to_yaml(true))
      assert.equal("null\n", core.to_yaml(NULL))
    end)

    it("keeps empty lists and maps as the model says, and null as null", function()
      assert.equal("LambdaConfig: {}\nReplicaRegions: []\n",
        core.to_yaml({ LambdaConfig = {}, ReplicaRegions = {} }, "UserPoolDescriptionType"))
      assert.equal("a: []\nb: {}\nc: null\n", core.to_yaml({ a = array {}, b = {}, c = NULL }))
    end)

    it("takes an operation name for its output shape", function()
      assert.equal(core.to_yaml({ UserPools = {} }, "ListUserPoolsResponse"),
        core.to_yaml({ UserPools = {} }, "ListUserPools"))
      assert.equal("UserPools: []\n", core.to_yaml({ UserPools = {} }, "ListUserPools"))
    end)

    it("returns nil and an error object for what it cannot write, and raises on misuse", function()
      local v, err = core.to_yaml({ Name = "\255\254" })
      assert.is_nil(v)
      assert.equal("usage", err.kind)
      assert.matches("Name", err.message, 1, true)
      assert.matches("UTF%-8", err.message)
      assert.matches("not valid UTF-8", tostring(err), 1, true)
      assert.has_error(function() core.to_yaml({}, "NoSuchShape") end)
      assert.has_error(function() core.to_yaml() end)
      assert.has_error(function() core.to_yaml({ f = print }) end)
    end)
  end)

  describe("from_yaml", function()
    it("reads --cli-input-yaml text typed by the operation's input shape", function()
      local v = assert(core.from_yaml(table.concat({
        "UserPoolId: us-east-1_abc  # [REQUIRED] a comment",
        "MfaConfiguration: OFF",
        "SoftwareTokenMfaConfiguration:",
        "  Enabled: true",
        "SmsMfaConfiguration:",
        "  SmsConfiguration: {ExternalId: 00123, SnsCallerArn: 'arn:aws:iam::1:role/x'}",
      }, "\n"), "SetUserPoolMfaConfig"))
      assert.same({
        UserPoolId = "us-east-1_abc",
        MfaConfiguration = "OFF",
        SoftwareTokenMfaConfiguration = { Enabled = true },
        SmsMfaConfiguration = { SmsConfiguration = { ExternalId = "00123", SnsCallerArn = "arn:aws:iam::1:role/x" } },
      }, v)
      assert.is_true(cognito_mfa.validate("SetUserPoolMfaConfig", v))
    end)

    it("keeps quoted text a string, so validation names the member", function()
      local v = assert(core.from_yaml("UserPoolId: x_y\nSoftwareTokenMfaConfiguration: {Enabled: 'true'}",
        "SetUserPoolMfaConfigRequest"))
      assert.equal("true", v.SoftwareTokenMfaConfiguration.Enabled)
      local ok, err = cognito_mfa.validate("SetUserPoolMfaConfig", v)
      assert.is_nil(ok)
      assert.equal("SoftwareTokenMfaConfiguration.Enabled", err.violations[1].path)
      v = assert(core.from_yaml("MaxResults: 10\nNextToken: 123", "ListUserPools"))
      assert.equal(10, v.MaxResults)
      assert.equal("123", v.NextToken)
    end)

    it("reads YAML's own types where the model has nothing to say", function()
      local v = assert(core.from_yaml("a: 0x10\nb: 1.5\nc: [yes, ~, true]\nd: {}\ne: []\n"))
      assert.equal(16, v.a)
      assert.equal(1.5, v.b)
      assert.equal("yes", v.c[1])
      assert.equal(NULL, v.c[2])
      assert.is_true(v.c[3])
      assert.same({}, v.d)
      assert.equal(core.array_mt, getmetatable(v.e))
    end)

    it("refuses what --cli-input-yaml must not take, naming line, column and rule", function()
      for text, message in pairs {
        ["- a\n"] = "line 1, column 1: expected a mapping, found a sequence",
        [""] = "expected a mapping, found an empty document",
        ["a: 1\n---\nb: 2\n"] = "line 2, column 1: expected one document, found a second one",
        ["a: &x 1\nb: *x\n"] = "line 1, column 4: anchors are not allowed",
        ["a:\n  b: [1\n"] = "line 3, column 1: did not find expected ',' or ']'",
        ["a: 1\na: 2\n"] = "line 2, column 1: duplicate key \"a\"",
        ["1: a\n"] = "keys must be strings",
        ["<<: {a: 1}\n"] = "merge keys (<<) are not allowed",
        ["a: !!binary eA==\n"] = "is not supported",
      } do
        local v, err = core.from_yaml(text, "SetUserPoolMfaConfig")
        assert.is_nil(v, text)
        assert.equal("usage", err.kind)
        assert.equal("CMFA_E_BAD_ARGUMENT", err.code)
        assert.matches(message, err.message, 1, true)
      end
      assert.has_error(function() core.from_yaml({}) end)
      assert.has_error(function() core.from_yaml("a: 1", "NoSuchShape") end)
    end)

    it("reads back what to_yaml writes", function()
      local value = {
        UserPool = {
          Id = "us-east-1_abc", Name = "true", EstimatedNumberOfUsers = 0,
          Policies = { PasswordPolicy = { MinimumLength = 8, RequireSymbols = false } },
          UserPoolTags = {}, AutoVerifiedAttributes = array {},
          SchemaAttributes = array { { Name = "sub", StringAttributeConstraints = { MinLength = "1" } } },
          EmailVerificationMessage = "Your code is {####}. \nThanks: 'team' #1",
          CreationDate = "2026-12-02T06:37:15.056000+00:00",
        },
      }
      for _, stream in ipairs { false, true } do
        local text = assert(core.to_yaml(value, "DescribeUserPoolResponse", stream))
        local back = assert(core.from_yaml(stream and text:gsub("^%- ", "  ") or text, "DescribeUserPoolResponse"))
        assert.same(value, back)
      end
    end)
  end)

  describe("yaml_skeleton", function()
    it("writes the yaml-input skeleton from the model", function()
      assert.equal("NextToken: ''\nMaxResults: 0  # [REQUIRED]\n", core.yaml_skeleton("ListUserPools"))
      local text = assert(core.yaml_skeleton("SetUserPoolMfaConfig"))
      assert.matches("\nMfaConfiguration: OFF  # Valid values are: OFF, ON, OPTIONAL.\n", text, 1, true)
      assert.matches("\nSoftwareTokenMfaConfiguration:\n  Enabled: true\n", text, 1, true)
      -- it reads back as input for the same operation
      assert(core.from_yaml(text, "SetUserPoolMfaConfig"))
    end)

    it("puts given documentation in the comments, optionally only for documented members", function()
      assert.equal("UserPoolId: ''  # [REQUIRED] The pool.\n",
        core.yaml_skeleton("GetUserPoolMfaConfig", { ["GetUserPoolMfaConfigRequest.UserPoolId"] = "The pool." }))
      assert.equal("MaxResults: 0  # [REQUIRED] How many.\n",
        core.yaml_skeleton("ListUserPools", { ["ListUserPoolsRequest.MaxResults"] = "How many." }, true))
      assert.has_error(function() core.yaml_skeleton("ListUserPools", { [1] = "x" }) end)
      local v, err = core.yaml_skeleton("NoSuchOperation")
      assert.is_nil(v)
      assert.equal("CMFA_E_UNKNOWN_OPERATION", err.code)
    end)
  end)
end)

-- The AWS CLI itself, against moto: the same response must print the same bytes.
describe("YAML output compared with the AWS CLI", function()
  local have = run.have_aws()
  local moto, client, home
  local pools = {}

  local function aws(args)
    local full = { "--endpoint-url", moto.endpoint, "cognito-idp" }
    for _, a in ipairs(args) do full[#full + 1] = a end
    local res = run.aws(full, { home = home })
    assert(res.code == 0, "aws " .. table.concat(args, " ") .. " failed: " .. res.stderr)
    return res.stdout
  end

  -- What our layers print: the response with timestamps as the AWS CLI formats them (ISO 8601,
  -- local time zone), written by the core.
  local function ours(value, shape, stream)
    return assert(core.to_yaml(output.timestamps(value, shape, "iso8601"), shape, stream))
  end

  local function compare(args, value, shape)
    local a = {}
    for i, x in ipairs(args) do a[i] = x end
    a[#a + 1] = "--output"
    a[#a + 1] = "yaml"
    assert.equal(aws(a), ours(value, shape, false))
    a[#a] = "yaml-stream"
    assert.equal(aws(a), ours(value, shape, true))
  end

  setup(function()
    if not have then
      return
    end
    moto = helpers.start_peer("moto")
    home = run.tempdir()
    client = helpers.client(moto)
    pools.plain = helpers.create_pool(client, "yaml plain")
    pools.rich = helpers.create_pool(client, "yaml: rich #1", {
      Policies = { PasswordPolicy = { MinimumLength = 12, RequireUppercase = true, RequireLowercase = false,
                                      RequireNumbers = true, RequireSymbols = false,
                                      TemporaryPasswordValidityDays = 3 } },
      AutoVerifiedAttributes = array { "email" },
      UsernameAttributes = array { "email" },
      MfaConfiguration = "OFF",
      SmsAuthenticationMessage = "Your code: {####}",
      EmailVerificationMessage = "Code {####} \n (valid for 'one' hour)",
      EmailVerificationSubject = "true",
      UserPoolTags = { team = "0123", ["env name"] = "yes" },
      Schema = array {
        { Name = "tier", AttributeDataType = "Number", Mutable = true,
          NumberAttributeConstraints = { MinValue = "1", MaxValue = "10" } },
      },
      AdminCreateUserConfig = { AllowAdminCreateUserOnly = true },
      DeviceConfiguration = { ChallengeRequiredOnNewDevice = false, DeviceOnlyRememberedOnUserPrompt = true },
    })
    pools.mfa = helpers.create_pool(client, "yaml mfa")
    assert(client:set_user_pool_mfa_config {
      UserPoolId = pools.mfa, MfaConfiguration = "OPTIONAL",
      SoftwareTokenMfaConfiguration = { Enabled = true },
      SmsMfaConfiguration = { SmsAuthenticationMessage = "{####} is your code",
        SmsConfiguration = { SnsCallerArn = "arn:aws:iam::123456789012:role/sms", ExternalId = "00123" } },
    })
  end)

  teardown(function()
    if moto then moto.stop() end
    run.cleanup(home)
  end)

  local function skip()
    if not have then
      print("skipped: " .. run.AWS .. " is not installed (Debian package awscli)")
      return true
    end
  end

  it("prints get-user-pool-mfa-config the same", function()
    if skip() then return end
    for _, id in ipairs { pools.plain, pools.mfa } do
      compare({ "get-user-pool-mfa-config", "--user-pool-id", id },
        assert(client:get_user_pool_mfa_config { UserPoolId = id }), "GetUserPoolMfaConfigResponse")
    end
  end)

  it("prints set-user-pool-mfa-config the same", function()
    if skip() then return end
    local params = {
      UserPoolId = pools.plain, MfaConfiguration = "ON",
      SoftwareTokenMfaConfiguration = { Enabled = true },
      SmsMfaConfiguration = { SmsAuthenticationMessage = "Code: {####}",
        SmsConfiguration = { SnsCallerArn = "arn:aws:iam::123456789012:role/s", ExternalId = "true" } },
    }
    local args = { "set-user-pool-mfa-config", "--user-pool-id", pools.plain, "--mfa-configuration", "ON",
      "--software-token-mfa-configuration", "Enabled=true",
      "--sms-mfa-configuration", 'SmsAuthenticationMessage="Code: {####}",'
        .. 'SmsConfiguration={SnsCallerArn=arn:aws:iam::123456789012:role/s,ExternalId=true}' }
    -- the same request twice gives the same answer; each side sends its own
    local mine = assert(client:set_user_pool_mfa_config(params))
    compare(args, mine, "SetUserPoolMfaConfigResponse")
  end)

  it("prints list-user-pools the same, with and without NextToken", function()
    if skip() then return end
    local all = assert(client:list_user_pools { MaxResults = 60 })
    assert.is_nil(all.NextToken)
    compare({ "list-user-pools", "--max-results", "60" }, all, "ListUserPoolsResponse")
    local page = assert(client:list_user_pools { MaxResults = 2 })
    assert.is_string(page.NextToken)
    compare({ "list-user-pools", "--max-results", "2" }, page, "ListUserPoolsResponse")
    local second = assert(client:list_user_pools { MaxResults = 2, NextToken = page.NextToken })
    compare({ "list-user-pools", "--max-results", "2", "--next-token", page.NextToken }, second,
      "ListUserPoolsResponse")
  end)

  it("prints describe-user-pool the same: nested shapes, timestamps, empty maps and lists", function()
    if skip() then return end
    for _, id in pairs(pools) do
      compare({ "describe-user-pool", "--user-pool-id", id },
        assert(client:describe_user_pool { UserPoolId = id }), "DescribeUserPoolResponse")
    end
  end)

  it("writes the yaml-input skeleton the AWS CLI writes, given the CLI's model documentation", function()
    if skip() then return end
    local f = assert(io.open(run.AWS, "r"))
    local python = f:read("*l"):match("^#!%s*(%S+)")
    f:close()
    local ops = {
      ["get-user-pool-mfa-config"] = "GetUserPoolMfaConfig",
      ["set-user-pool-mfa-config"] = "SetUserPoolMfaConfig",
      ["list-user-pools"] = "ListUserPools",
      ["describe-user-pool"] = "DescribeUserPool",
    }
    local names = {}
    for _, op in pairs(ops) do names[#names + 1] = op end
    local h = assert(io.popen(helpers.CLEAN_ENV .. helpers.shell_quote(python)
      .. " spec/support/aws_cli_docs.py " .. table.concat(names, " ")))
    local docs = assert(cognito_mfa.decode_json(h:read("*a")))
    h:close()
    for command, op in pairs(ops) do
      local theirs = aws { command, "--generate-cli-skeleton", "yaml-input" }
      -- one fact differs between the CLI's older model and ours: SnsCallerArn was required then
      theirs = theirs:gsub("(SnsCallerArn: ''  # )%[REQUIRED%] ", "%1")
      -- documented_only: members added to the service after that model are left out
      assert.equal(theirs, assert(core.yaml_skeleton(op, docs, true)), command)
    end
  end)
end)
