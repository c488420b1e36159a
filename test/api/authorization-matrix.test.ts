/**
 * Issue #5's authorization matrix: anonymous, user, org member, team creator, org admin, robot
 * and superuser × every /v2 and /api/v1 endpoint, with the exact allow/deny outcome, on SQLite
 * and on PostgreSQL (skipped without WHARF_TEST_POSTGRES_URL, unless WHARF_TEST_REQUIRE_ALL=1).
 * The table, fixture and runner live in ./authorization-matrix/.
 */
import { authorizationMatrix } from './authorization-matrix/suite.js';

authorizationMatrix('sqlite');
authorizationMatrix('postgres');
