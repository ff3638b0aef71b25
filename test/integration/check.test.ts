import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { suite, test, type TestContext } from 'node:test';
import { text } from '../../src/hub/messages.js';
import { gradeFolder } from '../../src/check/folder.js';
import { freePort, launch, waitListening } from '../../src/check/launch.js';
import { type CheckReport, runCheck } from '../../src/check/run.js';
import { SCENARIO_IDS } from '../../src/check/scenarios.js';
import { PYTHON, SEED_DIR } from '../helpers/seed-process.js';
import { startTestServer } from '../helpers/start-server.js';

const BROKEN = fileURLToPath(new URL('../../../test/fixtures/broken/', import.meta.url));
const skip = PYTHON === undefined ? 'python3 is not installed' : false;
const UDP_IDS = ['udp_broadcast', 'udp_quitar', 'udp_listar'];

const failed = (r: CheckReport): string[] => r.results.filter((x) => x.status === 'fail').map((x) => x.id);
const skipped = (r: CheckReport): string[] => r.results.filter((x) => x.status === 'skip').map((x) => x.id);

/** Every failure explains itself: the scenario's concept-and-fix text, and some evidence. */
function assertExplained(r: CheckReport, lang: 'es' | 'en' = 'es'): void {
  for (const res of r.results.filter((x) => x.status === 'fail')) {
    assert.ok(res.explanation.endsWith(text(lang, `check_explain_${res.id}` as Parameters<typeof text>[1])), `${res.id}: ${res.explanation}`);
    assert.ok(res.explanation.length > text(lang, `check_explain_${res.id}` as Parameters<typeof text>[1]).length + 10, `${res.id} says what it found`);
    assert.notEqual(res.evidence, '', `${res.id} has evidence`);
  }
}

/** Starts one of the seed's servers on a free port and waits until it listens; stopped after the test. */
async function seedServer(t: TestContext, script: string, kind: 'tcp' | 'udp'): Promise<number> {
  const port = await freePort(kind);
  const server = launch([PYTHON as string, `${SEED_DIR}${script}`, '127.0.0.1', String(port)]);
  t.after(() => server.stop());
  assert.equal(await waitListening(server, '127.0.0.1', kind === 'tcp' ? { tcp: port } : { udp: port }, 10_000), 'listening', server.output());
  return port;
}

// The three runs below sleep far more than they compute: they run side by side.
suite('check', { concurrency: 3 }, () => {
  test("check - charla's own server passes every scenario, TCP and UDP", async (t) => {
    const { tcpPort, udpPort } = await startTestServer(t);
    const report = await runCheck({ tcp: { host: '127.0.0.1', port: tcpPort }, udp: { host: '127.0.0.1', port: udpPort } });
    assert.deepEqual(failed(report), [], JSON.stringify(report.results.filter((x) => x.status === 'fail'), null, 1));
    assert.equal(report.passed, SCENARIO_IDS.length);
    assert.equal(report.framing, 'lf');
  });

  test("check - the seed's servers pass the seed group and fail exactly the robustness scenarios they get wrong, each explained", { skip }, async (t) => {
    const [tcpPort, udpPort] = await Promise.all([seedServer(t, 'servidor_chat.py', 'tcp'), seedServer(t, 'servidor_udp.py', 'udp')]);
    const report = await runCheck({ tcp: { host: '127.0.0.1', port: tcpPort }, udp: { host: '127.0.0.1', port: udpPort } });
    const seedGroup = report.results.filter((r) => r.group === 'seed');
    assert.deepEqual(seedGroup.filter((r) => r.status !== 'pass').map((r) => r.id), [], JSON.stringify(seedGroup, null, 1));
    // The seed's threads walk and change its list of clients with no lock. Now and then, when a
    // client that is gone is still on the list, two threads trip over it at once and one of them
    // dies and hangs up on its own client, or one removes it while walking the list and skips
    // the next client for that message. concurrent_order fails then, and only in those ways:
    // deliveries missing, perhaps a client the server closed, nothing out of order, nothing
    // echoed. Whether it happens in a run is the race's to decide.
    const concurrent = report.results.find((r) => r.id === 'concurrent_order');
    if (concurrent?.status === 'fail') {
      assert.match(
        concurrent.explanation,
        /^De 7600 entregas esperadas faltaron [1-9]\d*, 0 llegaron fuera de orden y 0 volvieron a su remitente(; el servidor cerró en plena ráfaga la conexión de \d+ cliente\(s\): c\d+x[0-9a-z]+(, c\d+x[0-9a-z]+)*)?\. /,
        concurrent.evidence,
      );
    }
    assert.deepEqual(failed(report).filter((id) => id !== 'concurrent_order'), [
      'lf_lines', // the name keeps its "\n" ("nc1\n: hola") and "/listar\n" is not a command
      'crlf_lines', // the same with "\r\n"
      'batched_lines', // one recv() = one message: "uno\ndos" relayed as one
      'split_line', // one message relayed as two
      'split_utf8', // decode() of half a character raises: the client is dropped
      'listar_after_leave', // names{} is never cleaned
      'duplicate_name', // no check
      'empty_name', // "\n" becomes a name and is announced
      'slow_reader', // send() from the sender's thread blocks on the reader who stopped
      'udp_listar', // the UDP server has no /listar: it is relayed as a message
    ], JSON.stringify(report.results.filter((x) => x.status === 'fail').map(({ id, explanation, evidence }) => ({ id, explanation, evidence: evidence.slice(-2000) })), null, 1));
    assert.equal(report.framing, 'none');
    assertExplained(report);
    const batched = report.results.find((r) => r.id === 'batched_lines');
    assert.match(batched?.explanation ?? '', /^Tu servidor trató "uno[0-9a-f]+\\ndos[0-9a-f]+" como un único mensaje\. TCP es un flujo de bytes/);
    assert.match(batched?.evidence ?? '', /→ "uno[0-9a-f]+\\ndos[0-9a-f]+\\n"/);
  });

  test('check - folder mode: each broken fixture fails exactly its scenario, and a crash and a server that never listens are reported', { skip }, async () => {
    const expected: Record<string, string[]> = {
      'good.py': [],
      'echo_to_sender.py': ['no_echo', 'concurrent_order'], // concurrent_order also checks that none is echoed
      'silent_on_reset.py': ['reset_announced'],
      'glues_lines.py': ['batched_lines'],
      'splits_utf8.py': ['split_utf8'],
      'duplicate_names.py': ['duplicate_name'],
      'blocks_on_slow_reader.py': ['slow_reader'],
      'ghosts_in_listar.py': ['listar_after_leave'],
      'drops_client_when_busy.py': ['concurrent_order'],
      'holds_lock_on_huge_line.py': ['huge_line'],
      'crash.py': [],
      'never_listens.py': [],
    };
    const files = Object.keys(expected).map((f) => `${BROKEN}${f}`);
    const graded = await gradeFolder({
      command: [PYTHON as string, '{file}', '127.0.0.1', '{port}'],
      files,
      lang: 'en',
      startTimeoutMs: 3000,
      jobs: 4,
      rubric: undefined,
      check: {},
    });
    assert.deepEqual(graded.map((g) => g.name), files, 'one row per file, in order');
    for (const g of graded) {
      const file = g.name.slice(BROKEN.length);
      if (file === 'crash.py') {
        assert.equal(g.state, 'crashed');
        assert.match(g.stateText, /exited before listening \(code 1\).*AttributeError/s);
        continue;
      }
      if (file === 'never_listens.py') {
        assert.equal(g.state, 'never_listened');
        assert.equal(g.stateText, 'the server did not listen within 3 s');
        continue;
      }
      assert.equal(g.state, 'ok', `${file}: ${g.stateText}`);
      const report = g.report as CheckReport;
      assert.deepEqual(failed(report), expected[file], `${file}: ${JSON.stringify(report.results.filter((x) => x.status === 'fail'), null, 1)}`);
      assert.deepEqual(skipped(report), UDP_IDS, `${file}: no {udp_port}, so no UDP`);
      assertExplained(report, 'en');
      if (file === 'drops_client_when_busy.py') {
        const res = report.results.find((r) => r.id === 'concurrent_order');
        assert.match(res?.explanation ?? '', /^Of 7600 expected deliveries \d+ were missing, 0 came out of order and 0 went back to their sender; the server closed the connection of 1 client\(s\) in the middle of the burst: c\d+x[0-9a-z]+\./, res?.evidence);
      }
    }
  });
});
