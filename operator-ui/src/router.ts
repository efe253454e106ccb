import { createRouter, createWebHistory, type RouteRecordRaw, type Router } from 'vue-router';
import { useSessionStore } from './stores/session';

declare module 'vue-router' {
  interface RouteMeta {
    public?: boolean;
    supervisor?: boolean;
    list?: 'mine' | 'leads' | 'all';
  }
}

const routes: RouteRecordRaw[] = [
  { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
  { path: '/', redirect: '/dialogs' },
  {
    path: '/dialogs/:id?',
    name: 'dialogs',
    component: () => import('./views/InboxView.vue'),
    meta: { list: 'mine' },
  },
  {
    path: '/leads/:id?',
    name: 'leads',
    component: () => import('./views/InboxView.vue'),
    meta: { list: 'leads' },
  },
  {
    path: '/all/:id?',
    name: 'all',
    component: () => import('./views/InboxView.vue'),
    meta: { list: 'all', supervisor: true },
  },
  { path: '/quick-replies', name: 'quick-replies', component: () => import('./views/QuickRepliesView.vue') },
  { path: '/sessions', name: 'sessions', component: () => import('./views/SessionsView.vue') },
  {
    path: '/dashboard',
    name: 'dashboard',
    component: () => import('./views/DashboardView.vue'),
    meta: { supervisor: true },
  },
  {
    path: '/groups/:id?',
    name: 'groups',
    component: () => import('./views/GroupsView.vue'),
    meta: { supervisor: true },
  },
  {
    path: '/operators',
    name: 'operators',
    component: () => import('./views/OperatorsView.vue'),
    meta: { supervisor: true },
  },
  {
    path: '/sites/:id?',
    name: 'sites',
    component: () => import('./views/SitesView.vue'),
    meta: { supervisor: true },
  },
  { path: '/:rest(.*)*', redirect: '/dialogs' },
];

/** The console's routes under /console/; everything but the login needs a session, some a supervisor. */
export function createConsoleRouter(): Router {
  const router = createRouter({ history: createWebHistory('/console/'), routes });
  router.beforeEach(async (to) => {
    const session = useSessionStore();
    if (!session.checked) await session.restore();
    if (to.meta.public) return session.account && to.name === 'login' ? { path: '/dialogs' } : true;
    if (!session.account)
      return { name: 'login', query: to.fullPath !== '/dialogs' ? { next: to.fullPath } : {} };
    if (to.meta.supervisor && !session.isSupervisor) return { path: '/dialogs' };
    return true;
  });
  return router;
}
