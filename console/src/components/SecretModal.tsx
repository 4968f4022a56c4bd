// Shows a new secret or token exactly once. The value lives only in this component's props: when
// the administrator acknowledges and closes, the caller drops it and it is gone from the page.
import { useId, useState } from 'react';
import { CopyButton } from './ui';
import { Modal } from './overlays';

export interface SecretToShow {
  title: string;
  /** Shown above the values: what was created or rotated. */
  subject: string;
  values: Array<{ label: string; value: string; secret: boolean }>;
  warning: string;
  note?: string;
}

export function SecretModal({ secret, onClose }: { secret: SecretToShow; onClose: () => void }) {
  const [acknowledged, setAcknowledged] = useState(false);
  const ackId = useId();
  return (
    <Modal
      title={secret.title}
      onClose={null}
      footer={
        <button type="button" className="button primary" disabled={!acknowledged} onClick={onClose}>
          Ok
        </button>
      }
    >
      <p>{secret.subject}</p>
      <dl className="secret-values">
        {secret.values.map(({ label, value, secret: isSecret }) => (
          <div key={label} className="secret-row">
            <dt>{label}</dt>
            <dd>
              <code className={isSecret ? 'secret-value' : undefined} data-testid={isSecret ? 'secret-value' : undefined}>
                {value}
              </code>
              <CopyButton value={value} label={`Copy ${label}`} />
            </dd>
          </div>
        ))}
      </dl>
      <p className="warning" role="note">
        <strong>This is the only time it is shown.</strong> {secret.warning}
      </p>
      {secret.note && <p className="hint">{secret.note}</p>}
      <div className="checkbox">
        <input id={ackId} type="checkbox" checked={acknowledged} onChange={(event) => setAcknowledged(event.target.checked)} />
        <label htmlFor={ackId}>I have copied it and stored it somewhere safe</label>
      </div>
    </Modal>
  );
}
