import { expect } from 'chai';
import { kb } from '../build';
import { measureWidget } from '../bench/size';

describe('widget size', function () {
  this.timeout(60_000);

  it('when the widget is built with attachments and links, then widget.js stays under 45 KB gzipped (printed)', async () => {
    const rows = await measureWidget();
    const shipped = rows.find((r) => r.variant === 'widget.js');
    expect(shipped, 'widget.js builds').to.not.equal(undefined);
    console.log(`      widget.js: ${kb(shipped!.raw)} raw, ${kb(shipped!.gzip)} gzipped (budget 45.0 KB)`);
    expect(shipped!.gzip).to.be.below(45 * 1024);
    const phone = rows.find((r) => r.variant === 'widget-phone.js');
    expect(phone, 'widget-phone.js builds').to.not.equal(undefined);
    console.log(
      `      widget-phone.js (loaded when a phone field shows): ${kb(phone!.raw)} raw, ${kb(phone!.gzip)} gzipped`,
    );
  });
});
