-- wrk's done() hook: one machine-readable line with throughput and latency
-- percentiles (microseconds), read by bench/fibdbench.py.
-- With BENCH_KEYS=K in the environment, requests spread over /fib/0../fib/K-1.
local keys = tonumber(os.getenv("BENCH_KEYS") or "0")
if keys > 0 then
  local counter = 0
  request = function()
    counter = counter + 1
    return wrk.format("GET", "/fib/" .. ((counter * 7919) % keys))
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests":%d,"bytes":%d,"duration_us":%d,"rps":%.1f,"bytes_per_s":%.1f,"mean_us":%.1f,' ..
    '"p10_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"connect_errors":%d,"read_errors":%d,"write_errors":%d,"timeouts":%d,"non2xx":%d}\n',
    summary.requests, summary.bytes, summary.duration, summary.requests / (summary.duration / 1e6),
    summary.bytes / (summary.duration / 1e6),
    latency.mean, latency:percentile(10), latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, e.connect, e.read, e.write, e.timeout, e.status))
end
