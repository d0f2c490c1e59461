-- Audit reports: every format from one fixed report (JSON with its schema, JSON Lines, CSV
-- read back by Python's csv module, JUnit parsed by Python's XML parser, a self-contained HTML
-- page), the progress line, streaming from audit.run on moto, and the HTML page in a real
-- headless browser (Debian's chromium): sorted and filtered from the URL fragment, no console
-- errors, a screenshot kept in the build folder.
local cognito_mfa = require "cognito_mfa"
local helpers = require "spec.helpers"
local policy = require "cognito_mfa.policy"
local report = require "cognito_mfa.report"

local NULL = cognito_mfa.NULL
local EVIL = "<script>alert(1)</script>"
local ODD = 'a, "quoted"\nname'

local function tmpdir()
  local base = os.getenv("CMFA_BUILD_DIR") or "./build"
  local dir = base .. "/report_spec"
  os.execute(helpers.CLEAN_ENV .. "mkdir -p " .. helpers.shell_quote(dir))
  return dir
end

local function write_file(path, text)
  local f = assert(io.open(path, "wb"))
  f:write(text)
  f:close()
  return path
end

-- Runs a command without the ASan runtime the sanitizer build preloads into specs.
local function read_cmd(cmd)
  local h = assert(io.popen(helpers.CLEAN_ENV .. cmd))
  local out = h:read("*a")
  h:close()
  return out
end

-- A fixed report, as audit.run returns it: four pools (pass, fail with a name from outside,
-- fail with an awkward name, unreadable) over the baseline's rules.
local function fixed_report()
  local rules = policy.baseline()
  local off = { MfaConfiguration = "OFF" }
  local good = { MfaConfiguration = "ON", SoftwareTokenMfaConfiguration = { Enabled = true } }
  local function entry(id, name, config, extra)
    local findings, results = policy.evaluate(config, rules, { id = id, name = name })
    local e = { id = id, name = name, config = config, findings = findings, results = results,
                passed = #findings == 0, region = "eu-west-1", account_id = "123456789012",
                tier = "ESSENTIALS", errors = {} }
    for k, v in pairs(extra or {}) do e[k] = v end
    return e
  end
  local err = cognito_mfa.error { kind = "service", code = "ResourceNotFoundException",
                                  message = 'pool "x" <gone> & done' }
  err.operation = "GetUserPoolMfaConfig"
  local pools = {
    entry("eu-west-1_Good", "prod-good", good),
    entry("eu-west-1_Evil", EVIL, off),
    entry("eu-west-1_Odd", ODD, off),
    { id = "eu-west-1_Gone", passed = false, findings = {}, error = err, errors = { err },
      region = "us-east-1" },
  }
  pools[3].account_id, pools[3].tier = nil, nil     -- not known: DescribeUserPool not read
  return { pools = pools, rules = rules, passed = false, failed_count = 2, error_count = 1 }
end

describe("report", function()
  local r

  before_each(function()
    r = fixed_report()
  end)

  describe("record", function()
    it("gives each pool account, region, id, name, tier, status, findings and errors", function()
      local rec = report.record(r.pools[2])
      assert.same({ "123456789012", "eu-west-1", "eu-west-1_Evil", EVIL, "ESSENTIALS", "fail" },
        { rec.account_id, rec.region, rec.pool_id, rec.name, rec.tier, rec.status })
      assert.is_true(#rec.findings >= 3)
      local f = rec.findings[1]
      assert.equal("mfa-on", f.rule)
      assert.equal("high", f.severity)
      assert.equal("MFA is ON", f.reason)
      assert.matches("MfaConfiguration to ON", f.fix)
      local gone = report.record(r.pools[4])
      assert.equal("error", gone.status)
      assert.same({ operation = "GetUserPoolMfaConfig", code = "ResourceNotFoundException",
                    kind = "service", message = 'pool "x" <gone> & done' }, gone.errors[1])
      assert.equal("pass", report.record(r.pools[1]).status)
    end)

    it("refuses what is not a pool entry", function()
      assert.has_error(function() report.record("x") end)
    end)
  end)

  describe("totals", function()
    it("counts pools and findings by account, region, rule and severity", function()
      local t = report.totals(r)
      assert.same({ 4, 1, 2, 1 }, { t.pools, t.passed, t.failed, t.errors })
      assert.equal(2, t.by_account["123456789012"].pools)
      assert.equal(2, t.by_account["(unknown)"].pools)
      assert.equal(3, t.by_region["eu-west-1"].pools)
      assert.equal(1, t.by_region["us-east-1"].errors)
      assert.equal(2, t.by_rule["mfa-on"].pools)
      local n = 0
      for _, v in pairs(t.by_severity) do n = n + v.findings end
      assert.equal(t.findings, n)
    end)
  end)

  describe("json", function()
    it("round-trips with the schema's fields", function()
      local doc = assert(cognito_mfa.decode_json(report.json(r, { generated_at = 0 })))
      assert.equal("cognito-mfa/audit-report", doc.schema)
      assert.equal(1, doc.version)
      assert.equal("1970-01-01T00:00:00Z", doc.generated_at)
      assert.is_false(doc.passed)
      assert.equal(4, doc.totals.pools)
      assert.same({ pools = 2, findings = 2 }, doc.totals.by_rule["mfa-on"])
      assert.same({ pools = 2, passed = 1, failed = 1, errors = 0, findings = 3 },
        doc.totals.by_account["123456789012"])
      assert.equal(6, #doc.rules)
      assert.equal(4, #doc.pools)
      local evil = doc.pools[2]
      assert.equal(EVIL, evil.name)
      assert.equal("123456789012", evil.account_id)
      assert.equal("mfa-on", evil.findings[1].rule)
      assert.is_string(evil.findings[1].reason)
      assert.is_string(evil.findings[1].fix)
      assert.equal(NULL, doc.pools[3].account_id)     -- unknown values are null, not missing
      assert.equal(NULL, doc.pools[3].tier)
      assert.equal("ResourceNotFoundException", doc.pools[4].errors[1].code)
      assert.equal(0, #doc.pools[1].findings)
      assert.equal(cognito_mfa.array_mt, getmetatable(doc.pools[1].findings))
    end)

    it("prints compact JSON when asked", function()
      local text = report.json(r, { compact = true })
      assert.is_nil(text:sub(1, -2):find("\n", 1, true))
    end)
  end)

  describe("jsonl", function()
    it("writes one JSON object per line, one line per pool, as the writer is called", function()
      local lines = {}
      local write = report.jsonl_writer(function(s) lines[#lines + 1] = s end)
      for i, e in ipairs(r.pools) do
        write(e)
        assert.equal(i, #lines)                 -- written at once, not at the end
      end
      for i, line in ipairs(lines) do
        assert.equal("\n", line:sub(-1))
        assert.is_nil(line:sub(1, -2):find("\n", 1, true))
        local rec = assert(cognito_mfa.decode_json(line))
        assert.equal("cognito-mfa/audit-pool", rec.schema)
        assert.equal(1, rec.version)
        assert.equal(r.pools[i].id, rec.pool_id)
      end
      assert.equal(ODD, cognito_mfa.decode_json(lines[3]).name)
      assert.equal(table.concat(lines), report.jsonl(r))
    end)

    it("raises when write is not a function", function()
      assert.has_error(function() report.jsonl_writer("x") end)
    end)
  end)

  describe("csv", function()
    it("quotes commas, quotes and newlines (RFC 4180) and reads back with a CSV parser", function()
      assert.equal('"a, ""quoted""\nname"', report.csv_field(ODD))
      assert.equal("plain", report.csv_field("plain"))
      assert.equal("", report.csv_field(nil))
      local text = report.csv(r)
      assert.equal("\r\n", text:sub(-2))
      local path = write_file(tmpdir() .. "/report.csv", text)
      local out = read_cmd("python3 -c " .. helpers.shell_quote(
        "import csv, json, sys\n"
        .. "rows = list(csv.DictReader(open(sys.argv[1], newline='')))\n"
        .. "print(json.dumps(rows))") .. " " .. helpers.shell_quote(path))
      local rows = assert(cognito_mfa.decode_json(out))
      local findings = 0
      for _, p in ipairs(r.pools) do findings = findings + #p.findings end
      -- one row per finding, one for the passing pool, one for the error
      assert.equal(findings + 2, #rows)
      local odd
      for _, row in ipairs(rows) do
        if row.pool_id == "eu-west-1_Odd" then odd = row end
      end
      assert.equal(ODD, odd.pool_name)
      assert.equal("", odd.account_id)
      assert.equal("fail", odd.status)
      assert.equal(rows[1].pool_id, "eu-west-1_Good")
      assert.equal("pass", rows[1].status)
      assert.equal("", rows[1].rule)
      assert.equal("ResourceNotFoundException", rows[#rows].error_code)
    end)
  end)

  describe("junit", function()
    it("is well-formed XML with escaped values", function()
      local text = report.junit(r)
      local path = write_file(tmpdir() .. "/junit.xml", text)
      local out = read_cmd("python3 -c " .. helpers.shell_quote(
        "import sys, xml.dom.minidom as m; d = m.parse(sys.argv[1]); s = d.documentElement; "
        .. "e = d.getElementsByTagName('error')[0]; "
        .. "print(s.getAttribute('tests'), s.getAttribute('failures'), s.getAttribute('errors'), "
        .. "e.getAttribute('message'))") .. " " .. helpers.shell_quote(path))
      -- 6 rules for each of 3 readable pools, 1 for the unreadable one
      local tests, failures, errors, message = out:match("^(%d+) (%d+) (%d+) (.-)\n$")
      assert.equal("19", tests)
      assert.equal(tostring(#r.pools[2].findings + #r.pools[3].findings), failures)
      assert.equal("1", errors)
      assert.equal('pool "x" <gone> & done', message)
    end)
  end)

  describe("text", function()
    it("is the table the CLI prints, with a summary line", function()
      local text = report.text(r)
      assert.matches("USER POOL%s+NAME%s+RESULT%s+FINDINGS", text)
      assert.matches("eu%-west%-1_Gone%s+%-%s+ERROR%s+ResourceNotFoundException", text)
      -- control characters from outside (a newline in a name, escape sequences) are not
      -- written to a terminal
      assert.matches("eu%-west%-1_Odd%s+a, \"quoted\"%?name%s+FAIL", text)
      assert.is_nil(report.text({ pools = { { id = "x", name = "a\27[31mred", passed = true,
                                               findings = {} } } }):find("\27", 1, true))
      assert.matches("4 pools: 1 passed, 2 failed, 1 could not be read", text, 1, true)
    end)
  end)

  describe("html", function()
    local html

    before_each(function()
      html = report.html(r, { generated_at = 0 })
    end)

    it("escapes every value from outside (a pool named <script>)", function()
      assert.is_nil(html:find(EVIL, 1, true))
      assert.is_truthy(html:find("&lt;script&gt;alert(1)&lt;/script&gt;", 1, true))
      assert.is_truthy(html:find("pool &quot;x&quot; &lt;gone&gt; &amp; done", 1, true))
      -- exactly one script element: the page's own
      local n = 0
      for _ in html:gmatch("<script") do n = n + 1 end
      assert.equal(1, n)
    end)

    it("needs nothing from outside (no URL in src or href, no stylesheet link, a CSP)", function()
      for attr, value in html:gmatch("(%a+)%s*=%s*\"([^\"]*)\"") do
        if attr == "src" or attr == "href" then
          assert.is_nil(value:find("http", 1, true), attr .. "=" .. value)
          assert.is_nil(value:find("//", 1, true), attr .. "=" .. value)
        end
      end
      assert.is_nil(html:find("<link", 1, true))
      assert.is_nil(html:find("@import", 1, true))
      assert.is_nil(html:find("url(", 1, true))
      assert.is_truthy(html:find("Content-Security-Policy", 1, true))
      assert.is_truthy(html:find("default-src 'none'", 1, true))
    end)

    it("has totals by account, region, rule and severity, a chart, and each finding's reason and fix", function()
      for _, caption in ipairs { "by account", "by region", "by rule", "by severity" } do
        assert.is_truthy(html:find("<caption>" .. caption .. "</caption>", 1, true), caption)
      end
      assert.is_truthy(html:find("<svg", 1, true))
      assert.is_truthy(html:find("<rect", 1, true))
      assert.is_truthy(html:find("reason:</span> MFA is ON", 1, true))
      assert.is_truthy(html:find("fix:</span> set MfaConfiguration to ON", 1, true))
      assert.is_truthy(html:find('id="filter"', 1, true))
      assert.is_truthy(html:find('<select id="rule">', 1, true))
      assert.is_truthy(html:find('<select id="severity">', 1, true))
    end)
  end)

  describe("progress", function()
    it("writes done / total, rate and ETA when enabled", function()
      local out, now = {}, 100
      local p = report.progress(function(s) out[#out + 1] = s end, 10,
        { clock = function() return now end })
      now = 102
      p.update(5)
      assert.matches("audited 5 of 10 pools, 2.5 pools/s, ETA 2s", out[#out], 1, true)
      now = 104
      p.update(10)
      assert.matches("audited 10 of 10 pools, 2.5 pools/s", out[#out], 1, true)
      assert.is_nil(out[#out]:find("ETA", 1, true))
      p.finish()
      assert.equal("\n", out[#out])
    end)

    it("writes nothing when not a terminal", function()
      local out = {}
      local p = report.progress(function(s) out[#out + 1] = s end, 3, { enabled = false })
      p.update(1)
      p.update(3)
      p.finish()
      assert.equal(0, #out)
    end)
  end)
end)

describe("report in a headless browser", function()
  local chromium = read_cmd("sh -c 'command -v chromium' 2>/dev/null"):gsub("%s+$", "")

  -- Opens the page in chromium; returns the dumped DOM and chromium's log.
  local function open(path, fragment, extra)
    local dir = tmpdir()
    local profile = read_cmd("mktemp -d " .. helpers.shell_quote(dir .. "/chromium.XXXXXX")):gsub("%s+$", "")
    local log = dir .. "/chromium.log"
    local cmd = table.concat({
      "timeout 120", helpers.shell_quote(chromium), "--headless", "--no-sandbox", "--disable-gpu",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      "--no-first-run", "--user-data-dir=" .. helpers.shell_quote(profile),
      "--enable-logging=stderr", "--v=0", extra or "--dump-dom",
      helpers.shell_quote("file://" .. path .. (fragment or "")),
      "2>" .. helpers.shell_quote(log),
    }, " ")
    local dom = read_cmd(cmd)
    local f = assert(io.open(log, "rb"))
    local errs = f:read("*a")
    f:close()
    os.execute(helpers.CLEAN_ENV .. "rm -rf " .. helpers.shell_quote(profile))
    return dom, errs
  end

  local function absolute(path)
    return read_cmd("realpath " .. helpers.shell_quote(path)):gsub("%s+$", "")
  end

  -- The pools table's rows in the dumped DOM: { name, hidden } in document order.
  local function rows(dom)
    local body = assert(dom:match('<table id="pools">.-<tbody>(.-)</tbody>'), "no pools table")
    local out = {}
    for attrs, cells in body:gmatch("<tr([^>]*)>(.-)</tr>") do
      local tds = {}
      for td in cells:gmatch("<td[^>]*>(.-)</td>") do tds[#tds + 1] = td end
      out[#out + 1] = { name = tds[4], hidden = attrs:find("hidden", 1, true) ~= nil }
    end
    return out
  end

  local function many_pools()
    local r = fixed_report()
    -- more pools, named so that a sort is visible
    for i, name in ipairs { "prod-b", "dev-a", "prod-a", "staging-c" } do
      local e = {}
      for k, v in pairs(r.pools[2]) do e[k] = v end
      e.id, e.name = "eu-west-1_P" .. i, name
      r.pools[#r.pools + 1] = e
    end
    return r
  end

  it("finds chromium (apt-get install chromium; scripts/setup does)", function()
    assert.is_true(chromium ~= "", "chromium is not installed")
  end)

  it("sorts and filters from the URL fragment, with no console errors", function()
    assert.is_true(chromium ~= "", "chromium is not installed")
    local path = absolute(write_file(tmpdir() .. "/report.html", report.html(many_pools())))
    local dom, log = open(path, "#sort=name&dir=desc&filter=prod")
    assert.is_truthy(dom:find('data-ready="1"', 1, true), "the page's script did not finish")
    local visible, hidden = {}, 0
    for _, row in ipairs(rows(dom)) do
      if row.hidden then hidden = hidden + 1 else visible[#visible + 1] = row.name end
    end
    assert.same({ "prod-good", "prod-b", "prod-a" }, visible)
    assert.equal(5, hidden)
    assert.matches('<b id="shown">3</b>', dom, 1, true)
    assert.matches('data-key="name" aria-sort="descending"', dom, 1, true)
    assert.is_nil(log:find("CONSOLE", 1, true), log)
    assert.is_nil(log:find("Uncaught", 1, true), log)
    -- the name from outside stays text in the browser too
    assert.is_truthy(dom:find("&lt;script&gt;alert(1)&lt;/script&gt;", 1, true))
  end)

  it("filters by rule and severity from the fragment, and sorts numbers as numbers", function()
    assert.is_true(chromium ~= "", "chromium is not installed")
    local path = absolute(write_file(tmpdir() .. "/report.html", report.html(many_pools())))
    local dom, log = open(path, "#sort=findings&dir=asc&rule=mfa-on&severity=high")
    local visible = {}
    for _, row in ipairs(rows(dom)) do
      if not row.hidden then visible[#visible + 1] = row.name end
    end
    -- every pool failing mfa-on (all but the passing and the unreadable one)
    assert.equal(6, #visible)
    assert.is_nil(log:find("CONSOLE", 1, true), log)
  end)

  it("renders a screenshot (kept in the build folder)", function()
    assert.is_true(chromium ~= "", "chromium is not installed")
    local dir = tmpdir()
    local shot = absolute(dir) .. "/report.png"
    os.remove(shot)
    local path = absolute(write_file(dir .. "/report.html", report.html(many_pools())))
    local _, log = open(path, "#sort=name", "--screenshot=" .. helpers.shell_quote(shot)
      .. " --window-size=1280,900")
    local f = assert(io.open(shot, "rb"), "no screenshot: " .. log)
    local png = f:read("*a")
    f:close()
    assert.equal("\137PNG", png:sub(1, 4))
    assert.is_true(#png > 10000)
    assert.is_nil(log:find("Uncaught", 1, true), log)
  end)
end)

describe("report streaming from audit on moto", function()
  local peer, client
  local ids = {}

  setup(function()
    peer = helpers.start_peer("moto")
    client = helpers.client(peer, { region = "eu-west-1" })
    for i = 1, 5 do
      ids[i] = helpers.create_pool(client, ("stream-%d"):format(i))
    end
  end)

  teardown(function()
    if client then client:close() end
    if peer then peer.stop() end
  end)

  it("calls on_pool per pool as batches complete, and keeps nothing with keep_pools = false", function()
    local lines, batches_seen = {}, {}
    local write = report.jsonl_writer(function(s) lines[#lines + 1] = s end)
    local rules = policy.baseline()
    -- a rule that asks for DescribeUserPool, so the tier and the account id are read
    rules[#rules + 1] = { id = "described", needs_describe = true,
                          check = function(_, context) return context.pool ~= nil end }
    local result = assert(client:audit { pools = ids, rules = rules, concurrency = 2, batch = 2,
      keep_pools = false, on_pool = function(entry)
        batches_seen[#batches_seen + 1] = #lines
        write(entry)
      end })
    assert.equal(5, #lines)
    assert.same({ 0, 1, 2, 3, 4 }, batches_seen)
    assert.equal(0, #result.pools)
    assert.equal(5, result.pool_count)
    assert.equal(5, result.failed_count)
    for i, line in ipairs(lines) do
      local rec = assert(cognito_mfa.decode_json(line))
      assert.equal(ids[i], rec.pool_id)
      assert.equal("eu-west-1", rec.region)
      assert.matches("^%d+$", rec.account_id)
      assert.equal("fail", rec.status)
    end
  end)

  it("fills region, and the account id only where DescribeUserPool was read", function()
    local result = assert(client:audit { pools = ids })
    assert.equal(5, #result.pools)
    for _, e in ipairs(result.pools) do
      assert.equal("eu-west-1", e.region)
      assert.is_nil(e.account_id)         -- the baseline reads no tier for pools without email MFA
      assert.same({}, e.errors)
    end
  end)

  it("cognito-mfa audit --output jsonl|csv|html|json writes each format", function()
    local run = require "spec.support.cli_run"
    local home = run.tempdir()
    local function cli(fmt)
      local res = run.run({ "--endpoint-url", peer.endpoint, "--region", "eu-west-1", "audit",
                            "--user-pool-id", ids[1], ids[2], "--output", fmt }, { home = home })
      assert.equal(3, res.code, res.stderr)
      return res.stdout
    end
    local lines = {}
    for line in cli("jsonl"):gmatch("[^\n]+") do
      lines[#lines + 1] = assert(cognito_mfa.decode_json(line))
    end
    assert.equal(2, #lines)
    assert.equal(ids[2], lines[2].pool_id)
    assert.equal("eu-west-1", lines[1].region)
    local csv = cli("csv")
    assert.equal(table.concat(report.CSV_COLUMNS, ",") .. "\r\n", csv:match("^[^\n]*\n"))
    local html = cli("html")
    assert.matches("^<!DOCTYPE html>", html)
    assert.is_truthy(html:find(ids[1], 1, true))
    local doc = assert(cognito_mfa.decode_json(cli("json")))
    assert.equal("cognito-mfa/audit-report", doc.schema)
    assert.equal(2, doc.totals.failed)
    run.cleanup(home)
  end)

  it("lists a pool that cannot be read with its error and the operation", function()
    local missing = "eu-west-1_00000000000000000000000000000000"
    local result = assert(client:audit { pools = { ids[1], missing }, on_pool = function() end })
    local e = result.pools[2]
    assert.equal(missing, e.id)
    assert.equal("GetUserPoolMfaConfig", e.errors[1].operation)
    assert.equal("ResourceNotFoundException", e.errors[1].code)
    local rec = report.record(e)
    assert.equal("error", rec.status)
  end)
end)
