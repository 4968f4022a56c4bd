// Dialogs: a centred modal and a slide-over panel from the right. Both trap Tab inside, close on
// Escape (unless told not to), and give focus back to what opened them.
import { useEffect, useId, useRef, type ReactNode } from 'react';

function useDialog(onClose: (() => void) | null) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    const node = ref.current;
    const first = node?.querySelector<HTMLElement>('[data-autofocus], input:not([disabled]), textarea:not([disabled]), select:not([disabled]), button:not([disabled])');
    (first ?? node)?.focus();
    return () => {
      if (opener && document.contains(opener)) opener.focus();
    };
  }, []);
  const onKeyDown = (event: React.KeyboardEvent) => {
    if (event.key === 'Escape' && onClose) {
      event.stopPropagation();
      onClose();
      return;
    }
    if (event.key !== 'Tab' || !ref.current) return;
    const focusable = [...ref.current.querySelectorAll<HTMLElement>('a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex="0"]')];
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (!first || !last) return;
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  };
  return { ref, onKeyDown };
}

export function Modal(props: { title: string; onClose: (() => void) | null; children: ReactNode; footer: ReactNode; tone?: 'danger' }) {
  const titleId = useId();
  const { ref, onKeyDown } = useDialog(props.onClose);
  return (
    <div className="backdrop">
      <div
        ref={ref}
        className={`modal ${props.tone === 'danger' ? 'modal-danger' : ''}`}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        tabIndex={-1}
        onKeyDown={onKeyDown}
      >
        <h2 id={titleId}>{props.title}</h2>
        <div className="modal-body">{props.children}</div>
        <div className="modal-footer">{props.footer}</div>
      </div>
    </div>
  );
}

export function SlideOver(props: { title: string; onClose: () => void; children: ReactNode; footer?: ReactNode }) {
  const titleId = useId();
  const { ref, onKeyDown } = useDialog(props.onClose);
  return (
    <div className="backdrop backdrop-panel" onMouseDown={(event) => event.target === event.currentTarget && props.onClose()}>
      <div ref={ref} className="slide-over" role="dialog" aria-modal="true" aria-labelledby={titleId} tabIndex={-1} onKeyDown={onKeyDown}>
        <header className="slide-over-header">
          <h2 id={titleId}>{props.title}</h2>
          <button type="button" className="icon-button" onClick={props.onClose} aria-label="Close panel">
            ✕
          </button>
        </header>
        <div className="slide-over-body">{props.children}</div>
        {props.footer && <footer className="slide-over-footer">{props.footer}</footer>}
      </div>
    </div>
  );
}

/** Asks before a destructive action, naming the credential it acts on. */
export function ConfirmModal(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  busy: boolean;
  error: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  return (
    <Modal
      title={props.title}
      tone="danger"
      onClose={props.busy ? null : props.onCancel}
      footer={
        <>
          <button type="button" className="button secondary" onClick={props.onCancel} disabled={props.busy}>
            Cancel
          </button>
          <button type="button" className="button danger" onClick={props.onConfirm} disabled={props.busy}>
            {props.busy ? 'Working…' : props.confirmLabel}
          </button>
        </>
      }
    >
      {props.children}
      {props.error && (
        <p className="field-error" role="alert">
          {props.error}
        </p>
      )}
    </Modal>
  );
}
