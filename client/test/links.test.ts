import { expect } from 'chai';
import { linkLabel, splitLinks } from '../src/links';

describe('links in message bodies', () => {
  it('when a body has an https URL, then it becomes a link shown with its domain between the texts', () => {
    expect(splitLinks('see https://example.com/help/returns?order=7 please')).to.deep.equal([
      { kind: 'text', text: 'see ' },
      {
        kind: 'link',
        text: 'example.com/help/returns?order=7',
        href: 'https://example.com/help/returns?order=7',
        title: 'https://example.com/help/returns?order=7',
      },
      { kind: 'text', text: ' please' },
    ]);
  });

  it('when a body has an e-mail or a mailto: link, then it is a mailto link showing the address', () => {
    const segments = splitLinks('write to help@shop.example or mailto:sales@shop.example');
    expect(
      segments.filter((s) => s.kind === 'link').map((s) => s.kind === 'link' && [s.href, s.text]),
    ).to.deep.equal([
      ['mailto:help@shop.example', 'help@shop.example'],
      ['mailto:sales@shop.example', 'sales@shop.example'],
    ]);
  });

  for (const body of [
    'javascript:alert(document.cookie)',
    'data:text/html,<script>alert(1)</script>',
    'ftp://files.example/x',
    '//evil.example/x',
    'vbscript:msgbox(1)',
  ]) {
    it(`when a body is "${body}", then it stays plain text`, () => {
      expect(splitLinks(body)).to.deep.equal([{ kind: 'text', text: body }]);
    });
  }

  it('when HTML is in a body, then it is text, unchanged (the UIs render text nodes)', () => {
    const body = '<img src=x onerror=alert(1)> <a href="javascript:x">y</a>';
    expect(splitLinks(body)).to.deep.equal([{ kind: 'text', text: body }]);
  });

  it('when a link is long or has escapes, then the label keeps the host, decodes the path and cuts it with …', () => {
    expect(linkLabel('https://xn--e1afmkfd.xn--p1ai/%D0%BF%D1%83%D1%82%D1%8C')).to.equal(
      'xn--e1afmkfd.xn--p1ai/путь',
    );
    const long = linkLabel(`https://docs.example.com/${'a'.repeat(80)}`);
    expect(long).to.have.length(48);
    expect(long.startsWith('docs.example.com/')).to.equal(true);
    expect(long.endsWith('…')).to.equal(true);
  });

  it('when a body has no link, then it is one text segment; an empty body is no segment', () => {
    expect(splitLinks('just words. and README.md')).to.deep.equal([
      { kind: 'text', text: 'just words. and README.md' },
    ]);
    expect(splitLinks('')).to.deep.equal([]);
  });
});
