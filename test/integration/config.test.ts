import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type TestContext } from 'node:test';
import { spawnCharla } from '../helpers/charla-process.js';

/** A config file of `options` in a directory removed after the test. */
function configFile(t: TestContext, options: unknown, raw?: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'charla-config-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'charla.json');
  writeFileSync(file, raw ?? JSON.stringify(options));
  return file;
}

/** A server on free loopback ports, TCP and UDP only, from the file alone. */
const BASE = { host: '127.0.0.1', 'tcp-port': 0, 'udp-port': 0, 'no-irc': true, 'no-http': true, 'no-warmup': true };

async function bannerOf(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const c = spawnCharla(t, ['server', ...args], env);
  const line = await c.line(/^charla: TCP (escuchando en|listening on) /);
  c.child.kill('SIGTERM');
  assert.equal(await c.exit(), 0);
  return line;
}

/** Runs a `charla server` that should refuse to start: its exit code and stderr. */
async function refused(t: TestContext, args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const c = spawnCharla(t, ['server', ...args], env);
  assert.equal(await c.exit(), 2, c.stderr);
  assert.equal(c.stderr.trimEnd().split('\n').length, 1, `one line: ${JSON.stringify(c.stderr)}`);
  assert.doesNotMatch(c.stderr, /\n\s+at /);
  return c.stderr.trim();
}

test('--config reads every option by its long name; CHARLA_* overrides the file; a flag overrides both', async (t) => {
  const file = configFile(t, { ...BASE, lang: 'en' });
  assert.match(await bannerOf(t, ['--config', file]), /^charla: TCP listening on 127\.0\.0\.1:\d+$/);
  assert.match(await bannerOf(t, ['--config', file], { CHARLA_LANG: 'es' }), /^charla: TCP escuchando en 127\.0\.0\.1:\d+$/);
  assert.match(await bannerOf(t, ['--config', file, '--lang', 'en'], { CHARLA_LANG: 'es' }), /listening on/);
  // CHARLA_CONFIG names the file too.
  assert.match(await bannerOf(t, [], { CHARLA_CONFIG: file }), /listening on/);
});

test('--config: an unknown key, a value of the wrong kind, bad JSON, a bad value: one line naming it, exit 2', async (t) => {
  assert.match(await refused(t, ['--config', configFile(t, { ...BASE, 'tcp_port': 5 })]), /unknown option "tcp_port"/);
  assert.match(await refused(t, ['--config', configFile(t, { ...BASE, 'no-irc': 'yes' })]), /"no-irc" must be true or false, not "yes"/);
  assert.match(await refused(t, ['--config', configFile(t, { ...BASE, allow: [{}] })]), /"allow" must be a string or a list of strings/);
  assert.match(await refused(t, ['--config', configFile(t, undefined, '{"lang": "en",')]), /not valid JSON/);
  assert.match(await refused(t, ['--config', configFile(t, [1])]), /must be a JSON object/);
  assert.match(await refused(t, ['--config', join(tmpdir(), 'charla-no-such-config.json')]), /--config: cannot read .*ENOENT/);
  const file = configFile(t, { ...BASE, 'udp-port': 'cinco' });
  assert.match(await refused(t, ['--config', file]), new RegExp(`^charla server: --config ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} "udp-port": --udp-port must be a port number`));
  // The flag's own value is named as before, without the file.
  assert.match(await refused(t, ['--config', file, '--udp-port', 'seis']), /^charla server: --udp-port must be a port number .*"seis"/);
});

test('CHARLA_* variables: a bad value names the variable; booleans and lists', async (t) => {
  const file = configFile(t, BASE);
  assert.match(await refused(t, ['--config', file], { CHARLA_TCP_PORT: 'x' }), /^charla server: CHARLA_TCP_PORT: --tcp-port must be a port number/);
  assert.match(await refused(t, ['--config', file], { CHARLA_NO_UDP: 'quizá' }), /CHARLA_NO_UDP must be 1 or 0/);
  assert.match(await refused(t, ['--config', file], { CHARLA_METRICS_ALLOW: '10.0.0.0/8, nada' }), /CHARLA_METRICS_ALLOW: --metrics-allow takes an address or subnet .*"nada"/);
  // A variable replaces the file's value, lists included; CHARLA_NO_UDP=1 turns UDP off.
  const c = spawnCharla(t, ['server', '--config', file], { CHARLA_NO_UDP: '1' });
  await c.line(/^charla: TCP escuchando en /);
  assert.ok(!c.lines.some((l) => l.startsWith('charla: UDP')), JSON.stringify(c.lines));
  c.child.kill('SIGTERM');
  assert.equal(await c.exit(), 0);
});
