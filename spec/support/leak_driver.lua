-- Runs every path of spec/support/leak_paths.lua without busted, for valgrind:
--   lua5.4 spec/support/leak_driver.lua [iterations]      (from the repository root; the C
--   module comes from LUA_CPATH or package.cpath)
-- Exits 0 when every path behaved as expected; the leak verdict is valgrind's.
package.path = "./lua/?.lua;./lua/?/init.lua;./?.lua;" .. package.path

local paths = require "spec.support.leak_paths"

local n = tonumber(arg and arg[1]) or 20
paths.run_all(n, function(name)
  io.stderr:write("leak_driver: ok: ", name, "\n")
end)
collectgarbage("collect")
collectgarbage("collect")
io.stderr:write("leak_driver: all paths done (", n, " iterations each)\n")
