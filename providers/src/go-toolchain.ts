/**
 * The Go toolchain rules the builds of idp's tools share (the Temporal CLI, sops): whether the installed Go is new
 * enough for a module's go.mod, and the module the Go proxy serves a Go release as (what `go` itself fetches).
 */
import { arch, platform } from 'node:os';

/** `go1.19.8` ≥ `1.25.0`? A development build counts as new enough. */
export function goAtLeast(goVersion: string, wanted: string): boolean {
  const m = /^go(\d+)\.(\d+)(?:\.(\d+))?/.exec(goVersion);
  if (!m) return true;
  const have = [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
  const want = wanted.split('.').map(Number);
  for (let i = 0; i < 3; i++) if (have[i] !== (want[i] ?? 0)) return have[i]! > (want[i] ?? 0);
  return true;
}

/** The module the Go proxy serves a Go release as, for this machine. */
export function goToolchainModule(goVersion: string, os: string = platform(), cpu: string = arch()): string {
  const goArch = ({ x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm' } as Record<string, string>)[cpu] ?? cpu;
  const goOs = os === 'win32' ? 'windows' : os;
  return `golang.org/toolchain@v0.0.1-go${goVersion}.${goOs}-${goArch}`;
}
