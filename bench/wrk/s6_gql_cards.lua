-- S6: GraphQL cards(first: 20) with owner { username profile { displayName } }
-- (anonymous; owners and profiles come through the DataLoaders).
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local headers, body

function init(args)
   headers = { ["Content-Type"] = "application/json" }
   body = '{"query":"{ cards(first: 20) { pageInfo { hasNextPage endCursor } nodes { id title createdAt owner { username profile { displayName } } } } }"}'
end

function request()
   return wrk.format("POST", "/graphql", headers, body)
end

function response(status, hdrs, body)
   check_graphql(status, body)
end
