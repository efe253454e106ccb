import { expect } from 'chai';
import knexFactory from 'knex';
import { createFileStore, fileStoreKind } from '../../src/attachments/file-stores';
import { ConfigError, loadConfig } from '../../src/config';

/** A knex that never connects: choosing a store must not touch the database. */
const unconnected = knexFactory({ client: 'pg' });

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  expect.fail('expected a ConfigError');
}

describe('file store choice (FILE_STORE)', () => {
  after(() => unconnected.destroy());

  it('when FILE_STORE is unset, then disk without DATABASE_URL and postgres with it', () => {
    expect(createFileStore(loadConfig({}), unconnected).kind).to.equal('disk');
    expect(fileStoreKind(loadConfig({ DATABASE_URL: 'postgres://db/hotline' }))).to.equal('postgres');
    expect(createFileStore(loadConfig({ DATABASE_URL: 'postgres://db/hotline' }), unconnected).kind).to.equal(
      'postgres',
    );
  });

  it('when FILE_STORE names a store, then that store is made', () => {
    expect(createFileStore(loadConfig({ FILE_STORE: 'postgres' }), unconnected).kind).to.equal('postgres');
    expect(
      createFileStore(loadConfig({ FILE_STORE: 'disk', DATABASE_URL: 'postgres://db/x' }), unconnected).kind,
    ).to.equal('disk');
    expect(
      createFileStore(loadConfig({ FILE_STORE: 's3', S3_BUCKET: 'hotline-files' }), unconnected).kind,
    ).to.equal('s3');
  });

  it('when the S3 settings are wrong or missing, then the start is refused naming the variable', () => {
    expect(configError({ FILE_STORE: 'ftp' })).to.include({
      variable: 'FILE_STORE',
      reason: 'must be disk, postgres or s3',
    });
    expect(configError({ FILE_STORE: 's3' })).to.include({
      variable: 'S3_BUCKET',
      reason: 'required with FILE_STORE=s3',
    });
    expect(configError({ FILE_STORE: 's3', S3_BUCKET: 'Not_A_Bucket' })).to.include({
      variable: 'S3_BUCKET',
    });
    expect(configError({ S3_ENDPOINT: 'ftp://minio:9000' })).to.include({ variable: 'S3_ENDPOINT' });
    expect(configError({ S3_ACCESS_KEY_ID: 'AKIA' })).to.include({ variable: 'S3_SECRET_ACCESS_KEY' });
    expect(configError({ S3_SECRET_ACCESS_KEY: 'secret' })).to.include({ variable: 'S3_ACCESS_KEY_ID' });
  });
});
