import { onScopeDispose, type Ref, ref } from 'vue';

let shared: Ref<number> | null = null;
let users = 0;
let timer: ReturnType<typeof setInterval> | null = null;

/** A clock that ticks every second, shared by every component that shows a wait or a countdown. */
export function useNow(): Ref<number> {
  if (!shared) shared = ref(Date.now());
  const now = shared;
  users += 1;
  if (!timer) timer = setInterval(() => (now.value = Date.now()), 1000);
  onScopeDispose(() => {
    users -= 1;
    if (users === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  });
  return now;
}
