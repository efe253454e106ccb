import type { AssignmentListener } from '../dialog/assignment-dispatcher';

/** What a consumer of assignments may hear: assignments made and queue moves. */
export type ChangeListener = Partial<AssignmentListener>;

/**
 * Where the assignment dispatcher reports what it committed, built before it: consumers (operator
 * updates) subscribe when they exist, and the dispatcher never knows who listens. Dialog changes
 * have their own stream (`DialogService.subscribe`). A listener that throws does not keep the
 * others from hearing.
 */
export class ChangeListeners implements AssignmentListener {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Returns the unsubscribe. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onAssigned: AssignmentListener['onAssigned'] = (assignment) => this.each((l) => l.onAssigned?.(assignment));
  onQueueChanged: AssignmentListener['onQueueChanged'] = (groupId) =>
    this.each((l) => l.onQueueChanged?.(groupId));

  private each(call: (listener: ChangeListener) => void) {
    for (const listener of this.listeners) {
      try {
        call(listener);
      } catch (error) {
        this.onError(error);
      }
    }
  }
}
