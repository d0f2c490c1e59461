#!/usr/bin/env lua5.4
--- Harden the MFA settings of every user pool in a region.
--
-- Reads each pool's MFA configuration, shows what the baseline policy finds, changes the
-- failing pools safely (the whole configuration is read, changed and sent back, so no
-- factor is switched off by accident), prints each diff, and shows the result.
--
--   lua5.4 examples/harden.lua [--endpoint-url URL] [--region REGION] [--profile NAME]
--                              [--dry-run] [--allow-optional] [--policy FILE]
--
-- Against real AWS: give a region and credentials the usual way (AWS_PROFILE, environment,
-- ~/.aws), no --endpoint-url, and start with --dry-run.

local cognito_mfa = require "cognito_mfa"
local policy = require "cognito_mfa.policy"
local cli_workflow = require "cognito_mfa.cli.workflow"

local function usage(msg)
  io.stderr:write("harden.lua: ", msg, "\n",
    "usage: harden.lua [--endpoint-url URL] [--region R] [--profile P] [--dry-run] ",
    "[--allow-optional] [--policy FILE]\n")
  os.exit(2)
end

local opts, i = {}, 1
while arg[i] do
  local a = arg[i]
  if a == "--dry-run" or a == "--allow-optional" then
    opts[a:sub(3):gsub("%-", "_")] = true
    i = i + 1
  elseif a == "--endpoint-url" or a == "--region" or a == "--profile" or a == "--policy" then
    if not arg[i + 1] then usage(a .. " needs a value") end
    opts[a:sub(3):gsub("%-", "_")] = arg[i + 1]
    i = i + 2
  else
    usage("unknown argument " .. a)
  end
end

local client, err = cognito_mfa.client {
  endpoint_url = opts.endpoint_url, region = opts.region, profile = opts.profile,
}
if not client then
  io.stderr:write("cannot create a client: ", tostring(err), "\n")
  os.exit(1)
end

local rules = policy.baseline { allow_optional = opts.allow_optional }
if opts.policy then
  local loaded, perr = policy.load(opts.policy)
  if not loaded then
    io.stderr:write("cannot load ", opts.policy, ": ", tostring(perr), "\n")
    os.exit(2)
  end
  rules = loaded
end

local function summary(config)
  local f = require("cognito_mfa.workflow").factors(config)
  local on = {}
  for _, name in ipairs { "sms", "totp", "email", "webauthn" } do
    if f[name] then on[#on + 1] = name end
  end
  return string.format("MFA %-8s factors: %s", tostring(config.MfaConfiguration or "OFF"),
    #on > 0 and table.concat(on, ", ") or "none")
end

local function audit(title)
  local report, aerr = client:audit { rules = rules, concurrency = 8 }
  if not report then
    io.stderr:write("audit failed: ", tostring(aerr), "\n")
    os.exit(1)
  end
  print(("== %s: %d pools in %s"):format(title, #report.pools, client:endpoint()))
  for _, p in ipairs(report.pools) do
    if p.error then
      print(("  %-44s %-14s could not be read: %s"):format(p.id, p.name or "-", p.error.message))
    else
      print(("  %-44s %-14s %s  %s"):format(p.id, p.name or "-", p.passed and "PASS" or "FAIL",
        summary(p.config)))
      for _, f in ipairs(p.findings) do
        print(("      - [%s] %s: %s"):format(f.severity, f.id, f.message))
      end
    end
  end
  return report
end

local before = audit("Before")
print()
print(opts.dry_run and "== Changes (dry run: nothing is sent)" or "== Changes")
local outcomes = require("cognito_mfa.audit").fix(client, before, { dry_run = opts.dry_run })
if #outcomes == 0 then
  print("  nothing to change")
end
for _, o in ipairs(outcomes) do
  if o.result then
    print("  " .. o.id .. ":")
    for _, line in ipairs(cli_workflow.diff_lines(o.result.changes, "      ")) do print(line) end
    if o.result.unchanged then
      print("      already as wanted: nothing sent")
    elseif o.result.applied then
      print(o.result.verified and "      applied, read back and verified"
        or "      applied; the read-back differs (see above)")
    end
  else
    print(("  %s: not changed: %s"):format(o.id, tostring(o.error and o.error.message)))
  end
end
print()
if not opts.dry_run then
  local after = audit("After")
  os.exit(after.passed and 0 or 3)
end
os.exit(before.passed and 0 or 3)
