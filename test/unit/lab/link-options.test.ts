import assert from 'node:assert/strict';
import test from 'node:test';
import { linkOptions } from '../../../src/cli/link.js';

test('link options - defaults: the lab ports, both transports, no impairment, both directions, seed 1', () => {
  const o = linkOptions([]);
  assert.notEqual(o, 'help');
  assert.deepEqual(o, {
    serverHost: '127.0.0.1',
    serverTcpPort: 5000,
    serverUdpPort: 5001,
    listenHost: '127.0.0.1',
    listenTcpPort: 5010,
    listenUdpPort: 5011,
    impairment: { lossPct: 0, delayMs: 0, jitterMs: 0, duplicatePct: 0, reorderPct: 0 },
    direction: 'both',
    seed: 1,
  });
});

test('link options - every wrong flag is one message that names it', () => {
  const cases: Array<[string[], RegExp]> = [
    [['--loss', '120'], /--loss must be a number from 0 to 100/],
    [['--direction', 'up'], /--direction is both or down, not "up"/],
    [['--listen-udp-port', '70000'], /--listen-udp-port must be a port number/],
    [['--no-tcp', '--no-udp'], /leave nothing to relay/],
    [['--jitter', '5'], /jitter/],
    [['--seed', 'x'], /--seed must be a whole number/],
    [['--bogus'], /bogus.*charla link --help/],
  ];
  for (const [argv, message] of cases) assert.throws(() => linkOptions(argv), message, argv.join(' '));
});

test('link options - --no-tcp and --no-udp leave that transport out', () => {
  const o = linkOptions(['--no-tcp', '--loss', '10', '--direction', 'down']);
  assert.ok(o !== 'help');
  assert.equal(o.serverTcpPort, undefined);
  assert.equal(o.serverUdpPort, 5001);
  assert.equal(o.impairment.lossPct, 10);
  assert.equal(o.direction, 'down');
});
