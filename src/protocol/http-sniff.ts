/**
 * Recognises the request line of an HTTP client (a browser pointed at the chat port), so it gets
 * a short plain answer instead of becoming a user called "GET / HTTP/1.1".
 */
const REQUEST_LINE = /^(?:GET|HEAD|POST|PUT|DELETE|OPTIONS|PATCH|CONNECT|TRACE|PRI) \S+ HTTP\/\d(?:\.\d)?$/;

/** True when `firstLine` (the first line a TCP client sent) is an HTTP request line. */
export function looksLikeHttp(firstLine: string): boolean {
  return REQUEST_LINE.test(firstLine.trimEnd());
}
