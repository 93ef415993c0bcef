// Sending one alert message on one channel: email through SMTP (nodemailer), a Slack-compatible incoming
// webhook (POST {"text": …}), or a signed outbound webhook (the endpoints of src/webhooks, with the
// `alert/opened` and `alert/resolved` events). HTTP sends go through the same egress check as webhook
// deliveries, so an alert can never be pointed at an internal address.
import nodemailer from 'nodemailer';
import { fetch } from 'undici';
import { EgressRefused, egressAgent, literalRefusal } from '../webhooks/egress.ts';
import { DELIVERY_HEADER, SIGNATURE_HEADER, signWebhook, TIMESTAMP_HEADER } from '../webhooks/signing.ts';
import type { EmailChannel } from './settings.ts';

export const SEND_TIMEOUT_MS = 10_000;

/** An alert as its messages show it. */
export interface AlertMessage {
  id: string;
  event: 'opened' | 'resolved' | 'test';
  kind: string;
  subscription_id: string | null;
  subscription_name: string | null;
  code: string | null;
  title: string;
  message: string;
  details: Record<string, unknown>;
  opened_at: string;
  resolved_at: string | null;
  /** Where the alert is seen in the console. */
  console_url: string;
}

export class ChannelError extends Error {}

function subject(m: AlertMessage): string {
  const what =
    m.event === 'resolved' ? `Recovered: ${m.title}` : m.event === 'test' ? m.title : `Alert: ${m.title}`;
  return `[klaviyo-sync] ${what}`;
}

export function plainText(m: AlertMessage): string {
  const when = m.event === 'resolved' ? `Recovered at ${m.resolved_at}` : `Since ${m.opened_at}`;
  return [
    m.event === 'resolved' ? `Recovered: ${m.title}` : m.event === 'test' ? m.title : `Alert: ${m.title}`,
    '',
    m.message,
    '',
    when,
    `See ${m.console_url}`,
  ].join('\n');
}

export async function sendEmail(
  channel: EmailChannel & { password: string | null },
  recipients: string[],
  m: AlertMessage,
): Promise<void> {
  const transport = nodemailer.createTransport({
    host: channel.host,
    port: channel.port,
    secure: channel.security === 'tls',
    requireTLS: channel.security === 'starttls',
    ignoreTLS: channel.security === 'none',
    auth: channel.username ? { user: channel.username, pass: channel.password ?? '' } : undefined,
    connectionTimeout: SEND_TIMEOUT_MS,
    greetingTimeout: SEND_TIMEOUT_MS,
    socketTimeout: SEND_TIMEOUT_MS,
  });
  try {
    await transport.sendMail({
      from: channel.from,
      to: recipients,
      subject: subject(m),
      text: plainText(m),
      headers: { 'X-Klaviyo-Sync-Alert': `${m.id}; event=${m.event}` },
    });
  } catch (err) {
    // nodemailer's messages name the server and the SMTP answer, never the password.
    const e = err as Error & { code?: string; responseCode?: number };
    throw new ChannelError(
      `The SMTP server ${channel.host}:${channel.port} refused or failed the message: ${e.code ?? ''}${e.responseCode ? ` ${e.responseCode}` : ''} ${e.message}`.replace(
        /\s+/g,
        ' ',
      ),
    );
  } finally {
    transport.close();
  }
}

/** Origin and path only: a query string may carry the receiver's own token. */
function shownUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname.length > 12 ? `${u.pathname.slice(0, 12)}…` : u.pathname}`;
}

function refusalIn(err: unknown): EgressRefused | null {
  for (let e = err; e instanceof Error; e = (e as Error & { cause?: unknown }).cause)
    if (e instanceof EgressRefused) return e;
  return null;
}

export interface HttpSender {
  post(url: string, body: string, headers: Record<string, string>, shown: string): Promise<void>;
}

export function httpSender(allowLoopback: boolean): HttpSender {
  const dispatcher = egressAgent(allowLoopback);
  return {
    async post(url, body, headers, shown) {
      const literal = literalRefusal(new URL(url), allowLoopback);
      if (literal) throw new ChannelError(`Not sent to ${shown}: ${literal.message}`);
      try {
        const res = await fetch(url, {
          dispatcher,
          method: 'POST',
          redirect: 'manual',
          headers: { 'content-type': 'application/json', 'user-agent': 'klaviyo-sync-alerts/1', ...headers },
          body,
          signal: AbortSignal.timeout(SEND_TIMEOUT_MS),
        });
        const text = (await res.text()).slice(0, 200);
        if (res.status < 200 || res.status >= 300)
          throw new ChannelError(`${shown} answered HTTP ${res.status}${text ? `: ${text}` : ''}`);
      } catch (err) {
        if (err instanceof ChannelError) throw err;
        const refused = refusalIn(err);
        if (refused) throw new ChannelError(`Not sent to ${shown}: ${refused.message}`);
        const e = err as Error & { cause?: { code?: string; message?: string } };
        throw new ChannelError(
          e.name === 'TimeoutError'
            ? `${shown} did not answer within ${SEND_TIMEOUT_MS} ms`
            : `Could not reach ${shown}: ${e.cause?.code ?? e.cause?.message ?? e.message}`,
        );
      }
    },
  };
}

export async function sendSlack(http: HttpSender, url: string, m: AlertMessage): Promise<void> {
  const icon =
    m.event === 'resolved' ? ':white_check_mark:' : m.event === 'test' ? ':bell:' : ':rotating_light:';
  const text = `${icon} ${plainText(m).replace(/\n\n/g, '\n')}`;
  await http.post(url, JSON.stringify({ text }), {}, shownUrl(url));
}

/** The body a signed webhook receiver gets for an alert (docs/webhooks.md). */
export function alertDelivery(deliveryId: string, m: AlertMessage, at: string) {
  return {
    id: deliveryId,
    event: `alert/${m.event === 'test' ? 'opened' : m.event}`,
    occurred_at: at,
    subscription_id: m.subscription_id,
    alert: {
      id: m.id,
      kind: m.kind,
      code: m.code,
      title: m.title,
      message: m.message,
      details: m.details,
      opened_at: m.opened_at,
      resolved_at: m.resolved_at,
      test: m.event === 'test',
    },
  };
}

export async function sendSignedWebhook(
  http: HttpSender,
  endpoint: { url: string; secret: string },
  deliveryId: string,
  m: AlertMessage,
  nowMs: number,
): Promise<void> {
  const body = JSON.stringify(alertDelivery(deliveryId, m, new Date(nowMs).toISOString()));
  const timestamp = String(Math.floor(nowMs / 1000));
  await http.post(
    endpoint.url,
    body,
    {
      [SIGNATURE_HEADER]: signWebhook(endpoint.secret, timestamp, body),
      [TIMESTAMP_HEADER]: timestamp,
      [DELIVERY_HEADER]: deliveryId,
    },
    shownUrl(endpoint.url),
  );
}
