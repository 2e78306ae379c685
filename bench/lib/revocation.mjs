// Revocation propagation (PRODUCT.md §3.3, "revocation is instant"): with two gateway instances, the
// time from the DELETE answer on gateway A to the first 401 for that key on gateway B, which had the
// key verified and cached just before. Many trials; the distribution is reported.
import { performance } from 'node:perf_hooks';
import { createKey, revokeKey, signup } from './accounts.mjs';

const POLL_TIMEOUT_MS = 5_000;

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function status(url, key) {
  const response = await fetch(`${url}/api/v1/auth/me`, { headers: { authorization: `Bearer ${key}` } });
  await response.arrayBuffer();
  return response.status;
}

/**
 * `gatewayA` and `gatewayB` are base URLs of two instances on the same NATS. Returns
 * { trials, p50, p99, max, failures } in milliseconds.
 */
export async function measureRevocation(gatewayA, gatewayB, trials = 200) {
  const session = await signup(gatewayA);
  const delays = [];
  let failures = 0;
  for (let trial = 0; trial < trials; trial += 1) {
    const key = await createKey(session);
    if ((await status(gatewayB, key.fullKey)) !== 200) throw new Error('gateway B did not accept a fresh key');
    await revokeKey(session, key.id);
    const revokedAt = performance.now();
    let refused = false;
    while (performance.now() - revokedAt < POLL_TIMEOUT_MS) {
      if ((await status(gatewayB, key.fullKey)) === 401) {
        refused = true;
        break;
      }
    }
    if (refused) delays.push(performance.now() - revokedAt);
    else failures += 1;
  }
  const sorted = [...delays].sort((a, b) => a - b);
  return { trials, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1], failures };
}
