import { ProblemError } from '#common';
import { MAX_STORED_STRING, parseHook } from './hook-payload';

const stored = (hook: { payload_json: string }) => JSON.parse(hook.payload_json) as Record<string, unknown>;

const KEY = `vxk_${'ab'.repeat(32)}`;

function refusal(run: () => unknown): { status: number; code: string; fields: string[] } {
  try {
    run();
  } catch (error) {
    if (!(error instanceof ProblemError)) throw error;
    return {
      status: error.status,
      code: error.code,
      fields: (error.extras.validationErrors ?? []).map((item) => item.field),
    };
  }
  throw new Error('expected a refusal');
}

describe('parseHook (PRODUCT.md §10)', () => {
  it('takes Claude Code hook JSON unchanged, reading the fields it uses', () => {
    const body = {
      session_id: 's-1',
      hook_event_name: 'PostToolUse',
      cwd: '/home/ann/src/my-app',
      tool_name: 'Bash',
      tool_input: { command: 'npm test', timeout: 1000 },
      tool_response: { stdout: 'ok', interrupted: false },
      transcript_path: '/tmp/t.jsonl',
      something_new: [1, null, true],
    };
    expect(parseHook('claude_code', body)).toEqual({
      tool: 'claude_code',
      session_id: 's-1',
      hook_event_name: 'PostToolUse',
      tool_name: 'Bash',
      cwd: '/home/ann/src/my-app',
      payload_json: JSON.stringify(body),
      truncated: false,
    });
  });

  it('reads Cursor’s conversation_id as the session and its first workspace root as the directory', () => {
    const hook = parseHook('cursor', {
      conversation_id: 'c-1',
      hook_event_name: 'beforeShellExecution',
      workspace_roots: ['/w/app', '/w/lib'],
    });
    expect([hook.session_id, hook.cwd]).toEqual(['c-1', '/w/app']);
    const missing = refusal(() => parseHook('cursor', { session_id: 'c-1', hook_event_name: 'stop' }));
    expect(missing.fields).toEqual(['conversation_id']);
  });

  it('keeps the prompt for ranking memories', () => {
    expect(
      parseHook('claude_code', { session_id: 's', hook_event_name: 'UserPromptSubmit', prompt: 'fix login' }).prompt,
    ).toBe('fix login');
  });

  it.each([
    ['an array', [], ['(body)']],
    ['a string', 'hello', ['(body)']],
    ['null', null, ['(body)']],
    ['no body', undefined, ['(body)']],
    ['no session_id', { hook_event_name: 'Stop' }, ['session_id']],
    ['no hook_event_name', { session_id: 's' }, ['hook_event_name']],
    ['neither', {}, ['session_id', 'hook_event_name']],
    ['an empty session_id', { session_id: ' ', hook_event_name: 'Stop' }, ['session_id']],
    ['a numeric session_id', { session_id: 7, hook_event_name: 'Stop' }, ['session_id']],
    ['a 256-character session_id', { session_id: 's'.repeat(256), hook_event_name: 'Stop' }, ['session_id']],
    ['a cwd that is not text', { session_id: 's', hook_event_name: 'Stop', cwd: ['/a'] }, ['cwd']],
    ['a tool_name that is an object', { session_id: 's', hook_event_name: 'Stop', tool_name: {} }, ['tool_name']],
  ])('refuses %s with 400 VALIDATION_FAILED naming the field', (_, body, fields) => {
    expect(refusal(() => parseHook('claude_code', body))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields });
  });

  it('refuses JSON nested deeper than 32 levels instead of walking it', () => {
    let deep: unknown = 'leaf';
    for (let i = 0; i < 200_000; i += 1) deep = { a: deep };
    const refused = refusal(() => parseHook('claude_code', { session_id: 's', hook_event_name: 'Stop', x: deep }));
    expect(refused.fields).toEqual(['(body)']);
  });

  it('masks keys and URL passwords anywhere in the JSON, keys of objects included', () => {
    const hook = parseHook('claude_code', {
      session_id: 's',
      hook_event_name: 'PreToolUse',
      tool_input: { command: `curl -H "Authorization: Bearer ${KEY}" https://u:hunter2@example.com/x` },
      [KEY]: 'as a key',
      prompt: `my key is ${KEY}`,
    });
    const stored = JSON.stringify(hook);
    expect(stored).not.toContain(KEY);
    expect(stored).not.toContain('hunter2');
    expect(stored).toContain('[REDACTED]');
    expect(hook.prompt).not.toContain(KEY);
  });

  it('stores NUL characters and lone surrogates as U+FFFD rather than refusing the hook', () => {
    const hook = parseHook('claude_code', {
      session_id: 's',
      hook_event_name: 'PostToolUse',
      tool_response: 'a\u0000b\ud800c',
    });
    expect(stored(hook).tool_response).toBe('a\uFFFDb\uFFFDc');
  });

  it('keeps a number beyond a double as the text Infinity, not as a null the tool never sent', () => {
    const body = JSON.parse(
      '{"session_id":"s","hook_event_name":"PreToolUse","tool_input":{"n":1e400,"m":[-1e400,2.5]}}',
    ) as object;
    expect(stored(parseHook('claude_code', body)).tool_input).toEqual({ n: 'Infinity', m: ['-Infinity', 2.5] });
  });

  it('keeps __proto__ and constructor keys as data, never as the prototype of what is stored', () => {
    const body = JSON.parse(
      '{"session_id":"s","hook_event_name":"Stop","__proto__":{"polluted":true},"tool_input":{"constructor":"x"}}',
    ) as object;
    const hook = parseHook('claude_code', body);
    // Set by assignment, `__proto__` would become the prototype and vanish from the JSON.
    expect(hook.payload_json).toContain('"__proto__":{"polluted":true}');
    expect(hook.payload_json).toContain('"constructor":"x"');
  });

  it('masks the value of a field named like a secret, and secrets quoted in commands', () => {
    const hook = parseHook('claude_code', {
      session_id: 's',
      hook_event_name: 'PreToolUse',
      tool_input: {
        password: 'hunter2hunter2',
        nested: { Token: 'abc', api: { authorization: 'Basic eDp5' } },
        command: `curl -b vx_session=s3ss10n -H 'Authorization: Bearer ghp_abcdefghijklmnop' -d '{"password":"pw123456"}'`,
      },
    });
    for (const secret of ['hunter2', 'abc', 'eDp5', 's3ss10n', 'ghp_abcdefghijklmnop', 'pw123456'])
      expect([secret, hook.payload_json.includes(secret)]).toEqual([secret, false]);
    expect(stored(hook).tool_input).toMatchObject({ password: '[REDACTED]', nested: { Token: '[REDACTED]' } });
  });

  it('keeps the first 16 KiB of a long string, says how much was cut, and flags the hook', () => {
    const output = 'y'.repeat(MAX_STORED_STRING + 500);
    const hook = parseHook('claude_code', { session_id: 's', hook_event_name: 'PostToolUse', tool_response: output });
    expect(hook.truncated).toBe(true);
    expect(stored(hook).tool_response).toBe(`${'y'.repeat(MAX_STORED_STRING)}…[500 more characters not stored]`);
    expect(parseHook('claude_code', { session_id: 's', hook_event_name: 'Stop' }).truncated).toBe(false);
  });

  it('masks a secret the cut at 16 KiB would halve, keeping none of it', () => {
    const output = `${'y'.repeat(MAX_STORED_STRING - 20)} password: "s3cretValue-that-runs-past-the-cut" and more`;
    const hook = parseHook('claude_code', { session_id: 's', hook_event_name: 'PostToolUse', tool_response: output });
    const kept = stored(hook).tool_response as string;
    expect(kept).not.toContain('s3cret');
    expect(kept).toContain('…[');
  });

  it('cuts a long string between characters, never inside an emoji', () => {
    const output = `a${'😀'.repeat(MAX_STORED_STRING)}`;
    const hook = parseHook('claude_code', { session_id: 's', hook_event_name: 'PostToolUse', tool_response: output });
    const kept = stored(hook).tool_response as string;
    expect(kept).not.toContain('\uFFFD');
    expect(kept.startsWith(`a${'😀'.repeat(MAX_STORED_STRING / 2 - 1)}…[`)).toBe(true);
  });

  it('refuses with 413 a hook whose stored JSON would still be over 1 MiB', () => {
    const many = Object.fromEntries(Array.from({ length: 80 }, (_, i) => [`f${i}`, 'z'.repeat(MAX_STORED_STRING)]));
    const refused = refusal(() => parseHook('claude_code', { session_id: 's', hook_event_name: 'Stop', ...many }));
    expect([refused.status, refused.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
  });

  it('sends on only the start of a long prompt, to rank memories by', () => {
    const hook = parseHook('claude_code', {
      session_id: 's',
      hook_event_name: 'UserPromptSubmit',
      prompt: 'p'.repeat(10_000),
    });
    expect(hook.prompt).toHaveLength(2_000);
  });
});
