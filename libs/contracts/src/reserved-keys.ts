/**
 * Names no key of a request body may have, at any depth. Nest's ValidationPipe deletes them silently (they are
 * how prototype pollution is done), so a write holding one would lose it without a word: the gateway refuses
 * them instead, and nothing that takes names from people (metadata, placeholders) can use them.
 */
export const RESERVED_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);
