// The API reference, rendered in the browser from GET /v1/openapi.json: nothing is fetched from
// anywhere else, so it works offline and always matches the running server.
import { useEffect, useState } from 'react';
import { api, ApiError } from '../api';
import { exampleOf, operationsByTag, refName, resolve, typeLabel, type JsonSchema, type OpenApiDocument, type Operation } from '../openapi';
import { downloadPostmanCollection } from '../postman';
import { Loading, Notice } from '../components/ui';

const anchor = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

export function DocsPage() {
  const [document, setDocument] = useState<OpenApiDocument | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    window.document.title = 'Latchkey API reference';
    api.openApi().then(setDocument, (failure: unknown) => setError(failure instanceof ApiError ? failure.description : String(failure)));
  }, []);

  if (error) return <main className="docs"><Notice kind="error">The API reference could not be loaded: {error}</Notice></main>;
  if (!document) return <main className="docs"><Loading what="the API reference" /></main>;

  const groups = operationsByTag(document);
  return (
    <div className="docs-layout">
      <nav className="docs-nav" aria-label="API reference">
        <p className="brand">Latchkey</p>
        <ul>
          <li><a href="#authentication">Authentication</a></li>
          {[...groups.keys()].map((tag) => (
            <li key={tag}><a href={`#${anchor(tag)}`}>{tag}</a></li>
          ))}
          <li><a href="#schemas">Schemas</a></li>
        </ul>
      </nav>
      <main className="docs">
        <header className="docs-header">
          <h1>{document.info.title}</h1>
          <p>{document.info.description}</p>
          <p>
            Base URL <code>{document.servers[0]?.url}</code> · OpenAPI {document.openapi} ·{' '}
            <a href="/v1/openapi.json">openapi.json</a>{' '}
            <button type="button" className="button secondary small" onClick={() => void downloadPostmanCollection()}>
              Download Postman collection
            </button>{' '}
            <a href="/console/">Back to the console</a>
          </p>
        </header>
        <section id="authentication" aria-labelledby="authentication-title">
          <h2 id="authentication-title">Authentication</h2>
          <dl className="details">
            {Object.entries(document.components.securitySchemes).map(([name, scheme]) => (
              <div key={name}>
                <dt>{name}</dt>
                <dd>
                  {scheme.type === 'apiKey' ? `cookie ${scheme.name}` : `HTTP ${scheme.scheme}`}: {scheme.description}
                </dd>
              </div>
            ))}
          </dl>
          <p>Errors are JSON <code>{'{"error": "<code>", "error_description": "<sentence>"}'}</code>; a 400 names the field it is about.</p>
        </section>
        {[...groups.entries()].map(([tag, entries]) => (
          <section key={tag} id={anchor(tag)} aria-labelledby={`${anchor(tag)}-title`}>
            <h2 id={`${anchor(tag)}-title`}>{tag}</h2>
            {entries.map(({ method, path, operation }) => (
              <OperationView key={`${method} ${path}`} document={document} method={method} path={path} operation={operation} />
            ))}
          </section>
        ))}
        <section id="schemas" aria-labelledby="schemas-title">
          <h2 id="schemas-title">Schemas</h2>
          {Object.entries(document.components.schemas).map(([name, schema]) => (
            <article key={name} id={`schema-${name}`} className="operation">
              <h3>{name}</h3>
              <SchemaView document={document} schema={schema} />
            </article>
          ))}
        </section>
      </main>
    </div>
  );
}

function OperationView({ document, method, path, operation }: { document: OpenApiDocument; method: string; path: string; operation: Operation }) {
  const body = operation.requestBody?.content['application/json']?.schema;
  return (
    <article className="operation" id={operation.operationId}>
      <h3>
        <span className={`method method-${method}`}>{method.toUpperCase()}</span> <code>{path}</code>
      </h3>
      <p>{operation.summary}</p>
      <p className="muted">{operation['x-permission'] ? `Permission: ${operation['x-permission']}` : 'No authentication needed'}</p>
      {operation.parameters.length > 0 && (
        <>
          <h4>Parameters</h4>
          <table className="data-table compact">
            <thead>
              <tr><th scope="col">Name</th><th scope="col">In</th><th scope="col">Type</th><th scope="col">Description</th></tr>
            </thead>
            <tbody>
              {operation.parameters.map((p) => (
                <tr key={`${p.in}-${p.name}`}>
                  <td><code>{p.name}</code>{p.required && <span className="required"> required</span>}</td>
                  <td>{p.in}</td>
                  <td>{typeLabel(document, p.schema)}</td>
                  <td>{p.description ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
      {body && (
        <>
          <h4>Request body {operation.requestBody?.required ? '' : '(optional)'}</h4>
          <SchemaView document={document} schema={body} />
          <pre className="example">{JSON.stringify(exampleOf(document, body), null, 2)}</pre>
        </>
      )}
      <h4>Responses</h4>
      <ul className="responses">
        {Object.entries(operation.responses).map(([status, response]) => {
          const schema = response.content?.['application/json']?.schema;
          return (
            <li key={status}>
              <code className={Number(status) < 400 ? 'status-ok' : 'status-error'}>{status}</code> {response.description}
              {schema && Number(status) < 400 && <> — <SchemaLink document={document} schema={schema} /></>}
            </li>
          );
        })}
      </ul>
    </article>
  );
}

function SchemaLink({ document, schema }: { document: OpenApiDocument; schema: JsonSchema }) {
  const name = refName(schema) ?? (schema.items ? refName(schema.items) : null);
  if (name) return <a href={`#schema-${name}`}>{typeLabel(document, schema)}</a>;
  return <span>{typeLabel(document, schema)}</span>;
}

function SchemaView({ document, schema }: { document: OpenApiDocument; schema: JsonSchema }) {
  const resolved = resolve(document, schema);
  const variants = resolved.anyOf ?? resolved.oneOf;
  if (variants) {
    return (
      <ul className="variants">
        {variants.map((variant, index) => (
          <li key={index}><SchemaLink document={document} schema={variant} /></li>
        ))}
      </ul>
    );
  }
  if (!resolved.properties) return <p><SchemaLink document={document} schema={schema} /></p>;
  const required = new Set(resolved.required ?? []);
  return (
    <table className="data-table compact">
      <thead>
        <tr><th scope="col">Field</th><th scope="col">Type</th><th scope="col">Description</th></tr>
      </thead>
      <tbody>
        {Object.entries(resolved.properties).map(([name, property]) => (
          <tr key={name}>
            <td><code>{name}</code>{required.has(name) && <span className="required"> required</span>}</td>
            <td><SchemaLink document={document} schema={property} /></td>
            <td>{constraints(resolve(document, property))}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function constraints(schema: JsonSchema): string {
  const parts = [schema.description];
  if (schema.minLength !== undefined || schema.maxLength !== undefined) parts.push(`length ${schema.minLength ?? 0}–${schema.maxLength ?? '∞'}`);
  if (schema.minItems !== undefined || schema.maxItems !== undefined) parts.push(`${schema.minItems ?? 0}–${schema.maxItems ?? '∞'} items`);
  if (schema.minimum !== undefined || schema.maximum !== undefined) parts.push(`${schema.minimum ?? '−∞'}–${schema.maximum ?? '∞'}`);
  if (schema.default !== undefined) parts.push(`default ${JSON.stringify(schema.default)}`);
  return parts.filter(Boolean).join('; ');
}
