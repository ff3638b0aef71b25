import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { promisify } from 'node:util';

/**
 * A throw-away self-signed certificate for 127.0.0.1/localhost made with openssl (the same
 * command the README shows), or undefined when openssl is missing.
 */
export async function selfSigned(t: TestContext): Promise<{ cert: Buffer; key: Buffer; certFile: string; keyFile: string } | undefined> {
  const dir = await mkdtemp(join(tmpdir(), 'charla-tls-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  try {
    await promisify(execFile)('openssl', [
      'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1', '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-keyout', keyFile, '-out', certFile,
    ]);
  } catch {
    return undefined;
  }
  return { cert: await readFile(certFile), key: await readFile(keyFile), certFile, keyFile };
}
