/**
 * Ports on 127.0.0.1: whether one is free, and one the OS says is free. The local runtime gives each environment one;
 * the tests and harnesses start their stores and stacks on them (every port configurable, so two stacks run at once).
 */
import { createServer, type AddressInfo } from 'node:net';

/** Whether 127.0.0.1:`port` can be listened on now (closed again at once). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/** A port the system says is free on 127.0.0.1 (one of its ephemeral range). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}
