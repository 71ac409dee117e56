/**
 * The environment a per-environment tab shows (Secrets & Variables, Logs, Metrics): chosen with a selector, kept in
 * the URL as `?env=` so `idp open <env> --secrets|--logs|--metrics` can link straight to it and a reload keeps it. An
 * unknown `?env=` falls back to the first environment, saying so.
 */
import { Flex, Select, Text } from '@backstage/ui';
import type { ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';

/** Reads and writes the tab's query parameters (`?env=staging&grep=…`), replacing the history entry as a filter does. */
export function useTabParams() {
  const [params, setParams] = useSearchParams();
  const set = (values: Record<string, string | undefined>) =>
    setParams(
      (p) => {
        for (const [k, v] of Object.entries(values)) {
          if (v === undefined || v === '') p.delete(k);
          else p.set(k, v);
        }
        return p;
      },
      { replace: true },
    );
  return { params, set };
}

/** The environment to show among `envs` (non-empty): `?env=` when it is one of them, else the first. */
export function useChosenEnvironment(envs: string[]) {
  const { params, set } = useTabParams();
  const asked = params.get('env');
  const env = asked && envs.includes(asked) ? asked : envs[0]!;
  return { env, unknown: asked && !envs.includes(asked) ? asked : undefined, choose: (next: string) => set({ env: next }) };
}

export function EnvironmentPicker(props: { component: string; envs: string[]; env: string; unknown?: string; onChange: (env: string) => void; children: ReactNode }) {
  const { component, envs, env, unknown, onChange } = props;
  return (
    <Flex align="end" gap="3">
      <div style={{ minWidth: '16rem' }}>
        <Select label="Environment" options={envs.map((e) => ({ id: e, label: e }))} selectedKey={env} onSelectionChange={(k) => k !== null && onChange(String(k))} />
      </div>
      <Text color="secondary">{unknown ? `${component} has no environment ${unknown} in paws.yaml; showing ${env}.` : props.children}</Text>
    </Flex>
  );
}
