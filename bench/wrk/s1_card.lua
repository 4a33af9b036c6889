-- S1: GET /api/cards/{id}/ with a bearer token, random ids from BENCH_IDS.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local ids, headers

function init(args)
   seed_random()
   ids = load_ids()
   headers = auth_headers()
end

function request()
   return wrk.format("GET", "/api/cards/" .. ids[math.random(#ids)] .. "/", headers)
end

function response(status, hdrs, body)
   check_status(status)
end
