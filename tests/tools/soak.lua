-- wrk script for tests/tools/soak.sh: an Anthropic request whose key is
-- chosen by the request's number, so every connection sends the whole mix,
-- and a count of every status seen, printed once by done().
--
-- Out of every 10 requests:
--   5  soak-ok       plain success
--   2  soak-fault    scripted 503, 429 (retry-after-ms 5), 200, repeat
--   2  soak-limited  60 requests a minute: nearly all refused with 429
--   1  soak-slow     success 50 ms late (the connection is suspended)
local mix = { "soak-ok", "soak-fault", "soak-ok", "soak-limited", "soak-ok",
              "soak-slow", "soak-ok", "soak-fault", "soak-ok", "soak-limited" }
local body = '{"model":"claude-haiku-4.5","max_tokens":64,' ..
             '"messages":[{"role":"user","content":"What is BGP?"}]}'

local threads = {}
local requests = {}
local n = 0
counts = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    for i, key in ipairs(mix) do
        requests[i] = wrk.format("POST", "/v1/messages", {
            ["x-api-key"] = key,
            ["anthropic-version"] = "2023-06-01",
            ["content-type"] = "application/json",
        }, body)
    end
end

function request()
    n = n + 1
    return requests[(n % #mix) + 1]
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests_)
    local total = {}
    for _, t in ipairs(threads) do
        for status, c in pairs(t:get("counts")) do
            total[status] = (total[status] or 0) + c
        end
    end
    local e = summary.errors
    io.write(string.format("SOAK requests %d\n", summary.requests))
    io.write(string.format("SOAK duration_us %d\n", summary.duration))
    io.write(string.format("SOAK socket_errors connect=%d read=%d write=%d " ..
                           "timeout=%d\n", e.connect, e.read, e.write,
                           e.timeout))
    io.write(string.format("SOAK latency_ms p50=%.1f p99=%.1f max=%.1f\n",
                           latency:percentile(50) / 1000,
                           latency:percentile(99) / 1000,
                           latency.max / 1000))
    for status, c in pairs(total) do
        io.write(string.format("SOAK status %d %d\n", status, c))
    end
end
