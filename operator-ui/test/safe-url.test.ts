import { expect } from 'chai';
import { safeHttpUrl, shortUrl } from '../src/lib/safe-url';

describe('safeHttpUrl (links from visitor data)', () => {
  it('when the URL is http(s), then it is the link target', () => {
    expect(safeHttpUrl('https://shop.example/cart?x=1')).to.equal('https://shop.example/cart?x=1');
    expect(safeHttpUrl('HTTP://Shop.Example')).to.equal('http://shop.example/');
  });

  it('when the URL runs code, is relative or empty, then there is no link', () => {
    for (const url of [
      'javascript:alert(1)',
      ' JavaScript:alert(1)',
      'java\tscript:alert(1)',
      'data:text/html,<script>1</script>',
      'vbscript:x',
      '/relative',
      '',
      null,
      undefined,
    ]) {
      expect(safeHttpUrl(url), String(url)).to.equal(null);
    }
  });

  it('when shortened for display, then an http(s) URL loses its scheme and anything else stays as it is', () => {
    expect(shortUrl('https://shop.example/a?b=1')).to.equal('shop.example/a?b=1');
    expect(shortUrl('javascript:alert(1)')).to.equal('javascript:alert(1)');
  });
});
