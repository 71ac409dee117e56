/**
 * A browser opening a PR's URL on the local forge (`<backstage>/api/idp/pulls/<n>?repo=…`: in PR links, task outputs,
 * `idp` output) gets the app's PR page, not JSON: a navigation (it prefers HTML to JSON) is redirected to
 * `<app>/idp/pulls/<n>?…` (the frontend plugin's PULL_PAGE_PATH), which asks the API with the signed-in user's token.
 * Nothing is read here and the query is passed on as given, so the redirect tells a caller without a token nothing.
 * API clients (Accept: application/json, or no preference) reach the Platform API's route as before.
 */
import type { Request, Response, NextFunction } from 'express';

export const PULL_PAGE_PATH = '/idp/pulls';

export function pullPageRedirect(appBaseUrl: string) {
  const app = appBaseUrl.replace(/\/+$/, '');
  return (req: Request, res: Response, next: NextFunction) => {
    const n = req.params.number ?? '';
    if (!/^\d{1,9}$/.test(n) || req.accepts(['json', 'html']) !== 'html') return next();
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?')) : '';
    res.redirect(302, `${app}${PULL_PAGE_PATH}/${n}${query}`);
  };
}
