#!/usr/bin/env node
// Takes the README's phone-sized screenshot of the browser page (docs/browser-phone.png):
// a charla server on loopback (ephemeral ports), a TCP user and a page 360x740 px wide in
// headless Chromium chatting in one room. Not part of `npm test`.
// Usage: npm run build && node scripts/screenshot-phone.mjs [out.png]
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { chromium } from 'playwright-core';

const out = process.argv[2] ?? 'docs/browser-phone.png';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const server = spawn(process.execPath, ['dist/src/cli/main.js', 'server', '--host', '127.0.0.1', '--tcp-port', '0', '--udp-port', '0', '--irc-port', '0', '--http-port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
const ports = {};
await new Promise((resolve, reject) => {
  const timer = setTimeout(() => reject(new Error('the server did not print its ports')), 10_000);
  let rest = '';
  server.stdout.setEncoding('utf8');
  server.stdout.on('data', (chunk) => {
    rest += chunk;
    for (const m of rest.matchAll(/charla: (HTTP|TCP) (?:escuchando en|listening on) .*:(\d+)\n/g)) ports[m[1]] = Number(m[2]);
    if (ports.HTTP && ports.TCP) {
      clearTimeout(timer);
      resolve();
    }
  });
  server.once('exit', (code) => reject(new Error(`the server exited (${code})`)));
});

const tcp = net.connect({ host: '127.0.0.1', port: ports.TCP });
await once(tcp, 'connect');
let received = '';
tcp.setEncoding('utf8');
tcp.on('data', (c) => (received += c));
const waitTcp = async (text) => {
  for (let i = 0; i < 100 && !received.includes(text); i++) await new Promise((r) => tcp.once('data', r));
};
tcp.write('bruno\n');
await waitTcp('***');
tcp.write('Hola a todos, ¿empezamos la práctica de sockets?\n');

const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
try {
  const context = await browser.newContext({ viewport: { width: 360, height: 740 }, deviceScaleFactor: 2, locale: 'es-ES', colorScheme: 'light' });
  const page = await context.newPage();
  await page.goto(`http://127.0.0.1:${ports.HTTP}/`);
  await page.fill('#name', 'ana');
  await page.press('#name', 'Enter');
  await page.locator('#chat').waitFor({ state: 'visible' });
  await page.fill('#line', '¡Hola, Bruno! Ya estoy conectada desde el móvil.');
  await page.press('#line', 'Enter');
  await waitTcp('Bruno! Ya estoy');
  tcp.write('Probad a mandar <b>negrita</b>: aquí se ve tal cual, como texto.\n');
  tcp.write('/msg ana ¿Me pasas el enunciado luego?\n');
  await page.locator('#log li.private').waitFor();
  await page.fill('#line', '/msg bruno claro');
  await page.screenshot({ path: out });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  tcp.destroy();
  server.kill('SIGTERM');
}
