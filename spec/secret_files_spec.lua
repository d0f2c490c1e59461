-- Secrets at rest on disk: cognito-mfa writes no file at all (no cache, no history, no
-- temporary file), so no file can hold the secret key, session token or SSO tokens. Every
-- command below runs with a fresh HOME and TMPDIR, credentials in HOME/.aws/credentials; both
-- folders hold exactly the same files, with the same modes and contents, afterwards.
local helpers = require "spec.helpers"
local run = require "spec.support.cli_run"

local quote = helpers.shell_quote

local function listing(dir)
  local h = assert(io.popen("cd " .. quote(dir) .. " && find . -printf '%p %m %s\\n' | sort"))
  local text = h:read("*a")
  h:close()
  return text
end

describe("files written by cognito-mfa", function()
  local peer, client, home, pool

  setup(function()
    peer = helpers.start_peer("moto")
    client = helpers.client(peer)
    home = run.tempdir()
    pool = helpers.create_pool(client, "files")
    os.execute("mkdir -p " .. quote(home .. "/.aws") .. " " .. quote(home .. "/tmp"))
    run.write(home .. "/.aws/credentials", "[default]\naws_access_key_id = " .. run.ACCESS_KEY
      .. "\naws_secret_access_key = " .. run.SECRET_KEY .. "\naws_session_token = "
      .. run.SESSION_TOKEN .. "\n")
    os.execute("chmod 600 " .. quote(home .. "/.aws/credentials"))
    run.write(home .. "/desired.json", '{"*": {"MfaConfiguration": "OFF"}}')
  end)

  teardown(function()
    if client then client:close() end
    if peer then peer.stop() end
    run.cleanup(home)
  end)

  it("none: HOME and TMPDIR are unchanged after get, set, modify, audit, plan (also with --debug)", function()
    local before = listing(home)
    assert.truthy(before:find("./.aws/credentials 600", 1, true), before)
    local env = { TMPDIR = home .. "/tmp", AWS_ACCESS_KEY_ID = false, AWS_SECRET_ACCESS_KEY = false,
                  AWS_SESSION_TOKEN = false }
    for _, args in ipairs {
      { "get-user-pool-mfa-config", "--user-pool-id", pool, "--debug" },
      { "set-user-pool-mfa-config", "--user-pool-id", pool, "--mfa-configuration", "OFF" },
      { "modify", "--user-pool-id", pool, "--software-token-mfa-configuration", "Enabled=true",
        "--dry-run" },
      { "audit", "--user-pool-id", pool, "--output", "junit" },
      { "plan", "--desired", home .. "/desired.json", "--debug" },
    } do
      local full = { "--endpoint-url", peer.endpoint }
      for _, a in ipairs(args) do full[#full + 1] = a end
      local r = run.run(full, { home = home, env = env })
      assert.is_true(r.code == 0 or r.code == 2 or r.code == 3, args[1] .. ": " .. r.stderr)
      -- cli_run keeps stdin/stdout/stderr/code of the child in HOME: drop them from the listing
      for _, f in ipairs { "stdin", "stdout", "stderr", "code" } do os.remove(home .. "/" .. f) end
      assert.equal(before, listing(home), args[1])
    end
  end)
end)
