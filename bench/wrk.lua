-- wrk script used by `python -m bench` for every scenario.
--
-- * done() prints one line, `BENCH_JSON {...}`, with the request count, the
--   error counters and the latency percentiles (microseconds); bench.report
--   parses it.
-- * With BENCH_BODIES_FILE set (one body per line) every request is a POST of
--   the next body, each wrk thread starting at its own offset, so the login
--   scenario spreads over many users instead of one row. With BENCH_UNIQUE=1
--   the threads take disjoint bodies (each sign-up address is used once).

local thread_count = 0

function setup(thread)
   thread:set("thread_index", thread_count)
   thread_count = thread_count + 1
end

local bodies_file = os.getenv("BENCH_BODIES_FILE")

if bodies_file and bodies_file ~= "" then
   wrk.method = "POST"
   wrk.headers["Content-Type"] = os.getenv("BENCH_CONTENT_TYPE") or "application/x-www-form-urlencoded"

   local bodies = {}
   local next_body = 0
   -- BENCH_UNIQUE: every body at most once over all threads (sign-ups), else cycled (logins).
   local unique = os.getenv("BENCH_UNIQUE") == "1"
   local threads = tonumber(os.getenv("BENCH_THREADS") or "1")

   function init(args)
      for line in io.lines(bodies_file) do
         if #line > 0 then
            bodies[#bodies + 1] = line
         end
      end
      assert(#bodies > 0, "BENCH_BODIES_FILE has no bodies: " .. bodies_file)
      if unique then
         next_body = (thread_index or 0)  -- thread i sends bodies i+1, i+1+T, i+1+2T, ...
      else
         next_body = ((thread_index or 0) * 17) % #bodies
      end
   end

   function request()
      if unique then
         next_body = next_body + threads
         return wrk.format(nil, nil, nil, bodies[(next_body - threads) % #bodies + 1])
      end
      next_body = next_body % #bodies + 1
      return wrk.format(nil, nil, nil, bodies[next_body])
   end
end

-- With BENCH_REQUESTS_FILE set (one request a line: `path<TAB>Header: value<TAB>...`) every
-- request is a BENCH_METHOD (POST) of its own path with its own headers (besides --header's),
-- each line sent once at most over all threads (the portal's registrations).
local requests_file = os.getenv("BENCH_REQUESTS_FILE")

if requests_file and requests_file ~= "" then
   wrk.method = os.getenv("BENCH_METHOD") or "POST"
   local lines = {}
   local next_line = 0
   local threads = tonumber(os.getenv("BENCH_THREADS") or "1")

   function init(args)
      for line in io.lines(requests_file) do
         if #line > 0 then
            local fields = {}
            for part in string.gmatch(line, "[^\t]+") do
               fields[#fields + 1] = part
            end
            local headers = {}
            for i = 2, #fields do
               local name, value = string.match(fields[i], "^([^:]+): (.*)$")
               headers[name] = value
            end
            lines[#lines + 1] = {path = fields[1], headers = headers}
         end
      end
      assert(#lines > 0, "BENCH_REQUESTS_FILE has no requests: " .. requests_file)
      next_line = thread_index or 0
   end

   function request()
      local line = lines[next_line % #lines + 1]
      next_line = next_line + threads
      local headers = {}
      for name, value in pairs(wrk.headers) do
         headers[name] = value
      end
      for name, value in pairs(line.headers) do
         headers[name] = value
      end
      return wrk.format(nil, line.path, headers, "")
   end
end

function done(summary, latency, requests)
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests": %.0f, "duration_us": %.0f, "bytes": %.0f, '
         .. '"errors": {"connect": %.0f, "read": %.0f, "write": %.0f, "status": %.0f, "timeout": %.0f}, '
         .. '"latency_us": {"min": %.0f, "p50": %.0f, "p90": %.0f, "p99": %.0f, "max": %.0f, "mean": %.1f}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.min, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean
   ))
end
