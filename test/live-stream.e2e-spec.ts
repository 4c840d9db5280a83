import { get, type IncomingMessage } from 'node:http';
import { connect, type Socket } from 'node:net';
import request from 'supertest';
import { LiveEvents, LIVE_STREAM_MAX_BUFFERED_BYTES } from '../apps/router/src/api/live.events';
import { eventually, startRouter, type RouterHarness } from './support/router.harness';

const TOKEN = 'live-stream-e2e-api-token';
const RULES = `rules:
  - name: quiet
    when: { fact: status.name, operator: equal, value: transfers_only }
    then: { set_status: online }
`;
/** The padding of each published event: 64 kB, so the buffers fill in few events. */
const PAD = 'x'.repeat(65_536);

jest.setTimeout(60_000);

/** Opens the stream on a raw socket that never reads a byte of the answer. */
function silentClient(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => {
      socket.pause();
      socket.write(
        `GET /api/stream HTTP/1.1\r\nHost: ${hostname}:${port}\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`,
      );
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

async function droppedCount(h: RouterHarness): Promise<number> {
  const text = (await request(h.url).get('/metrics').expect(200)).text;
  return Number(/^router_sse_dropped_total (\d+)$/m.exec(text)?.[1] ?? NaN);
}

describe('live-stream clients that do not read', () => {
  let h: RouterHarness;

  beforeAll(async () => {
    h = await startRouter(RULES, { ROUTER_API_TOKEN: TOKEN }, 5);
  });
  afterAll(() => h.close());

  it('are dropped and counted once over the bound, while a client that reads keeps its stream', async () => {
    const silent = await Promise.all(Array.from({ length: 10 }, () => silentClient(h.url)));
    const reader = await new Promise<IncomingMessage>((resolve, reject) =>
      get(`${h.url}/api/stream`, { headers: { Authorization: `Bearer ${TOKEN}` } }, resolve).on(
        'error',
        reject,
      ),
    );
    let read = 0;
    reader.on('data', (chunk: Buffer) => (read += chunk.length));
    const live = h.router.get(LiveEvents);
    let sent = 0;
    let version = 0;
    try {
      expect(await droppedCount(h)).toBe(0);
      // Far more than the bound and the kernel's socket buffers of each silent client can hold.
      const enough = 400 * PAD.length;
      while (sent < enough && (await droppedCount(h)) < 10) {
        for (let i = 0; i < 8; i++) {
          live.publish({ type: 'agent', agentId: 1, version: ++version, status: PAD });
          sent += PAD.length;
        }
        // The reader reads what was sent before more comes: it is never the one behind.
        await eventually(
          () => Promise.resolve(read),
          (n) => n >= sent,
          20_000,
        );
      }
      expect(sent).toBeGreaterThan(LIVE_STREAM_MAX_BUFFERED_BYTES);
      expect(await droppedCount(h)).toBe(10);
      // Each silent client was closed by the router: once it reads, it sees its stream end.
      for (const socket of silent) socket.resume();
      const closed = await eventually(
        () => Promise.resolve(silent.filter((s) => s.closed).length),
        (n) => n === 10,
        20_000,
      );
      expect(closed).toBe(10);
      // The reader still gets what is published.
      const before = read;
      live.publish({ type: 'agent', agentId: 2, version: ++version, status: 'online' });
      expect(
        await eventually(
          () => Promise.resolve(read),
          (n) => n > before,
        ),
      ).toBeGreaterThan(before);
      expect(reader.destroyed).toBe(false);
    } finally {
      reader.destroy();
      for (const socket of silent) socket.destroy();
    }
  });
});
