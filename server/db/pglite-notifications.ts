// PGlite hands a notification to its in-process listeners only when the query that raised it ran
// through its parsing API. Queries arriving over pglite-socket (the CLI, and this server's own
// pool) run through execProtocolRawStream, whose bytes go straight to the socket: a NOTIFY there
// reaches no listener. This reads those bytes on their way out and picks out the
// NotificationResponse messages ('A': int32 length, int32 pid, channel, payload), so that a change
// made through the socket reaches the server's listeners as it would on PostgreSQL.
import type { PGlite } from '@electric-sql/pglite';

type Listener = (channel: string, payload: string) => void;

/** A parser for one query's output, which may arrive split anywhere across chunks. */
function notificationParser(onNotification: Listener) {
  let header = new Uint8Array(0); // type byte and length, while incomplete
  let remaining = 0; // body bytes of the current message still to come
  let body: number[] | undefined; // collected only for notifications
  return (chunk: Uint8Array) => {
    let offset = 0;
    while (offset < chunk.length) {
      if (remaining === 0 && body === undefined) {
        const needed = 5 - header.length;
        const take = chunk.subarray(offset, offset + needed);
        header = Uint8Array.from([...header, ...take]);
        offset += take.length;
        if (header.length < 5) return;
        const length = new DataView(header.buffer, header.byteOffset + 1, 4).getInt32(0) - 4;
        body = header[0] === 0x41 ? [] : undefined;
        remaining = Math.max(0, length);
        header = new Uint8Array(0);
        if (remaining === 0 && body === undefined) continue;
      }
      const take = chunk.subarray(offset, offset + remaining);
      if (body) for (const byte of take) body.push(byte);
      remaining -= take.length;
      offset += take.length;
      if (remaining === 0) {
        if (body) {
          const bytes = Buffer.from(body.slice(4)); // after the sender's pid
          const channelEnd = bytes.indexOf(0);
          const payloadEnd = bytes.indexOf(0, channelEnd + 1);
          onNotification(bytes.subarray(0, channelEnd).toString('utf8'), bytes.subarray(channelEnd + 1, payloadEnd).toString('utf8'));
        }
        body = undefined;
      }
    }
  };
}

/** Delivers notifications raised by socket queries to `listener` (in addition to the socket). */
export function forwardSocketNotifications(pglite: PGlite, listener: Listener): void {
  const original = pglite.execProtocolRawStream.bind(pglite);
  pglite.execProtocolRawStream = (message, options) => {
    const parse = notificationParser(listener);
    return original(message, {
      ...options,
      onRawData: (data: Uint8Array) => {
        try {
          parse(data);
        } catch {
          // A parsing surprise must never break the query itself.
        }
        options?.onRawData?.(data);
      },
    });
  };
}
