import { expect } from 'chai';
import { CONFIG_SAVED_TOPIC } from '../../src/storage/config-version-repository';
import { type DatabaseHandle, type Listening, notifyChannel, openDatabase } from '../../src/storage/database';
import { eventually } from '../support/clients';
import { dropSchema, freshSchema, postgresAvailable, TEST_DATABASE_URL } from '../support/postgres';

/**
 * The routing config's followers hear saves by NOTIFY on a connection of their own: a save notifies at
 * commit, and a listening connection that drops connects again and reports once (the follower reads
 * what it missed), so a lost connection costs a read, never a save.
 */
describe('routing config saves followed by LISTEN/NOTIFY (real Postgres)', function () {
  this.timeout(30_000);
  const schema = freshSchema();
  let handle: DatabaseHandle;
  let listening: Listening | undefined;
  let heard = 0;
  const errors: string[] = [];

  before(async function () {
    if (!(await postgresAvailable())) return this.skip();
    handle = await openDatabase({ url: TEST_DATABASE_URL, dataDir: '/nonexistent', schema });
    listening = handle.listen?.(
      CONFIG_SAVED_TOPIC,
      () => {
        heard += 1;
      },
      (error) => errors.push(error.message),
    );
    await eventually(() => heard === 1, 10_000, 'the first report once listening');
  });

  after(async () => {
    await listening?.stop();
    await handle?.close();
    await dropSchema(schema).catch(() => undefined);
  });

  const notify = () =>
    handle.db.transaction((trx) =>
      trx.raw(`select pg_notify(${notifyChannel}, ?)`, [CONFIG_SAVED_TOPIC, '2']),
    );

  it('when a save commits in its schema, then the listener hears it; not before the commit', async () => {
    const before = heard;
    await handle.db.transaction(async (trx) => {
      await trx.raw(`select pg_notify(${notifyChannel}, ?)`, [CONFIG_SAVED_TOPIC, '2']);
      await new Promise((resolve) => setTimeout(resolve, 200));
      expect(heard).to.equal(before);
    });
    await eventually(() => heard === before + 1, 5000, 'the notification');
  });

  it('when its connection is killed, then it connects again, reports once, and hears the next save', async () => {
    const { rows } = await handle.db.raw<{ rows: { pid: number }[] }>(
      'select pid from pg_stat_activity where query like ? and pid <> pg_backend_pid()',
      [`LISTEN "${CONFIG_SAVED_TOPIC}.${schema}"%`],
    );
    expect(rows).to.have.length(1);
    const before = heard;
    await handle.db.raw('select pg_terminate_backend(?)', [rows[0]!.pid]);
    await eventually(() => heard === before + 1, 10_000, 'the report after reconnecting');
    expect(errors).to.not.be.empty;
    await notify();
    await eventually(() => heard === before + 2, 5000, 'the next notification');
  });
});
