// The demo component's web service (`checkout`): what the embedded stack's local runtime runs for each environment
// of the demo (paws.yaml `containers.web.command`/`args`: `node server.mjs`). No dependencies, on purpose: it runs
// from a checkout of the repository as it is, with no `npm install`.
//
// - listens on PORT (the local runtime gives each environment its own), on 127.0.0.1 unless HOST says otherwise;
// - one line per request on stdout, as a router would log it: `GET / 200 3ms`;
// - GET /metrics in Prometheus' text format (the names a Prometheus client library exports by default and idp's
//   metric panels read): http_requests_total{code}, http_request_duration_seconds (histogram),
//   process_cpu_seconds_total, process_resident_memory_bytes, process_start_time_seconds;
// - GET / and GET /version say which image it is (IDP_IMAGE, the environment's image as paws.yaml says it);
// - GET /env lists the NAMES of its environment variables (never a value: secrets arrive that way);
// - GET /status/<code> answers with that status (for trying error rates), anything else 404.
import { createServer } from 'node:http';

const port = Number(process.env.PORT ?? 8080);
const host = process.env.HOST ?? '127.0.0.1';
const image = process.env.IDP_IMAGE ?? 'unknown';
const environment = process.env.IDP_ENVIRONMENT ?? 'local';
const started = Date.now() / 1000;

// Prometheus client libraries' default HTTP buckets (seconds).
const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
// status code -> count; the usual codes exported at 0 from the start, as client libraries advise, so that rate() sees
// the first requests of each (a series that appears already at 5 shows no increase).
const requests = new Map([200, 404, 500].map((code) => [code, 0]));
const histogram = { counts: BUCKETS.map(() => 0), sum: 0, count: 0 };

function observe(code, seconds) {
  requests.set(code, (requests.get(code) ?? 0) + 1);
  histogram.sum += seconds;
  histogram.count += 1;
  BUCKETS.forEach((le, i) => {
    if (seconds <= le) histogram.counts[i] += 1;
  });
}

function metrics() {
  const cpu = process.cpuUsage();
  const lines = [
    '# HELP http_requests_total Requests served, by status code.',
    '# TYPE http_requests_total counter',
    ...[...requests].map(([code, n]) => `http_requests_total{code="${code}"} ${n}`),
    '# HELP http_request_duration_seconds Time to answer a request.',
    '# TYPE http_request_duration_seconds histogram',
    ...BUCKETS.map((le, i) => `http_request_duration_seconds_bucket{le="${le}"} ${histogram.counts[i]}`),
    `http_request_duration_seconds_bucket{le="+Inf"} ${histogram.count}`,
    `http_request_duration_seconds_sum ${histogram.sum}`,
    `http_request_duration_seconds_count ${histogram.count}`,
    '# HELP process_cpu_seconds_total User and system CPU time spent, in seconds.',
    '# TYPE process_cpu_seconds_total counter',
    `process_cpu_seconds_total ${(cpu.user + cpu.system) / 1e6}`,
    '# HELP process_resident_memory_bytes Resident memory size, in bytes.',
    '# TYPE process_resident_memory_bytes gauge',
    `process_resident_memory_bytes ${process.memoryUsage.rss()}`,
    '# HELP process_start_time_seconds Start time of the process since the Unix epoch, in seconds.',
    '# TYPE process_start_time_seconds gauge',
    `process_start_time_seconds ${started}`,
  ];
  return lines.join('\n') + '\n';
}

function answer(req) {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') return [405, 'text/plain', 'GET only\n'];
  if (path === '/') return [200, 'text/plain', `checkout ${image} (${environment})\n`];
  if (path === '/version') return [200, 'application/json', JSON.stringify({ image }) + '\n'];
  if (path === '/metrics') return [200, 'text/plain; version=0.0.4', metrics()];
  if (path === '/env') return [200, 'application/json', JSON.stringify(Object.keys(process.env).sort()) + '\n'];
  const status = /^\/status\/([1-5]\d\d)$/.exec(path);
  if (status) return [Number(status[1]), 'text/plain', `${status[1]}\n`];
  return [404, 'text/plain', 'not found\n'];
}

const server = createServer((req, res) => {
  const t = process.hrtime.bigint();
  const [code, type, body] = answer(req);
  res.writeHead(code, { 'content-type': type });
  res.end(req.method === 'HEAD' ? undefined : body);
  const seconds = Number(process.hrtime.bigint() - t) / 1e9;
  // Scrapes are not traffic: they would fill the log and the request rate with the metric store's own visits.
  if (req.url === '/metrics') return;
  observe(code, seconds);
  process.stdout.write(`${req.method} ${req.url} ${code} ${Math.round(seconds * 1000)}ms\n`);
});

server.listen(port, host, () => console.log(`checkout ${image} listening on http://${host}:${port}`));

// Stopped (a redeploy, the environment destroyed): finish what is in flight, then go.
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    console.log(`${signal}: shutting down`);
    server.close(() => process.exit(0));
    server.closeAllConnections?.();
  });
}
