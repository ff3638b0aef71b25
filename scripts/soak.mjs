#!/usr/bin/env node
// The long soak of issue #3, by hand: the same driver as test/integration/soak.test.ts with
// bigger numbers and a longer chaos phase. Build first (npm run build), then e.g.
//
//   node scripts/soak.mjs --seconds 60 --clients 500
//
// Prints the seed, progress, then a summary (clients, messages, departures by reason, handles and
// heap before/after); --json prints the whole report as JSON first. Exits 1 on any violation,
// 2 on a bad flag or a missing build. SOAK_SEED=<n> (or --seed) replays a plan.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const HELP = `usage: node scripts/soak.mjs [--seconds N] [--clients N] [--udp-share F] [--slow N]
                            [--rate MSG_PER_S] [--seed N] [--wait-ms MS] [--silence-ms MS]
                            [--heap-slack-mb MB] [--json]
  --seconds N        length of the chaos phase (default 60)
  --clients N        clients in all, TCP and UDP (default 500)
  --udp-share F      share of the clients on UDP (default 0.25)
  --slow N           TCP clients that stop reading and must be cut (default clients/150)
  --rate R           chat messages per member per second (default 0.5; the server allows 5/s)
  --seed N           plan seed (default $SOAK_SEED, else random)
  --wait-ms MS       bound of each wait for the server (default 10000)
  --silence-ms MS    UDP silence limit (default 10000; UDP clients keep alive every quarter of it)
  --heap-slack-mb MB how much the heap may grow over the run (default 10)
  --json             print the report as JSON before the summary`;

function fail(message) {
  console.error(`soak: ${message}\n${HELP}`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    strict: true,
    options: {
      seconds: { type: 'string', default: '60' },
      clients: { type: 'string', default: '500' },
      'udp-share': { type: 'string', default: '0.25' },
      slow: { type: 'string' },
      rate: { type: 'string', default: '0.5' },
      seed: { type: 'string' },
      'wait-ms': { type: 'string', default: '10000' },
      'silence-ms': { type: 'string', default: '10000' },
      'heap-slack-mb': { type: 'string', default: '10' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }));
} catch (err) {
  fail(err.message);
}
if (values.help) {
  console.log(HELP);
  process.exit(0);
}

function number(flag, { min, integer = false }) {
  const n = Number(values[flag]);
  if (!Number.isFinite(n) || n < min || (integer && !Number.isInteger(n))) fail(`--${flag} must be ${integer ? 'an integer' : 'a number'} >= ${min}, not ${values[flag]}`);
  return n;
}

const driver = fileURLToPath(new URL('../dist/test/helpers/soak.js', import.meta.url));
if (!existsSync(driver)) fail(`${driver} is missing: build first (npm run build)`);
const { formatReport, runSoak } = await import(pathToFileURL(driver).href);
const { parseSeed } = await import(pathToFileURL(driver.replace(/soak\.js$/, 'soak-random.js')).href);

const clients = number('clients', { min: 10, integer: true });
const udpShare = number('udp-share', { min: 0 });
if (udpShare >= 1) fail('--udp-share must be below 1');
const udpClients = Math.round(clients * udpShare);
let seed;
try {
  seed = parseSeed(values.seed ?? process.env.SOAK_SEED);
} catch (err) {
  fail(err.message);
}

const report = await runSoak({
  seed,
  durationMs: Math.round(number('seconds', { min: 1 }) * 1000),
  tcpClients: clients - udpClients,
  udpClients,
  slowReaders: values.slow === undefined ? Math.max(1, Math.round(clients / 150)) : number('slow', { min: 0, integer: true }),
  chatPerSec: number('rate', { min: 0.01 }),
  waitMs: number('wait-ms', { min: 100, integer: true }),
  // A bigger load: longer limits than the test's, so a busy loop is not taken for a silent user.
  silenceMs: number('silence-ms', { min: 100, integer: true }),
  keepAliveMs: Math.round(number('silence-ms', { min: 100, integer: true }) / 4),
  registrationTimeoutMs: 5000,
  heapSlackBytes: number('heap-slack-mb', { min: 0 }) * 2 ** 20,
  progress: (line) => console.error(line),
});
if (values.json) console.log(JSON.stringify(report, null, 2));
console.log(formatReport(report));
process.exit(report.violationCount === 0 ? 0 : 1);
