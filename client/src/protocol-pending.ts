/**
 * TEMPORARY, removed when branch files-upload (the engine side of issue 15) is merged: the protocol
 * additions of docs/files design, declared here so the UIs compile against them before the engine's
 * events.ts has them.
 */
import type { AckCallback } from '@hotline/engine/protocol';
import type { AttachmentView } from './attachments';
import type { PreparedUpload } from './upload-tray';

declare module '@hotline/engine/protocol' {
  interface MessageView {
    attachments?: AttachmentView[];
  }
  interface VisitorClientToServer {
    'attachment:prepare': (payload: unknown, ack: AckCallback<PreparedUpload>) => void;
  }
  interface OperatorClientToServer {
    'attachment:prepare': (payload: unknown, ack: AckCallback<PreparedUpload>) => void;
  }
}
