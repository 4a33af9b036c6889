-- S7: GET /healthz, the trivial JSON route: the in-run ceiling of server + wrk.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

function request()
   return wrk.format("GET", "/healthz")
end

function response(status, hdrs, body)
   check_status(status)
end
