import { expect } from 'chai';
import { attachmentPolicy, RoutingConfigSchema, sizeRefusal, typeAllowed } from '../src/index';

const MB = 1024 * 1024;

describe('attachments policy (sites[].attachments, settings.fileRetentionDays)', () => {
  const minimal = { groups: [{ id: 'g', name: 'G' }], defaultRoute: { groupId: 'g' } };

  it('when a site says nothing about files, then the defaults apply: on, pictures/PDF/text, 10 MB per file, 50 MB per dialog, 90 days', () => {
    const config = RoutingConfigSchema.parse({ ...minimal, sites: [{ id: 'shop', name: 'Shop' }] });
    expect(attachmentPolicy(config.sites[0])).to.deep.equal({
      enabled: true,
      allowedTypes: ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'application/pdf', 'text/plain'],
      maxFileMb: 10,
      maxDialogMb: 50,
    });
    expect(attachmentPolicy(undefined).maxFileMb).to.equal(10);
    expect(config.settings).to.deep.equal({ fileRetentionDays: 90 });
  });

  it('when a site sets part of it, then the rest keeps its default; bad values are refused with their path', () => {
    const config = RoutingConfigSchema.parse({
      ...minimal,
      sites: [{ id: 'shop', name: 'Shop', attachments: { maxFileMb: 2 } }],
      settings: { fileRetentionDays: 0 },
    });
    expect(attachmentPolicy(config.sites[0])).to.include({ enabled: true, maxFileMb: 2, maxDialogMb: 50 });
    expect(config.settings.fileRetentionDays).to.equal(0);
    const bad = RoutingConfigSchema.safeParse({
      ...minimal,
      sites: [{ id: 'shop', name: 'Shop', attachments: { allowedTypes: ['pdf'], maxFileMb: -1 } }],
    });
    expect(bad.success).to.equal(false);
    const paths = bad.error!.issues.map((i) => i.path.join('.'));
    expect(paths).to.include.members(['sites.0.attachments.allowedTypes.0', 'sites.0.attachments.maxFileMb']);
    expect(
      RoutingConfigSchema.safeParse({ ...minimal, settings: { fileRetentionDays: -1 } }).success,
    ).to.equal(false);
  });

  it('when a file passes the per-file limit or the rest of the dialog budget, then the refusal names the limit in MB', () => {
    const policy = attachmentPolicy(undefined);
    expect(sizeRefusal(policy, 10 * MB, 0)).to.equal(null);
    expect(sizeRefusal(policy, 10 * MB + 1, 0)).to.equal(
      'this file is larger than the limit of 10 MB per file',
    );
    expect(sizeRefusal(policy, 5 * MB, 45 * MB)).to.equal(null);
    expect(sizeRefusal(policy, 5 * MB + 1, 45 * MB)).to.equal(
      "this dialog's files would exceed the limit of 50 MB per dialog",
    );
  });

  it('when a type is checked, then parameters and case are ignored and only listed types pass', () => {
    const policy = attachmentPolicy(undefined);
    expect(typeAllowed(policy, 'Text/Plain; charset=utf-8')).to.equal(true);
    expect(typeAllowed(policy, 'image/svg+xml')).to.equal(false);
    expect(typeAllowed(policy, 'application/x-msdownload')).to.equal(false);
  });
});
