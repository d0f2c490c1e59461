--- Audit reports in the forms people use: a text table, JSON (a versioned schema), JSON Lines
-- streamed as pools complete, JUnit XML, CSV and a self-contained HTML page; and a progress
-- line for terminals.
--
-- Every renderer takes what cognito_mfa.audit.run returns (or a list of its pool entries) and
-- sees each pool as one record: account id, region, pool id and name, tier, status (pass,
-- fail or error), findings (rule, severity, message, the rule's description as the reason,
-- its fix) and errors (operation, code, kind, message). Unknown values (the account id of a
-- pool whose DescribeUserPool was not read) are JSON null, empty in CSV and "-" in text.
-- @module cognito_mfa.report

local core = require "cognito_mfa.core"

local concat = table.concat
local date = os.date
local error = error
local format = string.format
local floor = math.floor
local ipairs = ipairs
local max = math.max
local min = math.min
local pairs = pairs
local rep = string.rep
local setmetatable = setmetatable
local sort = table.sort
local time = os.time
local tostring = tostring
local type = type

local NULL = core.null

local _M = {}

--- The JSON document's schema name and version (see README, "Audit reports").
_M.SCHEMA = "cognito-mfa/audit-report"
_M.SCHEMA_VERSION = 1
--- The schema of one JSON Lines record (one pool).
_M.POOL_SCHEMA = "cognito-mfa/audit-pool"

--- Severities from the most to the least severe.
_M.SEVERITIES = { "critical", "high", "medium", "low" }
local SEVERITY_RANK = {}
for i, s in ipairs(_M.SEVERITIES) do SEVERITY_RANK[s] = i end

local function array(t)
  return setmetatable(t, core.array_mt)
end

local function str(v)
  if v == nil or v == NULL then
    return nil
  end
  return tostring(v)
end

-- ------------------------------------------------------------------------ records

--- One pool entry of an audit report as a plain record (the JSON schema's pool object).
-- @tab entry a pool entry of audit.run's report
-- @tab[opt] defaults { region, account_id } for entries that do not say
-- @return { account_id, region, pool_id, name, tier, status, passed, findings = { { rule,
--   severity, message, reason, fix, fixable, exhausted } }, errors = { { operation, code,
--   kind, message } } } (unknown values nil)
function _M.record(entry, defaults)
  if type(entry) ~= "table" then
    error("report.record: entry must be a table, got " .. type(entry), 2)
  end
  defaults = defaults or {}
  local findings, errors = {}, {}
  for i, f in ipairs(entry.findings or {}) do
    findings[i] = {
      rule = str(f.id), severity = str(f.severity) or "medium", message = str(f.message),
      reason = str(f.description), fix = str(f.fix_description), fixable = f.fixable == true,
      exhausted = str(f.exhausted),
    }
  end
  local errs = entry.errors
  if (errs == nil or #errs == 0) and entry.error then
    errs = { entry.error }
  end
  for i, e in ipairs(errs or {}) do
    if type(e) == "table" then
      errors[i] = { operation = str(e.operation), code = str(e.code), kind = str(e.kind),
                    message = str(e.message) }
    else
      errors[i] = { message = str(e) }
    end
  end
  local status = #errors > 0 and "error" or (entry.passed and #findings == 0 and "pass" or "fail")
  return {
    account_id = str(entry.account_id or defaults.account_id),
    region = str(entry.region or defaults.region),
    pool_id = str(entry.id or entry.pool_id), name = str(entry.name), tier = str(entry.tier),
    status = status, passed = status == "pass", findings = findings, errors = errors,
  }
end

-- The records of a report (or of a list of entries).
local function records(report)
  if type(report) ~= "table" then
    error("report: expected what audit.run returns, got " .. type(report), 3)
  end
  local entries = report.pools or report
  local defaults = { region = report.region, account_id = report.account_id }
  local out = {}
  for i, e in ipairs(entries) do
    out[i] = e.status and e.findings and e.errors and e.pool_id and e or _M.record(e, defaults)
  end
  return out
end

local function add(map, key, field, n)
  key = key or "(unknown)"
  local t = map[key]
  if not t then
    t = { pools = 0, passed = 0, failed = 0, errors = 0, findings = 0 }
    map[key] = t
  end
  t[field] = t[field] + (n or 1)
  return t
end

--- Totals of a report: pools, passed, failed, errors, findings, and the same per account,
-- region, rule and severity (per rule and severity: pools with such a finding, and findings).
-- @return { pools, passed, failed, errors, findings, by_account = { [id] = {...} },
--   by_region, by_rule, by_severity }
function _M.totals(report)
  local recs = records(report)
  local t = { pools = #recs, passed = 0, failed = 0, errors = 0, findings = 0,
              by_account = {}, by_region = {}, by_rule = {}, by_severity = {} }
  for _, r in ipairs(recs) do
    local field = r.status == "pass" and "passed" or (r.status == "error" and "errors" or "failed")
    t[field] = t[field] + 1
    t.findings = t.findings + #r.findings
    for _, map in ipairs({ { t.by_account, r.account_id }, { t.by_region, r.region } }) do
      add(map[1], map[2], "pools")
      add(map[1], map[2], field)
      add(map[1], map[2], "findings", #r.findings)
    end
    local seen_rule, seen_sev = {}, {}
    for _, f in ipairs(r.findings) do
      add(t.by_rule, f.rule, "findings")
      add(t.by_severity, f.severity, "findings")
      if not seen_rule[f.rule] then
        seen_rule[f.rule] = true
        add(t.by_rule, f.rule, "pools")
      end
      if not seen_sev[f.severity] then
        seen_sev[f.severity] = true
        add(t.by_severity, f.severity, "pools")
      end
    end
  end
  return t
end

local function sorted_keys(map, rank)
  local keys = {}
  for k in pairs(map) do keys[#keys + 1] = k end
  sort(keys, function(a, b)
    local ra, rb = rank and rank[a] or 99, rank and rank[b] or 99
    if ra ~= rb then return ra < rb end
    return a < b
  end)
  return keys
end

-- What the rules say about themselves (for the reasons and fixes of rules that did not fail).
local function rule_list(report)
  local out = {}
  for i, r in ipairs(report.rules or {}) do
    out[i] = { id = str(r.id), severity = str(r.severity) or "medium",
               description = str(r.description), fix = str(r.fix_description),
               fixable = r.fix ~= nil }
  end
  return out
end

local function iso_now(now)
  return date("!%Y-%m-%dT%H:%M:%SZ", now or time())
end

-- ---------------------------------------------------------------------------- JSON

local function nullable(v)
  if v == nil then return NULL end
  return v
end

local function json_record(r)
  local findings, errors = {}, {}
  for i, f in ipairs(r.findings) do
    findings[i] = { rule = f.rule, severity = f.severity, message = nullable(f.message),
                    reason = nullable(f.reason), fix = nullable(f.fix), fixable = f.fixable,
                    exhausted = nullable(f.exhausted) }
  end
  for i, e in ipairs(r.errors) do
    errors[i] = { operation = nullable(e.operation), code = nullable(e.code),
                  kind = nullable(e.kind), message = nullable(e.message) }
  end
  return {
    account_id = nullable(r.account_id), region = nullable(r.region), pool_id = r.pool_id,
    name = nullable(r.name), tier = nullable(r.tier), status = r.status, passed = r.passed,
    findings = array(findings), errors = array(errors),
  }
end

-- Counts per key; per rule and severity only pools (with such a finding) and findings.
local function json_counts(map, only_findings)
  local out = {}
  for k, v in pairs(map) do
    out[k] = only_findings and { pools = v.pools, findings = v.findings }
      or { pools = v.pools, passed = v.passed, failed = v.failed, errors = v.errors,
           findings = v.findings }
  end
  return out
end

--- The JSON document of a report as a table (schema cognito-mfa/audit-report, version 1).
-- @tab report what audit.run returns
-- @tab[opt] opts generated_at (seconds since the epoch; default now)
function _M.document(report, opts)
  opts = opts or {}
  local recs = records(report)
  local t = _M.totals(recs)
  local pools = {}
  for i, r in ipairs(recs) do pools[i] = json_record(r) end
  local rules = rule_list(report)
  for i, r in ipairs(rules) do
    rules[i] = { id = r.id, severity = r.severity, description = nullable(r.description),
                 fix = nullable(r.fix), fixable = r.fixable }
  end
  return {
    schema = _M.SCHEMA, version = _M.SCHEMA_VERSION,
    generated_at = iso_now(opts.generated_at), tool = "cognito-mfa " .. tostring(core._VERSION),
    passed = t.failed == 0 and t.errors == 0,
    totals = {
      pools = t.pools, passed = t.passed, failed = t.failed, errors = t.errors,
      findings = t.findings, by_account = json_counts(t.by_account),
      by_region = json_counts(t.by_region), by_rule = json_counts(t.by_rule, true),
      by_severity = json_counts(t.by_severity, true),
    },
    rules = array(rules), pools = array(pools),
  }
end

--- The report as JSON text (see document), pretty unless opts.compact.
function _M.json(report, opts)
  opts = opts or {}
  return core.encode(_M.document(report, opts), not opts.compact) .. "\n"
end

--- One JSON Lines record: a pool object of the schema with "schema" (cognito-mfa/audit-pool)
-- and "version", on one line ending in "\n".
-- @tab entry a pool entry (as audit.run's on_pool receives it) or a record
-- @tab[opt] defaults { region, account_id }
function _M.jsonl_line(entry, defaults)
  local rec = json_record(entry.status and entry.pool_id and entry or _M.record(entry, defaults))
  rec.schema, rec.version = _M.POOL_SCHEMA, _M.SCHEMA_VERSION
  return core.encode(rec, false) .. "\n"
end

--- A JSON Lines writer: a function(entry) that writes one line per pool as it is called; give
-- it to audit.run as on_pool to stream pools as they complete (with keep_pools = false
-- nothing is held).
-- @tparam function write called with each line (e.g. io.stdout:write wrapped, or ctx.out)
-- @tab[opt] defaults { region, account_id }
function _M.jsonl_writer(write, defaults)
  if type(write) ~= "function" then
    error("report.jsonl_writer: write must be a function, got " .. type(write), 2)
  end
  return function(entry)
    write(_M.jsonl_line(entry, defaults))
  end
end

--- The whole report as JSON Lines (one line per pool).
function _M.jsonl(report)
  local out = {}
  for i, r in ipairs(records(report)) do out[i] = _M.jsonl_line(r) end
  return concat(out)
end

-- ---------------------------------------------------------------------------- text

-- Text for a terminal: control characters (a newline in a name, escape sequences) become "?".
local function plain(v)
  return (tostring(v):gsub("%c", "?"))
end

--- The text table: one line per pool, then the findings, then a summary line. Control
-- characters in values become "?", so nothing from outside can move the cursor or recolour
-- the terminal.
function _M.text(report)
  local recs = records(report)
  local t = _M.totals(recs)
  local rows = { { "USER POOL", "NAME", "RESULT", "FINDINGS" } }
  for _, r in ipairs(recs) do
    local ids = {}
    for _, f in ipairs(r.findings) do ids[#ids + 1] = f.rule end
    rows[#rows + 1] = { plain(r.pool_id), plain(r.name or "-"), r.status == "error" and "ERROR"
                          or (r.status == "pass" and "PASS" or "FAIL"),
                        plain(r.status == "error" and tostring(r.errors[1].code)
                          or (#ids > 0 and concat(ids, ", ") or "-")) }
  end
  local widths = {}
  for _, row in ipairs(rows) do
    for i, cell in ipairs(row) do
      widths[i] = max(widths[i] or 0, #tostring(cell))
    end
  end
  local lines = {}
  for n, row in ipairs(rows) do
    local cells = {}
    for i, cell in ipairs(row) do
      cells[i] = i < #row and (tostring(cell) .. rep(" ", widths[i] - #tostring(cell)))
        or tostring(cell)
    end
    lines[#lines + 1] = concat(cells, "  ")
    if n == 1 then
      local dashes = {}
      for i = 1, #row do dashes[i] = rep("-", widths[i]) end
      lines[#lines + 1] = concat(dashes, "  ")
    end
  end
  local details = {}
  for _, r in ipairs(recs) do
    for _, f in ipairs(r.findings) do
      details[#details + 1] = format("  %s %-26s [%s] %s%s", plain(r.pool_id), plain(f.rule),
        plain(f.severity), plain(f.message), f.fixable and " (fixable)" or "")
    end
    for _, e in ipairs(r.errors) do
      details[#details + 1] = format("  %s could not be read: %s", plain(r.pool_id),
        plain(e.message))
    end
  end
  if #details > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "Findings:"
    for _, d in ipairs(details) do lines[#lines + 1] = d end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = format("%d pools: %d passed, %d failed, %d could not be read",
    t.pools, t.passed, t.failed, t.errors)
  return concat(lines, "\n") .. "\n"
end

-- --------------------------------------------------------------------------- JUnit

--- Text escaped for XML attributes and content; control characters XML 1.0 cannot hold
-- become "?".
function _M.xml_escape(s)
  return (tostring(s):gsub("[&<>\"']", {
    ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&apos;",
  }):gsub("[%z\1-\8\11\12\14-\31]", "?"))
end
local xml_escape = _M.xml_escape

--- JUnit XML for CI systems: one testsuite, one testcase per pool and rule (a pool that
-- could not be read: one testcase with an error).
function _M.junit(report)
  local cases, tests, failures, errors = {}, 0, 0, 0
  for _, p in ipairs(report.pools or report) do
    local class = xml_escape(p.id or p.pool_id)
    local perr = p.error or (p.errors and p.errors[1])
    if perr then
      tests, errors = tests + 1, errors + 1
      cases[#cases + 1] = format('    <testcase classname="%s" name="read configuration">\n'
        .. '      <error type="%s" message="%s"/>\n    </testcase>', class,
        xml_escape(perr.code or perr.kind or "error"), xml_escape(perr.message or ""))
    else
      local failed = {}
      for _, f in ipairs(p.findings or {}) do failed[f.id] = f end
      for _, r in ipairs(p.results or {}) do
        tests = tests + 1
        local f = failed[r.id]
        if f then
          failures = failures + 1
          cases[#cases + 1] = format('    <testcase classname="%s" name="%s">\n'
            .. '      <failure type="%s" message="%s"/>\n    </testcase>', class,
            xml_escape(r.id), xml_escape(f.severity), xml_escape(f.message or ""))
        else
          cases[#cases + 1] = format('    <testcase classname="%s" name="%s"/>', class,
            xml_escape(r.id))
        end
      end
    end
  end
  return concat({
    '<?xml version="1.0" encoding="UTF-8"?>',
    format('<testsuites name="cognito-mfa audit" tests="%d" failures="%d" errors="%d">',
      tests, failures, errors),
    format('  <testsuite name="cognito-mfa audit" tests="%d" failures="%d" errors="%d">',
      tests, failures, errors),
    concat(cases, "\n"),
    "  </testsuite>",
    "</testsuites>",
    "",
  }, "\n")
end

-- ----------------------------------------------------------------------------- CSV

--- The CSV columns, in order.
_M.CSV_COLUMNS = { "account_id", "region", "pool_id", "pool_name", "tier", "status", "rule",
                   "severity", "message", "reason", "fix", "fixable", "error_code" }

-- One field, RFC 4180: quoted when it holds a comma, a double quote, CR or LF; quotes doubled.
local function csv_field(v)
  if v == nil then
    return ""
  end
  local s = tostring(v)
  if s:find('[,"\r\n]') then
    return '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end
_M.csv_field = csv_field

--- CSV (RFC 4180: CRLF line ends, a header row): one row per finding; a pool without
-- findings has one row with the rule columns empty (status pass), a pool that could not be
-- read one row per error (status error, message and error_code from the error).
function _M.csv(report)
  local lines = {}
  local function row(cells)
    local out = {}
    for i = 1, #_M.CSV_COLUMNS do out[i] = csv_field(cells[_M.CSV_COLUMNS[i]]) end
    lines[#lines + 1] = concat(out, ",")
  end
  lines[1] = concat(_M.CSV_COLUMNS, ",")
  for _, r in ipairs(records(report)) do
    local base = { account_id = r.account_id, region = r.region, pool_id = r.pool_id,
                   pool_name = r.name, tier = r.tier, status = r.status }
    local function with(extra)
      local c = {}
      for k, v in pairs(base) do c[k] = v end
      for k, v in pairs(extra) do c[k] = v end
      return c
    end
    for _, e in ipairs(r.errors) do
      row(with { message = e.message, error_code = e.code or e.kind })
    end
    for _, f in ipairs(r.findings) do
      row(with { rule = f.rule, severity = f.severity, message = f.message, reason = f.reason,
                 fix = f.fix, fixable = f.fixable and "true" or "false" })
    end
    if #r.errors == 0 and #r.findings == 0 then
      row(base)
    end
  end
  return concat(lines, "\r\n") .. "\r\n"
end

-- ---------------------------------------------------------------------------- HTML

--- Text escaped for HTML content and double- or single-quoted attributes.
function _M.html_escape(s)
  return (tostring(s):gsub("[&<>\"']", {
    ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;",
  }))
end
local esc = _M.html_escape

local SEVERITY_COLOUR = { critical = "#7f1d1d", high = "#c2410c", medium = "#b45309",
                          low = "#4b5563" }

-- A horizontal bar chart as inline SVG: items = { { label, value, colour } }.
local function svg_bars(title, items)
  local bar, gap, label_w, width = 18, 6, 190, 560
  local top = 24
  local height = top + #items * (bar + gap) + 4
  local most = 0
  for _, it in ipairs(items) do most = max(most, it[2]) end
  local out = { format('<svg class="chart" role="img" aria-label="%s" width="%d" height="%d" '
    .. 'viewBox="0 0 %d %d">', esc(title), width, height, width,
    height),
    format('<text x="0" y="15" class="ct">%s</text>', esc(title)) }
  if #items == 0 then
    out[#out + 1] = format('<text x="0" y="%d">none</text>', top + 14)
  end
  for i, it in ipairs(items) do
    local y = top + (i - 1) * (bar + gap)
    local w = most > 0 and floor((width - label_w - 50) * it[2] / most + 0.5) or 0
    out[#out + 1] = format('<text x="%d" y="%d" text-anchor="end">%s</text>', label_w - 8,
      y + 13, esc(it[1]))
    out[#out + 1] = format('<rect x="%d" y="%d" width="%d" height="%d" fill="%s"><title>%s: %d'
      .. '</title></rect>', label_w, y, max(w, 1), bar, it[3] or "#2563eb", esc(it[1]), it[2])
    out[#out + 1] = format('<text x="%d" y="%d">%d</text>', label_w + max(w, 1) + 6, y + 13,
      it[2])
  end
  out[#out + 1] = "</svg>"
  return concat(out, "\n")
end

local function totals_table(caption, map, keys)
  local out = { '<table class="totals"><caption>' .. esc(caption) .. '</caption>',
    "<thead><tr><th>" .. esc(caption:match("^by (.*)") or caption)
      .. "</th><th>pools</th><th>passed</th><th>failed</th><th>errors</th><th>findings</th>"
      .. "</tr></thead><tbody>" }
  for _, k in ipairs(keys) do
    local v = map[k]
    out[#out + 1] = format("<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%d</td><td>%d"
      .. "</td></tr>", esc(k), v.pools, v.passed, v.failed, v.errors, v.findings)
  end
  out[#out + 1] = "</tbody></table>"
  return concat(out, "\n")
end

local CSS = [[
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#111}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.5em}
.summary span{display:inline-block;margin-right:1.5em}
.pass{color:#166534}.fail{color:#b91c1c}.error{color:#7c2d12}
.grid{display:flex;flex-wrap:wrap;gap:1.5em;align-items:flex-start}
table{border-collapse:collapse}td,th{border:1px solid #d1d5db;padding:3px 7px;text-align:left;
vertical-align:top}caption{font-weight:600;text-align:left;padding:2px 0}
#pools th{cursor:pointer;background:#f3f4f6;user-select:none}
#pools th[aria-sort=ascending]::after{content:" \25B2"}
#pools th[aria-sort=descending]::after{content:" \25BC"}
.chart text{font:12px system-ui,sans-serif}.chart .ct{font-weight:600}
.sev{font-weight:600}.sev-critical{color:#7f1d1d}.sev-high{color:#c2410c}
.sev-medium{color:#b45309}.sev-low{color:#4b5563}
ul.f{margin:0;padding-left:1.1em}ul.f li{margin-bottom:.3em}.muted{color:#6b7280}
.controls{margin:.6em 0}.controls label{margin-right:1em}
]]

-- Sorting and filtering of the pools table; an initial state can come from the URL fragment:
-- #sort=KEY&dir=asc|desc&filter=TEXT&severity=SEV&rule=RULE&status=STATUS
local JS = [[
(function () {
  "use strict";
  var table = document.getElementById("pools");
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("filter");
  var sev = document.getElementById("severity");
  var rule = document.getElementById("rule");
  var status = document.getElementById("status");
  var shown = document.getElementById("shown");
  var state = { sort: null, dir: "asc" };

  function apply() {
    var text = filter.value.toLowerCase(), n = 0;
    rows.forEach(function (tr) {
      var ok = (!text || tr.textContent.toLowerCase().indexOf(text) >= 0) &&
        (!sev.value || (" " + tr.getAttribute("data-severities") + " ").indexOf(" " + sev.value + " ") >= 0) &&
        (!rule.value || (" " + tr.getAttribute("data-rules") + " ").indexOf(" " + rule.value + " ") >= 0) &&
        (!status.value || tr.getAttribute("data-status") === status.value);
      tr.hidden = !ok;
      if (ok) { n++; }
    });
    shown.textContent = String(n);
  }

  function sortBy(key, dir) {
    var ths = table.tHead.rows[0].cells, col = -1, numeric = false;
    for (var i = 0; i < ths.length; i++) {
      if (ths[i].getAttribute("data-key") === key) {
        col = i;
        numeric = ths[i].getAttribute("data-type") === "number";
        ths[i].setAttribute("aria-sort", dir === "desc" ? "descending" : "ascending");
      } else {
        ths[i].removeAttribute("aria-sort");
      }
    }
    if (col < 0) { return; }
    state.sort = key; state.dir = dir;
    var sign = dir === "desc" ? -1 : 1;
    rows.sort(function (a, b) {
      var x = a.cells[col].getAttribute("data-sort") || a.cells[col].textContent;
      var y = b.cells[col].getAttribute("data-sort") || b.cells[col].textContent;
      if (numeric) { return sign * (Number(x) - Number(y)); }
      return sign * (x < y ? -1 : (x > y ? 1 : 0));
    });
    rows.forEach(function (tr) { body.appendChild(tr); });
  }

  function fromHash() {
    var h = window.location.hash.replace(/^#/, ""), p = {};
    h.split("&").forEach(function (kv) {
      if (!kv) { return; }
      var i = kv.indexOf("=");
      var k = decodeURIComponent(i < 0 ? kv : kv.slice(0, i));
      p[k] = i < 0 ? "" : decodeURIComponent(kv.slice(i + 1).replace(/\+/g, " "));
    });
    if (p.filter !== undefined) { filter.value = p.filter; }
    if (p.severity !== undefined) { sev.value = p.severity; }
    if (p.rule !== undefined) { rule.value = p.rule; }
    if (p.status !== undefined) { status.value = p.status; }
    if (p.sort) { sortBy(p.sort, p.dir === "desc" ? "desc" : "asc"); }
    apply();
  }

  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (th) {
    th.addEventListener("click", function () {
      var key = th.getAttribute("data-key");
      sortBy(key, state.sort === key && state.dir === "asc" ? "desc" : "asc");
    });
  });
  [filter, sev, rule, status].forEach(function (el) {
    el.addEventListener("input", apply);
    el.addEventListener("change", apply);
  });
  window.addEventListener("hashchange", fromHash);
  fromHash();
  document.body.setAttribute("data-ready", "1");
})();
]]

local function options(values, current_label)
  local out = { '<option value="">' .. esc(current_label) .. "</option>" }
  for _, v in ipairs(values) do
    out[#out + 1] = format('<option value="%s">%s</option>', esc(v), esc(v))
  end
  return concat(out)
end

--- A self-contained HTML page: one file, inline CSS, JavaScript and SVG, no external assets
-- (a Content-Security-Policy forbids fetching any), works offline. Totals by account, region,
-- rule and severity with bar charts; a table of pools, sortable (click a header) and
-- filterable (text, severity, rule, status; also from the URL fragment,
-- #sort=name&dir=desc&filter=prod&severity=high&rule=mfa-on&status=fail); each finding with
-- its message, its reason and its fix. Every value is HTML-escaped.
-- @tab report what audit.run returns
-- @tab[opt] opts title, generated_at (seconds since the epoch)
function _M.html(report, opts)
  opts = opts or {}
  local recs = records(report)
  local t = _M.totals(recs)
  local title = opts.title or "cognito-mfa audit report"
  local rules = rule_list(report)
  local rule_info = {}
  for _, r in ipairs(rules) do rule_info[r.id] = r end

  local sev_items = {}
  for _, s in ipairs(sorted_keys(t.by_severity, SEVERITY_RANK)) do
    sev_items[#sev_items + 1] = { s, t.by_severity[s].findings, SEVERITY_COLOUR[s] }
  end
  local rule_keys = sorted_keys(t.by_rule)
  local rule_items = {}
  for _, k in ipairs(rule_keys) do
    local info = rule_info[k]
    rule_items[#rule_items + 1] = { k, t.by_rule[k].pools,
      SEVERITY_COLOUR[info and info.severity or ""] }
  end
  local all_rules = {}
  for _, r in ipairs(rules) do all_rules[#all_rules + 1] = r.id end
  for _, k in ipairs(rule_keys) do
    if not rule_info[k] then all_rules[#all_rules + 1] = k end
  end

  local out = {
    "<!DOCTYPE html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
      .. "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\">",
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>" .. esc(title) .. "</title>",
    "<style>" .. CSS .. "</style></head><body>",
    "<h1>" .. esc(title) .. "</h1>",
    format('<p class="summary"><span>generated %s</span><span>%d pools</span>'
      .. '<span class="pass">%d passed</span><span class="fail">%d failed</span>'
      .. '<span class="error">%d could not be read</span><span>%d findings</span></p>',
      esc(iso_now(opts.generated_at)), t.pools, t.passed, t.failed, t.errors, t.findings),
    "<h2>Totals</h2>",
    '<div class="grid">',
    svg_bars("findings by severity", sev_items),
    svg_bars("pools failing each rule", rule_items),
    "</div>",
    '<div class="grid">',
    totals_table("by account", t.by_account, sorted_keys(t.by_account)),
    totals_table("by region", t.by_region, sorted_keys(t.by_region)),
  }
  -- by rule and by severity: pools with a finding, and findings
  local function count_table(caption, map, keys)
    local rows = { '<table class="totals"><caption>' .. esc(caption) .. "</caption><thead><tr><th>"
      .. esc(caption:match("^by (.*)")) .. "</th><th>pools</th><th>findings</th></tr></thead><tbody>" }
    for _, k in ipairs(keys) do
      rows[#rows + 1] = format("<tr><td>%s</td><td>%d</td><td>%d</td></tr>", esc(k),
        map[k].pools, map[k].findings)
    end
    rows[#rows + 1] = "</tbody></table>"
    return concat(rows, "\n")
  end
  out[#out + 1] = count_table("by rule", t.by_rule, rule_keys)
  out[#out + 1] = count_table("by severity", t.by_severity, sorted_keys(t.by_severity, SEVERITY_RANK))
  out[#out + 1] = "</div>"

  out[#out + 1] = "<h2>Pools</h2>"
  out[#out + 1] = '<div class="controls">'
    .. '<label>filter <input id="filter" type="search" placeholder="text in any column"></label>'
    .. '<label>severity <select id="severity">' .. options(_M.SEVERITIES, "any") .. "</select></label>"
    .. '<label>rule <select id="rule">' .. options(all_rules, "any") .. "</select></label>"
    .. '<label>status <select id="status">' .. options({ "pass", "fail", "error" }, "any")
    .. "</select></label>"
    .. format('<span>showing <b id="shown">%d</b> of %d pools</span></div>', #recs, #recs)
  out[#out + 1] = '<table id="pools"><thead><tr>'
    .. '<th data-key="account">account</th><th data-key="region">region</th>'
    .. '<th data-key="id">pool id</th><th data-key="name">name</th><th data-key="tier">tier</th>'
    .. '<th data-key="status">status</th><th data-key="severity" data-type="number">worst</th>'
    .. '<th data-key="findings" data-type="number">findings</th></tr></thead><tbody>'
  for _, r in ipairs(recs) do
    local sevs, rids, worst = {}, {}, 99
    local seen_s, seen_r = {}, {}
    local items = {}
    for _, f in ipairs(r.findings) do
      if not seen_s[f.severity] then seen_s[f.severity] = true; sevs[#sevs + 1] = f.severity end
      if not seen_r[f.rule] then seen_r[f.rule] = true; rids[#rids + 1] = f.rule end
      worst = min(worst, SEVERITY_RANK[f.severity] or 98)
      local info = rule_info[f.rule] or {}
      local reason = f.reason or info.description
      local fix = f.fix or info.fix
      items[#items + 1] = format('<li><span class="sev sev-%s">%s</span> <b>%s</b>: %s'
        .. '<br><span class="muted">reason:</span> %s<br><span class="muted">fix:</span> %s%s</li>',
        esc(f.severity), esc(f.severity), esc(f.rule), esc(f.message or ""),
        esc(reason or "(not stated)"), esc(fix or "(no fix described)"),
        f.fixable and ' <span class="muted">(cognito-mfa audit --fix applies it)</span>' or "")
    end
    for _, e in ipairs(r.errors) do
      items[#items + 1] = format('<li class="error">could not be read (%s %s): %s</li>',
        esc(e.operation or ""), esc(e.code or e.kind or "error"), esc(e.message or ""))
    end
    local worst_name = _M.SEVERITIES[worst] or ""
    out[#out + 1] = format('<tr data-status="%s" data-severities="%s" data-rules="%s">'
      .. "<td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td>"
      .. '<td class="%s">%s</td><td data-sort="%d">%s</td><td data-sort="%d">%d%s</td></tr>',
      esc(r.status), esc(concat(sevs, " ")), esc(concat(rids, " ")),
      esc(r.account_id or "-"), esc(r.region or "-"), esc(r.pool_id or "-"), esc(r.name or "-"),
      esc(r.tier or "-"), esc(r.status), esc(r.status), 100 - worst, esc(worst_name),
      #r.findings, #r.findings, #items > 0 and ('<ul class="f">' .. concat(items) .. "</ul>") or "")
  end
  out[#out + 1] = "</tbody></table>"
  out[#out + 1] = "<script>" .. JS .. "</script>"
  out[#out + 1] = "</body></html>"
  return concat(out, "\n") .. "\n"
end

-- ------------------------------------------------------------------------ progress

--- A progress line for terminals: "audited D of T pools, R pools/s, ETA S s" rewritten in
-- place on write (stderr), at most every `interval` seconds and once at the end; nothing at all
-- when not enabled (not a terminal).
-- @tparam function write e.g. function(s) io.stderr:write(s) end
-- @int total the number of pools
-- @tab[opt] opts enabled (default true), clock (a function returning seconds; default
--   os.time), interval (seconds between lines; default 0, every update)
-- @return an object with update(done) and finish()
function _M.progress(write, total, opts)
  opts = opts or {}
  local clock = opts.clock or time
  local enabled = opts.enabled ~= false and type(write) == "function"
  local started = clock()
  local last, done_count, printed = nil, 0, false
  local p = {}
  local function line(done)
    local elapsed = clock() - started
    local text = format("\raudited %d of %d pools", done, total)
    if elapsed > 0 and done > 0 then
      local rate = done / elapsed
      text = text .. format(", %.1f pools/s", rate)
      if done < total then
        text = text .. format(", ETA %ds", floor((total - done) / rate + 0.5))
      end
    end
    write(text .. "\27[K")
    printed = true
  end
  --- Reports that `done` pools of `total` are done.
  function p.update(done)
    done_count = done
    if not enabled then return end
    local now = clock()
    if last == nil or done >= total or now - last >= (opts.interval or 0) then
      last = now
      line(done)
    end
  end
  --- Ends the line (a newline) if anything was written.
  function p.finish()
    if enabled and printed then
      write("\n")
    end
    return done_count
  end
  return p
end

return _M
