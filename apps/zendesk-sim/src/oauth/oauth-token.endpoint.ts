import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { OAuthGrantError, type OAuthTokenIssuer } from './oauth-token.issuer';

/**
 * `POST /oauth/tokens` (section 2.1), outside `/api/v2` as at Zendesk: JSON or form bodies, `201`
 * with the new pair, RFC 6749 error bodies (`{"error", "error_description"}`) otherwise.
 */
export function oauthTokenEndpoint(issuer: OAuthTokenIssuer): RequestHandler {
  const json = express.json({ limit: '16kb' });
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  return (req: Request, res: Response, next: NextFunction) => {
    if (req.path !== '/') return next();
    if (req.method !== 'POST') {
      res.status(405).set('Allow', 'POST').json({ error: 'invalid_request', error_description: 'Use POST' });
      return;
    }
    const parse = req.is('application/x-www-form-urlencoded') ? form : json;
    parse(req, res, (error?: unknown) => {
      if (error) {
        res
          .status(400)
          .json({ error: 'invalid_request', error_description: 'The body is not valid JSON or form data' });
        return;
      }
      try {
        const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<
          string,
          unknown
        >;
        res.status(201).set('Cache-Control', 'no-store').json(issuer.refresh(body));
      } catch (failure) {
        if (!(failure instanceof OAuthGrantError)) throw failure;
        res.status(failure.status).json({ error: failure.error, error_description: failure.description });
      }
    });
  };
}
