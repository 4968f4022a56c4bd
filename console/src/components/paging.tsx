// Lists read page by page with the API's opaque cursors (newest first): the audit log and the API
// logs. The pager names the page on screen, not the one being fetched, so the number and the rows
// change together; a response that arrives after a newer request (quick clicks, a filter applied
// twice) is dropped rather than shown over the newer one.
import { useCallback, useEffect, useRef, useState } from 'react';
import { ApiError } from '../api';

export interface CursorPage {
  next_cursor: string | null;
}

export interface PagingError {
  /** The request field the API blamed, when it named one. */
  field: string | null;
  text: string;
}

export interface CursorPages<P extends CursorPage> {
  /** The page on screen (kept while the next one loads); null before the first or after an error. */
  page: P | null;
  /** 1-based number of the page on screen. */
  pageNumber: number;
  loading: boolean;
  error: PagingError | null;
  /** For checks made before asking (a time range that ends before it starts). */
  setError(error: PagingError | null): void;
  hasNewer: boolean;
  hasOlder: boolean;
  newer(): void;
  older(): void;
  /** Asks for the page on screen again. */
  reload(): void;
}

interface Shown<P> {
  page: P | null;
  pageNumber: number;
}

/**
 * Pages of `fetchPage(cursor)`, starting over at the first page whenever `fetchPage` changes
 * (memoize it on the filters it applies).
 */
export function useCursorPages<P extends CursorPage>(fetchPage: (cursor: string | null) => Promise<P>): CursorPages<P> {
  // The cursors that led to the page asked for, kept with the fetchPage they belong to: new
  // filters start at page 1 in the same render, without a request for the old position.
  const [position, setPosition] = useState<{ source: typeof fetchPage; cursors: Array<string | null> }>({ source: fetchPage, cursors: [null] });
  const cursors = position.source === fetchPage ? position.cursors : [null];
  const cursor = cursors[cursors.length - 1] ?? null;
  const [shown, setShown] = useState<Shown<P>>({ page: null, pageNumber: 1 });
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<PagingError | null>(null);
  const [attempt, setAttempt] = useState(0);
  const latest = useRef(0);

  useEffect(() => {
    const ticket = ++latest.current;
    const pageNumber = cursors.length;
    setLoading(true);
    fetchPage(cursor).then(
      (page) => {
        if (ticket !== latest.current) return;
        setShown({ page, pageNumber });
        setError(null);
        setLoading(false);
      },
      (failure: unknown) => {
        if (ticket !== latest.current) return;
        setError(failure instanceof ApiError ? { field: failure.field, text: failure.description } : { field: null, text: String(failure) });
        setShown({ page: null, pageNumber });
        setLoading(false);
      },
    );
    // cursors.length is not a dependency: it changes only together with cursor.
  }, [fetchPage, cursor, attempt]);

  const moveTo = useCallback((next: Array<string | null>) => setPosition({ source: fetchPage, cursors: next }), [fetchPage]);
  const nextCursor = shown.page?.next_cursor ?? null;
  return {
    page: shown.page,
    pageNumber: shown.pageNumber,
    loading,
    error,
    setError,
    hasNewer: cursors.length > 1,
    hasOlder: nextCursor !== null,
    newer: () => moveTo(cursors.slice(0, -1)),
    older: () => nextCursor !== null && moveTo([...cursors, nextCursor]),
    reload: () => setAttempt((n) => n + 1),
  };
}

/** ← Newer, the number of the page on screen, Older →; both buttons wait while a page loads. */
export function Pager({ label, paging }: { label: string; paging: CursorPages<CursorPage> }) {
  return (
    <nav className="pager" aria-label={label}>
      <button type="button" className="button secondary" disabled={!paging.hasNewer || paging.loading} onClick={paging.newer}>
        ← Newer
      </button>
      <span>Page {paging.pageNumber}</span>
      <button type="button" className="button secondary" disabled={!paging.hasOlder || paging.loading} onClick={paging.older}>
        Older →
      </button>
    </nav>
  );
}
