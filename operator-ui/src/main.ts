import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { onUnauthorized } from './api/http';
import { applyLocale, currentLocale, i18n } from './i18n';
import { createConsoleRouter } from './router';
import { useSessionStore } from './stores/session';
import './styles.css';

const app = createApp(App);
const pinia = createPinia();
app.use(pinia);
app.use(i18n);
applyLocale(currentLocale());
const router = createConsoleRouter();
app.use(router);

onUnauthorized(() => {
  useSessionStore(pinia).forget();
  if (router.currentRoute.value.name !== 'login')
    void router.push({ name: 'login', query: { next: router.currentRoute.value.fullPath } });
});

app.mount('#app');
