// Scopes picked from the catalog (GET /v1/scopes), grouped by API resource, with descriptions.
import { useId } from 'react';
import type { Catalog } from '../types';

export function ScopePicker(props: {
  catalog: Catalog;
  restrictedOnly: boolean;
  selected: string[];
  onChange: (scopes: string[]) => void;
  error: string | null;
  disabled: boolean;
}) {
  const errorId = useId();
  const toggle = (scope: string, on: boolean) =>
    props.onChange(on ? [...props.selected, scope] : props.selected.filter((s) => s !== scope));
  const resources = props.catalog.resources
    .map((resource) => ({ ...resource, scopes: resource.scopes.filter((scope) => !props.restrictedOnly || scope.restricted) }))
    .filter((resource) => resource.scopes.length > 0);
  return (
    <fieldset className="field scopes" aria-describedby={props.error ? errorId : undefined} disabled={props.disabled}>
      <legend>Scopes</legend>
      {props.restrictedOnly && <p className="hint">Restricted tokens can only hold the read-only scopes marked for them in the catalog.</p>}
      {resources.map((resource) => (
        <div key={resource.identifier} className="scope-group">
          <p className="scope-resource">
            {resource.name} <span className="muted">{resource.identifier}</span>
          </p>
          {resource.scopes.map((scope) => {
            const id = `${errorId}-${scope.name}`;
            return (
              <div key={scope.name} className="checkbox scope">
                <input id={id} type="checkbox" checked={props.selected.includes(scope.name)} onChange={(e) => toggle(scope.name, e.target.checked)} />
                <label htmlFor={id}>
                  <code>{scope.name}</code> <span className="muted">{scope.description}</span>
                </label>
              </div>
            );
          })}
        </div>
      ))}
      {props.error && (
        <p className="field-error" id={errorId} role="alert">
          {props.error}
        </p>
      )}
    </fieldset>
  );
}
