// Tables of hub records and their change feed.
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the area grows
export interface HubTables {}
