/**
 * The HTTP side of the browser port: the page's files, and the answers every other request
 * gets. Used by the WebSocket transport (transport/ws.ts), which owns the server and its
 * `upgrade` handler; nothing here touches the hub.
 *
 * - The files are a fixed list read once at startup from `dist/web/` (the page's build): a
 *   request is looked up in that list by its exact path, so no request can name a file outside
 *   it (no path is ever joined to the disk). Text files are gzipped once, at startup, and sent
 *   so to a browser that accepts it.
 * - Only GET and HEAD (405 otherwise); a path not in the list is 404; `/` without a built page
 *   is a 503 that says how to build it.
 * - Every response, errors and refused upgrades included, carries the security headers
 *   (`SECURITY_HEADERS`): a CSP that allows only the page's own origin, no framing, no sniffing,
 *   no referrer.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

/**
 * On every response. `connect-src 'self'` covers the page's own `ws://` / `wss://` origin
 * (CSP Level 3; Chromium, Firefox and Safari do so); `frame-ancestors 'none'` forbids framing
 * (with X-Frame-Options for old browsers); nothing is loaded from anywhere else.
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; connect-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': CONTENT_SECURITY_POLICY,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

/** The Content-Type of each extension served; files of other kinds in dist/web are not served. */
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
};

/** Worth gzipping (images and fonts are compressed already). */
const COMPRESSIBLE = /^(?:text\/|application\/(?:json|manifest)|image\/svg)/;

/** Bounds on what is read at startup: a stray huge directory must not fill the server's memory. */
const MAX_FILES = 200;
const MAX_TOTAL_BYTES = 8 * 1024 * 1024;

/** One file of the page, ready to send. */
export interface StaticFile {
  readonly body: Buffer;
  /** The gzipped body, when that is smaller. */
  readonly gzip: Buffer | undefined;
  readonly type: string;
  readonly etag: string;
  /** `index.html` is revalidated each time (it names the others); the rest too, cheaply (304). */
  readonly cacheControl: string;
}

/** Where the page's build lands: dist/web/, beside dist/src/. */
export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../web/', import.meta.url));

/** The page's files by URL path (`/`, `/app.js`...), read once. */
export class StaticSite {
  readonly files: ReadonlyMap<string, StaticFile>;

  constructor(files: ReadonlyMap<string, StaticFile>) {
    this.files = files;
  }

  /** True when there is a page to serve at `/`. */
  get built(): boolean {
    return this.files.has('/');
  }

  /** Reads `dir` (recursively, bounded); a missing directory is an empty site. */
  static load(dir: string): StaticSite {
    const files = new Map<string, StaticFile>();
    let total = 0;
    const walk = (at: string, depth: number): void => {
      let names: string[];
      try {
        names = readdirSync(at).sort();
      } catch {
        return;
      }
      for (const name of names) {
        if (files.size >= MAX_FILES || name.startsWith('.')) continue;
        const path = join(at, name);
        const info = statSync(path, { throwIfNoEntry: false });
        if (info === undefined) continue;
        if (info.isDirectory()) {
          if (depth < 4) walk(path, depth + 1);
          continue;
        }
        const dot = name.lastIndexOf('.');
        const type = dot < 0 ? undefined : CONTENT_TYPES[name.slice(dot).toLowerCase()];
        if (!info.isFile() || type === undefined || total + info.size > MAX_TOTAL_BYTES) continue;
        const body = readFileSync(path);
        total += body.length;
        const urlPath = `/${relative(dir, path).split(sep).join('/')}`;
        const file = staticFile(body, type, urlPath.endsWith('.html'));
        files.set(urlPath, file);
        if (urlPath === '/index.html') files.set('/', file);
      }
    };
    walk(dir, 0);
    return new StaticSite(files);
  }
}

function staticFile(body: Buffer, type: string, html: boolean): StaticFile {
  const zipped = COMPRESSIBLE.test(type) && body.length > 256 ? gzipSync(body, { level: 9 }) : undefined;
  return {
    body,
    gzip: zipped !== undefined && zipped.length < body.length ? zipped : undefined,
    type,
    etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
    cacheControl: html ? 'no-cache' : 'public, max-age=0, must-revalidate',
  };
}

/** The path of a request target, without its query; undefined when it is not an origin-form path. */
export function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || url.charCodeAt(0) !== 0x2f) return undefined; // "/...": no absolute-form, no "*"
  const q = url.indexOf('?');
  return q < 0 ? url : url.slice(0, q);
}

/** What the request handler needs besides the site. */
export interface SiteAnswers {
  /** The plain text of `/` when the page is not built. */
  readonly notBuilt: string;
  readonly notFound: string;
  readonly methodNotAllowed: string;
  /** GET /ws without an Upgrade header. */
  readonly upgradeRequired: string;
  /** The WebSocket path, which a plain GET does not get as a file. */
  readonly wsPath: string;
}

/** Answers one HTTP request (not an upgrade: those go to the WebSocket transport). */
export function serveRequest(site: StaticSite, answers: SiteAnswers, req: IncomingMessage, res: ServerResponse): void {
  req.resume(); // a GET's body, if any, is read and dropped (bounded by requestTimeout)
  const method = req.method ?? '';
  if (method !== 'GET' && method !== 'HEAD') {
    plain(res, 405, answers.methodNotAllowed, { Allow: 'GET, HEAD' });
    return;
  }
  const path = requestPath(req.url);
  if (path === answers.wsPath) {
    plain(res, 426, answers.upgradeRequired, { Upgrade: 'websocket', Connection: 'Upgrade' });
    return;
  }
  const file = path === undefined ? undefined : site.files.get(path);
  if (file === undefined) {
    if (path === '/' && !site.built) plain(res, 503, answers.notBuilt);
    else plain(res, 404, answers.notFound);
    return;
  }
  const headers: Record<string, string | number> = {
    ...SECURITY_HEADERS,
    'Content-Type': file.type,
    'Cache-Control': file.cacheControl,
    ETag: file.etag,
    Vary: 'Accept-Encoding',
  };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, headers);
    res.end();
    return;
  }
  const gzip = file.gzip !== undefined && acceptsGzip(req.headers['accept-encoding']);
  const body = gzip ? (file.gzip as Buffer) : file.body;
  if (gzip) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = body.length;
  res.writeHead(200, headers);
  if (method === 'HEAD') res.end();
  else res.end(body);
}

function acceptsGzip(header: string | undefined): boolean {
  if (header === undefined) return false;
  return /(?:^|,)\s*gzip\s*(?:;\s*q=(?:1(?:\.0*)?|0?\.0*[1-9]\d*))?\s*(?:,|$)/i.test(header);
}

/** A short plain-text answer, with the security headers. */
export function plain(res: ServerResponse, status: number, text: string, extra: Record<string, string> = {}): void {
  const body = `${text}\n`;
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
    ...extra,
  });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

/**
 * A plain-text answer on a raw socket (an upgrade refused before it became a WebSocket, or a
 * request the HTTP parser rejected), then the socket is closed.
 */
export function rawAnswer(socket: Duplex, status: number, reason: string, text: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = `${text}\n`;
  const headers = Object.entries(SECURITY_HEADERS)
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('');
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\n${headers}Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `Cache-Control: no-store\r\nConnection: close\r\n\r\n${body}`,
  );
  // Ended: destroyed once written, or after a moment when the peer does not read it.
  const timer = setTimeout(() => socket.destroy(), RAW_ANSWER_GRACE_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** How long a refused socket may take to read its answer. */
const RAW_ANSWER_GRACE_MS = 2000;
