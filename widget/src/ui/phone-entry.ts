/** Entry of `widget-phone.js` (see phone-rule.ts): hands the engine's phone rule to the widget. */
import { normalizeContact } from '@hotline/routing-rules/contact';

window.HotlinePhone = { normalizeContact };
