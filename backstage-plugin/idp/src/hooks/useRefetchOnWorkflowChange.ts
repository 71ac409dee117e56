/**
 * Loads a tab's list and keeps it current without hammering the API: while the list has running workflows, each is
 * long-polled (`GET /workflows/:id?wait=25&phase=…`: the server answers when its phase changes or 25 s pass) and the
 * list is fetched again as soon as one moves on; with nothing running, the list is fetched again every 30 s, only
 * while the page is visible — every 2 s instead while `settling` says something is about to change that no workflow
 * reports (an environment's app starting after a merge), for at most a minute. Everything stops on unmount; a refetch
 * or unmount aborts the long polls in flight.
 */
import { useApi } from '@backstage/frontend-plugin-api';
import type { WorkflowStatus } from '@idp/core';
import { useEffect, useState } from 'react';
import { idpApiRef } from '../api';

/** A running workflow as the list shows it: what to long-poll, and the phase it is known to be in. */
export interface Followed {
  workflowId: string;
  phase: WorkflowStatus['phase'];
}

export const LONG_POLL_SECONDS = 25;
export const IDLE_REFETCH_MS = 30_000;
export const SETTLING_REFETCH_MS = 2000;
/** Settling refetches in a row before falling back to the idle pace (a minute). */
const SETTLING_TRIES = 30;

export function useRefetchOnWorkflowChange<T>(load: (() => Promise<T>) | undefined, running: (data: T) => Followed[], settling?: (data: T) => boolean): { data?: T; error?: Error } {
  const client = useApi(idpApiRef);
  const [state, setState] = useState<{ data?: T; error?: Error }>({});
  useEffect(() => {
    if (!load) return undefined;
    let stopped = false;
    /** Each fetch of the list starts a generation; answers to an older generation's long polls are ignored. */
    let generation = 0;
    /** Ends the current generation's long polls: a refetch or unmount releases the requests the server holds. */
    let polls = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    let onVisible: (() => void) | undefined;

    const whenVisible = (fn: () => void) => {
      if (document.visibilityState === 'visible') return fn();
      onVisible = () => {
        if (document.visibilityState !== 'visible') return;
        document.removeEventListener('visibilitychange', onVisible!);
        onVisible = undefined;
        fn();
      };
      document.addEventListener('visibilitychange', onVisible);
    };
    let settlingTries = 0;
    const later = (gen: number, soon = false) => {
      timer = setTimeout(() => whenVisible(() => gen === generation && void fetchList()), soon ? SETTLING_REFETCH_MS : IDLE_REFETCH_MS);
    };
    const follow = (gen: number, w: Followed) => {
      client.workflow(w.workflowId, LONG_POLL_SECONDS, w.phase, polls.signal).then(
        (s) => {
          if (stopped || gen !== generation) return;
          if (s.status === 'running' && s.phase === w.phase) follow(gen, w); // 25 s passed, nothing changed: wait again
          else void fetchList();
        },
        // The long poll failed (the API restarting…): fall back to the idle refetch rather than retrying at once.
        () => !stopped && gen === generation && later(gen),
      );
    };
    const fetchList = async () => {
      const gen = ++generation;
      clearTimeout(timer);
      polls.abort();
      polls = new AbortController();
      try {
        const data = await load();
        if (stopped || gen !== generation) return;
        setState({ data });
        const live = running(data);
        if (live.length) {
          settlingTries = 0;
          for (const w of live) follow(gen, w);
        } else {
          const isSettling = settling?.(data) === true;
          if (!isSettling) settlingTries = 0;
          later(gen, isSettling && settlingTries++ < SETTLING_TRIES);
        }
      } catch (error) {
        if (stopped || gen !== generation) return;
        // A failed refetch keeps what was shown, with the error beside it.
        setState((s) => ({ ...s, error: error as Error }));
        later(gen);
      }
    };
    void fetchList();
    return () => {
      stopped = true;
      polls.abort();
      clearTimeout(timer);
      if (onVisible) document.removeEventListener('visibilitychange', onVisible);
    };
    // `running` and `settling` are pure functions of the data: they do not restart the loading.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [client, load]);
  return state;
}
