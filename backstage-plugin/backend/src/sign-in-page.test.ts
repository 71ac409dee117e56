/** The sign-in page's HTML: everything from the catalog or the URL is escaped, and no script is inline. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { escapeHtml, signInHtml } from './sign-in-page.js';

describe('sign-in page', () => {
  it('escapes what it renders and carries no inline script or token', () => {
    const html = signInHtml({
      sessionId: 'abc-123',
      authBase: '/api/auth',
      guest: true,
      demoUsers: [{ name: 'eve', displayName: '<script>alert(1)</script>', email: '"x"@example.com' }],
    });
    assert.ok(!html.includes('<script>alert'));
    assert.match(html, /<option value="eve">&#60;script&#62;alert\(1\)&#60;\/script&#62; \(&#34;x&#34;@example\.com\)<\/option>/);
    // The only script is the served file (Backstage's CSP forbids inline ones); its inputs are data attributes.
    assert.deepEqual(html.match(/<script[^>]*>/g), ['<script src="/oauth2/sign-in.js" defer>']);
    assert.match(html, /<body data-session="abc-123" data-auth="\/api\/auth">/);
    assert.match(html, /id="guest"/);
  });

  it('offers the demo users only when given them', () => {
    const html = signInHtml({ sessionId: 's', authBase: '/api/auth', guest: true, demoUsers: undefined });
    assert.doesNotMatch(html, /<select/);
    assert.match(signInHtml({ sessionId: 's', authBase: '/api/auth', guest: false, demoUsers: [] }), /No sign-in provider here offers this page/);
  });

  it('escapeHtml covers the five characters that matter in text and attributes', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&#60;a href=&#34;x&#34; title=&#39;y&#39;&#62;&#38;&#60;/a&#62;');
  });
});
