-- Shared by the scenario scripts of bench/run.sh (wrk 4.x, LuaJIT).
-- Environment (set by run.sh):
--   BENCH_TOKEN     bearer access token (S1, S3, S5, S8, S8rest)
--   BENCH_IDS       file of card ids, one per line (S1, S5)
--   BENCH_USER / BENCH_PASSWORD   credentials of the pre-registered user (S4)
-- Every thread counts the responses it judged wrong (bad_status: not 2xx;
-- gql_errors: a GraphQL body with "errors" or without "data"); done() sums them
-- over the threads and prints one line "BENCH_CHECK bad_status=N gql_errors=N".

local threads = {}
local counter = 0

function setup(thread)
   counter = counter + 1
   thread:set("thread_no", counter)
   table.insert(threads, thread)
end

bad_status = 0
gql_errors = 0

function load_ids()
   local path = os.getenv("BENCH_IDS")
   local ids = {}
   if path then
      for line in io.lines(path) do
         if #line > 0 then ids[#ids + 1] = line end
      end
   end
   if #ids == 0 then error("BENCH_IDS is empty or unset") end
   return ids
end

function auth_headers(extra)
   local h = extra or {}
   local token = os.getenv("BENCH_TOKEN")
   if token and #token > 0 then h["Authorization"] = "Bearer " .. token end
   return h
end

function seed_random()
   math.randomseed(os.time() * 1000 + (thread_no or 0) * 7919)
end

function check_status(status)
   if status < 200 or status > 299 then bad_status = bad_status + 1 end
end

function check_graphql(status, body)
   check_status(status)
   if status == 200 and (body == nil or body:find('"errors"', 1, true) or not body:find('"data":{', 1, true)) then
      gql_errors = gql_errors + 1
   end
end

function done(summary, latency, requests)
   local bad, gql = 0, 0
   for _, t in ipairs(threads) do
      bad = bad + (tonumber(t:get("bad_status")) or 0)
      gql = gql + (tonumber(t:get("gql_errors")) or 0)
   end
   io.write(string.format("BENCH_CHECK bad_status=%d gql_errors=%d\n", bad, gql))
end
