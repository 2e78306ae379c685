import { UNMATCHED_ROUTE, actionOf, classify, clientProduct, type RequestFacts } from './classify';

const BROWSER = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36';

function facts(overrides: Partial<RequestFacts> = {}): RequestFacts {
  return {
    method: 'GET',
    route: '/api/v1/prompts',
    path: '/api/v1/prompts',
    userAgent: undefined,
    declaredIntegration: undefined,
    ...overrides,
  };
}

describe('clientProduct', () => {
  it.each([
    ['vibexp-cli/1.2.0 (linux; x64)', 'vibexp-cli'],
    ['VibeXP-CLI/0.9', 'vibexp-cli'],
    ['curl/8.5.0', 'curl'],
    ['axios/1.7.2', 'axios'],
    ['python-requests/2.31.0', 'python-requests'],
    ['node', 'node'],
    ['undici', 'undici'],
    ['claude-cli/1.0.44 (external, cli)', 'claude-cli'],
    ['Claude-Code/1.0', 'claude-code'],
    ['Cursor/0.42.3', 'cursor'],
    [BROWSER, 'mozilla'],
    ['  curl/8.5.0  ', 'curl'],
  ])('reads the product of %j as %j', (userAgent, expected) => {
    expect(clientProduct(userAgent)).toBe(expected);
  });

  it.each([
    ['a missing User-Agent', undefined],
    ['an empty User-Agent', ''],
    ['a blank User-Agent', '   '],
    ['10 KB of "a"', 'a'.repeat(10 * 1024)],
    ['garbage', '(((('],
    ['a product with control characters', 'cu\u0000rl/1.0'],
  ])('answers null for %s', (_, userAgent) => {
    expect(clientProduct(userAgent)).toBeNull();
  });
});

describe('classify', () => {
  it.each([
    ['vibexp-cli/1.2.0 (linux; x64)', 'cli', 'vibexp-cli'],
    ['VibeXP-CLI/0.9', 'cli', 'vibexp-cli'],
    ['curl/8.5.0', 'api', 'curl'],
    ['axios/1.7.2', 'api', 'axios'],
    ['python-requests/2.31.0', 'api', 'python-requests'],
    ['node', 'api', 'node'],
    ['undici', 'api', 'undici'],
    ['claude-cli/1.0.44 (external, cli)', 'claude_code', 'claude-cli'],
    ['Claude-Code/1.0', 'claude_code', 'claude-code'],
    ['Cursor/0.42.3', 'cursor', 'cursor'],
    [BROWSER, 'api', 'mozilla'],
  ])('classifies the User-Agent %j as tool_type %s, client %j', (userAgent, toolType, client) => {
    const sut = classify(facts({ userAgent }));

    expect(sut).toEqual({ tool_type: toolType, client, action: 'prompts.list' });
  });

  it.each([
    ['a missing User-Agent', undefined],
    ['an empty User-Agent', ''],
    ['10 KB of "a"', 'a'.repeat(10 * 1024)],
    ['garbage', '(((('],
  ])('classifies %s as api with client null, without throwing', (_, userAgent) => {
    expect(() => classify(facts({ userAgent }))).not.toThrow();
    expect(classify(facts({ userAgent }))).toEqual({ tool_type: 'api', client: null, action: 'prompts.list' });
  });

  it.each([
    ['curl', 'curl/8.5.0', 'ai_tools', 'curl'],
    ['no User-Agent', undefined, 'ai_tools', null],
    ['a vibexp-cli User-Agent', 'vibexp-cli/1.2.0 (linux; x64)', 'cli', 'vibexp-cli'],
  ])('classifies a request declaring ai_tools with %s', (_, userAgent, toolType, client) => {
    const sut = classify(facts({ userAgent, declaredIntegration: 'ai_tools' }));

    expect(sut).toMatchObject({ tool_type: toolType, client });
  });

  it('keeps a request declaring the cli integration with a curl User-Agent as api', () => {
    const sut = classify(facts({ userAgent: 'curl/8.5.0', declaredIntegration: 'cli' }));

    expect(sut.tool_type).toBe('api');
  });

  it.each([
    ['/api/v1/claude-code/hooks', 'curl/8.5.0', 'claude_code', 'curl', 'hooks.claude_code'],
    ['/api/v1/claude-code/hooks', undefined, 'claude_code', null, 'hooks.claude_code'],
    ['/api/v1/cursor-ide/hooks', 'curl/8.5.0', 'cursor', 'curl', 'hooks.cursor'],
    ['/api/v1/cursor-ide/hooks', 'node', 'cursor', 'node', 'hooks.cursor'],
    // What an installed hook sends: `vibexp hooks send`, with the CLI's User-Agent.
    ['/api/v1/claude-code/hooks', 'vibexp-cli/0.1.0', 'claude_code', 'vibexp-cli', 'hooks.claude_code'],
    ['/api/v1/cursor-ide/hooks', 'vibexp-cli/0.1.0', 'cursor', 'vibexp-cli', 'hooks.cursor'],
  ])('classifies POST %s with User-Agent %j as %s', (route, userAgent, toolType, client, action) => {
    const sut = classify(facts({ method: 'POST', route, path: route, userAgent, declaredIntegration: 'ai_tools' }));

    expect(sut).toEqual({ tool_type: toolType, client, action });
  });
});

describe('actionOf', () => {
  it.each([
    ['GET', '/api/v1/prompts', '/api/v1/prompts', 'prompts.list'],
    ['POST', '/api/v1/prompts', '/api/v1/prompts', 'prompts.create'],
    ['GET', '/api/v1/prompts/:id', '/api/v1/prompts/p1', 'prompts.get'],
    ['PUT', '/api/v1/prompts/:id', '/api/v1/prompts/p1', 'prompts.update'],
    ['DELETE', '/api/v1/prompts/:id', '/api/v1/prompts/p1', 'prompts.delete'],
    ['POST', '/api/v1/prompts/:id/render', '/api/v1/prompts/p1/render', 'prompts.render'],
    ['GET', '/api/v1/prompts/:id/placeholders', '/api/v1/prompts/p1/placeholders', 'prompts.placeholders'],
    ['GET', '/api/v1/prompts/:id/versions', '/api/v1/prompts/p1/versions', 'prompts.versions'],
    ['POST', '/api/v1/prompts/:id/versions/:n/restore', '/api/v1/prompts/p1/versions/2/restore', 'prompts.restore'],
    ['GET', '/api/v1/memories', '/api/v1/memories', 'memories.list'],
    ['POST', '/api/v1/memories', '/api/v1/memories', 'memories.create'],
    ['GET', '/api/v1/memories/:id', '/api/v1/memories/m1', 'memories.get'],
    ['PUT', '/api/v1/memories/:id', '/api/v1/memories/m1', 'memories.update'],
    ['DELETE', '/api/v1/memories/:id', '/api/v1/memories/m1', 'memories.delete'],
    ['GET', '/api/v1/memories/:id/versions', '/api/v1/memories/m1/versions', 'memories.versions'],
    ['POST', '/api/v1/memories/:id/versions/:n/restore', '/api/v1/memories/m1/versions/3/restore', 'memories.restore'],
    ['GET', '/api/v1/artifacts', '/api/v1/artifacts', 'artifacts.list'],
    ['POST', '/api/v1/artifacts', '/api/v1/artifacts', 'artifacts.create'],
    ['GET', '/api/v1/artifacts/*path', '/api/v1/artifacts/app/x', 'artifacts.get'],
    ['PUT', '/api/v1/artifacts/*path', '/api/v1/artifacts/app/x', 'artifacts.update'],
    ['DELETE', '/api/v1/artifacts/*path', '/api/v1/artifacts/app/x', 'artifacts.delete'],
    ['GET', '/api/v1/artifacts/*path', '/api/v1/artifacts/team/app/x', 'artifacts.get'],
    ['GET', '/api/v1/artifacts/*path', '/api/v1/artifacts/app/x/versions', 'artifacts.versions'],
    ['POST', '/api/v1/artifacts/*path', '/api/v1/artifacts/app/x/versions/2/restore', 'artifacts.restore'],
    ['GET', '/api/v1/search', '/api/v1/search', 'search.query'],
    ['GET', '/api/v1/auth/me', '/api/v1/auth/me', 'auth.me'],
    ['POST', '/api/v1/claude-code/hooks', '/api/v1/claude-code/hooks', 'hooks.claude_code'],
    ['POST', '/api/v1/cursor-ide/hooks', '/api/v1/cursor-ide/hooks', 'hooks.cursor'],
    ['GET', '/api/v1/ai-tools/claude-code/sessions', '/api/v1/ai-tools/claude-code/sessions', 'ai_tool_sessions.list'],
    ['GET', '/api/v1/ai-tools/cursor-ide/sessions', '/api/v1/ai-tools/cursor-ide/sessions', 'ai_tool_sessions.list'],
    ['GET', '/api/v1/settings/api-keys', '/api/v1/settings/api-keys', 'api_keys.list'],
    ['GET', '/api/v1/api-keys', '/api/v1/api-keys', 'api_keys.list'],
    ['POST', '/api/v1/settings/api-keys/:id/rotate', '/api/v1/settings/api-keys/x/rotate', 'api_keys.rotate'],
    ['DELETE', '/api/v1/settings/api-keys/:id', '/api/v1/settings/api-keys/x', 'api_keys.delete'],
    ['GET', '/api/v1/settings/api-keys/:id/usage', '/api/v1/settings/api-keys/x/usage', 'api_keys.usage'],
    ['HEAD', '/api/v1/prompts/:id', '/api/v1/prompts/x', 'prompts.get'],
    ['GET', '/api/v1/audit-log', '/api/v1/audit-log', 'audit_log.list'],
    ['GET', '/api/v1/audit-log/export', '/api/v1/audit-log/export', 'audit_log.export'],
    ['GET', '/api/v1/security/alerts', '/api/v1/security/alerts', 'alerts.list'],
    ['GET', '/api/v1/security/alerts/:id', '/api/v1/security/alerts/a1', 'alerts.get'],
    ['POST', '/api/v1/security/alerts/:id/acknowledge', '/api/v1/security/alerts/a1/acknowledge', 'alerts.acknowledge'],
    ['POST', '/api/v1/security/alerts/:id/resolve', '/api/v1/security/alerts/a1/resolve', 'alerts.resolve'],
    ['GET', '/api/v1/settings/security', '/api/v1/settings/security', 'security_settings.get'],
    ['PUT', '/api/v1/settings/security', '/api/v1/settings/security', 'security_settings.update'],
    ['POST', '/api/v1/settings/api-keys', '/api/v1/settings/api-keys', 'api_keys.create'],
    ['PATCH', '/api/v1/settings/api-keys/:id', '/api/v1/settings/api-keys/x', 'api_keys.update'],
    ['POST', '/api/v1/keys/report-leak', '/api/v1/keys/report-leak', 'keys.report_leak'],
    ['GET', '/api/v1/no-such-thing', '/api/v1/no-such-thing', 'no_such_thing.list'],
    ['POST', '/mcp/v1/common', '/mcp/v1/common', 'mcp.common'],
    // Refused before routing: the path (which may hold anything) names nothing.
    ['POST', UNMATCHED_ROUTE, `/api/v1/vxk_${'a'.repeat(64)}`, 'unknown'],
  ])('names %s %s (path %s) %s', (method, route, path, expected) => {
    expect(actionOf(method, route, path)).toBe(expected);
  });

  it('reads the action of a wildcard artifact route from the request path, not the template', () => {
    const sut = classify(
      facts({
        method: 'PUT',
        route: '/api/v1/artifacts/*path',
        path: '/api/v1/artifacts/app/x',
        userAgent: 'curl/8.5.0',
      }),
    );

    expect(sut).toEqual({ tool_type: 'api', client: 'curl', action: 'artifacts.update' });
  });
});
