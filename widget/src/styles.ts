/**
 * The widget's stylesheet, scoped by its shadow root. `:host` rules are `!important` because inside a
 * shadow tree important declarations beat the page's important ones: a page's `* { all: unset
 * !important }` cannot reach in. Sizes are in px, never rem, so the page's root font size is irrelevant.
 * Inputs are 16 px at every width: iOS zooms into smaller ones on focus (and a page without a
 * viewport tag is wider than any mobile media query).
 */
export const styles = `
:host{all:initial!important;display:block!important;position:fixed!important;z-index:2147483000!important;
width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important;
inset:auto!important;bottom:0!important;right:0!important;visibility:visible!important;opacity:1!important;
transform:none!important;filter:none!important;contain:none!important;pointer-events:auto!important}
*,*::before,*::after{box-sizing:border-box}
[hidden]{display:none!important}
.root{--hl-primary:#2563eb;--hl-on-primary:#fff;--hl-bg:#fff;--hl-fg:#111827;--hl-muted:#4b5563;--hl-soft:#f3f4f6;
--hl-border:#e5e7eb;--hl-danger:#b91c1c;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:var(--hl-fg);-webkit-font-smoothing:antialiased;text-align:left;letter-spacing:normal;direction:ltr}
button,input,textarea{font:inherit;color:inherit;margin:0}
button{cursor:pointer}
:focus-visible{outline:3px solid var(--hl-primary);outline-offset:2px}
.sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
.launcher{position:fixed;bottom:20px;right:20px;width:60px;height:60px;border-radius:50%;border:0;padding:0;
display:flex;align-items:center;justify-content:center;background:var(--hl-primary);color:var(--hl-on-primary);
box-shadow:0 6px 20px rgba(0,0,0,.22);transition:transform .15s ease}
.launcher:hover{transform:scale(1.06)}
.left .launcher{right:auto;left:20px}
.badge{position:absolute;top:-2px;right:-2px;min-width:22px;height:22px;padding:0 6px;border-radius:11px;
background:#dc2626;color:#fff;font-size:12px;font-weight:700;line-height:22px;text-align:center;border:2px solid #fff}
.greeting{position:fixed;bottom:92px;right:20px;max-width:280px;display:flex;align-items:flex-start;gap:4px;
background:var(--hl-bg);border-radius:14px;box-shadow:0 8px 28px rgba(0,0,0,.18);padding:12px 8px 12px 14px;
animation:hl-in .25s ease}
.left .greeting{right:auto;left:20px}
.greeting-text{border:0;background:none;padding:0;text-align:left;flex:1}
.icon-btn{border:0;background:none;padding:4px;border-radius:6px;display:inline-flex;color:inherit;line-height:0}
.icon-btn:hover{background:rgba(0,0,0,.08)}
.panel{position:fixed;bottom:92px;right:20px;width:370px;height:min(600px,calc(100vh - 112px));display:flex;
flex-direction:column;background:var(--hl-bg);border-radius:16px;overflow:hidden;
box-shadow:0 12px 48px rgba(0,0,0,.24);animation:hl-in .2s ease}
.left .panel{right:auto;left:20px}
@keyframes hl-in{from{opacity:0;transform:translateY(8px)}to{opacity:1;transform:none}}
.header{display:flex;align-items:center;gap:10px;padding:14px 12px 14px 16px;background:var(--hl-primary);
color:var(--hl-on-primary);flex:none}
.logo{width:36px;height:36px;border-radius:50%;object-fit:cover;background:#fff;flex:none}
.titles{flex:1;min-width:0}
.title{font-size:16px;font-weight:650;margin:0;line-height:1.25;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.subtitle{font-size:12.5px;opacity:.9;margin:0;white-space:nowrap;overflow:hidden;text-overflow:ellipsis}
.end-btn{border:1px solid currentColor;background:transparent;border-radius:999px;padding:3px 10px;font-size:12px;
color:inherit;opacity:.9;white-space:nowrap}
.header .icon-btn:hover,.end-btn:hover{background:rgba(255,255,255,.18)}
.banner{background:#fef3c7;color:#78350f;font-size:12.5px;padding:6px 16px;flex:none}
.blocked{margin:24px 16px;text-align:center;color:#374151}
.body{flex:1;overflow-y:auto;overscroll-behavior:contain;background:var(--hl-soft);display:flex;flex-direction:column}
.menu,.form{padding:20px 16px;display:flex;flex-direction:column;gap:10px}
.prompt{font-size:15px;font-weight:600;margin:0 0 4px}
.choice{border:1px solid var(--hl-border);background:var(--hl-bg);border-radius:12px;padding:12px 14px;text-align:left;
font-weight:500;transition:border-color .15s,box-shadow .15s}
.choice:hover{border-color:var(--hl-primary);box-shadow:0 0 0 1px var(--hl-primary)}
.link{border:0;background:none;color:var(--hl-primary);padding:6px 0;text-align:left;font-weight:500;
display:inline-flex;align-items:center;gap:6px;text-decoration:underline;text-underline-offset:3px}
.log{padding:16px 12px 8px;display:flex;flex-direction:column;gap:6px;flex:1}
.msg{display:flex;gap:8px;align-items:flex-end;max-width:88%}
.msg.mine,.choice-echo{align-self:flex-end;flex-direction:row-reverse}
.avatar{width:28px;height:28px;border-radius:50%;flex:none;background:#c7d2fe;color:#1e3a8a;font-size:11px;
font-weight:700;display:flex;align-items:center;justify-content:center;object-fit:cover;overflow:hidden}
.bubble{background:var(--hl-bg);border-radius:14px 14px 14px 4px;padding:8px 12px;box-shadow:0 1px 2px rgba(0,0,0,.06);
white-space:pre-wrap;overflow-wrap:anywhere;min-width:0}
.mine .bubble,.choice-echo .bubble{background:var(--hl-primary);color:var(--hl-on-primary);border-radius:14px 14px 4px 14px}
.auto .bubble{background:#f1f5f9;border:1px dashed #94a3b8}
.avatar.bot{background:#334155;color:#fff;border-radius:8px}
.author{font-size:12px;font-weight:600;color:var(--hl-muted);margin-bottom:2px}
.meta{font-size:11px;color:var(--hl-muted);margin-top:2px;display:flex;gap:6px;justify-content:flex-end;align-items:center}
.mine .meta{color:inherit}
.failed .bubble{background:#fee2e2;color:var(--hl-danger)}
.retry{border:0;background:none;padding:0;color:var(--hl-danger);font-weight:600;text-decoration:underline;font-size:11px}
.system{align-self:center;font-size:12.5px;color:var(--hl-muted);text-align:center;padding:4px 10px;max-width:90%}
.card{background:var(--hl-bg);border:1px solid var(--hl-border);border-radius:14px;padding:14px;margin:6px 0;
display:flex;flex-direction:column;gap:8px}
.card p{margin:0}
.field{display:flex;flex-direction:column;gap:4px}
.field label{font-size:12.5px;font-weight:600;color:var(--hl-muted)}
.input{border:1px solid #d1d5db;border-radius:10px;padding:9px 11px;background:#fff;width:100%;outline:none;font-size:16px}
.input:focus{border-color:var(--hl-primary);box-shadow:0 0 0 3px color-mix(in srgb,var(--hl-primary) 25%,transparent)}
.input[aria-invalid=true]{border-color:var(--hl-danger)}
.error{color:var(--hl-danger);font-size:12.5px;margin:0}
.primary{border:0;border-radius:10px;padding:10px 14px;background:var(--hl-primary);color:var(--hl-on-primary);font-weight:600}
.primary:disabled{opacity:.6;cursor:default}
.thanks{color:#065f46;background:#ecfdf5;border-color:#a7f3d0}
.queue{align-self:center;background:var(--hl-bg);border:1px solid var(--hl-border);border-radius:999px;
padding:6px 14px;font-size:12.5px;color:var(--hl-fg);text-align:center;margin:4px 0}
.stars{display:flex;gap:4px}
.star{border:0;background:none;padding:2px;color:#6b7280;line-height:0}
.star.on{color:#b45309}
.typing{font-size:12px;color:var(--hl-muted);padding:0 16px 4px;min-height:18px;background:var(--hl-soft);flex:none}
.composer{display:flex;align-items:flex-end;gap:8px;padding:10px 10px 10px 14px;border-top:1px solid var(--hl-border);
background:var(--hl-bg);flex:none}
.composer textarea{flex:1;resize:none;border:0;outline:none;background:transparent;max-height:120px;min-height:22px;
padding:6px 0;line-height:1.4;font-size:16px}
.send{width:38px;height:38px;border-radius:50%;border:0;background:var(--hl-primary);color:var(--hl-on-primary);
display:flex;align-items:center;justify-content:center;flex:none;padding:0}
.clip{color:var(--hl-muted);align-self:center}
.tray{list-style:none;margin:0;padding:8px 10px 0;display:flex;flex-direction:column;gap:6px;border-top:1px solid var(--hl-border);
background:var(--hl-bg);max-height:40vh;overflow-y:auto}
.tray-item{display:grid;grid-template-columns:1fr auto auto;align-items:center;gap:2px 8px;font-size:12.5px;
background:var(--hl-soft);border-radius:10px;padding:6px 6px 6px 10px}
.tray-item.failed{background:#fee2e2}
.tray-name{overflow:hidden;text-overflow:ellipsis;white-space:nowrap;font-weight:500}
.tray-size,.tray-status{color:var(--hl-muted)}
.tray-item progress{grid-column:1/-1;width:100%;height:4px}
.tray-item .tray-status,.tray-item .error{grid-column:1/-1}
.dropping{outline:3px dashed var(--hl-primary);outline-offset:-6px}
.files{display:flex;flex-direction:column;gap:6px;margin:4px 0 2px}
.thumb{display:block;line-height:0;border-radius:10px;overflow:hidden;background:var(--hl-soft)}
.thumb img{display:block;max-width:220px;max-height:220px;width:auto;height:auto;object-fit:contain}
.file{display:flex;gap:8px;align-items:center;padding:8px 10px;border-radius:10px;background:rgba(0,0,0,.06);color:inherit;
text-decoration:none;min-width:0}
.file.removed{opacity:.7}
.file-text{display:flex;flex-direction:column;min-width:0}
.file-name{font-weight:600;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.file-meta{font-size:11.5px;opacity:.8}
.link-out{color:inherit;text-decoration:underline;text-underline-offset:2px}
.footer{font-size:11px;color:var(--hl-muted);text-align:center;padding:4px;background:var(--hl-bg);flex:none}
@media (max-width:480px){
.panel{inset:0;width:100%;height:100%;max-height:none;border-radius:0;bottom:0;right:0;left:0;top:0}
.launcher{bottom:16px;right:16px}
.left .launcher{left:16px}
.root.is-open .launcher{display:none}
}
@media (prefers-reduced-motion:reduce){.panel,.greeting{animation:none}.launcher{transition:none}}
`;
