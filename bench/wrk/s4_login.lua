-- S4: POST /api/auth/login/ with a pre-registered user's correct password
-- (each success runs one argon2id verification and opens a session).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local headers, body

function init(args)
   headers = { ["Content-Type"] = "application/json" }
   body = string.format('{"username":"%s","password":"%s"}',
      os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))
end

function request()
   return wrk.format("POST", "/api/auth/login/", headers, body)
end

function response(status, hdrs, body)
   check_status(status)
end
