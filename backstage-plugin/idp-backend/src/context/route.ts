/**
 * POST /api/idp/context/resolve: the CLI says what it sees (remotes, folder, nearest paws.yaml), the server answers
 * the catalog entity (or the candidates, or that there is none). Mounted on the Platform API router, so it is
 * authenticated like every route; the catalog is read as the caller.
 */
import type { HttpAuthService } from '@backstage/backend-plugin-api';
import type { NextFunction, Request, Response, Router } from 'express';
import { InvalidRequestError, ResolveContextRequest } from '@idp/core';
import type { ContextResolver } from './resolve.js';

export function contextRoutes(resolver: ContextResolver, httpAuth: HttpAuthService) {
  return (router: Router) => {
    router.post('/context/resolve', (req: Request, res: Response, next: NextFunction) => {
      void (async () => {
        const body = ResolveContextRequest.safeParse(req.body);
        if (!body.success) {
          const problems = body.error.issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`);
          throw new InvalidRequestError(`Invalid request: ${problems.join('; ')}.`, body.error.issues);
        }
        const credentials = await httpAuth.credentials(req, { allow: ['user', 'service'] });
        res.json(await resolver.resolve(body.data, credentials));
      })().catch(next);
    });
  };
}
