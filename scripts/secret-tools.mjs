// Makes sure the secret stores' programs are there (providers/src/secrets/tools.ts): sops v3.13.3 (an installed one,
// else a Go build into .tools/bin) and moto_server 5.2.5 (a Python venv in .tools/moto); prints their paths.
// Exit 2: a prerequisite is missing (Go, or python3 with venv), and what to install is printed.
import { ensureMoto, ensureSops, MOTO_MISSING, SOPS_MISSING } from '../providers/dist/secrets/tools.js';

const log = (m) => console.error(m);
let missing = false;
for (const [ensure, why] of [
  [ensureSops, SOPS_MISSING],
  [ensureMoto, MOTO_MISSING],
]) {
  const path = ensure({ log });
  if (path) console.log(path);
  else {
    console.error(why);
    missing = true;
  }
}
process.exit(missing ? 2 : 0);
