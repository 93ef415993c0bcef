// Klaviyo's OpenAPI document made usable by Ajv, for the tests that check bodies against it.

/**
 * OpenAPI 3.0 puts `nullable: true` next to `$ref` or `allOf` without a `type`, which JSON Schema cannot
 * express; Ajv refuses it there. Rewrite those as `anyOf: [schema, null]` (typed ones Ajv handles itself).
 */
export function openApiNullable(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(openApiNullable);
  if (!node || typeof node !== 'object') return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) out[key] = openApiNullable(value);
  if (out.nullable === true && out.type === undefined) {
    delete out.nullable;
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}
