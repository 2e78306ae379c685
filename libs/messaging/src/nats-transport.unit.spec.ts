import type { MessageHandler } from '@nestjs/microservices';
import { NatsRpcServer } from './nats-transport';

describe('NatsRpcServer', () => {
  it('finds a pattern’s handler once, then answers from memory; an unknown pattern is looked up each time', () => {
    const sut = new NatsRpcServer({ servers: ['nats://127.0.0.1:4222'] });
    const handler = (async () => 'ok') as MessageHandler;
    sut.addHandler('content.memories.get', handler);
    // Nest's own lookup (protected): JSON.parse of the pattern, which throws for a subject.
    const lookups = jest.spyOn(
      sut as unknown as { getRouteFromPattern(pattern: string): string },
      'getRouteFromPattern',
    );

    expect(sut.getHandlerByPattern('content.memories.get')).toBe(handler);
    expect(sut.getHandlerByPattern('content.memories.get')).toBe(handler);
    expect(lookups).toHaveBeenCalledTimes(1);

    expect(sut.getHandlerByPattern('content.nothing')).toBeNull();
    expect(sut.getHandlerByPattern('content.nothing')).toBeNull();
    expect(lookups).toHaveBeenCalledTimes(3);
  });
});
