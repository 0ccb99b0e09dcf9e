-- wrk script for benchmarks/load.sh: rotate over the URLs in a file (one per line), as a phone would,
-- with the headers a phone sends, and print one machine-readable RESULT line at the end.
-- Usage: wrk ... -s benchmarks/load.lua http://127.0.0.1:PORT -- urls.txt
local urls = {}
local counter = 0

function init(args)
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if line ~= "" then
      urls[#urls + 1] = line
    end
  end
  file:close()
  -- Each wrk thread starts at a different place in the list.
  counter = math.random(0, #urls - 1)
end

function request()
  counter = counter + 1
  local path = urls[(counter % #urls) + 1]
  return wrk.format("GET", path, {
    ["Accept"] = "text/html,*/*",
    ["Accept-Encoding"] = "br, gzip",
    ["Accept-Language"] = "nb-NO,nb;q=0.9",
  })
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d seconds=%.2f rps=%.1f connect=%d read=%d write=%d timeout=%d non2xx=%d " ..
    "p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f bytes=%d\n",
    summary.requests, seconds, summary.requests / seconds, e.connect, e.read, e.write, e.timeout, e.status,
    latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000, summary.bytes))
end
