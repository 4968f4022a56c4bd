// Small building blocks shared by the pages: labelled fields, pills, copy buttons, notices, links.
import { useContext, useEffect, useId, useRef, useState, type AnchorHTMLAttributes, type ReactNode } from 'react';
import { NavigateContext } from '../router';

export function Field(props: {
  label: string;
  hint?: string;
  error?: string | null;
  children: (ids: { id: string; describedBy: string | undefined; invalid: boolean }) => ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [props.hint ? hintId : null, props.error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children({ id, describedBy, invalid: Boolean(props.error) })}
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
      {props.error && (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </div>
  );
}

export function Pills({ values, empty = '—' }: { values: string[]; empty?: string }) {
  if (values.length === 0) return <span className="muted">{empty}</span>;
  return (
    <ul className="pills">
      {values.map((value) => (
        <li key={value} className="pill">
          {value}
        </li>
      ))}
    </ul>
  );
}

export function StatusPill({ status }: { status: string }) {
  return <span className={`status ${status === 'active' ? 'status-active' : 'status-inactive'}`}>{status}</span>;
}

/** Copies `value` to the clipboard; says so, or says to copy by hand when the browser refuses. */
export function CopyButton({ value, label, children, className = 'button secondary small' }: { value: string; label: string; children?: ReactNode; className?: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const timer = useRef<number | undefined>(undefined);
  useEffect(() => () => window.clearTimeout(timer.current), []);
  const copy = async (event: React.MouseEvent) => {
    event.stopPropagation();
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      setState('failed');
    }
    window.clearTimeout(timer.current);
    timer.current = window.setTimeout(() => setState('idle'), 2500);
  };
  return (
    <button type="button" className={className} onClick={copy} aria-label={label} title={label}>
      {children ?? 'Copy'}
      <span className="copy-state" aria-live="polite">
        {state === 'copied' ? ' ✓ Copied' : state === 'failed' ? ' (select and copy by hand)' : ''}
      </span>
    </button>
  );
}

/** A control that cannot be used, with the reason as a tooltip and for screen readers. */
export function Disabled({ why, children }: { why: string; children: ReactNode }) {
  return (
    <span className="disabled-wrap" title={why} tabIndex={0} aria-label={why}>
      {children}
    </span>
  );
}

export function Notice({ kind, children, onDismiss }: { kind: 'success' | 'error' | 'info'; children: ReactNode; onDismiss?: () => void }) {
  return (
    <div className={`notice notice-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      <div>{children}</div>
      {onDismiss && (
        <button type="button" className="link-button" onClick={onDismiss} aria-label="Dismiss">
          ✕
        </button>
      )}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status">
      <span className="spinner" aria-hidden="true" /> Loading {what}…
    </p>
  );
}

/** A link to another screen of the console: a real href (new tab, copy link), followed without a reload. */
export function AppLink({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const navigate = useContext(NavigateContext);
  return (
    <a
      href={href}
      {...rest}
      onClick={(event) => {
        onClick?.(event);
        if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}
