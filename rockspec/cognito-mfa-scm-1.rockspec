rockspec_format = "3.0"
package = "cognito-mfa"
version = "scm-1"
source = {
  url = "git+https://example.invalid/cognito-mfa.git",
}
description = {
  summary = "Amazon Cognito user-pool MFA configuration: read, change safely, police",
  detailed = [[
    A C library (libcmfa) and Lua module for GetUserPoolMfaConfig, SetUserPoolMfaConfig,
    ListUserPools and DescribeUserPool: model-driven validation, SigV4, AWS-style configuration
    and credentials, libcurl transport with standard retries, typed errors.
  ]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.1",
}
-- Checked by luarocks before the build; CMake then finds them through pkg-config. libcurl is
-- looked up as a library: Debian keeps curl/curl.h in the multiarch include folder.
external_dependencies = {
  CURL = { library = "curl" },
  CJSON = { header = "cjson/cJSON.h" },
  PCRE2 = { header = "pcre2.h" },
  OPENSSL = { header = "openssl/evp.h" },
}
build = {
  type = "cmake",
  variables = {
    CMAKE_BUILD_TYPE = "Release",
    CMAKE_INSTALL_PREFIX = "$(PREFIX)",
    -- only the Lua module is installed (it links libcmfa statically): with CMFA_LUA_INSTALL
    -- the C library, header and cmfa.pc are not installed into the rock
    CMFA_BUILD_TESTS = "OFF",
    CMFA_BUILD_EXAMPLES = "OFF",
    CMFA_LUA54 = "OFF",
    CMFA_LUAJIT = "OFF",
    CMFA_LUA_INSTALL = "ON",
    CMFA_LUA_INCLUDE_DIR = "$(LUA_INCDIR)",
    CMFA_LUA_CMOD_DIR = "$(LIBDIR)",
    CMFA_LUA_LMOD_DIR = "$(LUADIR)",
    CMFA_LUA_BIN_DIR = "$(BINDIR)",
  },
  -- the command-line tool; luarocks wraps it so that it finds the installed modules
  install = {
    bin = { ["cognito-mfa"] = "bin/cognito-mfa" },
  },
}
test = {
  type = "busted",
}
