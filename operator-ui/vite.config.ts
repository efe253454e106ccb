import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

const engine = process.env.HOTLINE_ENGINE_URL ?? 'http://127.0.0.1:3000';

/** Served by the engine under /console/; the dev server proxies the API and socket.io to a running engine. */
export default defineConfig({
  base: '/console/',
  plugins: [vue()],
  // vue-i18n's build flags: composition API only, no devtools hooks in production.
  define: {
    __VUE_I18N_FULL_INSTALL__: true,
    __VUE_I18N_LEGACY_API__: false,
    __INTLIFY_PROD_DEVTOOLS__: false,
  },
  server: {
    port: 5173,
    proxy: {
      '/api': { target: engine, changeOrigin: false },
      '/socket.io': { target: engine, ws: true, changeOrigin: false },
    },
  },
  build: { outDir: 'dist', emptyOutDir: true, sourcemap: true },
});
