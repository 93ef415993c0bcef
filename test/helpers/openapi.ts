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

type Node = Record<string, unknown>;

/**
 * OpenAPI 3.0 → JSON Schema for Ajv: `nullable` becomes a `null` type (also inside enums), examples go.
 * With `closed`, an object schema that lists its `properties` refuses others: the spec's declared
 * properties are all a request may carry (Klaviyo refuses undeclared attributes). Answers stay open,
 * since Klaviyo may add fields to what it returns.
 */
export function openApiToJsonSchema(node: unknown, closed: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => openApiToJsonSchema(item, closed));
  if (typeof node !== 'object' || node === null) return node;
  const source = node as Node;
  const out: Node = {};
  for (const [key, value] of Object.entries(source)) {
    if (key === 'example' || key === 'nullable' || key === 'examples') continue;
    // `properties` maps names to schemas: recurse into each schema, never treat the map as a schema.
    if (key === 'properties' && value && typeof value === 'object' && !Array.isArray(value)) {
      out.properties = Object.fromEntries(
        Object.entries(value as Node).map(([name, schema]) => [name, openApiToJsonSchema(schema, closed)]),
      );
    } else out[key] = openApiToJsonSchema(value, closed);
  }
  if (closed && out.properties && out.additionalProperties === undefined && !out.allOf) {
    out.additionalProperties = false;
  }
  if (source.nullable === true) {
    if (typeof out.type === 'string') {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum)) out.enum = [...out.enum, null];
    } else return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}
