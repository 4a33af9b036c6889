-- S5: GraphQL card(id) { ... owner { username } } with a bearer token, random ids.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local ids, headers
local query = "query Card($id: ID!) { card(id: $id) { id title body visibility createdAt owner { username } } }"

function init(args)
   seed_random()
   ids = load_ids()
   headers = auth_headers({ ["Content-Type"] = "application/json" })
end

function request()
   local body = string.format('{"query":"%s","variables":{"id":"%s"}}', query, ids[math.random(#ids)])
   return wrk.format("POST", "/graphql", headers, body)
end

function response(status, hdrs, body)
   check_graphql(status, body)
end
