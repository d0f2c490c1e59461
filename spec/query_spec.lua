-- cognito_mfa.query: JMESPath on Lua values. Runs the whole JMESPath compliance suite (read
-- from ../shared/data/jmespath-compliance, or $CMFA_SHARED_DATA/jmespath-compliance) through
-- cognito_mfa.query, plus the Lua-specific behaviour: null, empty tables, arrays, errors, cache.
local cognito_mfa = require "cognito_mfa"
local core = require "cognito_mfa.core"

local NULL = cognito_mfa.NULL
local array_mt = cognito_mfa.array_mt

local SUITE = (os.getenv("CMFA_SHARED_DATA") or "../shared/data") .. "/jmespath-compliance"
local FILES = {
  "basic", "benchmarks", "boolean", "current", "escape", "filters", "functions", "identifiers",
  "indices", "literal", "multiselect", "pipe", "slice", "syntax", "unicode", "wildcard",
}
local CLASSES = {
  CMFA_E_QUERY_SYNTAX = "syntax",
  CMFA_E_QUERY_INVALID_TYPE = "invalid-type",
  CMFA_E_QUERY_INVALID_ARITY = "invalid-arity",
  CMFA_E_QUERY_UNKNOWN_FUNCTION = "unknown-function",
  CMFA_E_QUERY_INVALID_VALUE = "invalid-value",
  CMFA_E_QUERY_LIMIT = "limit",
}

-- Structural equality: arrays (marked) against arrays, objects against objects, numbers by value.
local function same(a, b)
  if type(a) ~= type(b) then
    return false
  end
  if type(a) ~= "table" then
    return a == b
  end
  if (getmetatable(a) == array_mt) ~= (getmetatable(b) == array_mt) then
    return false
  end
  for k, v in pairs(a) do
    if not same(v, b[k]) then
      return false
    end
  end
  for k in pairs(b) do
    if a[k] == nil then
      return false
    end
  end
  return true
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then
    return nil
  end
  local text = f:read("*a")
  f:close()
  return text
end

local function show(v)
  if v == nil then
    return "nil"
  end
  local ok, text = pcall(cognito_mfa.encode_json, v)
  return ok and text or tostring(v)
end

describe("cognito_mfa.query", function()
  describe("the JMESPath compliance suite", function()
    local present = read_file(SUITE .. "/basic.json") ~= nil
    local total = 0

    for _, name in ipairs(FILES) do
      it("passes every case of " .. name .. ".json", function()
        if not present then
          print("SKIP: JMESPath compliance suite not found in " .. SUITE)
          return
        end
        local text = assert(read_file(SUITE .. "/" .. name .. ".json"), name .. ".json is missing")
        local suites = assert(cognito_mfa.decode_json(text))
        local failures, cases = {}, 0
        for _, suite in ipairs(suites) do
          for _, case in ipairs(suite.cases) do
            cases = cases + 1
            local got, err = cognito_mfa.query(suite.given, case.expression)
            if case.error then
              local class = err and CLASSES[err.name]
              if got ~= nil or class ~= case.error then
                failures[#failures + 1] = string.format("%s: expected a %s error, got %s / %s",
                  case.expression, case.error, show(got), tostring(err))
              elseif err.kind ~= "usage" or not tostring(err):find("column %d+") then
                failures[#failures + 1] = case.expression .. ": error without kind or column: "
                  .. tostring(err)
              end
            elseif case.result ~= nil then
              if not same(got, case.result) then
                failures[#failures + 1] = string.format("%s: got %s (%s), expected %s",
                  case.expression, show(got), tostring(err), show(case.result))
              end
            elseif got == nil then
              failures[#failures + 1] = case.expression .. ": " .. tostring(err)
            end
          end
        end
        total = total + cases
        assert.are.same({}, failures)
        assert.is_true(cases > 0)
      end)
    end

    it("ran all 908 cases", function()
      if present then
        print("query_spec: compliance suite: " .. total .. " cases")
        assert.are.equal(908, total)
      end
    end)
  end)

  describe("on Lua values", function()
    local pools = {
      UserPools = {
        { Id = "eu-west-1_A", Name = "one", Status = "Enabled", LambdaConfig = {} },
        { Id = "eu-west-1_B", Name = "two", Status = "Disabled" },
        { Id = "eu-west-1_C", Name = "three", Status = "Enabled" },
      },
      SoftwareTokenMfaConfiguration = { Enabled = true },
    }

    it("answers the AWS CLI's typical expressions", function()
      assert.are.same({ "eu-west-1_A", "eu-west-1_B", "eu-west-1_C" },
        cognito_mfa.query(pools, "UserPools[].Id"))
      assert.are.same({ { id = "eu-west-1_A", name = "one" }, { id = "eu-west-1_C", name = "three" } },
        cognito_mfa.query(pools, "UserPools[?Status=='Enabled'].{id:Id,name:Name}"))
      assert.are.equal(3, cognito_mfa.query(pools, "length(UserPools)"))
      assert.are.equal(true, cognito_mfa.query(pools, "SoftwareTokenMfaConfiguration.Enabled"))
    end)

    it("marks arrays in results, so an empty result stays an array", function()
      local ids = cognito_mfa.query(pools, "UserPools[?Status=='Gone'].Id")
      assert.are.equal(array_mt, getmetatable(ids))
      assert.are.equal("[]", cognito_mfa.encode_json(ids))
      assert.are.equal("{}", cognito_mfa.encode_json(cognito_mfa.query(pools, "UserPools[0].LambdaConfig")))
    end)

    it("takes an empty table as an object unless it is marked as an array", function()
      assert.are.equal("object", cognito_mfa.query({}, "type(@)"))
      assert.are.equal("array", cognito_mfa.query(setmetatable({}, array_mt), "type(@)"))
      assert.are.equal("array", cognito_mfa.query({ 1, 2 }, "type(@)"))
      assert.are.equal(0, cognito_mfa.query({ a = setmetatable({}, array_mt) }, "length(a)"))
    end)

    it("uses cognito_mfa.NULL for JSON null, in and out", function()
      assert.are.equal(NULL, cognito_mfa.query(pools, "NoSuchMember"))
      assert.are.equal(NULL, cognito_mfa.query(nil, "@"))
      assert.are.equal("null", cognito_mfa.query({ a = NULL }, "type(a)"))
      assert.are.same({ 1, NULL, 3 }, cognito_mfa.query({ a = { 1, NULL, 3 } }, "a"))
      assert.are.equal("fallback", cognito_mfa.query({ a = NULL }, "a || 'fallback'"))
    end)

    it("accepts scalars as the value", function()
      assert.are.equal(5, cognito_mfa.query("hello", "length(@)"))
      assert.are.equal(2.5, cognito_mfa.query(2.5, "@"))
      assert.are.equal(false, cognito_mfa.query(false, "@"))
    end)

    it("returns nil and a usage error naming the column for a bad expression", function()
      local res, err = cognito_mfa.query(pools, "UserPools[?Status=='Enabled'.Id")
      assert.is_nil(res)
      assert.are.equal("usage", err.kind)
      assert.are.equal("CMFA_E_QUERY_SYNTAX", err.name)
      assert.matches("syntax error at column %d+", err.message)
      assert.matches("^cognito_mfa usage error: syntax error at column", tostring(err))
    end)

    it("returns nil and an error for type errors found while evaluating", function()
      local res, err = cognito_mfa.query({ a = "x" }, "sum(a)")
      assert.is_nil(res)
      assert.are.equal("CMFA_E_QUERY_INVALID_TYPE", err.name)
      assert.matches("sum%(%) expects an array of numbers", err.message)
      res, err = cognito_mfa.query({}, "nope(@)")
      assert.is_nil(res)
      assert.are.equal("CMFA_E_QUERY_UNKNOWN_FUNCTION", err.name)
    end)

    it("raises on misuse", function()
      assert.has_error(function() cognito_mfa.query({}, 42) end,
        "query: expression must be a string, got number")
      assert.has_error(function() cognito_mfa.query({ f = print }, "f") end)
    end)

    it("compiles each expression once and keeps at most 64", function()
      cognito_mfa.query({}, "a.b.c")
      local n = core.query_cache_count()
      for _ = 1, 10 do
        cognito_mfa.query({ a = { b = { c = 1 } } }, "a.b.c")
      end
      assert.are.equal(n, core.query_cache_count())
      for i = 1, 200 do
        assert.are.equal(i, cognito_mfa.query({ i }, "[0]"))
        cognito_mfa.query({}, "k" .. i)
      end
      assert.are.equal(64, core.query_cache_count())
      assert.are.equal(7, cognito_mfa.query({ k7 = 7 }, "k7"))
      -- a bad expression is not cached and fails the same way every time
      for _ = 1, 2 do
        local res, err = cognito_mfa.query({}, "a[")
        assert.is_nil(res)
        assert.are.equal("CMFA_E_QUERY_SYNTAX", err.name)
      end
      assert.are.equal(64, core.query_cache_count())
    end)
  end)
end)
