import type { Namespace } from 'socket.io';
import type { InterServerEvents, OperatorServerToClient, VisitorServerToClient } from '@hotline/protocol';

export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;
export const operatorRoom = (operatorId: string) => `operator:${operatorId}`;
export const SUPERVISORS_ROOM = 'supervisors';

/** Whether this node is the only engine node on the adapter right now (see NodePeers). */
export interface Peers {
  alone(): boolean;
}

/**
 * Where the engine's pushes go. Rooms, not sockets: with the Redis adapter a room reaches its
 * members on every node, so a dialog's visitor and operator get events wherever they connected.
 * Pushes every node makes for its own sockets (queue positions) go to local rooms only, and the
 * nodes tell each other what changed instead. While this node is alone every room is local: pushes
 * skip the adapter (no PUBLISH), and a push to a room nobody joined (the supervisors' room with no
 * supervisor, an operator or visitor who is not connected) is not even encoded.
 */
export class Notifier {
  constructor(
    private readonly visitors: Namespace<
      Record<string, never>,
      VisitorServerToClient,
      InterServerEvents
    > | null,
    private readonly operators: Namespace<Record<string, never>, OperatorServerToClient> | null,
    /** Other nodes may share the Redis adapter; false in the embedded single-process mode. */
    private readonly clustered: boolean | Peers = false,
  ) {}

  /** Whether a push must go through the adapter to reach other nodes. */
  private shared(): boolean {
    return typeof this.clustered === 'boolean' ? this.clustered : !this.clustered.alone();
  }

  private get visitorRooms() {
    return this.shared() ? this.visitors : this.visitors?.local;
  }

  private get operatorRooms() {
    return this.shared() ? this.operators : this.operators?.local;
  }

  /**
   * Whether a push to `rooms` may reach a socket: always through the adapter (other nodes may hold
   * members); locally only when one of them has a member here. A broadcast encodes its payload and
   * builds its frame before it looks for members, so a push to nobody is not free.
   */
  private reaches(namespace: { adapter: { rooms: Map<string, Set<string>> } } | null, rooms: string[]) {
    if (!namespace) return false;
    if (this.shared()) return true;
    return rooms.some((room) => (namespace.adapter.rooms.get(room)?.size ?? 0) > 0);
  }

  toVisitor<E extends keyof VisitorServerToClient>(
    visitorId: string,
    event: E,
    ...args: Parameters<VisitorServerToClient[E]>
  ) {
    const room = visitorRoom(visitorId);
    if (this.reaches(this.visitors, [room])) this.visitorRooms?.to(room).emit(event, ...args);
  }

  /** Closes every socket of the visitor, on every node (a blocked visitor). */
  disconnectVisitor(visitorId: string) {
    this.visitorRooms?.in(visitorRoom(visitorId)).disconnectSockets(true);
  }

  /** Whether any visitor socket is connected to this node. */
  hasLocalVisitors(): boolean {
    return (this.visitors?.sockets.size ?? 0) > 0;
  }

  /** The ids of the visitor's sockets connected to this node (none: undefined or empty). */
  localVisitorSockets(visitorId: string): ReadonlySet<string> | undefined {
    return this.visitors?.adapter.rooms.get(visitorRoom(visitorId));
  }

  /** To the visitor's sockets on this node only: no Redis round, the other nodes push to theirs. */
  toLocalVisitor<E extends keyof VisitorServerToClient>(
    visitorId: string,
    event: E,
    ...args: Parameters<VisitorServerToClient[E]>
  ) {
    const room = visitorRoom(visitorId);
    if ((this.visitors?.adapter.rooms.get(room)?.size ?? 0) > 0)
      this.visitors?.local.to(room).emit(event, ...args);
  }

  /** To the other engine nodes (not this one); nothing to do when this node is alone. */
  toOtherNodes<E extends keyof InterServerEvents>(event: E, ...args: Parameters<InterServerEvents[E]>) {
    if (this.shared()) this.visitors?.serverSideEmit(event, ...args);
  }

  /** Whether a supervisor's socket is connected to this node (the dashboard has a reader here). */
  hasLocalSupervisors(): boolean {
    return (this.operators?.adapter.rooms.get(SUPERVISORS_ROOM)?.size ?? 0) > 0;
  }

  /** Dashboard changes on nodes without supervisors of their own. */
  onDashboardChangedElsewhere(listener: InterServerEvents['dashboard:changed']) {
    this.visitors?.on('dashboard:changed', listener);
  }

  /**
   * Each visitor socket connected to this node, by its visitor (it gets his queue position), and
   * whether he was minted at its handshake (he has no dialog yet).
   */
  onVisitorConnected(listener: (visitorId: string, minted: boolean) => void) {
    this.visitors?.on('connection', (socket) => {
      const visitorId: unknown = socket.data?.visitorId;
      if (typeof visitorId === 'string') listener(visitorId, socket.data?.minted === true);
    });
  }

  /** Queue changes the other nodes saw. */
  onQueueChangedElsewhere(listener: InterServerEvents['queue:changed']) {
    this.visitors?.on('queue:changed', listener);
  }

  toOperator<E extends keyof OperatorServerToClient>(
    operatorId: string,
    event: E,
    ...args: Parameters<OperatorServerToClient[E]>
  ) {
    const room = operatorRoom(operatorId);
    if (this.reaches(this.operators, [room])) this.operatorRooms?.to(room).emit(event, ...args);
  }

  toSupervisors<E extends keyof OperatorServerToClient>(
    event: E,
    ...args: Parameters<OperatorServerToClient[E]>
  ) {
    if (this.reaches(this.operators, [SUPERVISORS_ROOM]))
      this.operatorRooms?.to(SUPERVISORS_ROOM).emit(event, ...args);
  }

  /** Operators of a group who are connected (for new leads). */
  toOperators<E extends keyof OperatorServerToClient>(
    operatorIds: string[],
    event: E,
    ...args: Parameters<OperatorServerToClient[E]>
  ) {
    const rooms = operatorIds.map(operatorRoom);
    if (this.reaches(this.operators, rooms)) this.operatorRooms?.to(rooms).emit(event, ...args);
  }
}
