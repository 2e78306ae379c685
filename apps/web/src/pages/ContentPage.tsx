import { type ChangeEvent, type FormEvent, Fragment, useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { ApiProblem, api, messageOf } from '../api';
import { lastPageInstead, replaceInAddress, showInAddress } from '../address';
import { RenderPreview } from '../components/RenderPreview';
import {
  ErrorBanner,
  FieldError,
  FormActions,
  Loading,
  Pager,
  invalidProps,
  useLatest,
  useRequest,
} from '../components/ui';
import {
  type ContentFilters,
  type ContentKind as Kind,
  FILTERS_OF,
  NO_FILTERS,
  contentLocation,
  isFiltered,
  labelList,
  listQuery,
  metadataFilter,
  parseContentLocation,
} from '../content';
import { dateTime, lastUsed } from '../format';
import { type KeptDraft, draftOnto, forgetDraft, keepDraft, peekDraft } from '../drafts';
import { mayLeave, useUnsavedChanges } from '../unsaved';

type Item = Record<string, unknown> & { id: string; version: number; updated_at: string; labels: string[] };

/** The editor's fields as typed (a checkbox: whether it is ticked), kept across a version conflict. */
type Draft = Record<string, string | boolean>;

interface Field {
  name: string;
  label: string;
  type?: 'textarea' | 'select' | 'labels' | 'checkbox';
  options?: string[];
  /** Set at creation only (slugs, an artifact's project: they address the item). */
  createOnly?: boolean;
  required?: boolean;
  /** Emptied in an edit, it is sent as null (removed). */
  nullable?: boolean;
}

/** `memories` → `memory`, `prompts` → `prompt`. */
const singular = (kind: Kind): string => kind.slice(0, -1).replace(/ie$/, 'y');

const titleOf = (item: Item, titleField: string): string => String(item[titleField] ?? '') || 'Untitled';

/** What the editor shows for a field of `item` ('new': a new form), as the form would read it back. */
function editorValue(item: Item | 'new', field: Field): string | boolean {
  const current = item === 'new' ? undefined : item[field.name];
  if (field.type === 'checkbox') return item === 'new' ? true : current === true;
  const text = Array.isArray(current) ? current.join(', ') : ((current as string | null | undefined) ?? '');
  return field.type === 'select' ? text || (field.options?.[0] ?? '') : text;
}

/** Every field of `item` as the editor shows it, by name. */
function editorValues(item: Item | 'new', fields: Field[]): Draft {
  return Object.fromEntries(fields.map((field) => [field.name, editorValue(item, field)]));
}

/** The fields of a draft the user changed from the version the editor opened: only these are theirs to keep. */
function changedFields(draft: Draft, base: Item | 'new', fields: Field[]): Draft {
  return Object.fromEntries(
    fields
      .filter((field) => field.name in draft && draft[field.name] !== editorValue(base, field))
      .map((field) => [field.name, draft[field.name]]),
  );
}

/** The editor's fields as typed, by name (checkboxes: ticked or not). */
function draftOf(form: FormData, fields: Field[]): Draft {
  const draft: Draft = {};
  for (const field of fields) {
    if (field.type === 'checkbox') draft[field.name] = form.get(field.name) === 'on';
    else if (form.has(field.name)) draft[field.name] = String(form.get(field.name));
  }
  return draft;
}

/** A field's saved value as the editor would show it ('' when unset). */
function shownValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(', ');
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/**
 * The content of one version (an item as saved, or an entry of its history), field by field; with `current`,
 * the fields that differ from it are marked.
 */
function VersionFields({
  fields,
  version,
  current,
  difference = 'differs from the current version',
}: {
  fields: Field[];
  version: Record<string, unknown>;
  /** What to compare with (another version, or the fields of a draft); a field it lacks is not marked. */
  current?: Record<string, unknown>;
  difference?: string;
}) {
  return (
    <dl className="version-fields">
      {fields
        .filter((field) => field.name in version)
        .map((field) => {
          const text = shownValue(version[field.name]);
          const changed = current !== undefined && field.name in current && text !== shownValue(current[field.name]);
          return (
            <div key={field.name} className={changed ? 'changed' : undefined}>
              <dt>
                {field.label.replace(/ \(.*\)$/, '')}
                {changed ? <span className="badge badge-yellow">{difference}</span> : null}
              </dt>
              <dd>{field.type === 'textarea' ? <pre>{text}</pre> : text || <span className="muted">(none)</span>}</dd>
            </div>
          );
        })}
    </dl>
  );
}

/** 128 random bits as hex: `crypto.randomUUID` exists only in secure contexts, `getRandomValues` everywhere. */
function newIdempotencyKey(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

const ARTIFACT_TYPES = ['general', 'work_reports', 'static_contexts'];

const KINDS: Record<
  Kind,
  { title: string; titleField: string; fields: Field[]; statuses: string[]; path: (item: Item) => string }
> = {
  prompts: {
    title: 'Prompts',
    titleField: 'name',
    fields: [
      { name: 'name', label: 'Name', required: true },
      { name: 'slug', label: 'Slug (derived from the name when empty)', createOnly: true },
      { name: 'description', label: 'Description' },
      { name: 'body', label: 'Body ({{placeholders}}, @slug includes)', type: 'textarea', required: true },
      { name: 'status', label: 'Status', type: 'select', options: ['draft', 'published'] },
      { name: 'labels', label: 'Labels (comma-separated)', type: 'labels' },
      // PRODUCT.md §14: a published prompt with mcp_expose is offered to the user's MCP clients (default on).
      { name: 'mcp_expose', label: 'Offer to MCP clients once published', type: 'checkbox' },
    ],
    statuses: ['draft', 'published'],
    path: (item) => `/api/v1/prompts/${item.id}`,
  },
  artifacts: {
    title: 'Artifacts',
    titleField: 'title',
    fields: [
      { name: 'project', label: 'Project (e.g. my-app/backend)', createOnly: true, required: true },
      { name: 'slug', label: 'Slug (derived from the title when empty)', createOnly: true },
      { name: 'title', label: 'Title', required: true },
      { name: 'description', label: 'Description' },
      { name: 'content', label: 'Content (Markdown)', type: 'textarea', required: true },
      { name: 'type', label: 'Type', type: 'select', options: ARTIFACT_TYPES },
      { name: 'status', label: 'Status', type: 'select', options: ['active', 'draft', 'archived'] },
      { name: 'labels', label: 'Labels (comma-separated)', type: 'labels' },
    ],
    statuses: ['active', 'draft', 'archived'],
    // By id, not /{project}/{slug}: `a/b/versions` could also be read as the history of `a/b` (PRODUCT.md §5.2).
    path: (item) => `/api/v1/artifacts/${item.id}`,
  },
  memories: {
    title: 'Memories',
    titleField: 'title',
    fields: [
      { name: 'title', label: 'Title', nullable: true },
      { name: 'project', label: 'Project (Claude Code gets the memories of the project it works in)', nullable: true },
      { name: 'text', label: 'Text', type: 'textarea', required: true },
      { name: 'status', label: 'Status', type: 'select', options: ['active', 'draft', 'archived'] },
      { name: 'labels', label: 'Labels (comma-separated)', type: 'labels' },
    ],
    statuses: ['active', 'draft', 'archived'],
    path: (item) => `/api/v1/memories/${item.id}`,
  },
};

/**
 * Browsing and editing prompts, artifacts and memories (PRODUCT.md §5, §13). `search` is the query part of
 * the page's address, which holds the list's filters and page; `account` is the signed-in account's id (whose
 * unsaved text, kept when its session ended, the page gives back).
 */
export function ContentPage({ kind, search, account }: { kind: Kind; search: string; account: string }) {
  const spec = KINDS[kind];
  const offers = (filter: keyof ContentFilters) => FILTERS_OF[kind].includes(filter);
  /**
   * The list's filters and page, from the address: a reload, a shared link or Back shows the same list. A
   * status of '' is the API's default: everything but archived (prompts: every status).
   */
  const { filters, page } = useMemo(() => parseContentLocation(kind, search), [kind, search]);
  /**
   * The filter bar as shown. Typing changes only the bar; Enter or Filter applies it, and so does a select or a
   * click on a label or project, which applies the whole bar as shown (typed text included).
   */
  const [draft, setDraft] = useState<ContentFilters>(filters);
  // The address changed (Back, a link): the bar shows its filters.
  useEffect(() => setDraft(filters), [filters]);
  const [list, setList] = useState<{ items: Item[]; page: number; total_pages: number; total_count: number } | null>(
    null,
  );
  const [editing, setEditing] = useState<Item | 'new' | null>(null);
  /** Typed into the editor and not saved: leaving it (another item, page or tab, a restore) asks first. */
  const [dirty, setDirty] = useState(false);
  /**
   * After a version conflict: the user's draft, shown in the editor on top of the newer version, and that
   * version as it was saved elsewhere, shown beside it.
   */
  const [kept, setKept] = useState<{ draft: Draft; both: Draft; theirs: Item } | null>(null);
  const [generation, setGeneration] = useState(0);
  const [error, setError] = useState<string | null>(null);
  /** The item just deleted, as it was: "Undo" restores that version (a delete is a version like any change). */
  const [deleted, setDeleted] = useState<Item | null>(null);
  useEffect(() => setDeleted(null), [kind]);
  /** Counts the editor's openings: each brings it into view with focus (its heading, or a new form's first field). */
  const [opened, setOpened] = useState(0);
  /**
   * Text typed before the session ended, given back after signing in again: shown in the editor's fields, and
   * what the notice above the editor says about it.
   */
  const [restored, setRestored] = useState<{ draft: Draft; message: string } | null>(null);
  /** A kept draft whose item came back after the user had opened another in the editor: offered, not put over it. */
  const [offered, setOffered] = useState<KeptDraft | null>(null);
  /** A kept draft that could not be given back, and why; `gone`: its item was deleted elsewhere (404). */
  const [unrestored, setUnrestored] = useState<{ draft: KeptDraft; reason: string; gone: boolean } | null>(null);
  /** Counts what the user opened in the editor: an answer that comes after another opening does not replace it. */
  const openings = useRef(0);
  const editor = useRef<HTMLFormElement>(null);
  const editedName =
    editing === 'new' ? `the new ${singular(kind)}` : editing ? `“${titleOf(editing, spec.titleField)}”` : '';
  useUnsavedChanges(dirty ? `Discard your unsaved changes to ${editedName}?` : null, () => {
    if (!editing || !editor.current) return false;
    const fields = changedFields(draftOf(new FormData(editor.current), spec.fields), editing, spec.fields);
    // Typed, then put back as it was: nothing to keep, and nothing is lost.
    if (Object.keys(fields).length === 0) return true;
    const base = editorValues(editing, spec.fields);
    return keepDraft(sessionStorage, {
      account,
      kind,
      item: editing === 'new' ? null : editing.id,
      version: editing === 'new' ? null : editing.version,
      title: editedName,
      fields,
      original: Object.fromEntries(Object.keys(fields).map((name) => [name, base[name]])),
    });
  });

  /**
   * Gives a draft kept when the session ended back to the editor, on its item as saved now. A version saved
   * elsewhere meanwhile is a conflict, as a 409 on Save: the user's fields on top of it, it beside them.
   */
  function restoreDraft(draft: KeptDraft): void {
    const openingsBefore = openings.current;
    const giveBack = (item: Item | 'new') => {
      const onto = item === 'new' ? null : draftOnto(draft, item.version, editorValues(item, spec.fields));
      showInEditor(item);
      setDirty(true);
      if (onto?.conflict && item !== 'new') {
        setKept({ draft: draft.fields, both: onto.both, theirs: item });
        setRestored({
          draft: draft.fields,
          message:
            `Your unsaved changes to ${draft.title} were kept while you signed in again, and version ` +
            `${item.version} was saved elsewhere meanwhile. Your changes are in the form on top of it: Save puts ` +
            'them over that version, Discard my changes shows it as saved.',
        });
      } else
        setRestored({
          draft: draft.fields,
          message:
            `Your unsaved changes to ${draft.title} were kept while you signed in again: they are in the form ` +
            'below. Save to keep them.',
        });
    };
    if (draft.item === null) return giveBack('new');
    api<Item>('GET', `/api/v1/${kind}/${draft.item}`)
      .then((item) => {
        if (openings.current !== openingsBefore) return setOffered(draft);
        giveBack(item);
      })
      .catch((caught: unknown) => {
        // A session that ended meanwhile shows the sign-in page: the draft stays kept for after it.
        const gone = caught instanceof ApiProblem && caught.problem.status === 404;
        setUnrestored({ draft, reason: messageOf(caught), gone });
      });
  }
  // Signed in again after the session ended under the editor: its text comes back. Once, as the page opens.
  useEffect(() => {
    const draft = peekDraft(sessionStorage, account, kind);
    if (draft) restoreDraft(draft);
  }, []);
  // A kept draft is forgotten only once it is shown: in the editor, or (its item deleted) where it can be copied.
  useEffect(() => {
    if (restored || unrestored?.gone) forgetDraft(sessionStorage);
  }, [restored, unrestored]);
  // The editor sits above the list: opened from a row far down, it would open out of sight with focus left on
  // the row. It comes into view, and focus moves to it (a screen reader reads the item's title).
  useEffect(() => {
    const form = editor.current;
    if (opened === 0 || !form) return;
    form.scrollIntoView({ block: 'start' });
    const target = form.querySelector<HTMLElement>(editing === 'new' ? 'input, textarea, select' : 'h2');
    target?.focus({ preventScroll: true });
    // Only when it opens, not on every change of what it shows.
  }, [opened]);

  const latest = useLatest(setError);
  const saving = useRequest();
  const acting = useRequest();
  /** One per opened "New" form: a second click or Enter while it saves answers with the same item. */
  const [createKey, setCreateKey] = useState(newIdempotencyKey);

  const load = useCallback(
    () =>
      latest.load(
        () =>
          api<Record<string, unknown> & { page: number; total_pages: number; total_count: number }>(
            'GET',
            `/api/v1/${kind}${listQuery(kind, filters, page)}`,
          ),
        (answer) => {
          // A failed Delete or Undo is no longer the news once the list has answered since.
          acting.setError(null);
          // Past the last page (its items deleted, or an old link): the page that is now last instead.
          const last = lastPageInstead(page, answer.total_pages);
          if (last !== null) return replaceInAddress(contentLocation(kind, filters, last));
          setList({
            items: answer[kind] as Item[],
            page: answer.page,
            total_pages: answer.total_pages,
            total_count: answer.total_count,
          });
        },
        // Rows of other filters under this filter's error (a malformed project) would be read as its answer.
        () => setList(null),
      ),
    // `latest` keeps its state in a ref: not a dependency.
    [kind, filters, page],
  );
  useEffect(() => {
    void load();
  }, [load]);

  /** Shows this list in the address (a history entry, so Back returns to the previous list). */
  const show = (next: ContentFilters, nextPage: number) =>
    showInAddress(contentLocation(kind, next, nextPage), () => void load());

  function applyFilters(next: ContentFilters) {
    setDraft(next);
    try {
      metadataFilter(next.metadata);
    } catch (invalid) {
      setError((invalid as Error).message);
      return;
    }
    show(next, 1);
  }

  const typed = (name: keyof ContentFilters) => (event: ChangeEvent<HTMLInputElement>) => {
    const value = event.target.value;
    setDraft((shown) => ({ ...shown, [name]: value }));
  };

  /** A typed filter of the bar, when this list takes it (labelled by its name). */
  const textFilter = (name: keyof ContentFilters, placeholder: string) =>
    offers(name) ? (
      <input name={name} aria-label={name} placeholder={placeholder} value={draft[name]} onChange={typed(name)} />
    ) : null;

  /**
   * Shows `next` in the editor (an item, a new form, or none), once unsaved text may be lost. False when the
   * user chose to keep editing.
   */
  function openEditor(next: Item | 'new' | null, { discard = false } = {}): boolean {
    if (dirty && !discard && !mayLeave()) return false;
    openings.current += 1;
    showInEditor(next);
    return true;
  }

  /** Shows `next` in the editor as saved, without the last one's errors (a failed Save, Delete or Undo). */
  function showInEditor(next: Item | 'new' | null): void {
    setDirty(false);
    setKept(null);
    setRestored(null);
    setOffered(null);
    saving.setError(null);
    acting.setError(null);
    setEditing(next);
    // A fresh form even for the item shown (Discard my changes): its fields show what is saved again.
    setGeneration((count) => count + 1);
    if (next !== null) setOpened((count) => count + 1);
  }

  function save(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const draft = draftOf(form, spec.fields);
    const body: Record<string, unknown> = {};
    for (const field of spec.fields) {
      if (field.createOnly && editing !== 'new') continue;
      const value = String(form.get(field.name) ?? '');
      if (field.type === 'labels') body[field.name] = labelList(value);
      else if (field.type === 'checkbox') body[field.name] = form.get(field.name) === 'on';
      // An empty optional field is left out of a create; in an edit it is removed (null) where the API allows
      // it, and a description may be emptied.
      else if (value !== '' || field.name === 'description') body[field.name] = value;
      else if (editing !== 'new' && field.nullable) body[field.name] = null;
    }
    void saving.run(async () => {
      try {
        if (editing === 'new') await api('POST', `/api/v1/${kind}`, body, { 'idempotency-key': createKey });
        else if (editing) await api('PUT', spec.path(editing), { ...body, expected_version: editing.version });
      } catch (caught) {
        if (
          caught instanceof ApiProblem &&
          caught.problem.code === 'VERSION_CONFLICT' &&
          editing &&
          editing !== 'new'
        ) {
          // Someone else saved first. The fields the user changed stay in the form, on top of their version
          // (shown beside it), so that Save writes those over it, or Discard takes theirs; every other field
          // shows their value, so that Save does not undo what they changed.
          const theirs = await api<Item>('GET', spec.path(editing)).catch(() => null);
          if (!theirs)
            throw new Error('This item was changed or deleted elsewhere; your text is still in the form.', {
              cause: caught,
            });
          const mine = changedFields(draft, editing, spec.fields);
          const keptAny = Object.keys(mine).length > 0;
          // Marked beside their version: the fields both changed (theirs from the version the editor opened too).
          const both = Object.fromEntries(
            spec.fields
              .filter((field) => field.name in mine && editorValue(theirs, field) !== editorValue(editing, field))
              .map((field) => [field.name, mine[field.name]]),
          );
          setKept(keptAny ? { draft: mine, both, theirs } : null);
          setDirty(keptAny);
          setEditing(theirs);
          // The list shows the item's version and labels too: the other writer's, from now on.
          void load();
          throw new Error(
            keptAny
              ? `Version ${theirs.version} was saved elsewhere while you edited. Your changes are kept in the form ` +
                  'on top of it: Save puts them over that version, Discard my changes shows it as saved.'
              : `Version ${theirs.version} was saved elsewhere; it is shown now.`,
            { cause: caught },
          );
        }
        throw caught;
      }
      setDirty(false);
      setKept(null);
      setRestored(null);
      setEditing(null);
      setError(null);
      await load();
    });
  }

  function openNew() {
    if (openEditor('new')) setCreateKey(newIdempotencyKey());
  }

  /** Delete, then Undo: each runs once however often it is clicked (a second restore would be a second version). */
  function remove(item: Item) {
    if (!window.confirm(`Delete “${String(item[spec.titleField] ?? item.id)}”? Its versions stay in the history.`))
      return;
    void acting.run(async () => {
      await api('DELETE', spec.path(item));
      openEditor(null, { discard: true });
      setDeleted(item);
      await load();
    });
  }

  /** Brings the deleted item back with the content it had, and opens it. */
  function undoDelete(item: Item) {
    void acting.run(async () => {
      const restored = await api<Item>('POST', `${spec.path(item)}/versions/${item.version}/restore`);
      setDeleted(null);
      setError(null);
      await load();
      openEditor(restored);
    });
  }

  return (
    <section>
      <header className="page-header">
        <h1>{spec.title}</h1>
        <button type="button" className="primary" onClick={openNew}>
          New
        </button>
      </header>
      <form
        className="filters"
        aria-label="filters"
        onSubmit={(event) => {
          event.preventDefault();
          applyFilters(draft);
        }}
      >
        <input
          name="search"
          type="search"
          aria-label={`search ${kind}`}
          placeholder={`Search ${kind}`}
          value={draft.search}
          onChange={typed('search')}
        />
        {textFilter('labels', 'labels: a, b (any of them)')}
        {textFilter('project', 'project, e.g. my-app/api')}
        {textFilter('metadata', 'metadata: key=value, …')}
        {offers('mcp_expose') ? (
          <select
            aria-label="offered to MCP"
            value={draft.mcp_expose}
            onChange={(event) => applyFilters({ ...draft, mcp_expose: event.target.value })}
          >
            <option value="">offered to MCP or not</option>
            <option value="true">offered to MCP clients</option>
            <option value="false">not offered to MCP</option>
          </select>
        ) : null}
        {offers('type') ? (
          <select
            aria-label="type"
            value={draft.type}
            onChange={(event) => applyFilters({ ...draft, type: event.target.value })}
          >
            <option value="">any type</option>
            {ARTIFACT_TYPES.map((option) => (
              <option key={option} value={option}>
                {option}
              </option>
            ))}
          </select>
        ) : null}
        <select
          aria-label="status"
          value={draft.status}
          onChange={(event) => applyFilters({ ...draft, status: event.target.value })}
        >
          <option value="">{kind === 'prompts' ? 'any status' : 'all but archived'}</option>
          {spec.statuses.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
        <button type="submit">Filter</button>
        {isFiltered(kind, filters) ? (
          <button type="button" onClick={() => applyFilters(NO_FILTERS)}>
            Clear filters
          </button>
        ) : null}
      </form>
      <ErrorBanner error={error ?? saving.error ?? acting.error} />
      {deleted ? (
        <p className="notice" role="status">
          Deleted “{titleOf(deleted, spec.titleField)}”.{' '}
          <button type="button" disabled={acting.busy} onClick={() => undoDelete(deleted)}>
            Undo
          </button>{' '}
          <button type="button" className="link" aria-label="dismiss" onClick={() => setDeleted(null)}>
            ×
          </button>
        </p>
      ) : null}
      {unrestored ? (
        <div className="error" role="alert">
          <p>
            Your unsaved changes to {unrestored.draft.title} could not be given back:{' '}
            {unrestored.gone
              ? `it was deleted elsewhere. Here is what you typed: copy it, or save it as a new ${singular(kind)}.`
              : `${unrestored.reason}. They are still kept in this tab.`}
          </p>
          <VersionFields fields={spec.fields} version={unrestored.draft.fields} />
          <div className="row-actions">
            {unrestored.gone ? (
              <button
                type="button"
                onClick={() => {
                  if (!openEditor('new')) return;
                  setCreateKey(newIdempotencyKey());
                  setDirty(true);
                  setRestored({
                    draft: unrestored.draft.fields,
                    message: `What you typed into ${unrestored.draft.title} is in the form of a new ${singular(kind)}: Save to keep it.`,
                  });
                  setUnrestored(null);
                }}
              >
                Save as a new {singular(kind)}…
              </button>
            ) : (
              <button
                type="button"
                onClick={() => {
                  setUnrestored(null);
                  restoreDraft(unrestored.draft);
                }}
              >
                Try again
              </button>
            )}
            <button
              type="button"
              onClick={() => {
                if (!unrestored.gone && !window.confirm(`Forget your unsaved changes to ${unrestored.draft.title}?`))
                  return;
                forgetDraft(sessionStorage);
                setUnrestored(null);
              }}
            >
              {unrestored.gone ? 'Dismiss' : 'Forget them'}
            </button>
          </div>
        </div>
      ) : null}
      {/* Always there, its text changed: a status region inserted with its text is often not announced. */}
      <p className="notice" role="status">
        {restored && editing ? (
          restored.message
        ) : offered ? (
          <>
            Your unsaved changes to {offered.title} were kept while you signed in again.{' '}
            <button
              type="button"
              onClick={() => {
                if (dirty && !mayLeave()) return;
                openings.current += 1;
                setOffered(null);
                restoreDraft(offered);
              }}
            >
              Show them in the editor
            </button>
          </>
        ) : null}
      </p>
      {editing ? (
        <form
          className="editor"
          ref={editor}
          onSubmit={save}
          // Any typing or choice: the form holds unsaved changes.
          onChange={() => setDirty(true)}
          key={editing === 'new' ? `new-${generation}` : `form-${editing.id}-${editing.version}-${generation}`}
        >
          <h2 tabIndex={-1}>
            {editing === 'new' ? `New ${singular(kind)}` : titleOf(editing, spec.titleField)}
            {dirty ? <span className="muted"> (unsaved changes)</span> : null}
          </h2>
          {spec.fields
            .filter((field) => editing === 'new' || !field.createOnly)
            .map((field) => {
              const typed = kept?.draft ?? restored?.draft;
              const shown = typed && field.name in typed ? typed[field.name] : editorValue(editing, field);
              const value = typeof shown === 'string' ? shown : '';
              if (field.type === 'checkbox')
                return (
                  <label key={field.name} className="check">
                    <input type="checkbox" name={field.name} defaultChecked={shown === true} />
                    {field.label}
                    <FieldError errors={saving.fieldErrors} name={field.name} />
                  </label>
                );
              const invalid = invalidProps(saving.fieldErrors, field.name);
              return (
                <label key={field.name}>
                  {field.label}
                  {field.type === 'textarea' ? (
                    <textarea name={field.name} defaultValue={value} required={field.required} rows={10} {...invalid} />
                  ) : field.type === 'select' ? (
                    <select name={field.name} defaultValue={value} {...invalid}>
                      {field.options?.map((option) => (
                        <option key={option}>{option}</option>
                      ))}
                    </select>
                  ) : (
                    <input name={field.name} defaultValue={value} required={field.required} {...invalid} />
                  )}
                  <FieldError errors={saving.fieldErrors} name={field.name} />
                </label>
              );
            })}
          <FormActions
            label="Save"
            busy={saving.busy}
            onCancel={() => {
              if (openEditor(null)) setError(null);
            }}
          >
            {kept ? (
              <button type="button" onClick={() => openEditor(kept.theirs, { discard: true })}>
                Discard my changes
              </button>
            ) : null}
            {editing !== 'new' ? (
              <button type="button" className="danger" disabled={acting.busy} onClick={() => remove(editing)}>
                Delete
              </button>
            ) : null}
          </FormActions>
        </form>
      ) : null}
      {kept ? (
        <section className="editor" aria-label="the version saved elsewhere">
          <h2>Version {kept.theirs.version}, saved elsewhere</h2>
          <VersionFields
            fields={spec.fields}
            version={kept.theirs}
            current={kept.both}
            difference="you changed this too: Save keeps yours"
          />
        </section>
      ) : null}
      {editing && editing !== 'new' ? (
        <History
          key={`history-${editing.id}-${editing.version}`}
          kind={kind}
          fields={spec.fields}
          path={spec.path(editing)}
          mayReplaceDraft={() => !dirty || mayLeave()}
          onRestored={(restoredItem) => {
            setDirty(false);
            setKept(null);
            setRestored(null);
            setEditing(restoredItem);
            void load();
          }}
        />
      ) : null}
      <Loading shown={latest.loading} />
      {list && list.items.length === 0 && !latest.loading ? (
        <p className="empty">{isFiltered(kind, filters) ? 'Nothing matches these filters.' : 'Nothing here yet.'}</p>
      ) : null}
      {list && list.items.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th>{spec.titleField === 'name' ? 'Name' : 'Title'}</th>
              {offers('project') ? <th>Project</th> : <th>Slug</th>}
              {offers('type') ? <th>Type</th> : null}
              <th>Labels</th>
              <th>Status</th>
              <th>Version</th>
              <th>Updated</th>
            </tr>
          </thead>
          <tbody>
            {list.items.map((item) => (
              <tr key={item.id}>
                <td className="wrap">
                  <button type="button" className="link" onClick={() => openEditor(item)}>
                    {String(item[spec.titleField] ?? '') || String(item.text ?? '').slice(0, 60) || item.id}
                  </button>
                </td>
                <td className="wrap">
                  {!offers('project') ? (
                    String(item.slug)
                  ) : item.project ? (
                    <button
                      type="button"
                      className="link"
                      aria-label={`Filter by project ${String(item.project)}`}
                      onClick={() => applyFilters({ ...draft, project: String(item.project) })}
                    >
                      {String(item.project)}
                    </button>
                  ) : (
                    '—'
                  )}
                </td>
                {offers('type') ? <td>{String(item.type)}</td> : null}
                <td>
                  <span className="badges">
                    {item.labels.map((label) => (
                      <button
                        key={label}
                        type="button"
                        className="label-chip"
                        aria-label={`Filter by label ${label}`}
                        onClick={() => applyFilters({ ...draft, labels: label })}
                      >
                        {label}
                      </button>
                    ))}
                  </span>
                </td>
                <td>{String(item.status)}</td>
                <td>{item.version}</td>
                <td>{lastUsed(item.updated_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {list ? <Pager page={list.page} totalPages={list.total_pages} onPage={(next) => show(filters, next)} /> : null}
    </section>
  );
}

type Version = Record<string, unknown> & {
  version: number;
  created_at: string;
  actor: { type: string; key_id?: string; client_id?: string };
};

/** Who saved a version, in words: a key's tool, an app connected over MCP (Settings → Connected apps), or this dashboard. */
const ACTOR_LABELS: Record<string, string> = {
  api_key: 'an API key',
  oauth_app: 'a connected app',
  session: 'the dashboard',
};

/**
 * An item's versions, each one's content on request and restorable (a restore is a new version with that
 * content), and for a prompt a preview of its rendered body with values for its placeholders (PRODUCT.md §5.1).
 */
function History({
  kind,
  fields,
  path,
  mayReplaceDraft,
  onRestored,
}: {
  kind: Kind;
  fields: Field[];
  path: string;
  /** Asked before a restore replaces what the editor shows. */
  mayReplaceDraft: () => boolean;
  onRestored: (item: Item) => void;
}) {
  const [versions, setVersions] = useState<Version[] | null>(null);
  const [open, setOpen] = useState<number | null>(null);
  const [keyNames, setKeyNames] = useState<Map<string, string>>(new Map());
  const { busy, error, run } = useRequest();

  // Once per item version: the parent keys this component by it.
  useEffect(() => {
    // The whole history, a page at a time (the API pages it like every list). 20 a page: an artifact's versions
    // may be 1 MiB each. A page shorter than asked, or an answer without pages (an older gateway), is the last.
    void run(async () => {
      const all: Version[] = [];
      const perPage = 20;
      for (let page = 1; ; page += 1) {
        const answer = await api<{ versions: Version[]; total_pages?: number }>(
          'GET',
          `${path}/versions?limit=${perPage}&page=${page}`,
        );
        all.push(...answer.versions);
        if (answer.versions.length < perPage || typeof answer.total_pages !== 'number' || page >= answer.total_pages)
          break;
      }
      setVersions(all);
      // The keys that saved them, by name: each key once, and a key that cannot be read stays "an API key".
      const keyIds = [...new Set(all.flatMap((version) => (version.actor.key_id ? [version.actor.key_id] : [])))];
      const named = await Promise.all(
        keyIds.map(async (id) => {
          const key = await api<{ name: string; key_prefix: string }>('GET', `/api/v1/settings/api-keys/${id}`).catch(
            () => null,
          );
          return [id, key ? `API key “${key.name}” (${key.key_prefix}…)` : null] as const;
        }),
      );
      setKeyNames(new Map(named.filter((entry): entry is readonly [string, string] => entry[1] !== null)));
    });
  }, [path]);

  return (
    <section className="editor">
      <h2>History</h2>
      <ErrorBanner error={error} />
      {versions ? (
        <table>
          <thead>
            <tr>
              <th>Version</th>
              <th>Saved</th>
              <th>By</th>
              <th aria-label="actions" />
            </tr>
          </thead>
          <tbody>
            {[...versions].reverse().map((version, index, newestFirst) => (
              <Fragment key={version.version}>
                <tr>
                  <td>{version.version}</td>
                  <td title={dateTime(version.created_at)}>{lastUsed(version.created_at)}</td>
                  <td className="wrap">
                    {(version.actor.key_id && keyNames.get(version.actor.key_id)) ??
                      ACTOR_LABELS[version.actor.type] ??
                      version.actor.type}
                  </td>
                  <td>
                    <div className="row-actions">
                      <button
                        type="button"
                        aria-expanded={open === version.version}
                        aria-label={`${open === version.version ? 'Hide' : 'Show'} version ${version.version}`}
                        onClick={() => setOpen(open === version.version ? null : version.version)}
                      >
                        {open === version.version ? 'Hide' : 'Show'}
                      </button>
                      {index === 0 ? (
                        <span className="muted">current</span>
                      ) : (
                        <button
                          type="button"
                          disabled={busy}
                          aria-label={`Restore version ${version.version}`}
                          onClick={() => {
                            if (!mayReplaceDraft()) return;
                            void run(async () =>
                              onRestored(await api<Item>('POST', `${path}/versions/${version.version}/restore`)),
                            );
                          }}
                        >
                          Restore
                        </button>
                      )}
                    </div>
                  </td>
                </tr>
                {open === version.version ? (
                  <tr className="details">
                    <td colSpan={4}>
                      <VersionFields
                        fields={fields}
                        version={version}
                        current={index === 0 ? undefined : newestFirst[0]}
                      />
                    </td>
                  </tr>
                ) : null}
              </Fragment>
            ))}
          </tbody>
        </table>
      ) : null}
      {kind === 'prompts' ? <RenderPreview path={path} /> : null}
    </section>
  );
}
