import type { Request } from 'express';

/**
 * Why a request made with the session cookie may come from another site, or null when it comes
 * from the router's own page. Browsers say where a request comes from: `Sec-Fetch-Site` must be
 * `same-origin` when sent; without it, `Origin` must be the router's own origin (the request's
 * protocol and host, which follow X-Forwarded-* only under TRUST_PROXY) or `PUBLIC_URL`'s.
 * A request with neither header is refused too: a script has the bearer header for that.
 */
export function crossSiteProblem(req: Request, publicUrl: string | null): string | null {
  const fetchSite = req.headers['sec-fetch-site'];
  if (typeof fetchSite === 'string')
    return fetchSite.toLowerCase() === 'same-origin'
      ? null
      : `a call made with the session cookie must come from the router's own page (Sec-Fetch-Site: ${fetchSite})`;
  const origin = req.headers.origin;
  if (typeof origin !== 'string')
    return 'a call made with the session cookie needs an Origin header from the router itself (scripts: send Authorization: Bearer <ROUTER_API_TOKEN>)';
  const own = [`${req.protocol}://${req.host}`, ...(publicUrl ? [new URL(publicUrl).origin] : [])];
  return own.some((allowed) => allowed.toLowerCase() === origin.toLowerCase())
    ? null
    : `a call made with the session cookie must come from the router's own page (Origin: ${origin})`;
}
