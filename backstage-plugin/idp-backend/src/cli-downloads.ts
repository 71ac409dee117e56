/**
 * The single-binary idp CLI, served by this Backstage (no token: like /health, it is how a developer gets started):
 *   GET /cli/install.sh       POSIX sh installer pointed at this Backstage
 *   GET /cli/SHA256SUMS       checksums of the binaries (sha256sum format)
 *   GET /cli/idp-<os>-<arch>  the binaries, built by `npm run build:cli` into app-config `idp.cli.directory`
 *                             (default: the repository's dist/cli)
 *   GET /cli/index.json       what is built, for the Download CLI page: each platform's size and SHA-256 (or not
 *                             built), the CLI version, and whether a build is running now (npm start runs one)
 * The files are read at request time, so a build after start is served at once; none built → 503 saying how.
 */
import type { Config } from '@backstage/config';
import express from 'express';
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BINARY = /^idp-(linux|darwin)-(x64|arm64)$/;
const NOT_BUILT = 'The idp CLI binaries are not built on this Backstage: run `npm run build:cli` in the idp repository (or set idp.cli.directory in app-config to where they are). Meanwhile, the npm CLI works: `npx idp`.';

export const CLI_PATH = '/cli';
/** Every platform a binary is built for (scripts/build-cli-binaries.mjs TARGETS), in the page's order. */
export const CLI_PLATFORMS = ['linux-x64', 'linux-arm64', 'darwin-arm64', 'darwin-x64'] as const;

/** GET /cli/index.json. */
export interface CliIndex {
  /** The CLI version the build wrote (VERSION beside the binaries); null before any build. */
  version: string | null;
  /** A build is running now (its BUILDING marker names a live process): missing binaries are on their way. */
  building: boolean;
  platforms: { platform: string; file: string; built: boolean; size?: number; sha256?: string }[];
}

/** What the directory holds: a binary counts as built once SHA256SUMS lists it (the build writes that last). */
export function cliIndex(directory: string): CliIndex {
  const read = (name: string) => {
    try {
      return readFileSync(path.join(directory, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const sums = new Map(
    (read('SHA256SUMS') ?? '')
      .split('\n')
      .map((l) => /^([0-9a-f]{64}) [ *](\S+)$/.exec(l.trim()))
      .filter((m) => m !== null)
      .map((m) => [m[2]!, m[1]!]),
  );
  const platforms = CLI_PLATFORMS.map((platform) => {
    const file = `idp-${platform}`;
    const sha256 = sums.get(file);
    const size = sha256 && existsSync(path.join(directory, file)) ? statSync(path.join(directory, file)).size : undefined;
    return size === undefined ? { platform, file, built: false } : { platform, file, built: true, size, sha256 };
  });
  return { version: read('VERSION')?.trim() || null, building: buildRunning(read('BUILDING')), platforms };
}

/** The marker holds the build's pid; a build that was killed leaves it behind, naming no live process. */
function buildRunning(marker: string | undefined): boolean {
  const pid = Number(marker?.trim());
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function cliDirectory(config: Config): string {
  const configured = config.getOptionalString('idp.cli.directory');
  // backstage-plugin/idp-backend/dist/cli-downloads.js → the repository's dist/cli, where build:cli writes.
  return path.resolve(configured ?? fileURLToPath(new URL('../../../dist/cli', import.meta.url)));
}

export function cliRoutes(directory: string, externalBaseUrl: string): express.Router {
  const router = express.Router();
  const notBuilt = (res: express.Response) => res.status(503).json({ error: { code: 'unavailable', message: NOT_BUILT } });

  router.get('/cli/install.sh', (_req, res) => {
    res.type('text/x-shellscript; charset=utf-8').send(installScript(externalBaseUrl));
  });
  router.get('/cli/index.json', (_req, res) => {
    res.set('Cache-Control', 'no-cache').json(cliIndex(directory));
  });
  router.get('/cli/SHA256SUMS', (_req, res) => {
    const sums = path.join(directory, 'SHA256SUMS');
    if (!existsSync(sums)) return notBuilt(res);
    res.type('text/plain; charset=utf-8').set('Cache-Control', 'no-cache').sendFile(sums);
  });
  router.get('/cli/:file', (req, res) => {
    const name = req.params.file;
    if (!BINARY.test(name)) return res.status(404).json({ error: { code: 'not_found', message: `No such download: ${name}. The binaries are idp-<linux|darwin>-<x64|arm64>; install with \`curl -fsSL ${externalBaseUrl}/cli/install.sh | sh\`.` } });
    const file = path.join(directory, name);
    if (!existsSync(file)) {
      if (!existsSync(path.join(directory, 'SHA256SUMS'))) return notBuilt(res);
      return res.status(404).json({ error: { code: 'not_found', message: `${name} is not built on this Backstage: run \`npm run build:cli\` (all platforms) in the idp repository.` } });
    }
    res.type('application/octet-stream').set('Cache-Control', 'no-cache').attachment(name).sendFile(file);
  });
  return router;
}

const shQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** The installer: this Backstage's URLs baked in, everything else detected on the user's machine. */
export function installScript(apiUrl: string): string {
  const backstage = apiUrl.replace(/\/api\/idp\/?$/, '');
  return `#!/bin/sh
# Installs the idp CLI from ${backstage}: curl -fsSL ${apiUrl}/cli/install.sh | sh
# Downloads the binary for this OS/arch, checks its SHA-256 against SHA256SUMS, installs it to ~/.idp/bin
# (or $IDP_INSTALL_DIR) and points it at this Backstage (idp.json beside it).
set -eu

API_URL=${shQuote(apiUrl)}
BACKSTAGE=${shQuote(backstage)}
DIR="\${IDP_INSTALL_DIR:-\${HOME}/.idp/bin}"

fail() { echo "idp install: $*" >&2; exit 1; }

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) fail "no idp binary for $(uname -s); use the npm CLI (npx idp) instead" ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) fail "no idp binary for $(uname -m); use the npm CLI (npx idp) instead" ;;
esac
name="idp-$os-$arch"

download() {
  if command -v curl >/dev/null 2>&1; then curl -fsSL "$1" -o "$2"
  elif command -v wget >/dev/null 2>&1; then wget -qO "$2" "$1"
  else fail "needs curl or wget"; fi
}
sha256() {
  if command -v sha256sum >/dev/null 2>&1; then sha256sum "$1" | awk '{ print $1 }'
  elif command -v shasum >/dev/null 2>&1; then shasum -a 256 "$1" | awk '{ print $1 }'
  else fail "needs sha256sum or shasum to verify the download"; fi
}

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT INT TERM

download "$API_URL/cli/SHA256SUMS" "$tmp/SHA256SUMS" || fail "$BACKSTAGE serves no idp binaries ($API_URL/cli/SHA256SUMS); ask its admins to run \\\`npm run build:cli\\\`"
expected="$(awk -v n="$name" '$2 == n || $2 == "*" n { print $1 }' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || fail "$BACKSTAGE has no $name (SHA256SUMS lists none)"
echo "Downloading $name from $BACKSTAGE…"
download "$API_URL/cli/$name" "$tmp/idp" || fail "could not download $API_URL/cli/$name"
actual="$(sha256 "$tmp/idp")"
[ "$actual" = "$expected" ] || fail "checksum mismatch for $name (expected $expected, got $actual): not installed"
chmod 755 "$tmp/idp"
if [ "$os" = darwin ]; then
  # Injecting the CLI into node broke its signature; macOS runs only signed code: sign it ad hoc, as Node's docs say.
  if command -v codesign >/dev/null 2>&1; then codesign --force --sign - "$tmp/idp" >/dev/null 2>&1 || fail "codesign --sign - failed"
  else echo "idp install: codesign not found; run \\\`codesign --sign - $DIR/idp\\\` before using idp" >&2; fi
fi

mkdir -p "$DIR"
mv -f "$tmp/idp" "$DIR/idp"
printf '{ "apiUrl": "%s", "backstage": "%s" }\\n' "$API_URL" "$BACKSTAGE" > "$DIR/idp.json"
version="$("$DIR/idp" --version 2>/dev/null | sed 's/^idp, //')" || version="?"
echo "Installed idp $version to $DIR/idp (checksum verified), pointed at $BACKSTAGE."

case ":\${PATH}:" in
  *":$DIR:"*) echo "Next: idp login" ;;
  *)
    echo "Add it to your PATH (e.g. in ~/.profile, ~/.bashrc or ~/.zshrc):"
    echo "  export PATH=\\"$DIR:\\$PATH\\""
    echo "Then: idp login" ;;
esac
`;
}
