// Setting up Klaviyo's side of a test through the sandbox's public API, as a Klaviyo user would.
import type { Sandbox } from '../../src/sandbox/index.ts';

// biome-ignore lint/suspicious/noExplicitAny: tests read whichever fields the resource has
type JsonApiAnswer = any;

/** POSTs a JSON:API document to the sandbox with its API key and answers the parsed body. */
export async function postToSandbox(
  sandbox: Pick<Sandbox, 'url' | 'apiKey'>,
  path: string,
  data: unknown,
): Promise<JsonApiAnswer> {
  const answer = await fetch(`${sandbox.url}${path}`, {
    method: 'POST',
    headers: {
      authorization: `Klaviyo-API-Key ${sandbox.apiKey}`,
      revision: '2026-07-15',
      'content-type': 'application/vnd.api+json',
    },
    body: JSON.stringify({ data }),
  });
  return answer.json();
}
