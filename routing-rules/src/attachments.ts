import { DEFAULT_ATTACHMENT_TYPES, type Site, type SiteAttachments } from './schema';

const MB = 1024 * 1024;

/** A site's attachment rules with every default filled; a site without `attachments` gets the defaults. */
export function attachmentPolicy(site: Pick<Site, 'attachments'> | undefined): SiteAttachments {
  return (
    site?.attachments ?? {
      enabled: true,
      allowedTypes: DEFAULT_ATTACHMENT_TYPES,
      maxFileMb: 10,
      maxDialogMb: 50,
    }
  );
}

/** Raster images the engine re-encodes, shows as thumbnails and serves inline. */
const RASTER_IMAGES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'];

export const isRasterImage = (type: string) => RASTER_IMAGES.includes(type);

/** Whether a (declared or sniffed) MIME type is in the site's allow-list; parameters are ignored. */
export function typeAllowed(policy: SiteAttachments, type: string): boolean {
  const bare = type.split(';')[0]!.trim().toLowerCase();
  return policy.allowedTypes.includes(bare);
}

const megabytes = (bytes: number) => `${Math.round((bytes / MB) * 10) / 10} MB`;

/**
 * Why a file of `size` bytes may not join a dialog that already holds `dialogBytes`, or null: the
 * per-file limit first, then what is left of the dialog's. The message names the limit in MB.
 */
export function sizeRefusal(policy: SiteAttachments, size: number, dialogBytes: number): string | null {
  if (size > policy.maxFileMb * MB)
    return `this file is larger than the limit of ${megabytes(policy.maxFileMb * MB)} per file`;
  if (dialogBytes + size > policy.maxDialogMb * MB)
    return `this dialog's files would exceed the limit of ${megabytes(policy.maxDialogMb * MB)} per dialog`;
  return null;
}
