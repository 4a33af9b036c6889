-- S8rest: GET /api/cards/?page_size=20 with a bearer token, after run.sh has
-- seeded the conversations: every card carries reply_count (a column) and its
-- reactions as the caller sees them. Per request: the session, the page with
-- its owners, the page's reaction summaries (3 statements).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local headers

function init(args)
   headers = auth_headers()
end

function request()
   return wrk.format("GET", "/api/cards/?page_size=20", headers)
end

function response(status, hdrs, body)
   check_status(status)
end
