import { cookieValue, SessionStore, SIGN_IN_MAX_FAILURES, SIGN_IN_WINDOW_MS } from './session.store';

describe('SessionStore', () => {
  let now: number;
  let store: SessionStore;

  beforeEach(() => {
    now = Date.parse('2026-11-23T10:00:00Z');
    store = new SessionStore(3_600, () => now);
  });

  it('keeps a session for its time to live from sign-in, not longer, and not after it ended', () => {
    const { id, session } = store.create('Ana');
    expect(session).toEqual({ name: 'Ana', createdAt: now, expiresAt: now + 3_600_000 });
    expect(id).toMatch(/^[A-Za-z0-9_-]{43}$/);
    now += 3_599_999;
    expect(store.get(id)?.name).toBe('Ana');
    now += 1;
    expect(store.get(id)).toBeUndefined();

    const second = store.create(null);
    expect(store.end(second.id)).toBe(true);
    expect(store.get(second.id)).toBeUndefined();
    expect(store.end(second.id)).toBe(false);
  });

  it('knows no id it did not hand out', () => {
    const { id } = store.create(null);
    expect(store.get(`${id}x`)).toBeUndefined();
    expect(store.get('')).toBeUndefined();
  });

  it('locks an address out after too many wrong tokens in the window, until the oldest leaves it', () => {
    for (let i = 1; i < SIGN_IN_MAX_FAILURES; i++) {
      expect(store.failed('10.0.0.1')).toBe(i);
      expect(store.retryAfterS('10.0.0.1')).toBe(0);
      now += 60_000;
    }
    expect(store.failed('10.0.0.1')).toBe(SIGN_IN_MAX_FAILURES);
    // The first failure was (max - 1) minutes ago: it leaves the window in what remains of it.
    const expected = (SIGN_IN_WINDOW_MS - (SIGN_IN_MAX_FAILURES - 1) * 60_000) / 1000;
    expect(store.retryAfterS('10.0.0.1')).toBe(expected);
    expect(store.retryAfterS('10.0.0.2')).toBe(0);
    now += expected * 1000;
    expect(store.retryAfterS('10.0.0.1')).toBe(0);
  });

  it('forgets the failures of an address that signs in', () => {
    for (let i = 0; i < SIGN_IN_MAX_FAILURES - 1; i++) store.failed('10.0.0.1');
    store.succeeded('10.0.0.1');
    expect(store.failed('10.0.0.1')).toBe(1);
  });
});

describe('cookieValue', () => {
  it('finds one cookie among several, and nothing in a name that only contains it', () => {
    expect(cookieValue('a=1; router_session=abc; b=2', 'router_session')).toBe('abc');
    expect(cookieValue('xrouter_session=abc', 'router_session')).toBeUndefined();
    expect(cookieValue(undefined, 'router_session')).toBeUndefined();
  });
});
