import { Controller, type INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, type MicroserviceOptions, Payload, RpcException } from '@nestjs/microservices';
import { currentRequestId, runWithRequestContext } from '#common';
import { RpcErrorCode } from '#contracts';
import { NatsConnectionHolder, natsServerOptions } from '#messaging';
import { type TestNatsServer, startNatsServer } from '../../../../test/support/nats-server';
import { RpcCallError, RpcClient } from './rpc-client';

@Controller()
class EchoHandler {
  @MessagePattern('test.rpc.echo')
  echo(@Payload() payload: { text: string }): Promise<{ echoed: string }> {
    return Promise.resolve({ echoed: payload.text });
  }

  /** A reply of `mib` MiB of multi-byte text: larger than NATS's message limit from 8 MiB on. */
  @MessagePattern('test.rpc.large')
  large(@Payload() payload: { mib: number }): Promise<{ text: string }> {
    return Promise.resolve({ text: 'é😀xx'.repeat((payload.mib * 1024 * 1024) / 8) });
  }

  /** The request id the service's log lines would carry while handling this request. */
  @MessagePattern('test.rpc.request-id')
  requestId(): Promise<{ request_id: string | null }> {
    return Promise.resolve({ request_id: currentRequestId() ?? null });
  }

  @MessagePattern('test.rpc.refuse')
  refuse(): never {
    throw new RpcException({ code: RpcErrorCode.ResourceNotFound, message: 'no such thing' });
  }

  @MessagePattern('test.rpc.slow')
  async slow(): Promise<string> {
    await new Promise((resolve) => setTimeout(resolve, 500));
    return 'late';
  }
}

@Module({ controllers: [EchoHandler] })
class EchoModule {}

/** The gateway's RPC client against a real nats-server and a real Nest NATS microservice. */
describe('RpcClient (NATS + a Nest microservice)', () => {
  let nats: TestNatsServer;
  let connection: NatsConnectionHolder;
  let service: INestMicroservice;
  let client: RpcClient;

  beforeAll(async () => {
    nats = await startNatsServer();
    connection = await NatsConnectionHolder.connect({ servers: nats.url, name: 'rpc-client-test' });
    service = await NestFactory.createMicroservice<MicroserviceOptions>(EchoModule, {
      ...natsServerOptions(nats.url, 'rpc-test'),
      logger: false,
    });
    await service.listen();
    client = new RpcClient(connection, 2_000);
  });
  afterAll(async () => {
    client.onApplicationShutdown();
    await service.close();
    await connection.close();
    await nats.stop();
  });

  it('returns the handler answer, each caller its own under concurrency', async () => {
    const texts = Array.from({ length: 200 }, (_, index) => `message ${index}`);
    const replies = await Promise.all(
      texts.map((text) => client.request<{ echoed: string }>('test.rpc.echo', { text })),
    );
    expect(replies.map((reply) => reply.echoed)).toEqual(texts);
  });

  it("handles a request inside the caller's request context: the service logs with the HTTP request's id", async () => {
    const inRequest = await runWithRequestContext({ requestId: 'req-from-the-gateway' }, () =>
      client.request<{ request_id: string | null }>('test.rpc.request-id', {}),
    );
    expect(inRequest.request_id).toBe('req-from-the-gateway');
    // Outside any HTTP request (a background call) there is none to pass on.
    expect((await client.request<{ request_id: string | null }>('test.rpc.request-id', {})).request_id).toBeNull();
  });

  it('receives a reply larger than the NATS message limit whole, in chunks, each caller its own', async () => {
    expect(connection.connection.info?.max_payload).toBe(8 * 1024 * 1024);
    const [small, large, larger] = await Promise.all(
      [1, 20, 30].map((mib) => client.request<{ text: string }>('test.rpc.large', { mib })),
    );
    expect(Buffer.byteLength(large.text)).toBe(20 * 1024 * 1024);
    expect(large.text).toBe('é😀xx'.repeat((20 * 1024 * 1024) / 8));
    expect([small.text.length, larger.text.length]).toEqual([(1024 * 1024 * 5) / 8, (30 * 1024 * 1024 * 5) / 8]);
  });

  it('answers RESPONSE_TOO_LARGE for a reply of more than 8 chunks (64 MiB), and serves the next one', async () => {
    const failure = await client.request('test.rpc.large', { mib: 70 }).catch((error: unknown) => error);
    expect((failure as RpcCallError).body).toEqual({
      code: RpcErrorCode.ResponseTooLarge,
      message: expect.stringMatching(/^the answer would be 7\d MiB, more than 63 MiB: ask for fewer items$/),
    });
    expect((await client.request<{ text: string }>('test.rpc.large', { mib: 1 })).text.length).toBe(
      (1024 * 1024 * 5) / 8,
    );
  });

  it("rejects with the service's typed error", async () => {
    const failure = await client.request('test.rpc.refuse', {}).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RpcCallError);
    expect((failure as RpcCallError).body).toEqual({ code: RpcErrorCode.ResourceNotFound, message: 'no such thing' });
  });

  it('says SERVICE_UNAVAILABLE at once when no service listens on the subject', async () => {
    const startedAt = Date.now();
    const failure = await client.request('test.rpc.nobody', {}).catch((error: unknown) => error);
    expect((failure as RpcCallError).body.code).toBe(RpcErrorCode.Unavailable);
    expect(Date.now() - startedAt).toBeLessThan(1_000); // not the 2 s deadline
  });

  it('rejects the requests still waiting when the gateway stops, and can be used again after', async () => {
    const stopping = new RpcClient(connection, 2_000);
    const waiting = stopping.request('test.rpc.slow', {}).catch((error: unknown) => error);
    await new Promise((resolve) => setTimeout(resolve, 50));
    stopping.onApplicationShutdown();
    expect(((await waiting) as RpcCallError).body).toEqual({
      code: RpcErrorCode.Unavailable,
      message: 'request on test.rpc.slow abandoned: the gateway is stopping',
    });
    await expect(stopping.request('test.rpc.echo', { text: 'again' })).resolves.toEqual({ echoed: 'again' });
    stopping.onApplicationShutdown();
  });

  it('says SERVICE_UNAVAILABLE at the deadline, and ignores the late answer', async () => {
    const failure = await client.request('test.rpc.slow', {}, 100).catch((error: unknown) => error);
    expect((failure as RpcCallError).body).toEqual({
      code: RpcErrorCode.Unavailable,
      message: 'no reply on test.rpc.slow within 100 ms',
    });
    await new Promise((resolve) => setTimeout(resolve, 600));
    await expect(client.request('test.rpc.echo', { text: 'still fine' })).resolves.toEqual({ echoed: 'still fine' });
  });
});
