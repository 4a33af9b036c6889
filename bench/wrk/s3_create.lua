-- S3: POST /api/cards/ with a bearer token (a public card per request).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local headers, n

function init(args)
   headers = auth_headers({ ["Content-Type"] = "application/json" })
   n = 0
end

function request()
   n = n + 1
   local body = string.format(
      '{"title":"Bench card %d-%d","body":"Posted by bench/run.sh S3, request %d of thread %d.","visibility":"public"}',
      thread_no or 0, n, n, thread_no or 0)
   return wrk.format("POST", "/api/cards/", headers, body)
end

function response(status, hdrs, body)
   check_status(status)
end
