// Tables of users, sessions, API tokens, secrets, subscriptions, OAuth state and tokens, settings.
// biome-ignore lint/suspicious/noEmptyInterface: filled in as the area grows
export interface CoreTables {}
