import type { DataSource } from 'typeorm';
import { JsonLogger } from '#common';
import { AuditPartitions } from './audit-partitions';

describe('AuditPartitions', () => {
  it('stops after the batch under way of a long default-partition backlog, not after the whole backlog', async () => {
    let batches = 0;
    // A backlog of 1,000 full batches, each deleted a moment after it is asked for.
    const backlog = 1_000;
    const query = async (): Promise<{ count: number }[]> => {
      batches += 1;
      await new Promise((resolve) => setImmediate(resolve));
      return [{ count: batches < backlog ? 5_000 : 0 }];
    };
    const sut = new AuditPartitions(
      { manager: { query }, query } as unknown as DataSource,
      400,
      new JsonLogger('test', 'silent'),
    );

    sut.start();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await sut.stop();
    const afterStop = batches;
    await new Promise((resolve) => setTimeout(resolve, 20));

    expect(afterStop).toBeGreaterThan(0);
    expect(afterStop).toBeLessThan(backlog);
    expect(batches).toBe(afterStop);
  });
});
