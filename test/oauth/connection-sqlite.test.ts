import { connectionSuite } from './connection-sandbox.ts';

connectionSuite('SQLite', false);
