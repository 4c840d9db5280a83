import type { Request } from 'express';
import { crossSiteProblem } from './same-origin';

/** The parts of an Express request the check reads. */
function aRequest(headers: Record<string, string>, protocol = 'http', host = 'router.local:3000'): Request {
  return { headers, protocol, host } as unknown as Request;
}

describe('crossSiteProblem', () => {
  it('takes Sec-Fetch-Site: same-origin, and nothing else it may say', () => {
    expect(crossSiteProblem(aRequest({ 'sec-fetch-site': 'same-origin' }), null)).toBeNull();
    for (const site of ['same-site', 'cross-site', 'none'])
      expect(
        crossSiteProblem(aRequest({ 'sec-fetch-site': site, origin: 'http://router.local:3000' }), null),
      ).toMatch(`(Sec-Fetch-Site: ${site})`);
  });

  it("without Sec-Fetch-Site, takes the router's own origin or PUBLIC_URL's", () => {
    expect(crossSiteProblem(aRequest({ origin: 'http://router.local:3000' }), null)).toBeNull();
    expect(crossSiteProblem(aRequest({ origin: 'https://router.local:3000' }), null)).toMatch(
      '(Origin: https://',
    );
    expect(crossSiteProblem(aRequest({ origin: 'http://router.local' }), null)).toMatch('(Origin: ');
    expect(
      crossSiteProblem(
        aRequest({ origin: 'https://routing.example.com' }),
        'https://routing.example.com/base',
      ),
    ).toBeNull();
  });

  it('refuses a call with neither header', () => {
    expect(crossSiteProblem(aRequest({}), null)).toMatch(/needs an Origin header/);
  });
});
