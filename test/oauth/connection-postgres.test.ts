import { test } from 'node:test';
import { TEST_DATABASE_URL } from '../helpers/service.ts';
import { connectionSuite } from './connection-sandbox.ts';

if (TEST_DATABASE_URL) connectionSuite('PostgreSQL', true);
else test('PostgreSQL subscription and OAuth tests', { skip: 'TEST_DATABASE_URL is not set' }, () => {});
