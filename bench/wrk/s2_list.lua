-- S2: GET /api/cards/?page_size=20 (anonymous); with BENCH_CURSOR set, the
-- page at that cursor (the deep-page variant).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local path

function init(args)
   path = "/api/cards/?page_size=20"
   local cursor = os.getenv("BENCH_CURSOR")
   if cursor and #cursor > 0 then path = path .. "&cursor=" .. cursor end
end

function request()
   return wrk.format("GET", path)
end

function response(status, hdrs, body)
   check_status(status)
end
