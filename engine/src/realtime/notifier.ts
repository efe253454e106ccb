import type { Namespace } from 'socket.io';
import type { OperatorServerToClient, VisitorServerToClient } from '../protocol/events';



export const visitorRoom = (visitorId: string) => `visitor:${visitorId}`;
export const operatorRoom = (operatorId: string) => `operator:${operatorId}`;
export const SUPERVISORS_ROOM = 'supervisors';

/**
 * Where the engine's pushes go. Rooms, not sockets: with the Redis adapter a room reaches its
 * members on every node, so a dialog's visitor and operator get events wherever they connected.
 */
export class Notifier {
  constructor(
    private readonly visitors: Namespace<Record<string, never>, VisitorServerToClient> | null,
    private readonly operators: Namespace<Record<string, never>, OperatorServerToClient> | null,
  ) {}

  toVisitor<E extends keyof VisitorServerToClient>(visitorId: string, event: E, ...args: Parameters<VisitorServerToClient[E]>) {
    this.visitors?.to(visitorRoom(visitorId)).emit(event, ...args);
  }

  toOperator<E extends keyof OperatorServerToClient>(operatorId: string, event: E, ...args: Parameters<OperatorServerToClient[E]>) {
    this.operators?.to(operatorRoom(operatorId)).emit(event, ...args);
  }

  toSupervisors<E extends keyof OperatorServerToClient>(event: E, ...args: Parameters<OperatorServerToClient[E]>) {
    this.operators?.to(SUPERVISORS_ROOM).emit(event, ...args);
  }

  /** Operators of a group who are connected (for new leads). */
  toOperators<E extends keyof OperatorServerToClient>(operatorIds: string[], event: E, ...args: Parameters<OperatorServerToClient[E]>) {
    if (operatorIds.length === 0) return;
    this.operators?.to(operatorIds.map(operatorRoom)).emit(event, ...args);
  }
}
