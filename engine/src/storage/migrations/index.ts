import type { Knex } from 'knex';
import * as initial from './001-initial';
import * as presenceChangedAt from './002-presence-changed-at';
import * as operatorSessions from './003-operator-sessions';
import * as visitorBlocks from './004-visitor-blocks';
import * as attachments from './005-attachments';
import * as attachmentBlobs from './006-attachment-blobs';
import * as dialogChanges from './007-dialog-changes';
import * as quickRepliesOrder from './008-quick-replies-order';
import * as oneStatementChanges from './009-one-statement-changes';
import * as leanIndexes from './010-lean-indexes';
import * as changeRowsWithoutFkChecks from './011-change-rows-without-fk-checks';
import * as leanChangeIndexes from './012-lean-change-indexes';

interface Migration {
  up(knex: Knex): Promise<void>;
  down(knex: Knex): Promise<void>;
}

const migrations: Record<string, Migration> = {
  '001-initial': initial,
  '002-presence-changed-at': presenceChangedAt,
  '003-operator-sessions': operatorSessions,
  '004-visitor-blocks': visitorBlocks,
  '005-attachments': attachments,
  '006-attachment-blobs': attachmentBlobs,
  '007-dialog-changes': dialogChanges,
  '008-quick-replies-order': quickRepliesOrder,
  '009-one-statement-changes': oneStatementChanges,
  '010-lean-indexes': leanIndexes,
  '011-change-rows-without-fk-checks': changeRowsWithoutFkChecks,
  '012-lean-change-indexes': leanChangeIndexes,
};

/** Migrations compiled in (not globbed from disk) so they run the same under tsx, tests and the image. */
export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => Object.keys(migrations).sort(),
  getMigrationName: (name) => name,
  getMigration: async (name) => migrations[name]!,
};
