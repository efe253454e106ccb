import type { AssignmentListener } from '../dialog/assignment-dispatcher';
import type { DialogListener } from '../dialog/dialog-service';

/** What a consumer of dialog changes may hear: committed transitions, assignments and queue moves. */
export type ChangeListener = Partial<DialogListener & AssignmentListener>;

/**
 * Where the dialog service and the assignment dispatcher report what they committed, built before
 * them: consumers (the realtime layer) subscribe when they exist, and the producers never know who
 * listens. A listener that throws does not keep the others from hearing the change.
 */
export class ChangeListeners implements DialogListener, AssignmentListener {
  private readonly listeners = new Set<ChangeListener>();

  constructor(private readonly onError: (error: unknown) => void) {}

  /** Returns the unsubscribe. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  onTransition: DialogListener['onTransition'] = (change) => this.each((l) => l.onTransition?.(change));
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
