import assert from 'node:assert/strict';
import test from 'node:test';
import { text } from '../../src/hub/messages.js';
import { connectLine, joinAs } from '../helpers/line-client.js';
import { startTestServer } from '../helpers/start-server.js';

const es = (key: Parameters<typeof text>[1], params?: Parameters<typeof text>[2]): string => text('es', key, params);

test('tcp - a look-alike of a present name is refused as taken, and can join once that user leaves', async (t) => {
  const { tcpPort } = await startTestServer(t);
  const ana = await joinAs(t, tcpPort, 'Ana');
  const eve = await joinAs(t, tcpPort, 'eve');
  await ana.waitFor('*** eve se ha unido al chat ***');
  const mallory = await connectLine(t, tcpPort);
  const cyrillic = '\u0410na'; // Cyrillic А
  mallory.write(`${cyrillic}\n`);
  assert.equal(await mallory.next(), es('name_taken', { name: cyrillic }));
  mallory.write('pauI\n');
  assert.match(await mallory.next(), /^\*\*\* .*pauI/, 'a name that looks like nobody here is welcomed');
  await eve.waitFor('*** pauI se ha unido al chat ***');
  eve.write('/nick paul\n');
  assert.equal(await eve.next(), es('name_taken', { name: 'paul' }));
  ana.write('/quit\n');
  await eve.waitFor(/^\*\*\* Ana /);
  mallory.write(`/nick ${cyrillic}\n`);
  assert.equal(await eve.next(), es('user_renamed', { old: 'pauI', name: cyrillic }));
});
