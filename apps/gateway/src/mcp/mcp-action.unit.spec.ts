import { mcpRequestFacts } from './mcp-action';

describe('mcpRequestFacts', () => {
  const call = (method: string, params?: object) => ({ jsonrpc: '2.0', id: 1, method, ...(params ? { params } : {}) });

  it.each([
    [
      call('tools/call', { name: 'create_memory', arguments: { text: 'x' } }),
      'memories.create',
      'tools/call',
      'create_memory',
    ],
    [call('tools/call', { name: 'get_artifact' }), 'artifacts.get', 'tools/call', 'get_artifact'],
    [call('tools/call', { name: 'update_prompt' }), 'prompts.update', 'tools/call', 'update_prompt'],
    [call('tools/call', { name: 'search' }), 'search.query', 'tools/call', 'search'],
    [call('tools/call', { name: 'render_prompt' }), 'prompts.render', 'tools/call', 'render_prompt'],
    [call('prompts/list'), 'prompts.list', 'prompts/list', null],
    [call('prompts/get', { name: 'review' }), 'prompts.render', 'prompts/get', null],
    [call('initialize'), 'mcp.initialize', 'initialize', null],
    [call('tools/list'), 'mcp.tools_list', 'tools/list', null],
    [call('ping'), 'mcp.ping', 'ping', null],
  ])('%j is %s', (body, action, method, tool) => {
    expect(mcpRequestFacts(body)).toEqual({ action, mcp_method: method, mcp_tool: tool });
  });

  it('keeps only names this server defines, never what a client made up', () => {
    expect(mcpRequestFacts(call('tools/call', { name: 'drop_tables' }))).toEqual({
      action: 'mcp.tools_call',
      mcp_method: 'tools/call',
      mcp_tool: null,
    });
    expect(mcpRequestFacts(call('resources/list'))).toEqual({ action: 'mcp.other', mcp_method: null, mcp_tool: null });
    expect(mcpRequestFacts(call('x'.repeat(10_000)))).toEqual({
      action: 'mcp.other',
      mcp_method: null,
      mcp_tool: null,
    });
  });

  it('tells notifications and bodies that are no JSON-RPC request apart', () => {
    expect(mcpRequestFacts({ jsonrpc: '2.0', method: 'notifications/initialized' }).action).toBe('mcp.notification');
    for (const body of [undefined, null, 'text', [call('ping')], { jsonrpc: '2.0', id: 1, result: {} }])
      expect(mcpRequestFacts(body).action).toBe('mcp.other');
  });
});
