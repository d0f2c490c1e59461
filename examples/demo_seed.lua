-- Creates demo user pools with different MFA settings on a local emulator (scripts/demo).
-- It creates pools: never point it at a real account.
local cognito_mfa = require "cognito_mfa"

local endpoint = assert(os.getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL must point at the emulator")
assert(endpoint:match("^http://127%.0%.0%.1:") or endpoint:match("^http://localhost:"),
  "demo_seed.lua only talks to a local emulator")
local client = assert(cognito_mfa.client {})

local SMS = {
  SmsAuthenticationMessage = "Your sign-in code is {####}",
  SmsConfiguration = { SnsCallerArn = "arn:aws:iam::123456789012:role/cognito-sms", ExternalId = "demo" },
}

local pools = {
  { "no-mfa", nil },
  { "sms-only", { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = SMS } },
  { "totp-required", { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } } },
  { "sms-and-totp", { MfaConfiguration = "OPTIONAL", SmsMfaConfiguration = SMS,
                      SoftwareTokenMfaConfiguration = { Enabled = true } } },
}

for _, p in ipairs(pools) do
  local created = assert(client:call("CreateUserPool", { PoolName = p[1] }))
  local id = created.UserPool.Id
  if p[2] then
    p[2].UserPoolId = id
    assert(client:set_user_pool_mfa_config(p[2]))
  end
  print(("created %-14s %s"):format(p[1], id))
end
