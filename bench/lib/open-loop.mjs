// Open-loop load at a fixed request rate, for latency at a given load rather than at saturation.
//
// autocannon is closed-loop: each connection sends its next request when the last one is answered, so at
// saturation a request's latency is mostly the queue in front of it (connections ÷ throughput), and the
// slower route's p99 restates its lower throughput. Here request i is due at start + i / rate whatever the
// server does; latency is counted from the moment a request is sent, or from when it was due if every
// connection was still busy (a server stall then delays the requests queued behind it too, as it would for
// independent clients). Plain sockets and a minimal HTTP/1.1 reader keep the generator cheap (about 35 µs of
// CPU per request), so that it disturbs the machine it shares as little as possible.
import { Buffer } from 'node:buffer';
import net from 'node:net';
import { performance } from 'node:perf_hooks';

const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * GET `path` at `rate` requests per second for `seconds`, over `connections` keep-alive connections.
 * Answers must carry Content-Length (every JSON answer of the gateway does). Resolves to
 * { offered, completed, errors (never answered), non2xx, p50, p90, p99, max }, latencies in milliseconds.
 */
export async function openLoop({ url, headers = {}, rate, seconds, connections = 64 }) {
  const { hostname, port, pathname, search } = new URL(url);
  const host = hostname.replace(/^\[|\]$/g, '');
  const request = Buffer.from(
    `GET ${pathname}${search} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n` +
      Object.entries(headers)
        .map(([name, value]) => `${name}: ${value}\r\n`)
        .join('') +
      '\r\n',
  );
  const total = Math.max(1, Math.round(rate * seconds));
  const latencies = new Float64Array(total);
  let completed = 0;
  let lostInFlight = 0; // sent on a connection that closed before answering
  let non2xx = 0;
  let failure;
  let stopping = false;
  const pool = new Set(); // open (or opening) connections
  // Idle connections are taken in turn (first in, first out): each stays in use, so none sits idle long
  // enough for the server's keep-alive timeout (Node's 5 s) to close it.
  const idle = [];
  const backlog = []; // due times of requests that found every connection busy
  let settle;
  const finished = new Promise((resolve) => (settle = resolve));
  const done = () => completed + lostInFlight >= total || failure !== undefined || pool.size === 0;

  const send = (connection, startedAt) => {
    connection.startedAt = startedAt;
    connection.busy = true;
    connection.socket.write(request);
  };
  const release = (connection) => {
    connection.busy = false;
    if (backlog.length > 0) send(connection, backlog.shift());
    else idle.push(connection);
  };

  /** Opens a connection; resolves once it is connected, rejects if it cannot connect. */
  function open() {
    const socket = net.connect({ host, port: Number(port), noDelay: true });
    const connection = { socket, busy: false, startedAt: 0, buffered: Buffer.alloc(0), connected: false };
    pool.add(connection);
    socket.on('data', (chunk) => {
      connection.buffered = connection.buffered.length ? Buffer.concat([connection.buffered, chunk]) : chunk;
      while (connection.busy) {
        const end = connection.buffered.indexOf(HEADER_END);
        if (end < 0) return;
        const head = connection.buffered.subarray(0, end).toString('latin1');
        if (/\r\ntransfer-encoding:/i.test(head)) {
          failure = new Error(`${url}: the open-loop client reads answers with Content-Length only`);
          return settle();
        }
        const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
        if (connection.buffered.length < end + HEADER_END.length + length) return;
        const status = Number(head.slice(9, 12));
        if (status < 200 || status > 299) non2xx++;
        latencies[completed++] = performance.now() - connection.startedAt;
        connection.buffered = connection.buffered.subarray(end + HEADER_END.length + length);
        release(connection);
        if (done()) settle();
      }
    });
    socket.on('error', () => undefined); // 'close' follows and does the accounting
    // A closed connection's request in flight is never answered (an error). A connection that had been
    // open is replaced; one that never connected is not (the server is gone, or refuses).
    socket.on('close', () => {
      pool.delete(connection);
      if (connection.busy) lostInFlight++;
      const at = idle.indexOf(connection);
      if (at >= 0) idle.splice(at, 1);
      if (connection.connected && !stopping) open().then(release, () => undefined);
      if (done()) settle();
    });
    return new Promise((resolve, reject) => {
      socket.once('connect', () => {
        connection.connected = true;
        resolve(connection);
      });
      socket.once('error', reject);
    });
  }

  try {
    idle.push(...(await Promise.all(Array.from({ length: connections }, open))));
  } catch (error) {
    for (const connection of pool) connection.socket.destroy();
    throw error;
  }

  const start = performance.now();
  const interval = 1000 / rate;
  let next = 0;
  await new Promise((scheduled) => {
    // A 1 ms timer, not a busy loop: the generator shares the machine with what it measures.
    const tick = () => {
      const now = performance.now();
      while (next < total && start + next * interval <= now) {
        const due = start + next * interval;
        next++;
        const connection = idle.shift();
        if (connection) send(connection, performance.now());
        else backlog.push(due);
      }
      if (next < total && !done()) setTimeout(tick, 1);
      else scheduled();
    };
    tick();
  });
  // Answers still outstanding 10 s after the last request was due count as errors.
  const deadline = setTimeout(settle, 10_000);
  if (done()) settle();
  await finished;
  clearTimeout(deadline);
  stopping = true;
  for (const connection of pool) connection.socket.destroy();
  if (failure) throw failure;

  const sorted = Array.from(latencies.subarray(0, completed)).sort((a, b) => a - b);
  const at = (p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? NaN;
  return {
    offered: rate,
    completed,
    errors: total - completed,
    non2xx,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}
