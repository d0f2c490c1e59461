-- MFA configuration sections for the integration specs, and the proof for the sections the
-- emulators ignore (EmailMfaConfiguration, WebAuthnConfiguration with FactorConfiguration,
-- SmsConfiguration.EumsSms): the scripted fault server records the request, so the spec can
-- check they are sent exactly, and echoes them back as AWS would, so it can check they decode
-- back equal.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local assert = require "luassert"

local sections = {}

sections.SMS = {
  SmsAuthenticationMessage = "Your code is {####}",
  SmsConfiguration = {
    SnsCallerArn = "arn:aws:iam::123456789012:role/service-role/test-SMS-Role",
    ExternalId = "a1b2c3d4-5678-90ab-cdef-EXAMPLE11111",
    SnsRegion = "us-east-1",
  },
}

sections.EUMS_SMS = {
  CallerArn = "arn:aws:iam::123456789012:role/eums-sms",
  ExternalId = "eums-external-id",
  OriginationIdentity = "+12065550100",
  ConfigurationSetName = "mfa-codes",
  InEntityId = "1101234567890123456",
  InTemplateId = "1107123456789012345",
  Region = "ap-south-1",
}

sections.EMAIL = { Message = "Your sign-in code is {####}", Subject = "Your sign-in code" }

sections.WEBAUTHN = {
  RelyingPartyId = "auth.example.com",
  UserVerification = "required",
  FactorConfiguration = "MULTI_FACTOR_WITH_USER_VERIFICATION",
}

local function copy(v)
  if type(v) ~= "table" then
    return v
  end
  local t = {}
  for k, x in pairs(v) do
    t[k] = copy(x)
  end
  return t
end
sections.copy = copy

--- Every section the API has, including those the emulators ignore.
function sections.everything(pool_id)
  local sms = copy(sections.SMS)
  sms.SmsConfiguration.EumsSms = copy(sections.EUMS_SMS)
  return {
    UserPoolId = pool_id,
    MfaConfiguration = "OPTIONAL",
    SmsMfaConfiguration = sms,
    SoftwareTokenMfaConfiguration = { Enabled = false },
    EmailMfaConfiguration = copy(sections.EMAIL),
    WebAuthnConfiguration = copy(sections.WEBAUTHN),
  }
end

--- Against the fault server: the ignored sections are sent exactly as given, and a response
-- echoing them decodes back equal. Returns nothing; asserts.
function sections.prove_sent_and_echoed(fault)
  local client = helpers.client(fault, { max_attempts = 1 })
  local params = sections.everything("us-east-1_Echo1234")
  local echo = copy(params)
  echo.UserPoolId = nil
  local echo_json = cognito_mfa.encode_json(echo)
  helpers.script(fault, { { status = 200, body = echo_json }, { status = 200, body = echo_json } })

  local set_out = assert(client:set_user_pool_mfa_config(params))
  local get_out = assert(client:get_user_pool_mfa_config { UserPoolId = params.UserPoolId })
  client:close()

  local log = helpers.requests(fault)
  assert.equal(2, #log)
  assert.equal("AWSCognitoIdentityProviderService.SetUserPoolMfaConfig", log[1].headers["X-Amz-Target"])
  local sent = assert(cognito_mfa.decode_json(log[1].body))
  assert.same(params, sent)
  assert.same(sections.EMAIL, sent.EmailMfaConfiguration)
  assert.same(sections.WEBAUTHN, sent.WebAuthnConfiguration)
  assert.same(sections.EUMS_SMS, sent.SmsMfaConfiguration.SmsConfiguration.EumsSms)
  assert.truthy(log[1].body:find('"SoftwareTokenMfaConfiguration":{"Enabled":false}', 1, true), log[1].body)
  assert.truthy(log[1].body:find('"FactorConfiguration":"MULTI_FACTOR_WITH_USER_VERIFICATION"', 1, true))

  assert.same(echo, set_out)
  assert.same(echo, get_out)
  assert.is_false(get_out.SoftwareTokenMfaConfiguration.Enabled)
end

return sections
