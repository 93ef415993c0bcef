// Tables of mapping collections and their mappings.
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the area grows
export interface MappingTables {}
