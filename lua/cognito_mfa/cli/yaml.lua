--- YAML for the cognito-mfa tool (--output yaml and yaml-stream, --cli-input-yaml,
-- --generate-cli-skeleton yaml-input), through the core's libyaml support.
-- @module cognito_mfa.cli.yaml

local core = require "cognito_mfa.core"

local rawget = rawget

local _M = {}

local function need(name)
  local f = rawget(core, name)
  if not f then
    return nil, "YAML is not available: this build of cognito_mfa.core has no " .. name
  end
  return f
end

--- Renders a value as YAML text; nil, message when YAML is not available.
function _M.render(_, fmt, value, shape)
  local to_yaml, err = need("to_yaml")
  if not to_yaml then
    return nil, err
  end
  return to_yaml(value, shape, fmt == "yaml-stream")
end

return _M
