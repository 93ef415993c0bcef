// Secrets never reach the transfer log: the service's one set of redaction rules (src/secrets/redact.ts,
// docs/security.md "Logs"), applied to every step, message and pause before it is stored.
export { REDACTED, redact, redactString } from '../secrets/redact.ts';
