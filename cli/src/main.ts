/**
 * The `idp` program: command table, global options, dispatch, and the mapping
 * of errors to messages and exit codes.
 *
 * Start-up cost matters (`idp --version` should feel instant), so this module
 * statically imports only sade, a few small local modules and the API client
 * module (no zod, no yaml: it exports the default URL and the error classes); each verb's
 * module (and with it the API client, the context resolution, yaml...) is
 * loaded with `await import()` only when that verb runs.
 *
 * `main(argv, io)` never calls process.exit: it returns the exit code, so it
 * can be run in-process by tests or from bin/idp.js.
 */
import { shownWord } from './redact.js';
import { format } from 'node:util';
import sade from 'sade';
import { DEFAULT_API_URL } from '@idp/core/client';
import type { CommandModule, Flags } from './command.js';
import { didYouMean } from './did-you-mean.js';
import { errorBody, EXIT_CODES_HELP, ExitCode, exitCodeFor, UsageError } from './exit-codes.js';
import { processIo, terminalSafe, Ui, type Io } from './output.js';
import { cliVersion } from './version.js';

interface Spec {
  /** sade usage: words, then <required> and [optional] arguments. */
  usage: string;
  describe: string;
  options?: [flag: string, description: string][];
  examples?: string[];
  load: () => Promise<CommandModule>;
  /** The last argument takes every further word too (`variables set A=1 B=2`): sade has no variadic arguments. */
  rest?: true;
}

const WAIT: [string, string] = ['--wait', 'Follow the workflow until the PR is merged (exit 0) or closed (exit 7)'];
const RELEASE_WAIT: [string, string] = [
  '--wait',
  'Follow the release (queued, then its PR) to its end: merged (exit 0), PR closed (7), rejected (8), timed out (9), failed (1)',
];

export const COMMANDS: Spec[] = [
  {
    usage: 'login',
    describe: 'Sign in to the Backstage serving the API (in your browser) and keep the token for this API URL.',
    options: [
      ['--user', 'Embedded stack only: sign in as this demo catalog user, without a browser (e.g. alice)'],
      ['--no-browser', 'Only print the sign-in URL; do not open a browser'],
    ],
    examples: ['login', 'login --user alice', 'login --no-browser'],
    load: () => import('./commands/auth/login.js'),
  },
  {
    usage: 'logout',
    describe: 'Sign out: revoke the stored sign-in for this API URL and forget it.',
    load: () => import('./commands/auth/logout.js'),
  },
  {
    usage: 'whoami',
    describe: 'Show who the server takes you for: your entity ref and the names reviews are matched against.',
    load: () => import('./commands/auth/whoami.js'),
  },
  {
    usage: 'version',
    describe: 'Show the CLI\'s version, the API URL, and what serves it (Backstage or standalone) with its version.',
    load: () => import('./commands/version.js'),
  },
  {
    usage: 'info',
    describe: 'Show which component, repository, API and user this directory resolves to, and why; and the server\'s health.',
    load: () => import('./commands/info.js'),
  },
  {
    usage: 'templates',
    describe: 'List the catalog\'s templates (golden paths): name, title, owner, tags and what each asks (* required).',
    examples: ['templates', 'templates --json'],
    load: () => import('./commands/templates.js'),
  },
  {
    usage: 'search <text>',
    describe: 'Search templates and components in Backstage, ranked, with the fields that matched.',
    options: [['--kind', 'Only this kind: template or component']],
    examples: ['search preview', 'search "preview environment" --kind template', 'search payments --json'],
    load: () => import('./commands/search.js'),
  },
  {
    usage: 'create <template>',
    describe: 'Run a template through Backstage\'s Scaffolder as you, its parameters checked first (missing ones asked for on a terminal); streams the task\'s log, prints its output (the PR URL); exit code = its outcome.',
    options: [
      ['--set', 'A parameter, name=value (repeatable); typed by the template\'s schema'],
      ['--values', 'A YAML or JSON file of parameters (--set wins)'],
      ['--dry-run', 'Run the steps in dry-run mode and print their log and output; nothing is written'],
      ['--wait', 'Also wait for the change: sets the template\'s `wait` parameter (idp\'s templates then end when the PR is merged, failing otherwise)'],
      ['--no-follow', 'Start the task, print its id and return (follow it later with `idp tasks logs <id>`)'],
    ],
    examples: ['create add-preview-environment --set source=staging --set name=preview-7', 'create add-preview-environment --set name=preview-7 --wait', 'create new-service --set name=payments', 'create promote --values promote.yaml --dry-run'],
    load: () => import('./commands/create.js'),
  },
  {
    usage: 'tasks logs <task>',
    describe: 'Follow a template task (idp create prints its id): its log from the start, then its output; exit code = its outcome.',
    examples: ['tasks logs 5f0c…'],
    load: () => import('./commands/tasks/logs.js'),
  },
  {
    usage: 'activity',
    describe: 'Show what idp did for the component, newest first: each workflow (kind, environment, status, requester), its PR and its Temporal Web UI link.',
    options: [['--limit', 'At most this many workflows (1-100, default 50)']],
    examples: ['activity', 'activity --limit 10', 'activity --json'],
    load: () => import('./commands/activity.js'),
  },
  {
    usage: 'logs',
    describe: 'Show the environment\'s newest lines (`time app[web.1]: message`); --tail keeps following them.',
    options: [
      ['--env', 'The environment (required)'],
      ['-t, --tail', 'Keep following new lines (reconnects by itself; Ctrl-C to stop)'],
      ['-n, --num', 'How many lines: the newest (1-10000, default 100; with --tail, shown before following)'],
      ['--since', 'Only lines after this: a duration back from now (30m, 1h, 2d) or a timestamp'],
      ['--until', 'Only lines before this (a duration back from now or a timestamp)'],
      ['--grep', 'Only lines containing this text (plain, case-sensitive)'],
      ['--process', 'Only this process: web (every web process) or web.1'],
    ],
    examples: ['logs --env preview-1 --tail', 'logs --env staging --since 1h --grep error -n 200', 'logs --env staging --process web --json'],
    load: () => import('./commands/logs/logs.js'),
  },
  {
    usage: 'metrics',
    describe: 'Show the environment\'s request rate, error rate, p95 latency, CPU and memory, with sparklines.',
    options: [
      ['--env', 'The environment (required)'],
      ['--since', 'The range: a duration back from now (default 1h) or a timestamp'],
      ['--until', 'The end of the range (default now)'],
      ['--step', 'Seconds between points (default: the range in about 60 points)'],
      ['--process', 'Only this process: web (every web process) or web.1'],
    ],
    examples: ['metrics --env staging', 'metrics --env production --since 6h', 'metrics --env staging --json'],
    load: () => import('./commands/metrics.js'),
  },
  {
    usage: 'open [env]',
    describe: 'Open the component\'s page in Backstage in your browser; with <env>, that environment on its Environments tab; with --env <env>, its running app.',
    options: [
      ['--env', 'Open the environment\'s running app (its URL, as `idp env list` shows it); with a tab flag, that environment on the tab'],
      ['--releases', 'Open the Releases tab'],
      ['--secrets', 'Open the Secrets & Variables tab (with <env>, that environment)'],
      ['--logs', 'Open the Logs tab (with <env>, that environment\'s live tail)'],
      ['--metrics', 'Open the Metrics tab (with <env>, that environment)'],
      ['--activity', 'Open the Activity tab'],
      ['--pr', 'Open this pull request instead'],
      ['--print', 'Print the URL instead of opening it'],
    ],
    examples: ['open', 'open staging', 'open --env preview-1', 'open --releases', 'open staging --secrets', 'open staging --logs', 'open --env staging --metrics', 'open --pr 3', 'open --print'],
    load: () => import('./commands/open.js'),
  },
  {
    usage: 'env list',
    describe: 'List the component\'s environments: live, pending in a PR, expiring.',
    load: () => import('./commands/env/list.js'),
  },
  {
    usage: 'env clone <source> <target>',
    describe: 'Clone an environment into a new one, through a pull request.',
    options: [['--ttl', 'Time to live of the new environment, e.g. 72h (torn down by a PR when it expires)'], WAIT],
    examples: ['env clone staging preview-123 --ttl 72h', 'env clone staging preview-123 --wait'],
    load: () => import('./commands/env/clone.js'),
  },
  {
    usage: 'env create <name>',
    describe: 'Create an environment, through a pull request.',
    options: [['--ttl', 'Time to live, e.g. 72h'], WAIT],
    examples: ['env create qa', 'env create demo --ttl 24h --wait'],
    load: () => import('./commands/env/create.js'),
  },
  {
    usage: 'env destroy <name>',
    describe: 'Destroy an environment, through a pull request.',
    options: [['--confirm', 'The environment\'s name again; required to destroy a permanent environment'], WAIT],
    examples: ['env destroy preview-123', 'env destroy qa --confirm qa'],
    load: () => import('./commands/env/destroy.js'),
  },
  {
    usage: 'env extend <name>',
    describe: 'Give an ephemeral environment <ttl> more (from its current expiry, or from now once expired), through a pull request.',
    options: [['--ttl', 'How much longer, e.g. 24h (required)'], WAIT],
    examples: ['env extend preview-123 --ttl 24h'],
    load: () => import('./commands/env/extend.js'),
  },
  {
    usage: 'variables list',
    describe: 'List the environment\'s variables: value, and where it comes from (own, from: another environment, the workload default).',
    options: [['--env', 'The environment (required)']],
    examples: ['variables --env staging', 'variables --env preview-1 --json'],
    load: () => import('./commands/variables/list.js'),
  },
  {
    usage: 'variables set <pairs>',
    describe: 'Set variables (KEY=VALUE ...) of an environment, through one pull request. Secrets go through `idp secrets set`.',
    options: [['--env', 'The environment (required)'], WAIT],
    examples: ['variables set LOG_LEVEL=debug FEATURE_X=on --env staging', 'variables set LOG_LEVEL=info --env production --wait'],
    load: () => import('./commands/variables/set.js'),
    rest: true,
  },
  {
    usage: 'variables unset <keys>',
    describe: 'Remove variables (KEY ...) from an environment, through one pull request.',
    options: [['--env', 'The environment (required)'], WAIT],
    examples: ['variables unset FEATURE_X --env staging'],
    load: () => import('./commands/variables/unset.js'),
    rest: true,
  },
  {
    usage: 'secrets list',
    describe: 'List an environment\'s secrets: key, store, reference, pinned version, whether it exists there, when it last changed — never a value; and the store a new key would go to.',
    options: [['--env', 'The environment (required)']],
    examples: ['secrets --env staging', 'secrets list --env production --json'],
    load: () => import('./commands/secrets/list.js'),
  },
  {
    usage: 'secrets set <key>',
    describe: 'Set a secret, through a pull request: the value (from stdin, or typed at a hidden prompt; never on the command line) goes to the environment\'s secret store as a new version, and the PR pins it. With --ref, point the key at an existing secret instead.',
    options: [
      ['--env', 'The environment (required)'],
      ['--ref', 'Instead of a value: an existing secret\'s reference, e.g. vault://secret/shared/stripe#key'],
      ['--version', 'With --ref: the version to pin (default: its current version)'],
      WAIT,
    ],
    examples: ['secrets set STRIPE_KEY --env staging    # type it at the hidden prompt', 'printf %s "$STRIPE_KEY" | secrets set STRIPE_KEY --env staging', 'secrets set STRIPE_KEY --ref vault://secret/shared/stripe#key --version 3 --env staging'],
    load: () => import('./commands/secrets/set.js'),
  },
  {
    usage: 'secrets unset <key>',
    describe: 'Remove a secret\'s reference from an environment, through a pull request (the value stays in its store until an operator purges it).',
    options: [['--env', 'The environment (required)'], WAIT],
    examples: ['secrets unset STRIPE_KEY --env staging'],
    load: () => import('./commands/secrets/unset.js'),
  },
  {
    usage: 'secrets check',
    describe: 'Check that every secret reference of an environment resolves in its store (the secret and its pinned version exist); values are not read. Exit 1 with the list when not.',
    options: [['--env', 'The environment (required)']],
    examples: ['secrets check --env production'],
    load: () => import('./commands/secrets/check.js'),
  },
  {
    usage: 'releases list',
    describe: 'List each environment\'s releases, newest first: image, PR, requested by, approved by, when, outcome.',
    options: [['--env', 'Only this environment']],
    examples: ['releases', 'releases list --env production', 'releases --env production --json'],
    load: () => import('./commands/releases/list.js'),
  },
  {
    usage: 'releases create',
    describe: 'Release an image to an environment, through a pull request merged once the release policy holds.',
    options: [['--env', 'Environment to release to (required)'], ['--image', 'Image with a tag or digest, e.g. ghcr.io/acme/checkout:1.4.3 (required)'], RELEASE_WAIT],
    examples: ['releases create --env staging --image ghcr.io/acme/checkout:1.4.3', 'releases create --env staging --image ghcr.io/acme/checkout@sha256:<digest> --wait'],
    load: () => import('./commands/releases/create.js'),
  },
  {
    usage: 'releases promote <source> <target>',
    describe: 'Set <target> to exactly what <source> runs now, through a release pull request.',
    options: [RELEASE_WAIT],
    examples: ['releases promote staging production', 'releases promote staging production --wait'],
    load: () => import('./commands/releases/promote.js'),
  },
  {
    usage: 'releases rollback <env>',
    describe: 'Set <env> back to an earlier release\'s image, through a release pull request.',
    options: [['--to', 'Release to return to, e.g. v11 or 11 (default: the merged release before the current one)'], RELEASE_WAIT],
    examples: ['releases rollback production', 'releases rollback production --to v11 --wait'],
    load: () => import('./commands/releases/rollback.js'),
  },
  {
    usage: 'releases show <release>',
    describe: 'Show a release: its PR, approvals so far, checks, what it waits for, policy, workflow and diff.',
    options: [['--env', 'Environment of the release (required)']],
    examples: ['releases show v12 --env production'],
    load: () => import('./commands/releases/show.js'),
  },
  {
    usage: 'pr list',
    describe: 'List the pull requests of the component\'s repository.',
    options: [['--state', 'open, merged, closed or all (default open)'], ['--page', 'Page of 100, newest first (default 1)']],
    load: () => import('./commands/pr/list.js'),
  },
  {
    usage: 'pr show <number>',
    describe: 'Show a pull request with its reviews and comments.',
    load: () => import('./commands/pr/show.js'),
  },
  {
    usage: 'pr diff <number>',
    describe: 'Show the changes a pull request makes, as unified diffs.',
    load: () => import('./commands/pr/diff.js'),
  },
  {
    usage: 'pr review <number>',
    describe: 'Review a pull request: approve, request changes or comment.',
    options: [
      ['--approve', 'Approve the PR\'s current head'],
      ['--request-changes', 'Request changes'],
      ['--comment', 'Comment only (needs -m)'],
      ['-m, --message', 'Review body'],
    ],
    examples: ['pr review 3 --approve', 'pr review 3 --request-changes -m "TTL too long"'],
    load: () => import('./commands/pr/review.js'),
  },
  {
    usage: 'pr check <number> <name>',
    describe: 'Local forge only (it runs no CI): report a check on the PR\'s head, e.g. the ci/build a release policy requires.',
    options: [
      ['--success', 'The check passed'],
      ['--failure', 'The check failed'],
      ['--pending', 'The check is running'],
      ['-m, --message', 'Description (at most 140 characters)'],
    ],
    examples: ['pr check 3 ci/build --success'],
    load: () => import('./commands/pr/check.js'),
  },
  {
    usage: 'pr merge <number>',
    describe: 'Merge a pull request (the workflow following it then completes).',
    load: () => import('./commands/pr/merge.js'),
  },
  {
    usage: 'pr close <number>',
    describe: 'Close a pull request without merging it.',
    load: () => import('./commands/pr/close.js'),
  },
];

const GLOBAL_OPTIONS: [string, string][] = [
  ['--json', 'Print the API response as JSON on stdout; errors as JSON on stderr'],
  ['--component', 'Component name (default: IDP_COMPONENT, else the nearest paws.yaml)'],
  ['--api', `Platform API URL (default: IDP_API_URL, else ${DEFAULT_API_URL})`],
  ['--repo', 'Git remote of the component, instead of the working copy\'s origin (or IDP_REPO)'],
  ['--path', 'paws.yaml path inside the repository (default: found locally, else paws.yaml)'],
];

const BOOLEAN = ['json', 'tail', 'print', 'releases', 'secrets', 'logs', 'metrics', 'activity', 'wait', 'follow', 'dry-run', 'approve', 'request-changes', 'comment', 'success', 'failure', 'pending', 'browser'];
const STRING = ['component', 'api', 'repo', 'path', 'ttl', 'confirm', 'state', 'message', 'image', 'env', 'to', 'page', 'user', 'set', 'values', 'kind', 'limit', 'pr', 'ref', 'secret-version', 'num', 'since', 'until', 'grep', 'process', 'step'];
/** Short spellings of value options (sade's `-m, --message`): their value is the next argument too. */
const STRING_ALIASES = ['m', 'n'];
/** Nouns whose bare form runs a verb, like `heroku releases`; `idp <noun> --help` still shows the noun's help. */
const DEFAULT_VERBS: Record<string, string> = { releases: 'list', variables: 'list', secrets: 'list' };
/** Why idp never repeats a word typed after `idp secrets`: it may be a value (`idp secrets set KEY=sk_live_…`). */
const NOT_REPEATED = 'not repeated here: it may be a secret value, and a value never goes on the command line. Pipe it in instead: printf %s "$VALUE" | idp secrets set KEY --env <env>';

/**
 * `idp secrets set KEY --ref … --version 3`: there `--version` is the secret's version to pin, not the CLI's (sade
 * would print that and stop), so it is handed over as --secret-version.
 */
function secretVersionFlag(argv: string[]): string[] {
  const words = positionals(argv);
  if (words[0]?.word !== 'secrets' || words[1]?.word !== 'set') return argv;
  return argv.flatMap((a, i) => (a === '--version' && i + 1 < argv.length ? ['--secret-version'] : a.startsWith('--version=') ? [`--secret-version=${a.slice('--version='.length)}`] : [a]));
}
const NOUNS = new Set(COMMANDS.map((c) => c.usage.split(' ')).filter((w) => w.length > 1 && !/^[<[]/.test(w[1]!)).map((w) => w[0]!));
const commandName = (spec: Spec) => spec.usage.split(' ').filter((w) => !/^[<[]/.test(w)).join(' ');

/** ". Did you mean `idp env list`?" when a command is close to the words typed, else ''. */
function suggestion(argv: string[]): string {
  const name = didYouMean(positionals(argv).map((p) => p.word), [...COMMANDS.map(commandName), ...NOUNS]);
  return name ? `. Did you mean \`idp ${name}\`?` : '';
}

function program() {
  const prog = sade('idp').version(cliVersion());
  prog.describe('Heroku-like environments on top of GitOps: every change is a reviewed pull request.');
  for (const [flag, text] of GLOBAL_OPTIONS) prog.option(flag, text);
  for (const spec of COMMANDS) {
    prog.command(spec.usage, spec.describe);
    for (const [flag, text] of spec.options ?? []) prog.option(flag, text);
    for (const ex of spec.examples ?? []) prog.example(ex);
    prog.action(() => undefined);
  }
  return prog;
}

export function rootHelpFooter(): string {
  const codes = EXIT_CODES_HELP.map(([code, text]) => `    ${code}  ${text}`).join('\n');
  return [
    '  Environment',
    '    IDP_API_URL      Platform API URL (--api)',
    '    IDP_TOKEN        Backstage token sent to the API (CI, scripts); wins over `idp login`',
    '    IDP_API_TOKEN    The standalone server\'s shared token, sent with IDP_USER',
    '    IDP_USER         Acting user on the standalone server (default: git config user.email)',
    '    IDP_COMPONENT    Component name (--component)',
    '    IDP_REPO         Git remote of the component (--repo)',
    '    NO_COLOR         Disable colours',
    '',
    '  Exit codes',
    codes,
    '',
  ].join('\n');
}

function nounHelp(noun: string): string {
  const specs = COMMANDS.filter((c) => c.usage.startsWith(`${noun} `));
  const width = Math.max(...specs.map((s) => commandName(s).length));
  return [
    '',
    '  Usage',
    `    $ idp ${noun} <command> [options]`,
    ...(DEFAULT_VERBS[noun] ? [`    $ idp ${noun} [options]    (the same as \`idp ${noun} ${DEFAULT_VERBS[noun]}\`)`] : []),
    '',
    '  Available Commands',
    ...specs.map((s) => `    ${commandName(s).padEnd(width)}    ${s.describe}`),
    '',
    `  Run \`idp ${noun} <command> --help\` for a command's options.`,
    '',
  ].join('\n');
}

/** Positional words of argv with their index, skipping the values of value options (`--env production`). */
function positionals(argv: string[]): { word: string; index: number }[] {
  const takesValue = new Set([...STRING.map((f) => `--${f}`), ...STRING_ALIASES.map((f) => `-${f}`)]);
  const out: { word: string; index: number }[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      out.push(...argv.slice(i + 1).map((word, j) => ({ word, index: i + 1 + j })));
      break;
    }
    if (a.startsWith('-')) {
      if (takesValue.has(a)) i++;
      continue;
    }
    out.push({ word: a, index: i });
  }
  return out;
}

/** `idp releases [--env x]` → `idp releases list [--env x]`: a bare noun with a default verb and no other word, unless help is asked for. */
function withDefaultVerb(argv: string[]): string[] {
  const words = positionals(argv);
  const noun = words[0]?.word;
  const verb = noun === undefined ? undefined : DEFAULT_VERBS[noun];
  if (!verb || argv.some((a) => a === '--help' || a === '-h' || a === '--version' || a === '-v')) return argv;
  if (words.length > 1) {
    const known = COMMANDS.some((c) => commandName(c) === `${noun} ${words[1]!.word}`);
    if (!known && noun === 'secrets') throw new UsageError(`Unknown command: idp secrets followed by an argument (${NOT_REPEATED}).`, 'Run `idp secrets --help` for its commands.');
    if (!known) {
      const near = suggestion(argv);
      throw new UsageError(
        `Unknown command: ${noun} ${shownWord(words[1]!.word)}${near}`,
        `Run \`idp ${noun} --help\` for its commands${!near && words.length === 2 && /^[a-z0-9-]+$/.test(words[1]!.word) ? `; for one environment's ${noun}: \`idp ${noun} --env ${words[1]!.word}\`` : ''}.`,
      );
    }
    return argv;
  }
  const at = words[0]!.index + 1;
  return [...argv.slice(0, at), verb, ...argv.slice(at)];
}

/** Thrown in place of sade's process.exit() while it parses. */
class SadeExit extends Error {}

type Parsed = { kind: 'done' } | { kind: 'run'; spec: Spec; args: string[]; flags: Flags };

/**
 * sade prints its own usage errors and calls process.exit(1); we want exit 2,
 * our message format, JSON errors with --json, and output on `io`. So for the
 * duration of the (synchronous) parse, console output is redirected and
 * process.exit throws; the text sade printed becomes a UsageError.
 */
function parse(argv: string[], io: Io): Parsed {
  const prog = program();
  const saved = { log: console.log, error: console.error, exit: process.exit };
  let errText = '';
  console.log = (...a: unknown[]) => void io.stdout.write(format(...a) + '\n');
  console.error = (...a: unknown[]) => void (errText += format(...a) + '\n');
  process.exit = ((code?: number) => {
    throw new SadeExit(String(code));
  }) as typeof process.exit;
  try {
    const out = prog.parse(['node', 'idp', ...argv], {
      lazy: true,
      // Fresh arrays and alias lists on every parse: mri appends each option's aliases to the lists it is given.
      boolean: [...BOOLEAN],
      string: [...STRING],
      // `--no-browser`, `--no-follow`: mri's negations of `browser`, `follow`, known under those names (only `idp
      // login`, `idp create` read them).
      // `--secret-version`: what `idp secrets set` gets its --version as (secretVersionFlag).
      alias: { browser: [], follow: [], 'secret-version': [], num: ['n'], tail: ['t'] },
      // The option's name only: `--value=<something>` may carry a secret value.
      unknown: (flag: string) => `Unknown option ${flag.split('=')[0]}`,
    });
    if (!out) return { kind: 'done' }; // --help or --version was printed
    const spec = COMMANDS.find((c) => commandName(c) === out.name);
    if (!spec) throw new UsageError(`Unknown command: ${out.name}`, 'Run `idp --help` to see the commands.');
    const flags = out.args[out.args.length - 1] as unknown as Flags;
    const args = (out.args.slice(0, -1) as unknown[]).filter((a) => a !== undefined).map(String);
    if (spec.rest) args.push(...flags._.map((a) => String(a)));
    else if (flags._.length && out.name.startsWith('secrets ')) throw new UsageError(`Unexpected argument${flags._.length > 1 ? 's' : ''} (${NOT_REPEATED}).`, `Run \`idp ${out.name} --help\` for usage.`);
    else if (flags._.length) throw new UsageError(`Unexpected argument${flags._.length > 1 ? 's' : ''}: ${flags._.map((w) => shownWord(String(w))).join(' ')}`, `Run \`idp ${out.name} --help\` for usage.`);
    return { kind: 'run', spec, args, flags };
  } catch (e) {
    if (!(e instanceof SadeExit)) throw e;
    // "\n  ERROR\n    Invalid command: foo\n\n  Run `$ idp --help` for more info.\n"
    const message = /ERROR\n\s*(.+)/.exec(errText)?.[1]?.trim() ?? errText.trim();
    // sade only names the command for missing arguments; find it from the words given otherwise.
    const words = argv.filter((a) => !a.startsWith('-'));
    const known = COMMANDS.map(commandName).find((n) => words.slice(0, n.split(' ').length).join(' ') === n);
    const sadeHint = /Run `\$ (.+?)`/.exec(errText)?.[1];
    const noun = NOUNS.has(words[0] ?? '') ? words[0] : undefined;
    const helpCmd = sadeHint && sadeHint !== 'idp --help' ? sadeHint : known ? `idp ${known} --help` : noun ? `idp ${noun} --help` : 'idp --help';
    const nice = message
      // The words typed, not sade's (which drops the first word after a leading `--json`).
      .replace(/^Invalid command: .*$/, () =>
        positionals(argv).some((p) => p.word === 'secrets')
          ? `Unknown command: idp secrets and what follows (${NOT_REPEATED})${suggestion(argv)}`
          : `Unknown command: ${positionals(argv).map((p) => shownWord(p.word)).join(' ')}${suggestion(argv)}`,
      )
      .replace(/^Insufficient arguments!$/, 'Missing arguments.')
      .replace(/^No command specified\.$/, 'No command given.');
    throw new UsageError(nice, `Run \`${helpCmd}\` for usage.`);
  } finally {
    console.log = saved.log;
    console.error = saved.error;
    process.exit = saved.exit;
  }
}

function printError(err: unknown, io: Io, json: boolean): void {
  if (json) {
    io.stderr.write(JSON.stringify(errorBody(err)) + '\n');
    return;
  }
  const ui = new Ui(io, false);
  const message = terminalSafe(err instanceof Error ? err.message : String(err));
  io.stderr.write(`${ui.err.red('idp:')} ${message}\n`);
  if (err instanceof UsageError && err.hint) io.stderr.write(`${err.hint}\n`);
  if (io.env.IDP_DEBUG && err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  else if (exitCodeFor(err) === ExitCode.failure && !(err instanceof Error && 'code' in err)) {
    io.stderr.write('This looks like a bug in idp; run again with IDP_DEBUG=1 for details.\n');
  }
}

/**
 * `idp --json env list` as `idp env list --json`: options written before the command move after it, as sade takes the
 * first word after a leading option for that option's value (and so loses the command's first word).
 */
function flagsAfterCommand(argv: string[]): string[] {
  const first = positionals(argv)[0];
  return first && first.index > 0 ? [...argv.slice(first.index), ...argv.slice(0, first.index)] : argv;
}

/** Runs `idp` with `argv` (without node and the script) and returns the exit code. */
export async function main(argv: string[], io: Io = processIo()): Promise<number> {
  const json = argv.includes('--json');
  try {
    const words = argv.filter((a) => !a.startsWith('-'));
    if (argv.length === 0) argv = ['--help'];
    if (words[0] === 'help') argv = [...words.slice(1), '--help'];
    argv = withDefaultVerb(secretVersionFlag(flagsAfterCommand(argv)));
    const wantsHelp = argv.includes('--help') || argv.includes('-h');
    const helpWords = argv.filter((a) => !a.startsWith('-'));
    if (helpWords.length === 1 && NOUNS.has(helpWords[0]!) && !argv.includes('--version') && !argv.includes('-v')) {
      io.stdout.write(nounHelp(helpWords[0]!));
      return ExitCode.ok;
    }
    const parsed = parse(argv, io);
    if (parsed.kind === 'done') {
      if (wantsHelp && helpWords.length === 0) io.stdout.write(rootHelpFooter());
      return ExitCode.ok;
    }
    const mod = await parsed.spec.load();
    await mod.run({ args: parsed.args, flags: parsed.flags, io, ui: new Ui(io, json) });
    return ExitCode.ok;
  } catch (err) {
    printError(err, io, json);
    return exitCodeFor(err);
  }
}
