/** The client never sends a token where anyone on the way could read it. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlatformClient } from './client.js';

describe('PlatformClient tokens', () => {
  /** A client whose requests are recorded and answered `{}`. */
  function client(baseUrl: string, o: { token?: string; forgeToken?: string }) {
    const sent: { url: string; headers: Record<string, string> }[] = [];
    const fetch = (async (url: URL, init: RequestInit) => {
      sent.push({ url: String(url), headers: init.headers as Record<string, string> });
      return new Response('{"pulls":[]}', { status: 200, headers: { 'content-type': 'application/json' } });
    }) as unknown as typeof globalThis.fetch;
    return { c: new PlatformClient({ baseUrl, user: 'dev@example.com', ...o, fetch }), sent };
  }

  it('refuses to send the API token or a forge token over plain http to another host', async () => {
    for (const o of [{ token: 'api-s3cret' }, { forgeToken: 'ghp_s3cret' }]) {
      const { c, sent } = client('http://idp.corp.example/api/idp', o);
      await assert.rejects(c.merge(1, { repo: 'acme/app' }), (e: Error) => /plain http.*https/.test(e.message) && !e.message.includes('s3cret'));
      assert.equal(sent.length, 0, 'nothing was sent');
    }
    // A request that carries no token goes: the forge token is sent only with PR actions and releases.
    const { c, sent } = client('http://idp.corp.example/api/idp', { forgeToken: 'ghp_s3cret' });
    await c.listPulls({ repo: 'acme/app' });
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.headers['x-idp-forge-token'], undefined);
  });

  it('sends them over https, and over http to this machine (the embedded stack)', async () => {
    for (const base of ['https://idp.corp.example/api/idp', 'http://127.0.0.1:7007/api/idp', 'http://localhost:7007/api/idp', 'http://[::1]:7007/api/idp']) {
      const { c, sent } = client(base, { token: 'api-s3cret', forgeToken: 'ghp_s3cret' });
      await c.listPulls({ repo: 'acme/app' });
      assert.equal(sent[0]!.headers.authorization, 'Bearer api-s3cret', base);
    }
  });
});
