-- wrk script of scripts/bench: pre-built requests (so wrk spends no time formatting), and one
-- machine-readable result line. Configured by environment variables:
--   BENCH_PATH     request path (default /)
--   BENCH_METHOD   GET (default) or POST
--   BENCH_BODY     form body (sent as application/x-www-form-urlencoded)
--   BENCH_COOKIE   Cookie header
--   BENCH_TOKENS   file of access tokens, one a line: requests rotate through them as Bearer tokens
--   BENCH_GZIP     set: send Accept-Encoding: gzip, as browsers do
local path = os.getenv("BENCH_PATH") or "/"
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local cookie = os.getenv("BENCH_COOKIE")
local tokens_file = os.getenv("BENCH_TOKENS")
local gzip = os.getenv("BENCH_GZIP")

local prepared = {}
local count, next_index = 0, 0

function init(args)
  local headers = {}
  if cookie and #cookie > 0 then headers["Cookie"] = cookie end
  if body then headers["Content-Type"] = "application/x-www-form-urlencoded" end
  if gzip then headers["Accept-Encoding"] = "gzip" end
  if tokens_file and #tokens_file > 0 then
    for line in io.lines(tokens_file) do
      if #line > 0 then
        headers["Authorization"] = "Bearer " .. line
        count = count + 1
        prepared[count] = wrk.format(method, path, headers, body)
      end
    end
  end
  if count == 0 then
    count = 1
    prepared[1] = wrk.format(method, path, headers, body)
  end
  -- Each thread starts at its own place in the rotation.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000)
  next_index = math.random(count) - 1
end

function request()
  next_index = next_index % count + 1
  return prepared[next_index]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"status_errors":%d,"socket_errors":%d,' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d}\n',
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max))
end
