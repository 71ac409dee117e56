/**
 * The live tail panel: the environment's lines as they come (useLogTail), following by default. The view sticks to
 * the newest line unless the person scrolled up to read (then it stays put, and "Jump to newest" takes them back);
 * Pause stops reading, Resume picks up where it stopped. The connection's state is always in sight: connecting,
 * live, reconnecting (and why), paused, or stopped with the API's message.
 *
 * Not Backstage's LogViewer: it scrolls to the last line on every change, which would pull a reader back to the
 * bottom with each new line, and its line numbers and #line links mean nothing in a window that drops old lines.
 * The History mode, a fixed set of lines, uses it.
 */
import { Alert, Button, Flex, Text } from '@backstage/ui';
import type { RepoRef } from '@idp/core';
import { useLayoutEffect, useRef, useState } from 'react';
import { plainText, processLabel, shortTime } from './format';
import { type TailState, useLogTail } from './useLogTail';

/** Lines kept in the panel (Heroku's own log view keeps 1,500); History loads up to 10,000. */
export const MAX_LIVE_LINES = 1500;
/** How close to the bottom (px) still counts as "at the newest line". */
const STICK_PX = 24;

const STATUS: Record<TailState['state'], string> = {
  connecting: 'Connecting…',
  live: '● Live',
  reconnecting: 'Reconnecting…',
  paused: 'Paused',
  stopped: 'Stopped',
};

export function LiveTail(props: { repo: RepoRef; env: string; grep?: string; process?: string; backlog: number; max?: number }) {
  const [paused, setPaused] = useState(false);
  const max = props.max ?? MAX_LIVE_LINES;
  const { entries, dropped, status } = useLogTail({ repo: props.repo, env: props.env, grep: props.grep, process: props.process, backlog: props.backlog, paused, max });
  const box = useRef<HTMLDivElement>(null);
  const [following, setFollowing] = useState(true);

  // After each render with new lines: keep the newest in view, unless the reader scrolled away from it.
  useLayoutEffect(() => {
    const el = box.current;
    if (el && following) el.scrollTop = el.scrollHeight;
  }, [entries, following]);
  const onScroll = () => {
    const el = box.current;
    if (el) setFollowing(el.scrollHeight - el.scrollTop - el.clientHeight <= STICK_PX);
  };

  const filters = [props.process && `process ${props.process}`, props.grep && `containing "${props.grep}"`].filter(Boolean).join(', ');
  return (
    <Flex direction="column" gap="2">
      <Flex align="center" justify="between">
        <Flex align="center" gap="3">
          <Text data-testid="tail-status" weight="bold" color={status.state === 'live' ? 'success' : status.state === 'stopped' ? 'danger' : status.state === 'reconnecting' ? 'warning' : 'secondary'}>
            {STATUS[status.state]}
          </Text>
          <Text variant="body-small" color="secondary">
            {status.state === 'reconnecting'
              ? status.why
              : status.state === 'paused'
                ? 'nothing is read while paused; Resume shows what was written meanwhile'
                : `following ${props.env}${filters ? ` (${filters})` : ''}`}
          </Text>
        </Flex>
        <Flex gap="2">
          {!following && (
            <Button size="small" variant="secondary" onPress={() => setFollowing(true)}>
              Jump to newest
            </Button>
          )}
          {status.state !== 'stopped' && (
            <Button size="small" variant="secondary" onPress={() => setPaused((p) => !p)}>
              {paused ? 'Resume' : 'Pause'}
            </Button>
          )}
        </Flex>
      </Flex>
      {status.state === 'stopped' && <Alert status="danger" title={`Cannot follow ${props.env}'s logs`} description={status.message} role="alert" />}
      <div
        ref={box}
        onScroll={onScroll}
        data-testid="tail-lines"
        role="log"
        aria-live="off"
        aria-label={`Live log lines of ${props.env}`}
        style={{
          height: '60vh',
          overflowY: 'auto',
          fontFamily: 'var(--bui-font-monospace, monospace)',
          fontSize: '0.8125rem',
          lineHeight: 1.5,
          whiteSpace: 'pre-wrap',
          wordBreak: 'break-all',
          padding: '0.5rem 0.75rem',
          background: 'var(--bui-bg-neutral-1)',
          border: '1px solid var(--bui-border-1)',
          borderRadius: 4,
        }}
      >
        {dropped > 0 && (
          <div style={{ color: 'var(--bui-fg-secondary)' }}>
            … {dropped} older line{dropped === 1 ? '' : 's'} no longer shown (the newest {max} are kept; History loads up to 10,000)
          </div>
        )}
        {entries.length === 0 && status.state === 'live' && <div style={{ color: 'var(--bui-fg-secondary)' }}>No lines yet: waiting for {props.env} to write one.</div>}
        {entries.map((e) =>
          e.kind === 'line' ? (
            <div key={e.id} data-testid="tail-line" title={e.time}>
              <span style={{ color: 'var(--bui-fg-secondary)' }}>{shortTime(e.time)}</span> <span style={{ color: 'var(--bui-fg-warning)' }}>{processLabel(e.process)}</span> {plainText(e.message)}
            </div>
          ) : (
            <div key={e.id} data-testid="tail-notice" style={{ color: 'var(--bui-fg-info)', fontStyle: 'italic' }}>
              — {plainText(e.message)}
            </div>
          ),
        )}
      </div>
    </Flex>
  );
}
