import { NO_FILTERS, filledPlaceholders, isFiltered, labelList, listQuery } from './content';

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
      ...paging,
    });
    expect(sent('prompts')).toEqual({ search: 'deploy', status: 'draft', labels: 'b,a', ...paging });
    expect(listQuery('memories', NO_FILTERS, 1)).toBe('?page=1&limit=20&sort_by=updated_at');
    expect(listQuery('memories', { ...NO_FILTERS, labels: ' , ', project: '  ' }, 1)).toBe(
      '?page=1&limit=20&sort_by=updated_at',
    );
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
