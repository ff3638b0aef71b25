import assert from 'node:assert/strict';
import { once } from 'node:events';
import https from 'node:https';
import net from 'node:net';
import test, { type TestContext } from 'node:test';
import WebSocket from 'ws';
import { selfSigned } from '../helpers/self-signed.js';
import { type SpawnedServer, spawnServer } from '../helpers/spawn-server.js';
import { WsClient } from '../helpers/ws-client.js';
import { within } from '../helpers/within.js';

/** The port of the banner line `charla: HTTPS escuchando en 127.0.0.1:PORT`, once printed. */
async function httpsPort(server: SpawnedServer): Promise<number> {
  const find = (): number | undefined => {
    for (const line of server.stdout) {
      const m = /^charla: HTTPS escuchando en .*:(\d+)$/.exec(line);
      if (m) return Number(m[1]);
    }
    return undefined;
  };
  const found = new Promise<number>((resolve, reject) => {
    const check = (): void => {
      const port = find();
      if (port === undefined) return;
      server.child.stdout?.off('data', check);
      resolve(port);
    };
    server.child.stdout?.on('data', check);
    server.child.once('exit', () => reject(new Error(`the server exited: ${server.stderr.join('\n')}`)));
    check();
  });
  return within(found, 10_000, `the HTTPS banner line (stdout: ${JSON.stringify(server.stdout)})`);
}

/** A WSS client trusting `ca`; resolves after the hello frame. */
async function connectWss(t: TestContext, port: number, ca: Buffer, origin?: string): Promise<WsClient> {
  const ws = new WebSocket(`wss://127.0.0.1:${port}/ws`, { ca, perMessageDeflate: false, ...(origin === undefined ? {} : { origin }) });
  t.after(() => ws.terminate());
  const client = new WsClient(ws);
  const opened = Promise.race([once(ws, 'open'), once(ws, 'unexpected-response').then(([, res]) => Promise.reject(new Error(`refused: ${(res as { statusCode: number }).statusCode}`)))]);
  await within(opened, 5000, `a WSS connection to port ${port}`);
  const hello = await client.next(5000);
  assert.equal(hello.type, 'hello');
  return client;
}

test('ws tls - with --tls-cert/--tls-key the browser port speaks HTTPS and WSS: the banner says https, pages chat over wss, plain HTTP gets no answer', async (t) => {
  const tls = await selfSigned(t);
  if (tls === undefined) {
    t.skip('openssl is missing: no certificate to test with');
    return;
  }
  const server = await spawnServer(t, ['--tls-cert', tls.certFile, '--tls-key', tls.keyFile, '--no-irc']);
  const port = await httpsPort(server);
  assert.ok(
    server.stdout.some((l) => l.includes(`https://`)),
    `the browser line gives an https URL: ${JSON.stringify(server.stdout)}`,
  );

  // HTTPS: an answer, with the security headers, over a verified TLS connection.
  const res = await within(
    new Promise<{ status: number; csp: string | undefined }>((resolve, reject) => {
      const req = https.get({ host: '127.0.0.1', port, path: '/', ca: tls.cert }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, csp: r.headers['content-security-policy'] as string | undefined });
      });
      req.on('error', reject);
    }),
    5000,
    'an HTTPS answer',
  );
  // 200 with the page built (dist/web), 503 ("the page is not built") without it.
  assert.ok(res.status === 200 || res.status === 503, `HTTPS status ${res.status}`);
  assert.match(res.csp ?? '', /default-src 'self'/);

  // WSS: two pages in one room.
  const ana = await connectWss(t, port, tls.cert);
  const bea = await connectWss(t, port, tls.cert, `https://127.0.0.1:${port}`); // a page of this server's own (https) origin
  ana.send({ type: 'join', v: 1, name: 'ana' });
  await ana.waitFor('history', 5000);
  bea.send({ type: 'join', v: 1, name: 'bea' });
  await bea.waitFor('history', 5000);
  ana.line('hola por wss');
  const got = await bea.waitFor((f) => f.type === 'message', 5000);
  assert.equal(got.from, 'ana');
  assert.equal(got.text, 'hola por wss');

  // The same host over plain http is another origin: refused.
  await assert.rejects(connectWss(t, port, tls.cert, `http://127.0.0.1:${port}`), /refused: 403/);

  // Plain HTTP on the TLS port: no HTTP answer comes back (a TLS alert or a closed socket).
  const raw = net.connect({ host: '127.0.0.1', port });
  t.after(() => raw.destroy());
  let received = '';
  raw.on('data', (d: Buffer) => (received += d.toString('latin1')));
  raw.on('error', () => {});
  await within(once(raw, 'connect'), 3000, 'a plain TCP connection');
  raw.write('GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  await within(once(raw, 'close'), 5000, 'the plain-HTTP connection to be closed');
  assert.doesNotMatch(received, /^HTTP\/1\.1/);
});
