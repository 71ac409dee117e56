export * from './source.js';
export * from './tools.js';
export { SourceError, describeSource, type SourceErrorKind } from '../source-error.js';
export * from './server.js';
export type { ServerProcess } from '../server-process.js';
export { VictoriaLogsSource, type VictoriaLogsSourceOptions } from './victorialogs.js';
export { createLogSource, logSourcesFrom } from './sources.js';
export { pollTail, compareRows, encodeCursor, decodeCursor, dedup, POLL_TIMING, type PolledRow, type PollTailOptions, type PollTiming } from './poll-tail.js';
export { parseTimeNs, formatTimeNs, dateToNs, nowNs } from './time.js';
export {
  createVictoriaLogsShipper,
  localStreamLabels,
  type VictoriaLogsShipper,
  type VictoriaLogsShipperOptions,
  type ShipperStats,
} from './ship-victorialogs.js';
