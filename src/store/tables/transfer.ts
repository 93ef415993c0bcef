// Tables of transfers, transfer steps (the log), links, watermarks.
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the area grows
export interface TransferTables {}
