// The Usage screen: the organization's traffic over time and its credentials by traffic (busiest
// first), each linking to its own usage page; and one credential's usage page. Both end with the
// API logs for roles that may read them.
import { useCallback } from 'react';
import { api } from '../api';
import { formatDate } from '../format';
import { WHY, type Abilities } from '../permissions';
import { hrefOf, usageHrefOf, type CredentialRef } from '../router';
import type { Granularity, OrganizationUsage } from '../types';
import { failureRate, formatCount } from '../usage';
import { ApiLogs } from '../components/ApiLogs';
import { AppLink, Notice } from '../components/ui';
import { kindOf, useCredentialUsage, UsageSection, useUsage } from '../components/UsageReport';

export function UsagePage({ orgId, abilities, credential }: { orgId: string; abilities: Abilities; credential: CredentialRef | null }) {
  if (!credential) return <OverviewPage orgId={orgId} abilities={abilities} />;
  const allowed = credential.type === 'api_client' ? abilities.readClients : abilities.readTokens;
  return (
    <div className="usage-page">
      <AppLink href={hrefOf('usage')} className="back-link">
        ← Usage of all credentials
      </AppLink>
      {allowed ? (
        <CredentialUsagePage key={`${credential.type}:${credential.id}`} orgId={orgId} credential={credential} abilities={abilities} />
      ) : (
        <>
          <h1>Usage of this {kindOf(credential.type)}</h1>
          <Notice kind="info">Your role does not allow reading the usage of this {kindOf(credential.type)}.</Notice>
        </>
      )}
    </div>
  );
}

function OverviewPage({ orgId, abilities }: { orgId: string; abilities: Abilities }) {
  const load = useCallback((granularity: Granularity) => api.organizationUsage(orgId, granularity), [orgId]);
  const usage = useUsage(load);
  return (
    <div className="usage-page">
      <div className="page-header">
        <h1>Usage</h1>
      </div>
      <p className="muted intro">
        Token requests and introspections of every credential in the organization, successful or refused. Figures arrive a few seconds after the requests.
      </p>
      {!abilities.readOrg ? (
        <Notice kind="info">Your role does not allow reading the organization&apos;s usage.</Notice>
      ) : (
        <div className="card">
          <UsageSection heading="All credentials" level={2} usage={usage} subject="the organization">
            {(data) => <CredentialsByTraffic data={data} abilities={abilities} />}
          </UsageSection>
        </div>
      )}
      {abilities.readAudit ? (
        <div className="card">
          <ApiLogs orgId={orgId} />
        </div>
      ) : (
        <p className="muted">{WHY.apiLogs}</p>
      )}
    </div>
  );
}

function CredentialsByTraffic({ data, abilities }: { data: OrganizationUsage; abilities: Abilities }) {
  const period = data.granularity === 'hour' ? 'the last 24 hours' : 'the last 30 days';
  return (
    <div className="usage-block">
      <h3 id="by-traffic">Credentials by traffic</h3>
      {data.credentials.length === 0 ? (
        <p className="muted">No credential had traffic in {period}.</p>
      ) : (
        <div className="table-scroll">
          <table className="data-table compact numeric" aria-labelledby="by-traffic">
            <thead>
              <tr>
                <th scope="col">Credential</th>
                <th scope="col">Kind</th>
                <th scope="col">Requests</th>
                <th scope="col">Successes</th>
                <th scope="col">Failures</th>
                <th scope="col">Failure rate</th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {data.credentials.map((credential) => {
                const readable = credential.type === 'api_client' ? abilities.readClients : abilities.readTokens;
                return (
                  <tr key={`${credential.type}:${credential.id}`}>
                    <th scope="row" className="name-cell">
                      {credential.deleted || !readable ? (
                        credential.name
                      ) : (
                        <AppLink href={usageHrefOf(credential)} title={`Usage of ${credential.name}`}>
                          {credential.name}
                        </AppLink>
                      )}
                      {credential.deleted && <span className="status status-inactive deleted-badge">deleted</span>}
                    </th>
                    <td>{kindOf(credential.type)}</td>
                    <td>{formatCount(credential.requests)}</td>
                    <td>{formatCount(credential.successes)}</td>
                    <td>{formatCount(credential.failures)}</td>
                    <td>{failureRate(credential)}</td>
                    <td>{formatDate(credential.last_used_at)}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </div>
  );
}

function CredentialUsagePage({ orgId, credential, abilities }: { orgId: string; credential: CredentialRef; abilities: Abilities }) {
  const usage = useCredentialUsage(orgId, credential);
  const kind = kindOf(credential.type);
  const about = usage.data?.credential;
  return (
    <>
      <div className="page-header">
        <h1>{about ? about.name : `Usage of this ${kind}`}</h1>
      </div>
      <p className="muted intro">
        {kind[0]?.toUpperCase()}
        {kind.slice(1)}
        {about?.client_id && (
          <>
            {' '}
            <code>{about.client_id}</code>
          </>
        )}
        {' · '}
        {credential.type === 'api_client' ? 'token requests and introspections of its tokens' : 'introspections by resource servers'}, successful or refused.
      </p>
      <div className="card">
        <UsageSection heading="Usage" level={2} usage={usage} subject={`this ${kind}`} lastUsedAt={about ? about.last_used_at : null} />
      </div>
      {abilities.readAudit ? (
        <div className="card">
          <ApiLogs orgId={orgId} credential={credential} />
        </div>
      ) : (
        <p className="muted">{WHY.apiLogs}</p>
      )}
    </>
  );
}
