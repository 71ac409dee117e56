// Makes sure the log and metric stores are there (providers/src/{logs,metrics}/tools.ts): VictoriaLogs v1.52.1 (an
// installed one, else a Go build into .tools/bin, ~55 s once) and Prometheus (installed — .ci/run installs Debian's
// package first, the fast way — else the official release from GitHub, else a Go build), and OpenSearch for the search
// log source's tests (jars resolved with Maven into .tools/opensearch, ~40 s once; Java runs them); prints their paths.
// Exit 2: Go, Java or Maven is missing, and what to install is printed.
import { ensureOpenSearch, ensureVictoriaLogs, OPENSEARCH_MISSING, VICTORIALOGS_MISSING } from '../providers/dist/logs/tools.js';
import { ensurePrometheus, PROMETHEUS_MISSING } from '../providers/dist/metrics/tools.js';

const log = (m) => console.error(m);
let missing = false;
for (const [ensure, why] of [
  [ensureVictoriaLogs, VICTORIALOGS_MISSING],
  [ensurePrometheus, PROMETHEUS_MISSING],
  [ensureOpenSearch, OPENSEARCH_MISSING],
]) {
  const path = await ensure({ log });
  if (path) console.log(path);
  else {
    console.error(why);
    missing = true;
  }
}
process.exit(missing ? 2 : 0);
