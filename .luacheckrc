std = "min"
max_line_length = 120
files["spec/**/*.lua"] = { std = "+busted" }
exclude_files = { "build*/**", ".deps/**", "lua_modules/**", ".luarocks/**" }
