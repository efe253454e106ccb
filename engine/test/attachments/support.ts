import type {
  AttachmentSlot,
  AttachmentView,
  DialogDetail,
  MessageView,
  VisitorDialogView,
} from '@hotline/protocol';
import {
  call,
  chatStart,
  clientId,
  connectOperator,
  connectVisitor,
  next,
  type OperatorSocket,
  type VisitorSocket,
} from '../support/clients';

/** A visitor in a dialog held by anna (online in `support`). */
export async function heldDialog(
  url: string,
): Promise<{ visitor: VisitorSocket; anna: OperatorSocket; dialogId: string }> {
  const anna = await connectOperator(url, 'anna@example.com');
  await call(anna, 'presence:set', { status: 'online' });
  const visitor = await connectVisitor(url);
  const assigned = next<DialogDetail>(anna, 'dialog:assigned');
  const view = await call<VisitorDialogView>(visitor, 'dialog:start', chatStart('support'));
  await assigned;
  return { visitor, anna, dialogId: view.id };
}

/** PUTs bytes to an upload URL; the status and the parsed JSON body. */
export async function put(
  url: string,
  uploadUrl: string,
  body: Uint8Array | ReadableStream<Uint8Array>,
  headers: Record<string, string> = {},
) {
  const response = await fetch(`${url}${uploadUrl}`, {
    method: 'PUT',
    body,
    headers: { 'content-type': 'application/octet-stream', ...headers },
    ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
  } as RequestInit);
  const json = (await response.json()) as {
    data?: AttachmentView;
    error?: { code: string; field?: string; message: string };
  };
  return { status: response.status, ...json };
}

/** prepare + PUT as one side; the uploaded attachment's view. */
export async function upload(
  url: string,
  socket: VisitorSocket | OperatorSocket,
  file: { name: string; type: string; bytes: Uint8Array },
  dialogId?: string,
): Promise<AttachmentView> {
  const slot = await call<AttachmentSlot>(socket, 'attachment:prepare', {
    dialogId,
    name: file.name,
    size: file.bytes.length,
    type: file.type,
  });
  const result = await put(url, slot.uploadUrl, file.bytes);
  if (result.status !== 201 || !result.data)
    throw new Error(`upload failed: ${result.status} ${JSON.stringify(result.error)}`);
  return result.data;
}

export async function send(
  socket: VisitorSocket | OperatorSocket,
  attachmentIds: string[],
  extra: Record<string, unknown> = {},
) {
  return call<MessageView>(socket, 'message:send', {
    clientMessageId: clientId(),
    body: '',
    attachmentIds,
    ...extra,
  });
}

export async function download(url: string, link: string) {
  const response = await fetch(link.startsWith('http') ? link : `${url}${link}`, { redirect: 'manual' });
  return { response, bytes: Buffer.from(await response.arrayBuffer()) };
}
