-- S8: GraphQL cards(first: 20) with each card's conversation -- replyCount,
-- the reaction summary as the caller sees it (reacted), the owner and the
-- first 3 replies with their authors -- with a bearer token (run.sh seeds the
-- conversations first). Per request: the session, the page with its owners,
-- the page's reaction summaries, the first-3 window of every thread, the
-- reply authors: 5 statements however many cards the page has.
package.path = os.getenv("BENCH_WRK_DIR") .. "/?.lua;" .. package.path
require "common"

local headers, body

function init(args)
   headers = auth_headers({ ["Content-Type"] = "application/json" })
   body = '{"query":"{ cards(first: 20) { nodes { id title replyCount reactions { emoji count reacted } owner { username } replies(first: 3) { nodes { id body author { username } } } } } }"}'
end

function request()
   return wrk.format("POST", "/graphql", headers, body)
end

function response(status, hdrs, body)
   check_graphql(status, body)
end
