/** Free ports on 127.0.0.1 for the stacks tests start (the OS picks; a stack then listens there). */
import { freePort, portFree } from '@idp/providers/ports';

export { freePort, portFree };

/** A free port P, other than `not`, with P+1000 free too: the embedded stack puts the Temporal Web UI at its Temporal port + 1000. */
export async function freeTemporalPort(not?: number): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (port !== not && port + 1000 !== not && port + 1000 < 65536 && (await portFree(port + 1000))) return port;
  }
}
