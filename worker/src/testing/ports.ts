/** Free ports on 127.0.0.1 for the stacks tests start (the OS picks; a stack then listens there). */
import { createServer, type AddressInfo } from 'node:net';

/** Whether a TCP port on 127.0.0.1 can be listened on (closed again at once). */
export function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

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

/** A free port P, other than `not`, with P+1000 free too: the embedded stack puts the Temporal Web UI at its Temporal port + 1000. */
export async function freeTemporalPort(not?: number): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port !== not && port + 1000 !== not && port + 1000 < 65536 && (await portFree(port + 1000))) return port;
  }
}
