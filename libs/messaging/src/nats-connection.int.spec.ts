import { type TestNatsServer, startNatsServer } from '../../../test/support/nats-server';
import { NatsConnectionHolder } from './nats-connection';

describe('NatsConnectionHolder.publishNotice (real NATS)', () => {
  let nats: TestNatsServer;

  beforeAll(async () => {
    nats = await startNatsServer();
  });
  afterAll(() => nats.stop());

  it('delivers the notice and resolves once the server confirmed it', async () => {
    const publisher = await NatsConnectionHolder.connect({ servers: nats.url, name: 'notice-publisher' });
    const listener = await NatsConnectionHolder.connect({ servers: nats.url, name: 'notice-listener' });
    const received = new Promise<string>((resolve) => {
      listener.connection.subscribe('test.notice', { max: 1, callback: (_, message) => resolve(message.string()) });
    });
    await listener.connection.flush();
    try {
      await publisher.publishNotice('test.notice', 'changed');
      expect(await received).toBe('changed');
    } finally {
      await publisher.close();
      await listener.close();
    }
  });

  it('rejects on a closed connection', async () => {
    const publisher = await NatsConnectionHolder.connect({ servers: nats.url, name: 'notice-closed' });
    await publisher.close();
    await expect(publisher.publishNotice('test.notice', 'changed')).rejects.toThrow();
  });
});
