import {
  NO_FILTERS,
  contentLocation,
  filledPlaceholders,
  isFiltered,
  labelList,
  listQuery,
  metadataFilter,
  parseContentLocation,
} from './content';

describe('content list filters and render values (PRODUCT.md §5)', () => {
  it('reads a label list as the API stores one: trimmed, no empty label, each once', () => {
    expect(labelList(' urgent, ops,,urgent ,  ')).toEqual(['urgent', 'ops']);
    expect(labelList('')).toEqual([]);
    expect(labelList(' , ')).toEqual([]);
  });

  it('sends the filters each list takes, set ones only, with the page', () => {
    const filters = {
      search: ' deploy ',
      status: 'draft',
      labels: 'b , a,,b',
      project: ' shop/api ',
      type: 'work_reports',
      metadata: ' team = web, env=prod ,team=api, team=web',
      mcp_expose: 'true',
    };
    const sent = (kind: 'prompts' | 'artifacts' | 'memories') =>
      Object.fromEntries(new URLSearchParams(listQuery(kind, filters, 3)));
    const paging = { page: '3', limit: '20', sort_by: 'updated_at' };
    expect(sent('artifacts')).toEqual({
      search: 'deploy',
      status: 'draft',
      labels: 'b,a',
      project: 'shop/api',
      type: 'work_reports',
      ...paging,
    });
    // Prompts have no project or type, memories no type: a filter the list does not take is never sent.
    expect(sent('memories')).toEqual({
      search: 'deploy',
      status: 'draft',
      labels: 'b,a',
      project: 'shop/api',
      metadata: '{"team":["web","api"],"env":["prod"]}',
      ...paging,
    });
    expect(sent('prompts')).toEqual({
      search: 'deploy',
      status: 'draft',
      labels: 'b,a',
      mcp_expose: 'true',
      ...paging,
    });
    expect(listQuery('memories', NO_FILTERS, 1)).toBe('?page=1&limit=20&sort_by=updated_at');
    expect(listQuery('memories', { ...NO_FILTERS, labels: ' , ', project: '  ' }, 1)).toBe(
      '?page=1&limit=20&sort_by=updated_at',
    );
  });

  it('reads a metadata filter as the API takes it: keys all, values any; refuses an entry without key=', () => {
    expect(metadataFilter('team=web, team=api,env = prod')).toEqual({ team: ['web', 'api'], env: ['prod'] });
    expect(metadataFilter('url=https://x.example/?a=b')).toEqual({ url: ['https://x.example/?a=b'] });
    expect(metadataFilter('empty=')).toEqual({ empty: [''] });
    // Typed text cannot say whether 2 was stored as a number or a string: both match.
    expect(metadataFilter('priority=2, reviewed=true, ratio=-0.5, version=1.2.3')).toEqual({
      priority: ['2', 2],
      reviewed: ['true', true],
      ratio: ['-0.5', -0.5],
      version: ['1.2.3'],
    });
    expect(metadataFilter(' , ')).toBeNull();
    expect(() => metadataFilter('team=web, prod')).toThrow('“prod”');
    expect(() => metadataFilter('=web')).toThrow('key=value');
  });

  it('keeps the filters and page in the address, and reads them back the same', () => {
    const filters = { ...NO_FILTERS, labels: 'a, b', project: 'shop/api', metadata: 'team=web' };
    const address = contentLocation('memories', filters, 3);
    expect(address).toBe('/memories?labels=a%2C+b&project=shop%2Fapi&metadata=team%3Dweb&page=3');
    expect(parseContentLocation('memories', address.split('?')[1])).toEqual({ filters, page: 3 });
    // Page 1 and unset filters are left out; a filter the list does not take is neither written nor read.
    expect(contentLocation('prompts', { ...NO_FILTERS, project: 'x', mcp_expose: 'false' }, 1)).toBe(
      '/prompts?mcp_expose=false',
    );
    expect(parseContentLocation('prompts', 'project=x&page=0&foo=1')).toEqual({ filters: NO_FILTERS, page: 1 });
    expect(parseContentLocation('artifacts', 'page=2.5')).toEqual({ filters: NO_FILTERS, page: 1 });
    expect(parseContentLocation('artifacts', '')).toEqual({ filters: NO_FILTERS, page: 1 });
  });

  it('tells a filtered list from an unfiltered one, by the filters that list takes', () => {
    expect(isFiltered('memories', NO_FILTERS)).toBe(false);
    expect(isFiltered('memories', { ...NO_FILTERS, labels: ' , ' })).toBe(false);
    expect(isFiltered('memories', { ...NO_FILTERS, project: 'shop' })).toBe(true);
    expect(isFiltered('memories', { ...NO_FILTERS, status: 'archived' })).toBe(true);
    expect(isFiltered('prompts', { ...NO_FILTERS, type: 'general' })).toBe(false);
    expect(isFiltered('artifacts', { ...NO_FILTERS, type: 'general' })).toBe(true);
  });

  it('leaves out the placeholders left empty, so they stay missing', () => {
    expect(filledPlaceholders({ who: 'World', lang: '', mood: ' ' })).toEqual({ who: 'World', mood: ' ' });
    expect(filledPlaceholders({})).toEqual({});
  });
});
