/**
 * The Logs tab: `idp logs` in the browser, per environment (`?env=`, as `idp open <env> --logs` links it).
 *
 * - **Live** (the default, `idp logs --tail`): the last 100 lines, then every new one as it is written, following by
 *   itself across dropped connections and restarts (LiveTail);
 * - **History** (`idp logs -n … --since … --until …`): the newest lines of a range (LogHistory);
 * - both narrowed by process (`web`: every web process, `web.1`: that one) and by a plain substring (`--grep`).
 *
 * Everything the tab shows is in its URL (`?env=staging&process=web&grep=error&mode=history&since=1h&n=200`), so a
 * view can be shared or reloaded. The environments come from `GET /environments`, with what runs for each.
 */
import { Button, Flex, NumberField, TextField, ToggleButton, ToggleButtonGroup } from '@backstage/ui';
import type { EnvironmentView, RepoRef } from '@idp/core';
import { useState, type FormEvent, type ReactNode } from 'react';
import { ComponentEnvironments, RefreshError } from '../shared/ComponentEnvironments';
import { EnvironmentPicker, useChosenEnvironment, useTabParams } from '../shared/EnvironmentPicker';
import { RuntimeSummary } from '../shared/RuntimeState';
import { LiveTail } from './LiveTail';
import { LogHistory } from './LogHistory';

/** Lines a tail shows before following, and History's default -n: the CLI's (and Heroku's) 100. */
const DEFAULT_LINES = 100;

export function LogsTab() {
  // What runs is what paws.yaml declares (an environment only in an open PR runs nothing yet).
  return (
    <ComponentEnvironments declaredOnly noneBecause=", so nothing runs and nothing writes logs.">
      {({ list, envs, repo, error }) => <Logs component={list.component} envs={envs} repo={repo} error={error} />}
    </ComponentEnvironments>
  );
}

/** A filter field of a fixed width, so the row wraps rather than one field taking it all. */
const Field = ({ width, children }: { width: string; children: ReactNode }) => <div style={{ width }}>{children}</div>;

function Logs({ component, envs, repo, error }: { component: string; envs: EnvironmentView[]; repo: RepoRef; error?: Error }) {
  const { env, unknown, choose } = useChosenEnvironment(envs.map((e) => e.name));
  const { params, set } = useTabParams();
  const mode = params.get('mode') === 'history' ? 'history' : 'live';
  const applied = {
    process: params.get('process') ?? '',
    grep: params.get('grep') ?? '',
    since: params.get('since') ?? '',
    until: params.get('until') ?? '',
    n: Number(params.get('n')) || DEFAULT_LINES,
  };
  // What is typed, applied on Enter or Apply (a tail is not restarted on every keystroke).
  const [draft, setDraft] = useState(applied);
  const edit = (k: keyof typeof draft) => (v: string | number) => setDraft((d) => ({ ...d, [k]: v }));
  const apply = (e?: FormEvent) => {
    e?.preventDefault();
    set({ process: draft.process.trim(), grep: draft.grep, since: draft.since.trim(), until: draft.until.trim(), n: draft.n === DEFAULT_LINES ? undefined : String(draft.n) });
  };
  const runtime = envs.find((e) => e.name === env)?.runtime;
  const filters = { ...(applied.grep ? { grep: applied.grep } : {}), ...(applied.process ? { process: applied.process } : {}) };
  const key = `${env}|${applied.process}|${applied.grep}`;

  return (
    <Flex direction="column" gap="4">
      <EnvironmentPicker component={component} envs={envs.map((e) => e.name)} env={env} unknown={unknown} onChange={choose}>
        Logs of {component} in {env}
        <RuntimeSummary runtime={runtime} />
      </EnvironmentPicker>
      <RefreshError error={error} />
      <form onSubmit={apply} aria-label="Log filters">
        <Flex align="end" gap="3" style={{ flexWrap: 'wrap' }}>
          <ToggleButtonGroup
            aria-label="Mode"
            selectionMode="single"
            disallowEmptySelection
            selectedKeys={[mode]}
            onSelectionChange={(keys) => set({ mode: [...keys][0] === 'history' ? 'history' : undefined })}
          >
            <ToggleButton id="live">Live</ToggleButton>
            <ToggleButton id="history">History</ToggleButton>
          </ToggleButtonGroup>
          <Field width="10rem">
            <TextField label="Process" placeholder="web or web.1" value={draft.process} onChange={edit('process')} />
          </Field>
          <Field width="16rem">
            <TextField label="Containing" placeholder="plain text, case-sensitive" value={draft.grep} onChange={edit('grep')} />
          </Field>
          {mode === 'history' && (
            <>
              <Field width="14rem">
                <TextField label="Since" placeholder="1h, 30m, 2d or a timestamp" value={draft.since} onChange={edit('since')} />
              </Field>
              <Field width="10rem">
                <TextField label="Until" placeholder="now" value={draft.until} onChange={edit('until')} />
              </Field>
              <Field width="8rem">
                <NumberField label="Lines" minValue={1} maxValue={10_000} value={draft.n} onChange={(v) => edit('n')(Number.isFinite(v) ? v : DEFAULT_LINES)} />
              </Field>
            </>
          )}
          <Button type="submit" variant="secondary">
            Apply
          </Button>
        </Flex>
      </form>
      {mode === 'live' ? (
        <LiveTail key={key} repo={repo} env={env} backlog={DEFAULT_LINES} {...filters} />
      ) : (
        <LogHistory
          key={`${key}|${applied.since}|${applied.until}|${applied.n}`}
          repo={repo}
          env={env}
          query={{ n: applied.n, ...(applied.since ? { since: applied.since } : {}), ...(applied.until ? { until: applied.until } : {}), ...filters }}
        />
      )}
    </Flex>
  );
}
